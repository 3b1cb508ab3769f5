// The HTTP server primitive on loopback, in process: keep-alive, routing errors, limits, answers
// given later from another thread, disconnect detection, pipelining, timeouts, stop. Waits are
// for events, bounded only so that a broken server fails instead of hanging the suite.
#include "core/http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/error.h"
#include "support/raw_http.h"

namespace kb {
namespace {
using namespace std::chrono_literals;
using test::RawHttp;

constexpr auto kBound = 60s;

// Hands the exchanges a handler did not answer to the test.
struct Parked {
  std::mutex mutex;
  std::vector<HttpExchange> exchanges;
  std::promise<void> arrived;
  bool signalled = false;
  void park(const HttpExchange& ex) {
    std::lock_guard lock(mutex);
    exchanges.push_back(ex);
    if (!signalled) {
      signalled = true;
      arrived.set_value();
    }
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(options);
    server_->route("GET", "/hello", [](const HttpExchange& ex) {
      ex.respond({200, R"({"hello":")" + std::string(ex.request().header("X-Name")) + "\"}", "application/json", {}});
    });
    server_->route("POST", "/echo", [](const HttpExchange& ex) {
      ex.respond({200, ex.request().body, "text/plain", {{"X-Query", ex.request().query}}});
    });
    server_->route("GET", "/later", [this](const HttpExchange& ex) { parked_.park(ex); });
    server_->route("GET", "/watch", [this](const HttpExchange& ex) {
      parked_.park(ex);
      ex.on_disconnect([this] { gone_.set_value(); });
    });
    server_->route("GET", "/throws", [](const HttpExchange&) -> void { throw std::runtime_error("boom"); });
    server_->route("GET", "/items/{id}", [](const HttpExchange& ex) {
      ex.respond({200, std::string(ex.request().param("id")), "text/plain", {}});
    });
    server_->listen();
    server_->start();
  }
  void TearDown() override {
    {
      std::lock_guard lock(parked_.mutex);
      parked_.exchanges.clear();
    }
    if (server_) server_->stop();
  }
  int port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
  Parked parked_;
  std::promise<void> gone_;
};

TEST_F(HttpServerTest, BindsAnEphemeralPortAndKeepsConnectionsAlive) {
  start();
  EXPECT_GT(port(), 0);
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(port()));
  RawHttp c(port());
  auto r = c.request("GET", "/hello", "", "X-Name: a\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"hello":"a"})");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  r = c.request("POST", "/echo?x=1", "body bytes");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "body bytes");
  EXPECT_EQ(r.header("X-Query"), "x=1");
  EXPECT_EQ(c.request("GET", "/items/a%20b").body, "a b");
  auto stats = server_->stats();
  EXPECT_EQ(stats.connections_total, 1u);
  EXPECT_EQ(stats.requests_total, 3u);
}

TEST_F(HttpServerTest, UnknownPathsAndMethodsAreJsonErrors) {
  start();
  RawHttp c(port());
  auto r = c.request("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "not_found");
  r = c.request("DELETE", "/hello");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "method_not_allowed");
  r = c.request("GET", "/throws");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(c.request("GET", "/hello").status, 200);  // the connection survived all of that
}

TEST_F(HttpServerTest, OversizedBodyIs413AndTheAnswerArrives) {
  HttpServerOptions o;
  o.body_limit = 1024;
  start(o);
  RawHttp c(port());
  auto r = c.request("POST", "/echo", std::string(1 << 20, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "body_too_large");
  EXPECT_TRUE(c.wait_closed());
  RawHttp fine(port());
  EXPECT_EQ(fine.request("POST", "/echo", std::string(1024, 'x')).status, 200);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  HttpServerOptions o;
  o.header_limit = 1024;
  start(o);
  RawHttp c(port());
  auto r = c.request("GET", "/hello", "", "X-Big: " + std::string(4096, 'h') + "\r\n");
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  start();
  RawHttp c(port());
  c.send("GARBAGE\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "bad_request");
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(HttpServerTest, AnswersLaterFromAnotherThread) {
  start();
  RawHttp c(port());
  c.send_request("GET", "/later");
  ASSERT_EQ(parked_.arrived.get_future().wait_for(kBound), std::future_status::ready);
  std::thread([&] {
    std::lock_guard lock(parked_.mutex);
    parked_.exchanges[0].respond({200, "late", "text/plain", {}});
    parked_.exchanges[0].respond({500, "twice", "text/plain", {}});  // ignored
  }).join();
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "late");
  r = c.request("GET", "/hello");  // the next answer is this one, not the ignored second
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"hello":""})");
}

TEST_F(HttpServerTest, NoticesAClientThatLeavesWhileWaiting) {
  start();
  {
    RawHttp c(port());
    c.send_request("GET", "/watch");
    ASSERT_EQ(parked_.arrived.get_future().wait_for(kBound), std::future_status::ready);
  }  // closed
  EXPECT_EQ(gone_.get_future().wait_for(kBound), std::future_status::ready);
  std::lock_guard lock(parked_.mutex);
  parked_.exchanges[0].respond({200, "nobody", "text/plain", {}});  // harmless
  // A registration after the client left runs at once.
  std::promise<void> late;
  parked_.exchanges[0].on_disconnect([&] { late.set_value(); });
  EXPECT_EQ(late.get_future().wait_for(kBound), std::future_status::ready);
}

TEST_F(HttpServerTest, PipelinedRequestWaitsForTheEarlierAnswer) {
  start();
  RawHttp c(port());
  c.send(RawHttp::format("GET", "/later", "") + RawHttp::format("GET", "/hello", ""));
  ASSERT_EQ(parked_.arrived.get_future().wait_for(kBound), std::future_status::ready);
  {
    std::lock_guard lock(parked_.mutex);
    parked_.exchanges[0].respond({200, "first", "text/plain", {}});
  }
  EXPECT_EQ(c.read_response().body, "first");
  EXPECT_EQ(c.read_response().body, R"({"hello":""})");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start();
  RawHttp c(port());
  auto r = c.request("GET", "/hello", "", "Connection: close\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(HttpServerTest, IdleConnectionsAreClosedAfterTheReadTimeout) {
  HttpServerOptions o;
  o.read_timeout = 200ms;
  start(o);
  RawHttp idle(port());
  EXPECT_TRUE(idle.wait_closed());
  RawHttp slow(port());
  slow.send("GET /hello HTTP/1.1\r\n");  // and never the rest
  EXPECT_TRUE(slow.wait_closed());
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  start();
  RawHttp c(port());
  EXPECT_EQ(c.request("GET", "/hello").status, 200);
  server_->stop();
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(HttpServerTest, ListenFailuresNameTheAddress) {
  start();
  HttpServerOptions taken;
  taken.port = static_cast<std::uint16_t>(port());
  HttpServer second(taken);
  try {
    second.listen();
    FAIL() << "bound a port already in use";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port())), std::string::npos);
  }
  HttpServerOptions bad;
  bad.address = "not-an-ip";
  EXPECT_THROW(HttpServer(bad).listen(), UsageError);
}

TEST_F(HttpServerTest, TimerFires) {
  start();
  auto timer = server_->make_timer();
  std::promise<void> fired;
  timer->schedule(std::chrono::steady_clock::now() + 1h, [] { FAIL() << "replaced schedule fired"; });
  timer->schedule(std::chrono::steady_clock::now() + 10ms, [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(kBound), std::future_status::ready);
  server_->stop();
}

}  // namespace
}  // namespace kb
