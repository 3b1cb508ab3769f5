// `kubench queue serve` end to end on loopback (docs/queue.md): the round trip, long polls, a
// worker killed mid-item, stale completions, qmax, bad input, auth, disconnecting clients,
// timeouts and the SIGTERM drain. Clients and workers are raw HTTP connections (and one python
// process for the kill -9).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "queue/broker_fixture.h"

namespace kb {
namespace {
using nlohmann::json;
using test::BrokerProcess;
using test::RawHttp;
using test::eventually;

std::string submit_body(const std::string& payload = "{\"seconds\":0}", int timeout_ms = 60000) {
  return "{\"payload\":" + payload + ",\"timeout_ms\":" + std::to_string(timeout_ms) + "}";
}

class BrokerServe : public ::testing::Test {
 protected:
  std::unique_ptr<BrokerProcess> start(std::vector<std::string> args) {
    return std::make_unique<BrokerProcess>(dir_, args);
  }
  test::TempDir dir_;
};

TEST_F(BrokerServe, SubmitLeaseCompleteRoundTrip) {
  auto broker = start({"--queue", "sleep"});
  RawHttp client(broker->port()), worker(broker->port());
  client.send_request("POST", "/v1/queues/sleep/items", submit_body(R"({"seconds":0,"tag":"x"})"));
  auto leased = worker.request("POST", "/v1/queues/sleep/leases", R"({"worker":"w1","wait_ms":30000})");
  ASSERT_EQ(leased.status, 200) << leased.body;
  auto items = test::body_json(leased)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["attempt"], 1);
  EXPECT_EQ(items[0]["payload"]["tag"], "x");
  const std::string lease = items[0]["lease"];
  // Complete and ask for the next in one exchange; nothing is waiting, so 200 with no items.
  auto next = worker.request("POST", "/v1/queues/sleep/leases",
                             R"({"worker":"w1","complete":[{"lease":")" + lease + R"(","result":{"node":"n1"}}]})");
  ASSERT_EQ(next.status, 200);
  auto ack = test::body_json(next);
  EXPECT_TRUE(ack["items"].empty());
  EXPECT_EQ(ack["completed"][0]["ok"], true);
  EXPECT_EQ(ack["completed"][0]["delivered"], true);
  auto answer = client.read_response();
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto result = test::body_json(answer);
  EXPECT_EQ(result["status"], "ok");
  EXPECT_EQ(result["attempts"], 1);
  EXPECT_EQ(result["worker"], "w1");
  EXPECT_EQ(result["result"]["node"], "n1");
  EXPECT_EQ(result["id"], items[0]["id"]);
  EXPECT_EQ(answer.header("Content-Type"), "application/json");
  auto stats = test::queue_stats(broker->port(), "sleep");
  EXPECT_EQ(stats["submitted"], 1);
  EXPECT_EQ(stats["completed"], 1);
  EXPECT_EQ(stats["waiting"], 0);
  EXPECT_EQ(stats["leased"], 0);
}

TEST_F(BrokerServe, EmptyLongPollEndsWith204AndSlotsTakeSeveralItems) {
  auto broker = start({"--queue", "q"});
  RawHttp worker(broker->port());
  auto empty = worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":50})");
  EXPECT_EQ(empty.status, 204);
  EXPECT_TRUE(empty.body.empty());
  std::vector<std::unique_ptr<RawHttp>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawHttp>(broker->port()));
    clients.back()->send_request("POST", "/v1/queues/q/items", submit_body(std::to_string(i)));
  }
  ASSERT_TRUE(eventually([&] { return test::queue_stats(broker->port(), "q")["waiting"] == 3; }));
  auto three = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"max_items":5})"));
  ASSERT_EQ(three["items"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(three["items"][i]["payload"], i);  // oldest first
}

// A worker process dies (kill -9) holding an item: its lease expires, another worker gets the item
// as attempt 2, the client gets exactly one answer, and the dead lease can no longer complete.
TEST_F(BrokerServe, KilledWorkerItemIsRetriedElsewhereAndAnsweredOnce) {
  auto broker = start({"--queue", "q", "--lease-seconds", "0.5"});
  const std::string url = "http://127.0.0.1:" + std::to_string(broker->port()) + "/v1/queues/q/leases";
  ProcessSpec spec;
  spec.argv = {test::python(), "-c",
               "import sys, time, urllib.request\n"
               "req = urllib.request.Request(sys.argv[1], data=b'{\"worker\":\"doomed\",\"wait_ms\":30000}', method='POST')\n"
               "print(urllib.request.urlopen(req).read().decode(), flush=True)\n"
               "time.sleep(3600)\n",
               url};
  spec.stdout_mode = OutputMode::file;
  spec.stdout_path = dir_ / "doomed.out";
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = dir_ / "doomed.err";
  ChildProcess doomed(spec);

  RawHttp client(broker->port());
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  ASSERT_TRUE(eventually([&] { return test::read_or_empty(spec.stdout_path).find('\n') != std::string::npos; }))
      << test::read_or_empty(spec.stderr_path);
  const auto first = json::parse(test::read_or_empty(spec.stdout_path))["items"][0];
  ::kill(doomed.pid(), SIGKILL);
  doomed.wait();

  RawHttp survivor(broker->port());
  auto retry = survivor.request("POST", "/v1/queues/q/leases", R"({"worker":"survivor","wait_ms":30000})");
  ASSERT_EQ(retry.status, 200);
  const auto second = test::body_json(retry)["items"][0];
  EXPECT_EQ(second["id"], first["id"]);
  EXPECT_EQ(second["attempt"], 2);
  EXPECT_NE(second["lease"], first["lease"]);
  auto done = survivor.request("POST", "/v1/leases/" + second["lease"].get<std::string>() + "/complete",
                               R"({"status":"ok","result":"from the survivor"})");
  EXPECT_EQ(done.status, 200);

  auto answer = test::body_json(client.read_response());
  EXPECT_EQ(answer["status"], "ok");
  EXPECT_EQ(answer["attempts"], 2);
  EXPECT_EQ(answer["worker"], "survivor");
  EXPECT_EQ(answer["result"], "from the survivor");

  // The dead worker's lease: refused, and never a second answer to the client.
  RawHttp late(broker->port());
  auto stale = late.request("POST", "/v1/leases/" + first["lease"].get<std::string>() + "/complete", R"({"result":"late"})");
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(test::error_code(stale), "stale_lease");
  auto next = client.request("GET", "/healthz");  // the next thing on the client's connection
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, R"({"status":"ok"})");

  auto text = test::metrics(broker->port());
  EXPECT_NE(text.find("kubench_queue_lease_expired_total{queue=\"q\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kubench_queue_completed_total{queue=\"q\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("kubench_queue_stale_completions_total 1\n"), std::string::npos);
}

TEST_F(BrokerServe, ExpiredLeasesBeyondMaxAttemptsFailTheItem) {
  auto broker = start({"--queue", "q", "--lease-seconds", "0.2", "--max-attempts", "1"});
  RawHttp client(broker->port()), worker(broker->port());
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  ASSERT_EQ(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})").status, 200);
  auto answer = client.read_response();  // the lease expires unheard
  ASSERT_EQ(answer.status, 200);
  auto doc = test::body_json(answer);
  EXPECT_EQ(doc["status"], "failed");
  EXPECT_EQ(doc["error"]["code"], "max_attempts");
  EXPECT_EQ(doc["attempts"], 1);
}

TEST_F(BrokerServe, HeartbeatsKeepALeaseAndReleaseHandsItOn) {
  auto broker = start({"--queue", "q", "--lease-seconds", "30"});
  RawHttp client(broker->port()), worker(broker->port());
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  auto item = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})"))["items"][0];
  const std::string lease = item["lease"];
  auto beat = worker.request("POST", "/v1/leases/" + lease + "/heartbeat", R"({"lease_ms":60000})");
  ASSERT_EQ(beat.status, 200);
  EXPECT_EQ(test::body_json(beat)["lease_ms"], 60000);
  EXPECT_EQ(test::body_json(beat)["cancelled"], false);
  auto rel = worker.request("POST", "/v1/leases/" + lease + "/release", "");
  EXPECT_EQ(test::body_json(rel)["requeued"], true);
  EXPECT_EQ(worker.request("POST", "/v1/leases/" + lease + "/heartbeat", "").status, 409);
  auto again = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})"))["items"][0];
  EXPECT_EQ(again["id"], item["id"]);
  EXPECT_EQ(again["attempt"], 2);
}

