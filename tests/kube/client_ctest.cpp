// kube/ against the real single-node cluster (tests/cluster/): auth matrix, CRUD, watch, logs, RBAC.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <map>
#include <thread>

#include "core/files.h"
#include "core/http_client.h"
#include "core/text.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "support/cluster_env.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::kube {
namespace {
using nlohmann::json;

std::shared_ptr<Client> client_for(const LoadOptions& load, TransportOptions options = {}) {
  return std::make_shared<Client>(std::make_shared<Transport>(load_rest_config(load), options));
}

std::shared_ptr<Client> client_for(const std::string& kubeconfig, TransportOptions options = {}) {
  LoadOptions load;
  load.kubeconfig = kubeconfig;
  return client_for(load, options);
}

// A kubeconfig written by the test around the cluster's server and CA.
std::string write_kubeconfig(const test::TempDir& dir, const std::string& name, const std::string& cluster_fields,
                             const std::string& user_fields) {
  auto path = dir / name;
  test::write_text(path, "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                         "clusters: [{name: c, cluster: {" + cluster_fields + "}}]\n"
                         "users: [{name: u, user: {" + user_fields + "}}]\n"
                         "contexts: [{name: t, context: {cluster: c, user: u}}]\n");
  return path.string();
}

class Cluster : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  test::TempDir dir;
  std::shared_ptr<Client> admin = client_for(env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]);
  std::string ns;

  void SetUp() override {
    ns = "kt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    admin->create(resources::namespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  void TearDown() override { admin->remove(resources::namespaces, "", ns); }
  std::string server() { return env["KUBENCH_CLUSTER_SERVER"]; }
  std::string ca_line() { return "server: \"" + server() + "\", certificate-authority: " + env["KUBENCH_CLUSTER_CA"]; }
  json config_map(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"v", value}}}};
  }
  static inline int counter = 0;
};

TEST_F(Cluster, CertificateEcKeyAndTokenUsersAllWork) {
  for (auto key : {"KUBENCH_CLUSTER_ADMIN_KUBECONFIG", "KUBENCH_CLUSTER_ADMIN_EC_KUBECONFIG", "KUBENCH_CLUSTER_TOKEN_KUBECONFIG"}) {
    auto c = client_for(env[key]);
    EXPECT_TRUE(starts_with(c->server_version(), "v1.20")) << key;
    EXPECT_FALSE(c->list(resources::namespaces, "")["items"].empty()) << key;
  }
}

TEST_F(Cluster, MergedKubeconfigsAndContextSelection) {
  // restricted first: its current-context wins; --context picks the admin's from the second file.
  auto admin_file = env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"];
  auto admin_context = YAML::LoadFile(admin_file)["current-context"].as<std::string>();
  std::string list = env["KUBENCH_CLUSTER_RESTRICTED_KUBECONFIG"] + ":" + admin_file;
  LoadOptions load;
  load.getenv = [&](const std::string& k) -> std::optional<std::string> {
    if (k == "KUBECONFIG") return list;
    return std::nullopt;
  };
  auto restricted = client_for(load);
  EXPECT_EQ(restricted->config().namespace_name, env["KUBENCH_CLUSTER_RESTRICTED_NAMESPACE"]);
  EXPECT_FALSE(restricted->can_i({"create", "", "namespaces", "", ""}));
  load.context = admin_context;
  EXPECT_TRUE(client_for(load)->can_i({"create", "", "namespaces", "", ""}));
}

TEST_F(Cluster, ExecPluginWithShortExpiryRunsBoundedTimesAndAgainAfter401) {
  // First run hands out a wrong token (401 -> run again), later runs the real one, valid 2 s.
  auto plugin = dir / "plugin.sh";
  test::write_text(plugin, "#!/bin/sh\necho run >> " + (dir / "runs").string() +
                               "\nif [ $(wc -l < " + (dir / "runs").string() + ") -eq 1 ]; then t=wrong; else t=" +
                               env["KUBENCH_CLUSTER_ADMIN_TOKEN"] + "; fi\n"
                               "exp=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)\n"
                               "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
                               "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' $t $exp\n");
  ::chmod(plugin.c_str(), 0755);
  auto c = client_for(write_kubeconfig(dir, "exec.kubeconfig", ca_line(),
                                       "exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: " + plugin.string() + "}"));
  auto start = std::chrono::steady_clock::now();
  int requests = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(4500)) {
    c->server_version();
    ++requests;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int runs = c->transport().credentials().exec_runs();
  EXPECT_GE(runs, 3);          // the 401 re-run, then at least one refresh after expiry
  EXPECT_LE(runs, 6);          // not once per request: cached until it expires
  EXPECT_GT(requests, runs * 3);
}

