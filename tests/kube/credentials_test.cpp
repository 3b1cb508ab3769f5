#include "kube/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "support/test_support.h"

namespace kb::kube {
namespace {
namespace fs = std::filesystem;

TEST(Credentials, StaticTokenAndBasicAuth) {
  RestConfig c;
  c.user.token = "tok";
  c.user.username = "bob";
  c.user.password = "pw";
  CredentialSource s(c);
  auto got = s.get();
  EXPECT_EQ(got.bearer_token, "tok");
  EXPECT_EQ(got.username, "bob");
}

TEST(Credentials, TokenFileIsReReadAndWinsOverToken) {
  test::TempDir dir;
  test::write_text(dir / "token", "first\n");
  RestConfig c;
  c.user.token = "static";
  c.user.token_file = dir / "token";
  CredentialSource s(c, std::chrono::seconds(3600));
  EXPECT_EQ(s.get().bearer_token, "first");
  test::write_text(dir / "token", "second\n");
  EXPECT_EQ(s.get().bearer_token, "first");  // within the refresh period
  s.invalidate();                             // a 401 makes it read again at once
  EXPECT_EQ(s.get().bearer_token, "second");
  CredentialSource eager(c, std::chrono::seconds(0));
  EXPECT_EQ(eager.get().bearer_token, "second");
  test::write_text(dir / "token", "third\n");
  EXPECT_EQ(eager.get().bearer_token, "third");
}

// A fake exec plugin: counts its runs, checks KUBERNETES_EXEC_INFO, prints an ExecCredential.
fs::path write_plugin(const test::TempDir& dir, const std::string& expiry) {
  auto path = dir / "plugin.sh";
  test::write_text(path, "#!/bin/sh\n"
                         "echo run >> " + (dir / "runs").string() + "\n"
                         "echo \"$KUBERNETES_EXEC_INFO\" > " + (dir / "info.json").string() + "\n"
                         "echo \"$REGION\" > " + (dir / "region").string() + "\n"
                         "n=$(wc -l < " + (dir / "runs").string() + ")\n"
                         "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                         "\"status\":{\"token\":\"token-%s\"" + (expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"") + "}}' \"$n\"\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

RestConfig exec_config(const fs::path& plugin) {
  RestConfig c;
  c.user_name = "eks";
  c.cluster.server = "https://h:6443";
  c.cluster.ca_pem = "CA";
  ExecConfig x;
  x.api_version = "client.authentication.k8s.io/v1";
  x.command = plugin.string();
  x.interactive_mode = "Never";
  x.provide_cluster_info = true;
  x.env = {{"REGION", "eu-west-1"}};
  c.user.exec = x;
  return c;
}

TEST(Credentials, ExecPluginIsCachedUntilExpiryAndRerunAfterInvalidate) {
  test::TempDir dir;
  CredentialSource s(exec_config(write_plugin(dir, "2099-01-01T00:00:00Z")));
  EXPECT_EQ(s.get().bearer_token, "token-1");
  EXPECT_EQ(s.get().bearer_token, "token-1");
  EXPECT_EQ(s.exec_runs(), 1);
  s.invalidate();  // the server said 401
  EXPECT_EQ(s.get().bearer_token, "token-2");
  EXPECT_EQ(s.exec_runs(), 2);
  auto info = nlohmann::json::parse(read_file(dir / "info.json"));
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://h:6443");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], "Q0E=");
  EXPECT_EQ(read_file(dir / "region"), "eu-west-1\n");
}

TEST(Credentials, ExpiredExecCredentialIsFetchedAgain) {
  test::TempDir dir;
  CredentialSource s(exec_config(write_plugin(dir, "2000-01-01T00:00:00Z")));
  EXPECT_EQ(s.get().bearer_token, "token-1");
  EXPECT_EQ(s.get().bearer_token, "token-2");  // already expired: every use runs it
}

TEST(Credentials, MissingPluginShowsTheInstallHint) {
  auto c = exec_config("/nonexistent/aws-iam-authenticator");
  c.user.exec->install_hint = "brew install aws-iam-authenticator";
  CredentialSource s(c);
  try {
    s.get();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("brew install aws-iam-authenticator"), std::string::npos);
  }
}

TEST(Credentials, FailingPluginSaysWhy) {
  test::TempDir dir;
  auto plugin = dir / "fail.sh";
  test::write_text(plugin, "#!/bin/sh\necho 'token expired, run aws sso login' >&2\nexit 3\n");
  ::chmod(plugin.c_str(), 0755);
  CredentialSource s(exec_config(plugin));
  try {
    s.get();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("run aws sso login"), std::string::npos);
  }
}

TEST(Credentials, Rfc3339) {
  auto t = parse_rfc3339("2026-11-23T10:15:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1795428900);
  EXPECT_EQ(parse_rfc3339("2026-11-23T11:15:00.123+01:00"), t);
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace kb::kube
