// The transport against local HTTP servers (no cluster needed).
#include "kube/transport.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/http_client.h"
#include "kube/api_error.h"
#include "kube/client.h"
#include "support/test_support.h"

namespace kb::kube {
namespace {

RestConfig plain(const std::string& url) {
  RestConfig c;
  c.cluster.server = url;
  c.user.token = "secret-token-never-logged";
  return c;
}

nlohmann::json requests(const test::FixtureServer& s) {
  return nlohmann::json::parse(http_get(s.url() + "/_test/requests").body)["requests"];
}

TEST(Transport, HonoursRetryAfterOn429) {
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "2", "--retry-after", "1"}, dir);
  Transport t(plain(server.url()));
  auto resp = t.send({"GET", "/version", "", ""});
  EXPECT_EQ(resp.status, 200);
  auto log = requests(server);
  ASSERT_EQ(log.size(), 3u);
  // Each retry came no sooner than Retry-After said.
  EXPECT_GE(log[1]["time"].get<double>() - log[0]["time"].get<double>(), 0.95);
  EXPECT_GE(log[2]["time"].get<double>() - log[1]["time"].get<double>(), 0.95);
  EXPECT_EQ(t.stats().retries, 2);
}

TEST(Transport, GivesUpAfterMaxRetriesWithTheServersAnswer) {
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "100", "--retry-after", "0"}, dir);
  TransportOptions o;
  o.max_retries = 3;
  Client client(std::make_shared<Transport>(plain(server.url()), o));
  try {
    client.server_version();
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 429);
    EXPECT_EQ(e.message(), "slow down");
  }
  EXPECT_EQ(requests(server).size(), 4u);
}

TEST(Transport, DoesNotRetryANonIdempotent500WithoutRetryAfter) {
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "0"}, dir);
  Transport t(plain(server.url()));
  auto resp = t.send({"POST", "/fail500", "{}", "application/json"});
  EXPECT_EQ(resp.status, 500);
  EXPECT_EQ(requests(server).size(), 1u);
}

TEST(Transport, UnreachableServerIsOneLineNamingIt) {
  Transport t(plain("http://127.0.0.1:9"));
  try {
    t.send({"GET", "/version", "", ""});
    FAIL();
  } catch (const EnvironmentError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("cannot reach the API server http://127.0.0.1:9"), std::string::npos) << what;
    EXPECT_EQ(what.find("secret-token"), std::string::npos);
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(Transport, RateLimiterHoldsTheRequestRate) {
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "0"}, dir);
  TransportOptions o;
  o.qps = 20;
  o.burst = 1;
  Transport t(plain(server.url()), o);
  for (int i = 0; i < 21; ++i) t.send({"GET", "/version", "", ""});
  auto log = requests(server);
  ASSERT_EQ(log.size(), 21u);
  // 21 requests with a burst of 1 at 20/s cannot span less than 20 intervals of 50 ms.
  double span = log[20]["time"].get<double>() - log[0]["time"].get<double>();
  EXPECT_GE(span, 0.95) << "requests went faster than --qps";
  EXPECT_GT(t.stats().throttled, 0);
}

TEST(ClientLog, FollowWaitsWhileTheKubeletDoesNotKnowThePodYet) {
  // Right after binding the API server has the pod but its kubelet answers 404 for the log.
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "0", "--log-not-found", "3"}, dir);
  Client client(std::make_shared<Transport>(plain(server.url())));
  std::vector<std::string> lines;
  client.follow_log("ns", "p", {"main", "", false}, [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  // Each line once, though the final read after the container ended sends them again.
  EXPECT_EQ(lines, (std::vector<std::string>{"line 1", "line 2"}));
  int log_requests = 0;
  for (auto& r : requests(server)) log_requests += r["path"].get<std::string>().find("/pods/p/log") != std::string::npos;
  EXPECT_EQ(log_requests, 5);  // three 404s, the stream, the final read
}

TEST(ClientLog, FollowOfAPodThatIsGoneIsNotFoundAtOnce) {
  test::TempDir dir;
  test::FixtureServer server("throttling_server.py", {"--throttle", "0"}, dir);
  Client client(std::make_shared<Transport>(plain(server.url())));
  try {
    client.follow_log("ns", "gone", {"main", "", false}, [](std::string_view) { return true; });
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 404);
  }
  EXPECT_EQ(requests(server).size(), 2u);  // the log, then the pod: no retries
}

}  // namespace
}  // namespace kb::kube
