#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include "core/text.h"
#include "support/test_support.h"

namespace kb::kube {
namespace {
namespace fs = std::filesystem;

// Environment seam: only what the test sets exists.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::function<std::optional<std::string>(const std::string&)> fn() {
    return [this](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

class Kubeconfig : public ::testing::Test {
 protected:
  test::TempDir dir;
  FakeEnv env;
  LoadOptions options() {
    LoadOptions o;
    o.getenv = env.fn();
    o.service_account_dir = dir / "no-sa";
    return o;
  }
  fs::path write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    test::write_text(dir / name, text);
    return dir / name;
  }
};

const char* kBasic = R"(apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster: {server: "https://10.0.0.1:6443/", certificate-authority: certs/ca.pem}
users:
- name: u1
  user: {token: abc}
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: media}
- name: two
  context: {cluster: c1, user: u1}
extensions: [{name: whatever, extension: {x: 1}}]
preferences: {}
)";

TEST_F(Kubeconfig, ExplicitFileWithRelativeCaPath) {
  write("cfg/certs/ca.pem", "CA-PEM");
  auto o = options();
  o.kubeconfig = write("cfg/config", kBasic).string();
  auto r = load_rest_config(o);
  EXPECT_EQ(r.context, "one");
  EXPECT_EQ(r.cluster.server, "https://10.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(r.cluster.ca_pem, "CA-PEM");                 // relative to the kubeconfig's folder
  EXPECT_EQ(r.user.token, "abc");
  EXPECT_EQ(r.namespace_name, "media");
}

TEST_F(Kubeconfig, MissingExplicitFileIsAnError) {
  auto o = options();
  o.kubeconfig = (dir / "nope").string();
  EXPECT_THROW(load_rest_config(o), ConfigError);
}

TEST_F(Kubeconfig, ExplicitFileIsNotMergedWithKubeconfigEnv) {
  write("a/certs/ca.pem", "A");
  env.vars["KUBECONFIG"] = write("b", "contexts: [{name: only-in-b, context: {cluster: x}}]\n").string();
  auto o = options();
  o.kubeconfig = write("a/config", kBasic).string();
  o.context = "only-in-b";
  EXPECT_THROW(load_rest_config(o), ConfigError);
}

TEST_F(Kubeconfig, KubeconfigListMergesFirstDefinitionWinsWhole) {
  write("first/certs/ca.pem", "CA1");
  auto first = write("first/config", kBasic);
  // The second file redefines u1 (with a different token and an extra field) and adds a context.
  auto second = write("second/config", R"(current-context: two
users:
- name: u1
  user: {token: SECOND, username: extra}
- name: u2
  user: {token: u2token}
contexts:
- name: three
  context: {cluster: c1, user: u2}
)");
  env.vars["KUBECONFIG"] = (dir / "missing").string() + ":" + first.string() + ":" + second.string();
  auto o = options();
  auto r = load_rest_config(o);
  EXPECT_EQ(r.context, "one");        // current-context from the first file that sets it
  EXPECT_EQ(r.user.token, "abc");     // first definition of u1 wins...
  EXPECT_EQ(r.user.username, "");     // ...whole: none of the second's fields leak in
  o.context = "three";
  auto r3 = load_rest_config(o);
  EXPECT_EQ(r3.user.token, "u2token");
  EXPECT_EQ(r3.cluster.ca_pem, "CA1");  // cluster from the first file, path relative to it
}

TEST_F(Kubeconfig, DefaultFileUnderHome) {
  write("home/.kube/certs/ca.pem", "H");
  write("home/.kube/config", kBasic);
  env.vars["HOME"] = (dir / "home").string();
  EXPECT_EQ(load_rest_config(options()).cluster.ca_pem, "H");
}

TEST_F(Kubeconfig, UnknownContextListsTheKnownOnes) {
  write("certs/ca.pem", "x");
  auto o = options();
  o.kubeconfig = write("config", kBasic).string();
  o.context = "prod";
  try {
    load_rest_config(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("context 'prod' not found"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("one, two"), std::string::npos);
  }
}

TEST_F(Kubeconfig, NamespacePrecedence) {
  write("certs/ca.pem", "x");
  auto o = options();
  o.kubeconfig = write("config", kBasic).string();
  o.namespace_name = "flag";
  EXPECT_EQ(load_rest_config(o).namespace_name, "flag");  // flag > context
  o.namespace_name = "";
  o.context = "two";
  EXPECT_EQ(load_rest_config(o).namespace_name, "default");  // nothing set
  write("sa/namespace", "pod-ns\n");
  o.service_account_dir = dir / "sa";
  EXPECT_EQ(load_rest_config(o).namespace_name, "pod-ns");  // in a pod: its namespace > default
}

TEST_F(Kubeconfig, DataFieldsWinOverPathsAndCertificatesNeedKeys) {
  auto o = options();
  o.kubeconfig = write("config", std::string(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority: /does/not/exist, certificate-authority-data: )") +
                                             base64_encode("DATA-CA") + R"(}}]
users: [{name: u, user: {client-certificate-data: )" + base64_encode("CERT") + ", client-key-data: " + base64_encode("KEY") + R"(}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)").string();
  auto r = load_rest_config(o);
  EXPECT_EQ(r.cluster.ca_pem, "DATA-CA");
  EXPECT_EQ(r.user.client_cert_pem, "CERT");
  EXPECT_EQ(r.user.client_key_pem, "KEY");

  o.kubeconfig = write("config2", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)").string();
  EXPECT_THROW(load_rest_config(o), ConfigError);
}

TEST_F(Kubeconfig, InsecureSkipWarnsAndExcludesACa) {
  auto o = options();
  o.kubeconfig = write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h", insecure-skip-tls-verify: true, tls-server-name: api.internal, proxy-url: "http://127.0.0.1:3128"}}]
users: [{name: u, user: {tokenFile: tok, as: alice, as-groups: [devs, ops], username: bob, password: pw}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)").string();
  auto r = load_rest_config(o);
  EXPECT_TRUE(r.cluster.insecure_skip_verify);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("insecure-skip-tls-verify"), std::string::npos);
  EXPECT_EQ(r.cluster.tls_server_name, "api.internal");
  EXPECT_EQ(r.cluster.proxy_url, "http://127.0.0.1:3128");
  EXPECT_EQ(r.user.token_file, dir / "tok");
  EXPECT_EQ(r.user.impersonate_user, "alice");
  EXPECT_EQ(r.user.impersonate_groups, (std::vector<std::string>{"devs", "ops"}));
  EXPECT_EQ(r.user.username, "bob");

  o.kubeconfig = write("config2", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h", insecure-skip-tls-verify: true, certificate-authority-data: Q0E=}}]
contexts: [{name: c, context: {cluster: k}}]
)").string();
  EXPECT_THROW(load_rest_config(o), ConfigError);
}

TEST_F(Kubeconfig, RemovedAuthProvidersNameTheirReplacement) {
  for (auto [provider, replacement] : {std::pair{"gcp", "gke-gcloud-auth-plugin"}, std::pair{"azure", "kubelogin"}}) {
    auto o = options();
    o.kubeconfig = write("config", std::string(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
users: [{name: u, user: {auth-provider: {name: )") + provider + R"(, config: {}}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)").string();
    try {
      load_rest_config(o);
      FAIL() << provider;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(replacement), std::string::npos) << e.what();
    }
  }
}

TEST_F(Kubeconfig, ExecPluginSettings) {
  auto o = options();
  o.kubeconfig = write("cfg/config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, k]
      env: [{name: REGION, value: eu}]
      interactiveMode: Never
      provideClusterInfo: true
      installHint: install get-token from your cloud
- name: v1-no-mode
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}
- name: alpha
  user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}
contexts:
- {name: c, context: {cluster: k, user: u}}
- {name: nomode, context: {cluster: k, user: v1-no-mode}}
- {name: alpha, context: {cluster: k, user: alpha}}
)").string();
  auto r = load_rest_config(o);
  ASSERT_TRUE(r.user.exec);
  EXPECT_EQ(r.user.exec->command, (dir / "cfg" / "./bin/get-token").string());
  EXPECT_EQ(r.user.exec->args, (std::vector<std::string>{"--cluster", "k"}));
  EXPECT_EQ(r.user.exec->env[0].second, "eu");
  EXPECT_TRUE(r.user.exec->provide_cluster_info);
  EXPECT_EQ(r.user.exec->install_hint, "install get-token from your cloud");
  o.context = "nomode";
  EXPECT_THROW(load_rest_config(o), ConfigError);  // v1 requires interactiveMode
  o.context = "alpha";
  EXPECT_THROW(load_rest_config(o), ConfigError);  // v1alpha1 is gone
}

TEST_F(Kubeconfig, InClusterWhenNothingElse) {
  write("sa/ca.crt", "SA-CA");
  write("sa/token", "t1");
  write("sa/namespace", "jobs\n");
  env.vars["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  env.vars["KUBERNETES_SERVICE_PORT"] = "443";
  auto o = options();
  o.service_account_dir = dir / "sa";
  auto r = load_rest_config(o);
  EXPECT_TRUE(r.in_cluster);
  EXPECT_EQ(r.cluster.server, "https://[fd00::1]:443");
  EXPECT_EQ(r.cluster.ca_pem, "SA-CA");
  EXPECT_EQ(r.user.token_file, dir / "sa/token");
  EXPECT_EQ(r.namespace_name, "jobs");
}

TEST_F(Kubeconfig, NothingAtAllSaysWhatToDo) {
  try {
    load_rest_config(options());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--kubeconfig"), std::string::npos);
  }
}

TEST_F(Kubeconfig, BrokenYamlNamesTheFile) {
  auto o = options();
  o.kubeconfig = write("config", "clusters: [unclosed\n").string();
  try {
    load_rest_config(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "config").string()), std::string::npos);
  }
}

}  // namespace
}  // namespace kb::kube