TEST_F(Cluster, TokenFileIsReReadWhenItRotates) {
  auto token = dir / "token";
  test::write_text(token, env["KUBENCH_CLUSTER_ADMIN_TOKEN"] + "\n");
  TransportOptions o;
  o.token_file_refresh = std::chrono::seconds(0);
  auto c = client_for(write_kubeconfig(dir, "tf.kubeconfig", ca_line(), "tokenFile: " + token.string()), o);
  EXPECT_TRUE(c->can_i({"create", "", "namespaces", "", ""}));
  test::write_text(token, env["KUBENCH_CLUSTER_RESTRICTED_TOKEN"] + "\n");
  EXPECT_FALSE(c->can_i({"create", "", "namespaces", "", ""}));
}

TEST_F(Cluster, WrongCaIsAVerificationErrorWithoutRetries) {
  // The admin's client certificate is not the CA that signed the server's.
  auto c = client_for(write_kubeconfig(dir, "bad-ca.kubeconfig",
                                       "server: \"" + server() + "\", certificate-authority: " + env["KUBENCH_CLUSTER_ADMIN_CERT"],
                                       "token: " + env["KUBENCH_CLUSTER_ADMIN_TOKEN"]));
  try {
    c->server_version();
    FAIL();
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("TLS with " + server()), std::string::npos) << e.what();
  }
  EXPECT_EQ(c->transport().stats().requests, 1);
}

TEST_F(Cluster, InsecureSkipWorksAndWarns) {
  auto c = client_for(write_kubeconfig(dir, "insecure.kubeconfig", "server: \"" + server() + "\", insecure-skip-tls-verify: true",
                                       "token: " + env["KUBENCH_CLUSTER_ADMIN_TOKEN"]));
  EXPECT_FALSE(c->config().warnings.empty());
  EXPECT_TRUE(starts_with(c->server_version(), "v1.20"));
}

TEST_F(Cluster, TlsServerNameIsWhatTheCertificateIsCheckedAgainst) {
  auto user = "token: " + env["KUBENCH_CLUSTER_ADMIN_TOKEN"];
  auto good = client_for(write_kubeconfig(dir, "sni.kubeconfig", ca_line() + ", tls-server-name: kubernetes.default", user));
  EXPECT_TRUE(starts_with(good->server_version(), "v1.20"));
  auto bad = client_for(write_kubeconfig(dir, "sni-bad.kubeconfig", ca_line() + ", tls-server-name: not-the-apiserver.example", user));
  EXPECT_THROW(bad->server_version(), EnvironmentError);
}

TEST_F(Cluster, ProxyUrlCarriesEveryConnection) {
  test::FixtureServer proxy("connect_proxy.py", {}, dir);
  auto c = client_for(write_kubeconfig(dir, "proxy.kubeconfig", ca_line() + ", proxy-url: \"" + proxy.url() + "\"",
                                       "token: " + env["KUBENCH_CLUSTER_ADMIN_TOKEN"]));
  c->server_version();
  c->list(resources::namespaces, "");
  auto tunnels = json::parse(http_get(proxy.url() + "/_test/tunnels").body)["tunnels"];
  ASSERT_FALSE(tunnels.empty());
  auto hostport = server().substr(8);
  for (auto& t : tunnels) EXPECT_EQ(t, hostport);
}