TEST_F(BrokerServe, QmaxAnswers429) {
  auto broker = start({"--queue", "q", "--qmax", "1"});
  RawHttp first(broker->port()), second(broker->port());
  first.send_request("POST", "/v1/queues/q/items", submit_body());
  ASSERT_TRUE(eventually([&] { return test::queue_stats(broker->port(), "q")["waiting"] == 1; }));
  auto full = second.request("POST", "/v1/queues/q/items", submit_body());
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(test::error_code(full), "queue_full");
  EXPECT_NE(test::body_json(full)["error"]["message"].get<std::string>().find("qmax 1"), std::string::npos);
  EXPECT_NE(test::metrics(broker->port()).find("kubench_queue_rejected_total{queue=\"q\",reason=\"full\"} 1\n"), std::string::npos);
}

TEST_F(BrokerServe, BadInputGets4xxJsonAndTheBrokerCarriesOn) {
  auto broker = start({"--queue", "q", "--max-body", "2048"});
  RawHttp c(broker->port());
  struct Case {
    std::string method, target, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/queues/q/items", "{bad", 400, "invalid_json"},
      {"POST", "/v1/queues/q/items", "[]", 400, "invalid_json"},
      {"POST", "/v1/queues/q/items", R"({"timeout_ms":0})", 400, "invalid_field"},
      {"POST", "/v1/queues/q/items", R"({"timeout_ms":"soon"})", 400, "invalid_field"},
      {"POST", "/v1/queues/nope/items", "{}", 404, "unknown_queue"},
      {"POST", "/v1/queues/bad%20name/items", "{}", 400, "invalid_queue_name"},
      {"POST", "/v1/queues/q/leases", R"({"max_items":-1})", 400, "invalid_field"},
      {"POST", "/v1/queues/q/leases", R"({"complete":[{"lease":"nothex"}]})", 400, "invalid_lease"},
      {"POST", "/v1/leases/zz/complete", "{}", 400, "invalid_lease"},
      {"POST", "/v1/leases/0123456789abcdef/complete", "{}", 409, "stale_lease"},
      {"POST", "/v1/leases/0123456789abcdef/heartbeat", "{}", 409, "stale_lease"},
      {"GET", "/v1/queues/nope", "", 404, "unknown_queue"},
      {"GET", "/nope", "", 404, "not_found"},
      {"DELETE", "/v1/queues/q/items", "", 405, "method_not_allowed"},
  };
  for (auto& k : cases) {
    auto r = c.request(k.method, k.target, k.body);
    EXPECT_EQ(r.status, k.status) << k.method << " " << k.target << " " << k.body << ": " << r.body;
    EXPECT_EQ(test::error_code(r), k.code) << k.target << " " << k.body;
  }
  RawHttp big(broker->port());
  auto r = big.request("POST", "/v1/queues/q/items", submit_body("\"" + std::string(4096, 'x') + "\""));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(test::error_code(r), "body_too_large");
  RawHttp garbage(broker->port());
  garbage.send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(garbage.read_response().status, 400);
  // An 8 KiB payload sent in two writes arrives whole (the reference's 1 KiB single-read bug).
  auto roomy = start({"--queue", "q"});
  RawHttp split(roomy->port()), worker(roomy->port());
  const std::string large = submit_body("\"" + std::string(8192, 'y') + "\"");
  const std::string request = RawHttp::format("POST", "/v1/queues/q/items", large);
  split.send(request.substr(0, 100));
  split.send(request.substr(100));
  auto item = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})"))["items"][0];
  EXPECT_EQ(item["payload"].get<std::string>().size(), 8192u);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

