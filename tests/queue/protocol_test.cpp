// Request parsing and answer JSON of the broker protocol (docs/queue.md): every bad input is a
// RequestError with the documented status and code.
#include "queue/protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kb::queue {
namespace {
using nlohmann::json;

// The RequestError `call` throws, as "status code".
template <class F>
std::string refusal(F call) {
  try {
    call();
  } catch (const RequestError& e) {
    return std::to_string(e.http_status()) + " " + e.code();
  }
  return "accepted";
}

TEST(Protocol, SubmitDefaultsAndFields) {
  auto r = parse_submit("");
  EXPECT_EQ(r.payload, "null");
  EXPECT_EQ(r.timeout, kDefaultSubmitTimeout);
  r = parse_submit(R"({"payload": {"seconds": 0.5, "args": ["a"]}, "timeout_ms": 1500, "unknown": 1})");
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"seconds":0.5,"args":["a"]})"));
  EXPECT_EQ(r.timeout, Millis(1500));
  EXPECT_EQ(parse_submit(R"({"payload": "text"})").payload, "\"text\"");
}

TEST(Protocol, BadBodiesAreRefusedWithTheirCode) {
  EXPECT_EQ(refusal([] { parse_submit("{bad"); }), "400 invalid_json");
  EXPECT_EQ(refusal([] { parse_submit("[1,2]"); }), "400 invalid_json");
  EXPECT_EQ(refusal([] { parse_submit("\"x\""); }), "400 invalid_json");
  EXPECT_EQ(refusal([] { parse_submit(R"({"timeout_ms": "5"})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_submit(R"({"timeout_ms": 0})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_submit(R"({"timeout_ms": 1.5})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_submit(R"({"timeout_ms": 99999999999999999999})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_submit(R"({"timeout_ms": -1})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_submit(std::string(100, '[') + std::string(100, ']')); }), "400 invalid_json");
  EXPECT_EQ(refusal([] { parse_submit("{\"payload\":" + std::string(70, '[') + std::string(70, ']') + "}"); }),
            "400 invalid_json");
  EXPECT_EQ(refusal([] { parse_submit(std::string("{\"payload\":\"\xff\"}")); }), "400 invalid_json");
}

TEST(Protocol, JsonDepthSkipsStrings) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":"[[[["}]})"), 3u);
  EXPECT_EQ(json_depth(R"("\"[")"), 0u);
  EXPECT_EQ(json_depth("]]]"), 0u);
}

TEST(Protocol, LeaseWithCompletions) {
  auto r = parse_lease(R"({"worker":"pod-a","max_items":4,"wait_ms":20000,"lease_ms":60000,
    "complete":[{"lease":"00000000000000ff","status":"ok","result":{"x":1}},
                {"lease":"0000000000000100","status":"failed","error":"exit 1"}]})");
  EXPECT_EQ(r.worker, "pod-a");
  EXPECT_EQ(r.max_items, 4u);
  EXPECT_EQ(r.wait, Millis(20000));
  EXPECT_EQ(r.lease, Millis(60000));
  ASSERT_EQ(r.complete.size(), 2u);
  EXPECT_EQ(r.complete[0].lease, 0xffu);
  EXPECT_TRUE(r.complete[0].ok);
  EXPECT_EQ(r.complete[0].result, R"({"x":1})");
  EXPECT_FALSE(r.complete[1].ok);
  EXPECT_EQ(r.complete[1].error, "exit 1");
  EXPECT_EQ(r.complete[1].lease_text, "0000000000000100");

  auto d = parse_lease("{}");
  EXPECT_FALSE(d.worker);
  EXPECT_EQ(d.max_items, 1u);
  EXPECT_EQ(d.wait, Millis(0));
  EXPECT_FALSE(d.lease);
}

TEST(Protocol, BadLeaseRequests) {
  EXPECT_EQ(refusal([] { parse_lease(R"({"max_items":1001})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"wait_ms":300001})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"lease_ms":99})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"worker":""})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"worker":7})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"worker":")" + std::string(300, 'w') + "\"}"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"complete":{}})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"complete":[1]})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"complete":[{}]})"); }), "400 invalid_field");
  EXPECT_EQ(refusal([] { parse_lease(R"({"complete":[{"lease":"xyz"}]})"); }), "400 invalid_lease");
  EXPECT_EQ(refusal([] { parse_lease(R"({"complete":[{"lease":"00000000000000ff","status":"maybe"}]})"); }),
            "400 invalid_field");
}

TEST(Protocol, CompleteHeartbeatRelease) {
  auto c = parse_complete("00000000000000aa", R"({"status":"failed","error":"boom","result":[1]})");
  EXPECT_EQ(c.lease, 0xaau);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.result, "[1]");
  EXPECT_TRUE(parse_complete("00000000000000aa", "").ok);
  EXPECT_EQ(refusal([] { parse_complete("nothex", "{}"); }), "400 invalid_lease");
  EXPECT_EQ(refusal([] { parse_complete("00000000000000aa", "{"); }), "400 invalid_json");
  EXPECT_EQ(parse_heartbeat(R"({"lease_ms":5000})").lease, Millis(5000));
  EXPECT_FALSE(parse_heartbeat("").lease);
  EXPECT_EQ(refusal([] { parse_release("[]"); }), "400 invalid_json");
  EXPECT_EQ(refusal([] { check_queue_name("a/b"); }), "400 invalid_queue_name");
  EXPECT_EQ(refusal([] { check_queue_name("ok.name_1-2"); }), "accepted");
}

TEST(Protocol, ItemAnswers) {
  ItemResult r;
  r.id = 0x1234;
  r.queue = "sleep";
  r.ok = true;
  r.result = R"({"node":"n1"})";
  r.attempts = 2;
  r.worker = "pod \"a\"";
  r.wait_seconds = 0.0015;
  r.run_seconds = 0.5;
  auto a = item_answer(r);
  EXPECT_EQ(a.status, 200);
  auto doc = json::parse(a.body);
  EXPECT_EQ(doc["id"], "0000000000001234");
  EXPECT_EQ(doc["status"], "ok");
  EXPECT_EQ(doc["attempts"], 2);
  EXPECT_EQ(doc["worker"], "pod \"a\"");
  EXPECT_DOUBLE_EQ(doc["wait_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(doc["run_ms"].get<double>(), 500.0);
  EXPECT_EQ(doc["result"]["node"], "n1");
  EXPECT_FALSE(doc.contains("error"));

  r.ok = false;
  r.error_code = "max_attempts";
  r.error_message = "lease expired 3 times";
  doc = json::parse(item_answer(r).body);
  EXPECT_EQ(doc["status"], "failed");
  EXPECT_EQ(doc["error"]["code"], "max_attempts");

  r.kind = ItemResult::Kind::timeout;
  a = item_answer(r);
  EXPECT_EQ(a.status, 504);
  doc = json::parse(a.body);
  EXPECT_EQ(doc["error"]["code"], "timeout");
  EXPECT_EQ(doc["id"], "0000000000001234");
  r.kind = ItemResult::Kind::shutdown;
  EXPECT_EQ(item_answer(r).status, 503);
}

TEST(Protocol, LeasedAnswer) {
  LeasedItem item{0x1, 0x2, "q", R"({"s":0})", 3, std::chrono::seconds(30), std::chrono::milliseconds(1500)};
  auto doc = json::parse(leased_json({item}, {{"00000000000000aa", Status::ok, true}, {"00000000000000bb", Status::stale_lease, false}}));
  ASSERT_EQ(doc["items"].size(), 1u);
  EXPECT_EQ(doc["items"][0]["lease"], "0000000000000002");
  EXPECT_EQ(doc["items"][0]["attempt"], 3);
  EXPECT_EQ(doc["items"][0]["lease_ms"], 30000);
  EXPECT_EQ(doc["items"][0]["deadline_ms"], 1500);
  EXPECT_EQ(doc["items"][0]["payload"]["s"], 0);
  EXPECT_EQ(doc["completed"][0]["ok"], true);
  EXPECT_EQ(doc["completed"][0]["delivered"], true);
  EXPECT_EQ(doc["completed"][1]["ok"], false);
  EXPECT_EQ(doc["completed"][1]["error"]["code"], "stale_lease");
  EXPECT_EQ(json::parse(leased_json({}, {}))["items"].size(), 0u);
}

TEST(Protocol, ErrorJsonEscapes) {
  auto doc = json::parse(error_json("unknown_queue", "unknown queue '<x>\"'", 5));
  EXPECT_EQ(doc["error"]["message"], "unknown queue '<x>\"'");
  EXPECT_EQ(doc["id"], "0000000000000005");
  EXPECT_EQ(http_status(Status::queue_full), 429);
  EXPECT_EQ(http_status(Status::stale_lease), 409);
  EXPECT_EQ(http_status(Status::draining), 503);
  EXPECT_EQ(http_status(Status::unknown_queue), 404);
}

}  // namespace
}  // namespace kb::queue