TEST_F(Cluster, CrudApplyAndDryRunThatLeavesNothing) {
  auto& c = *admin;
  c.create(resources::config_maps, ns, config_map("dry", "1"), /*dry_run=*/true);
  EXPECT_FALSE(c.get_if_exists(resources::config_maps, ns, "dry"));
  c.apply(resources::config_maps, ns, config_map("dry", "1"), true, /*dry_run=*/true);
  EXPECT_FALSE(c.get_if_exists(resources::config_maps, ns, "dry"));

  auto applied = c.apply(resources::config_maps, ns, config_map("cm", "1"));
  EXPECT_EQ(applied["data"]["v"], "1");
  auto again = c.apply(resources::config_maps, ns, config_map("cm", "1"));
  EXPECT_EQ(again["metadata"]["resourceVersion"], applied["metadata"]["resourceVersion"]);  // no change, no write
  bool managed = false;
  for (auto& m : again["metadata"]["managedFields"]) managed |= m["manager"] == "kubench";
  EXPECT_TRUE(managed);
  c.patch(resources::config_maps, ns, "cm", {{"data", {{"w", "2"}}}}, PatchType::merge);
  c.patch(resources::config_maps, ns, "cm", json::array({{{"op", "replace"}, {"path", "/data/v"}, {"value", "3"}}}), PatchType::json_patch);
  auto got = c.get(resources::config_maps, ns, "cm");
  EXPECT_EQ(got["data"]["v"], "3");
  EXPECT_EQ(got["data"]["w"], "2");
  c.remove(resources::config_maps, ns, "cm", "Background", /*dry_run=*/true);
  EXPECT_TRUE(c.get_if_exists(resources::config_maps, ns, "cm"));
  EXPECT_TRUE(c.remove(resources::config_maps, ns, "cm"));
  EXPECT_FALSE(c.remove(resources::config_maps, ns, "cm"));
  try {
    c.get(resources::config_maps, ns, "cm");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.not_found());
    EXPECT_EQ(e.reason(), "NotFound");
  }
  // Pagination: more objects than one page.
  for (int i = 0; i < 7; ++i) c.create(resources::config_maps, ns, config_map("p" + std::to_string(i), "x"));
  ListOptions small;
  small.limit = 3;
  EXPECT_GE(c.list(resources::config_maps, ns, small)["items"].size(), 7u);
  EXPECT_TRUE(c.has_resource("batch/v1", "jobs"));
  EXPECT_FALSE(c.has_resource("batch/v1", "no-such-things"));
}

TEST_F(Cluster, ImpersonationActsAsTheNamedUser) {
  auto as_restricted = client_for(write_kubeconfig(dir, "as.kubeconfig", ca_line(),
                                                   "token: " + env["KUBENCH_CLUSTER_ADMIN_TOKEN"] + ", as: " +
                                                       env["KUBENCH_CLUSTER_RESTRICTED_USER"]));
  EXPECT_FALSE(as_restricted->can_i({"create", "", "namespaces", "", ""}));
  EXPECT_TRUE(as_restricted->can_i({"list", "", "pods", "", env["KUBENCH_CLUSTER_RESTRICTED_NAMESPACE"]}));
  auto as_group = client_for(write_kubeconfig(dir, "as-group.kubeconfig", ca_line(),
                                              "token: " + env["KUBENCH_CLUSTER_RESTRICTED_TOKEN"] +
                                                  ", as: someone, as-groups: [system:masters]"));
  // The restricted user may not impersonate: the server says so, by name.
  try {
    as_group->list(resources::namespaces, "");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 403);
    EXPECT_NE(e.message().find("impersonate"), std::string::npos) << e.message();
  }
}