TEST_F(BrokerServe, TokensSeparateClientsFromWorkers) {
  test::write_text(dir_ / "client.token", "client-secret\n");
  test::write_text(dir_ / "worker.token", "worker-secret\n");
  auto broker = start({"--queue", "q", "--token-file", (dir_ / "client.token").string(), "--worker-token-file",
                       (dir_ / "worker.token").string()});
  const std::string client_auth = "Authorization: Bearer client-secret\r\n";
  const std::string worker_auth = "Authorization: Bearer worker-secret\r\n";
  RawHttp c(broker->port());
  auto denied = c.request("POST", "/v1/queues/q/items", submit_body("0", 50));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(test::error_code(denied), "unauthorized");
  EXPECT_EQ(denied.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(c.request("POST", "/v1/queues/q/items", submit_body("0", 50), worker_auth).status, 401);
  EXPECT_EQ(c.request("POST", "/v1/queues/q/items", submit_body("0", 50), "Authorization: Bearer client-secreT\r\n").status, 401);
  EXPECT_EQ(c.request("POST", "/v1/queues/q/items", submit_body("0", 50), client_auth).status, 504);  // accepted, nobody works
  EXPECT_EQ(c.request("POST", "/v1/queues/q/leases", "{}").status, 401);
  EXPECT_EQ(c.request("POST", "/v1/queues/q/leases", "{}", client_auth).status, 401);
  EXPECT_EQ(c.request("POST", "/v1/queues/q/leases", "{}", worker_auth).status, 204);
  EXPECT_EQ(c.request("POST", "/v1/leases/0123456789abcdef/complete", "{}").status, 401);
  EXPECT_EQ(c.request("GET", "/v1/queues").status, 401);
  EXPECT_EQ(c.request("GET", "/v1/queues", "", worker_auth).status, 200);
  EXPECT_EQ(c.request("GET", "/v1/queues", "", client_auth).status, 200);
  EXPECT_EQ(c.request("GET", "/metrics").status, 200);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
}

TEST_F(BrokerServe, DisconnectingClientsAreCountedAndTheirItemsDropped) {
  auto broker = start({"--queue", "q"});
  const int port = broker->port();
  {
    RawHttp gone(port);
    gone.send_request("POST", "/v1/queues/q/items", submit_body());
    ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["waiting"] == 1; }));
  }
  ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["client_disconnects"] == 1; }));
  EXPECT_EQ(test::queue_stats(port, "q")["waiting"], 0);
  RawHttp worker(port);
  EXPECT_EQ(worker.request("POST", "/v1/queues/q/leases", "{}").status, 204);  // nothing left to run

  // Gone while a worker holds the item: the worker hears of it and its result is discarded.
  std::string lease;
  {
    RawHttp gone(port);
    gone.send_request("POST", "/v1/queues/q/items", submit_body());
    auto item = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})"))["items"][0];
    lease = item["lease"];
  }
  ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["client_disconnects"] == 2; }));
  EXPECT_EQ(test::body_json(worker.request("POST", "/v1/leases/" + lease + "/heartbeat", ""))["cancelled"], true);
  auto done = worker.request("POST", "/v1/leases/" + lease + "/complete", "{}");
  EXPECT_EQ(test::body_json(done)["delivered"], false);
  EXPECT_NE(test::metrics(port).find("kubench_queue_discarded_results_total{queue=\"q\"} 1\n"), std::string::npos);
  EXPECT_EQ(test::queue_stats(port, "q")["leased"], 0);

  // A worker that leaves while long-polling gets nothing leased to it.
  {
    RawHttp leaving(port);
    leaving.send_request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})");
    ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["polling_workers"] == 1; }));
  }
  ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["polling_workers"] == 0; }));
  RawHttp client(port);
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  ASSERT_TRUE(eventually([&] { return test::queue_stats(port, "q")["waiting"] == 1; }));
}

