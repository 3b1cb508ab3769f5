// The worker's wire format (docs/queue.md "Workers") and the sleep payload.
#include <gtest/gtest.h>

#include "core/error.h"
#include "queue/broker_url.h"
#include "queue/worker_protocol.h"
#include "queue/workload_sleep.h"

namespace kb::queue {
namespace {

using nlohmann::json;

TEST(WorkerProtocol, LeaseBodyCarriesCompletions) {
  LeaseCall call{"pod \"a\"", 3, 20000, 5000};
  std::vector<Completion> done = {{"00000000000000aa", true, json{{"node", "n1"}}, ""},
                                  {"00000000000000bb", false, json{{"retcode", 1}}, "exit status 1"}};
  auto body = json::parse(lease_body(call, done));
  EXPECT_EQ(body["worker"], "pod \"a\"");
  EXPECT_EQ(body["max_items"], 3);
  EXPECT_EQ(body["wait_ms"], 20000);
  EXPECT_EQ(body["lease_ms"], 5000);
  ASSERT_EQ(body["complete"].size(), 2u);
  EXPECT_EQ(body["complete"][0], (json{{"lease", "00000000000000aa"}, {"status", "ok"}, {"result", {{"node", "n1"}}}}));
  EXPECT_EQ(body["complete"][1]["status"], "failed");
  EXPECT_EQ(body["complete"][1]["error"], "exit status 1");

  auto plain = json::parse(lease_body(LeaseCall{"w", 1, 0, std::nullopt}, {}));
  EXPECT_FALSE(plain.contains("complete"));
  EXPECT_FALSE(plain.contains("lease_ms"));
  EXPECT_EQ(json::parse(completion_body({"x", false, nullptr, "boom"})), (json{{"status", "failed"}, {"error", "boom"}}));
}

TEST(WorkerProtocol, ParsesTheLeaseAnswer) {
  auto a = parse_lease_answer(R"({"items": [{"id": "5be2c0d31f0a9e47", "lease": "c07d5fe1b9a84e23", "queue": "sleep",
      "attempt": 2, "lease_ms": 30000, "deadline_ms": 29998, "payload": {"seconds": 0.5}, "future": 1}],
      "completed": [{"lease": "a", "ok": true, "delivered": true}, {"lease": "b", "ok": true, "delivered": false},
                    {"lease": "c", "ok": false, "error": {"code": "stale_lease"}}]})");
  ASSERT_EQ(a.items.size(), 1u);
  EXPECT_EQ(a.items[0].id, "5be2c0d31f0a9e47");
  EXPECT_EQ(a.items[0].lease, "c07d5fe1b9a84e23");
  EXPECT_EQ(a.items[0].attempt, 2);
  EXPECT_EQ(a.items[0].lease_ms, 30000);
  EXPECT_EQ(a.items[0].payload["seconds"], 0.5);
  ASSERT_EQ(a.completed.size(), 3u);
  EXPECT_TRUE(a.completed[0].ok && a.completed[0].delivered);
  EXPECT_TRUE(a.completed[1].ok && !a.completed[1].delivered);
  EXPECT_FALSE(a.completed[2].ok);
  EXPECT_TRUE(parse_lease_answer(R"({"items": []})").items.empty());
  EXPECT_THROW(parse_lease_answer("[]"), ParseError);
  EXPECT_THROW(parse_lease_answer(R"({"items": [{"id": "x"}]})"), ParseError);
  EXPECT_THROW(parse_lease_answer("{bad"), ParseError);
}

TEST(WorkerProtocol, ErrorBodies) {
  std::string body = R"({"error": {"code": "unknown_queue", "message": "no queue 'x'"}})";
  EXPECT_EQ(error_code(body), "unknown_queue");
  EXPECT_EQ(describe_error(404, body), "404 unknown_queue: no queue 'x'");
  EXPECT_EQ(error_code("<html>"), "");
  EXPECT_EQ(describe_error(502, "<html>"), "502");
}

TEST(SleepPayload, AcceptsSecondsOnly) {
  EXPECT_DOUBLE_EQ(parse_sleep_payload(json{{"seconds", 0.25}}).seconds, 0.25);
  EXPECT_DOUBLE_EQ(parse_sleep_payload(json(2)).seconds, 2);
  EXPECT_TRUE(parse_sleep_payload(json{{"seconds", 0}}).error.empty());
  for (auto bad : {json(nullptr), json::object(), json{{"seconds", "1"}}, json{{"seconds", -1}}, json{{"seconds", 1e9}}})
    EXPECT_FALSE(parse_sleep_payload(bad).error.empty()) << bad.dump();
}

TEST(BrokerUrl, Forms) {
  auto u = parse_broker_url("127.0.0.1:8080");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(parse_broker_url("http://broker.ns.svc:9000/").host, "broker.ns.svc");
  EXPECT_EQ(parse_broker_url("[::1]:80").host, "::1");
  EXPECT_EQ(parse_broker_url("[::1]:80").text(), "[::1]:80");
  for (auto bad : {"localhost", "https://x:1", "x:0", "x:70000", ":80", "::1:80", "x:abc"})
    EXPECT_THROW(parse_broker_url(bad), UsageError) << bad;
}

}  // namespace
}  // namespace kb::queue