TEST_F(Cluster, StrategicMergeKeysListsByNameAndScaleSubresource) {
  auto& c = *admin;
  auto image = env["KUBENCH_CLUSTER_BUSYBOX_IMAGE"];
  auto container = [&](const std::string& name) {
    return json{{"name", name}, {"image", image}, {"imagePullPolicy", "Never"}, {"command", {"sleep", "3600"}}};
  };
  c.create(resources::pods, ns, {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "two"}}},
                                 {"spec", {{"containers", {container("a"), container("b")}}}}});
  json touch_b = {{"spec", {{"containers", {{{"name", "b"}, {"image", image}}}}}}};
  // Strategic merge: container "b" is matched by name, "a" stays.
  c.patch(resources::pods, ns, "two", touch_b, PatchType::strategic);
  EXPECT_EQ(c.get(resources::pods, ns, "two")["spec"]["containers"].size(), 2u);
  // The same body as a JSON merge patch replaces the whole list, which the server refuses.
  EXPECT_THROW(c.patch(resources::pods, ns, "two", touch_b, PatchType::merge), ApiError);

  json deployment = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "d"}}},
                     {"spec", {{"replicas", 0}, {"selector", {{"matchLabels", {{"app", "d"}}}}},
                               {"template", {{"metadata", {{"labels", {{"app", "d"}}}}},
                                             {"spec", {{"containers", {container("main")}}}}}}}}};
  c.create(resources::deployments, ns, deployment);
  auto scale = c.scale(resources::deployments, ns, "d", 2);
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(c.get(resources::deployments, ns, "d")["spec"]["replicas"], 2);
}

// Watches config maps in `ns` in a thread until `want` objects named `prefix`* were delivered,
// counting each delivery (a SYNC list or an ADDED event). Other objects (the namespace's
// kube-root-ca.crt) are ignored.
struct Watcher {
  std::map<std::string, int> delivered;
  std::atomic<int> syncs{0};
  std::atomic<bool> done{false};
  std::thread thread;
  Watcher(Client& c, const std::string& ns, const std::string& prefix, size_t want, ListOptions o = {}) {
    thread = std::thread([&, ns, prefix, want, o] {
      auto count = [&](const json& object) {
        auto name = object["metadata"]["name"].get<std::string>();
        if (starts_with(name, prefix)) ++delivered[name];
      };
      c.list_watch(resources::config_maps, ns, o, [&](const WatchEvent& e) {
        if (e.type == "SYNC") {
          ++syncs;
          for (auto& item : e.object) count(item);
        }
        if (e.type == "ADDED") count(e.object);
        return delivered.size() < want;
      });
      done = true;
    });
  }
  void wait_for_first_sync() {
    for (int i = 0; i < 300 && syncs == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void join() {
    for (int i = 0; i < 600 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(done) << "the watch never saw every object";
    thread.join();
  }
};

TEST_F(Cluster, WatchAcrossAnApiServerRestartSeesEveryEventOnce) {
  Watcher w(*admin, ns, "cm-", 40);
  w.wait_for_first_sync();
  for (int i = 0; i < 20; ++i) admin->create(resources::config_maps, ns, config_map("cm-a" + std::to_string(i), "x"));
  env.run_script("restart-apiserver.sh");
  auto fresh = client_for(env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]);
  for (int i = 0; i < 20; ++i) fresh->create(resources::config_maps, ns, config_map("cm-b" + std::to_string(i), "x"));
  w.join();
  EXPECT_EQ(w.delivered.size(), 40u);
  for (auto& [name, count] : w.delivered) EXPECT_EQ(count, 1) << name;
  EXPECT_EQ(w.syncs, 1);  // resumed from its version: no relist was needed
}

TEST_F(Cluster, GoneAfterCompactionRelistsToTheRightState) {
  auto rv = admin->list(resources::config_maps, ns)["metadata"]["resourceVersion"].get<std::string>();
  for (int i = 0; i < 3; ++i) admin->create(resources::config_maps, ns, config_map("cm-c" + std::to_string(i), "x"));
  env.run_script("compact-etcd.sh");
  ListOptions from_old;
  from_old.resource_version = rv;  // long gone from etcd's history now
  Watcher w(*admin, ns, "cm-", 3, from_old);
  w.join();
  EXPECT_EQ(w.syncs, 1);  // the 410 made it list again
  EXPECT_EQ(w.delivered.size(), 3u);
}

json numbered_pod(const std::string& name, const std::string& image, int lines, const std::string& pause) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"containers",
             {{{"name", "main"},
               {"image", image},
               {"imagePullPolicy", "Never"},
               {"command", {"sh", "-c", "i=1; while [ $i -le " + std::to_string(lines) + " ]; do echo line $i; i=$((i+1)); " + pause + " done"}}}}}}}};
}