TEST_F(BrokerServe, SubmitTimeoutAnswers504WithTheId) {
  auto broker = start({"--queue", "q"});
  RawHttp c(broker->port());
  auto r = c.request("POST", "/v1/queues/q/items", submit_body("0", 100));
  EXPECT_EQ(r.status, 504);
  auto doc = test::body_json(r);
  EXPECT_EQ(doc["error"]["code"], "timeout");
  EXPECT_EQ(doc["id"].get<std::string>().size(), 16u);
  auto stats = test::queue_stats(broker->port(), "q");
  EXPECT_EQ(stats["waiting"], 0);
  EXPECT_EQ(stats["timeouts"], 1);
}

TEST_F(BrokerServe, SigtermDrainsAcceptedItemsThenExitsZero) {
  auto broker = start({"--queue", "q", "--drain-seconds", "60"});
  const int port = broker->port();
  RawHttp client(port), worker(port), late(port);
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  auto item = test::body_json(worker.request("POST", "/v1/queues/q/leases", R"({"wait_ms":30000})"))["items"][0];
  broker->terminate();
  ASSERT_TRUE(eventually([&] { return late.request("GET", "/readyz").status == 503; }));
  auto refused = late.request("POST", "/v1/queues/q/items", submit_body());
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(test::error_code(refused), "draining");
  EXPECT_EQ(test::body_json(late.request("GET", "/v1/queues"))["draining"], true);
  auto done = worker.request("POST", "/v1/leases/" + item["lease"].get<std::string>() + "/complete", R"({"result":1})");
  EXPECT_EQ(done.status, 200);
  auto answer = client.read_response();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(test::body_json(answer)["result"], 1);
  auto exit = broker->wait();
  EXPECT_EQ(exit.exit_code, 0) << broker->log();
  EXPECT_EQ(exit.signal, 0);
  EXPECT_NE(broker->log().find("draining"), std::string::npos);
}