TEST_F(Cluster, LogFollowDeliversEveryLineOnceInOrderAcrossAReconnect) {
  const int n = 300;
  admin->create(resources::pods, ns, numbered_pod("counter", env["KUBENCH_CLUSTER_BUSYBOX_IMAGE"], n, "sleep 0.02;"));
  std::vector<std::string> lines;
  std::atomic<bool> restarted{false};
  std::thread restarter([&] {
    for (int i = 0; i < 3000 && lines.size() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    env.run_script("restart-apiserver.sh");  // the follow stream breaks mid-log
    restarted = true;
  });
  admin->follow_log(ns, "counter", {"main", "", false}, [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  restarter.join();
  EXPECT_TRUE(restarted);
  ASSERT_EQ(lines.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(lines[static_cast<size_t>(i)], "line " + std::to_string(i + 1));
}

TEST_F(Cluster, LogFollowDeliversLinesOfBothStreamsEvenWhenTheirStampsInterleave) {
  // stdout and stderr are stamped by separate readers: a line later in the log can carry an
  // earlier stamp than the one before it. Every line must still arrive, once, each stream in order.
  const int n = 300;
  auto pod = numbered_pod("two-streams", env["KUBENCH_CLUSTER_BUSYBOX_IMAGE"], 0, "");
  pod["spec"]["containers"][0]["command"] = {"sh", "-c", "i=1; while [ $i -le " + std::to_string(n) + " ]; do echo out $i; echo err $i >&2; i=$((i+1)); done"};
  // A namespace this young may not have its default ServiceAccount yet, which pods need.
  ASSERT_TRUE(test::eventually([&] { return admin->get_if_exists(resources::service_accounts, ns, "default").has_value(); }));
  admin->create(resources::pods, ns, pod);
  std::vector<std::string> out, err;
  admin->follow_log(ns, "two-streams", {"main", "", false}, [&](std::string_view l) {
    (l.rfind("out ", 0) == 0 ? out : err).emplace_back(l);
    return true;
  });
  ASSERT_EQ(out.size(), static_cast<size_t>(n));
  ASSERT_EQ(err.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(out[static_cast<size_t>(i)], "out " + std::to_string(i + 1));
    EXPECT_EQ(err[static_cast<size_t>(i)], "err " + std::to_string(i + 1));
  }
}

TEST_F(Cluster, PreflightNamesTheMissingVerbBeforeAnythingIsCreated) {
  auto restricted_ns = env["KUBENCH_CLUSTER_RESTRICTED_NAMESPACE"];
  auto r = test::run_kubench({"cluster", "can-i", "--kubeconfig", env["KUBENCH_CLUSTER_RESTRICTED_KUBECONFIG"], "-n", restricted_ns});
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("get pods/log in namespace " + restricted_ns), std::string::npos) << r.stderr_text;
  auto ok = test::run_kubench({"cluster", "can-i", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"]});
  EXPECT_EQ(ok.exit_code, 0) << ok.stderr_text;
}

TEST_F(Cluster, ClusterInfoShowsTheNode) {
  auto r = test::run_kubench({"cluster", "info", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = json::parse(r.stdout_text);
  EXPECT_TRUE(starts_with(doc["server_version"].get<std::string>(), "v1.20"));
  ASSERT_EQ(doc["nodes"].size(), 1u);
  EXPECT_EQ(doc["nodes"][0]["name"], env["KUBENCH_CLUSTER_NODE"]);
  EXPECT_TRUE(doc["nodes"][0]["ready"].get<bool>());
  EXPECT_NE(doc["user"].get<std::string>().find("kubench-admin"), std::string::npos) << doc["user"];
}

TEST(ClusterCommands, UnreachableServerIsOneLineExit2) {
  test::TempDir dir;
  auto cfg = write_kubeconfig(dir, "dead.kubeconfig", "server: \"https://127.0.0.1:9\", insecure-skip-tls-verify: true", "token: x");
  auto r = test::run_kubench({"cluster", "info", "--kubeconfig", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("cannot reach the API server https://127.0.0.1:9"), std::string::npos) << r.stderr_text;
  auto missing = test::run_kubench({"cluster", "info", "--kubeconfig", (dir / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.stderr_text.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace kb::kube