TEST_F(BrokerServe, DrainTimeLeftoversGet503AndTheBrokerStillExitsZero) {
  auto broker = start({"--queue", "q", "--drain-seconds", "0.3"});
  RawHttp client(broker->port());
  client.send_request("POST", "/v1/queues/q/items", submit_body());
  ASSERT_TRUE(eventually([&] { return test::queue_stats(broker->port(), "q")["waiting"] == 1; }));
  broker->terminate();
  auto answer = client.read_response();
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(test::error_code(answer), "shutting_down");
  EXPECT_EQ(test::body_json(answer)["id"].get<std::string>().size(), 16u);
  EXPECT_EQ(broker->wait().exit_code, 0) << broker->log();
}

// Many clients and workers at once on several I/O threads: every client gets exactly its own
// answer (the workers echo the payload), and the counts add up.
TEST_F(BrokerServe, ConcurrentClientsEachGetTheirOwnAnswer) {
  auto broker = start({"--queue", "q", "--threads", "4"});
  const int port = broker->port();
  constexpr int kClients = 24, kPerClient = 40, kWorkers = 6;
  std::atomic<int> wrong{0}, answered{0};
  std::atomic<bool> clients_done{false};
  std::vector<std::thread> workers, clients;
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&, w] {
      RawHttp c(port);
      json complete = json::array();
      while (!clients_done) {
        json request = {{"worker", "w" + std::to_string(w)}, {"max_items", 2}, {"wait_ms", 200}, {"complete", complete}};
        auto r = c.request("POST", "/v1/queues/q/leases", request.dump());
        complete = json::array();
        if (r.status != 200) continue;
        const auto doc = test::body_json(r);
        for (auto& item : doc["items"])
          complete.push_back({{"lease", item["lease"]}, {"result", item["payload"]}});
      }
      if (!complete.empty()) c.request("POST", "/v1/queues/q/leases", json{{"worker", "w" + std::to_string(w)}, {"max_items", 0}, {"complete", complete}}.dump());
    });
  for (int k = 0; k < kClients; ++k)
    clients.emplace_back([&, k] {
      RawHttp c(port);
      for (int i = 0; i < kPerClient; ++i) {
        const std::string mine = std::to_string(k) + "/" + std::to_string(i);
        auto r = c.request("POST", "/v1/queues/q/items", submit_body("\"" + mine + "\""));
        auto doc = test::body_json(r);
        if (r.status != 200 || doc["status"] != "ok" || doc["result"] != mine) ++wrong;
        ++answered;
      }
    });
  for (auto& t : clients) t.join();
  clients_done = true;
  for (auto& t : workers) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(answered, kClients * kPerClient);
  auto stats = test::queue_stats(port, "q");
  EXPECT_EQ(stats["submitted"], kClients * kPerClient);
  EXPECT_EQ(stats["completed"], kClients * kPerClient);
  EXPECT_EQ(stats["waiting"], 0);
  EXPECT_EQ(stats["leased"], 0);
  EXPECT_EQ(stats["workers"], kWorkers);
}

TEST_F(BrokerServe, CreateOnDemandAndStartupErrors) {
  auto broker = start({"--create-on-demand"});
  RawHttp c(broker->port());
  EXPECT_EQ(c.request("POST", "/v1/queues/fresh/leases", "{}").status, 204);
  EXPECT_EQ(test::queue_stats(broker->port(), "fresh")["name"], "fresh");
  auto none = test::run_kubench({"queue", "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.stderr_text.find("--queue"), std::string::npos) << none.stderr_text;
  auto bad = test::run_kubench({"queue", "serve", "--listen", "127.0.0.1:0", "--queue", "a b"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.stderr_text.find("invalid queue name"), std::string::npos) << bad.stderr_text;
  auto taken = test::run_kubench({"queue", "serve", "--listen", "127.0.0.1:" + std::to_string(broker->port()), "--queue", "q"});
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_NE(taken.stderr_text.find("cannot listen on 127.0.0.1:" + std::to_string(broker->port())), std::string::npos)
      << taken.stderr_text;
}

}  // namespace
}  // namespace kb
