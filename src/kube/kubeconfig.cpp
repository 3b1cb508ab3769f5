#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>

#include "core/files.h"
#include "core/text.h"

namespace kb::kube {
namespace fs = std::filesystem;

namespace {

// One named entry (cluster, user or context) and the folder of the file that defined it.
struct Entry {
  YAML::Node node;
  fs::path dir;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::vector<std::string> files;
};

std::string str(const YAML::Node& n, const char* key) {
  auto v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

bool flag(const YAML::Node& n, const char* key) {
  auto v = n[key];
  return v && v.IsScalar() && v.as<bool>(false);
}

void merge_file(Merged& m, const fs::path& file) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    throw ConfigError("kubeconfig " + file.string() + " is not valid YAML: " + e.msg);
  }
  if (!doc || doc.IsNull()) return;
  if (!doc.IsMap()) throw ConfigError("kubeconfig " + file.string() + " is not a kubeconfig (no mapping at the top)");
  fs::path dir = fs::absolute(file).parent_path();
  // The first file to define a name wins, whole; later definitions are dropped entirely.
  auto take = [&](const char* list, const char* inner, std::map<std::string, Entry>& into) {
    for (const auto& item : doc[list]) {
      auto name = str(item, "name");
      if (name.empty() || into.count(name)) continue;
      into[name] = Entry{item[inner] ? item[inner] : YAML::Node(YAML::NodeType::Map), dir, file.string()};
    }
  };
  take("clusters", "cluster", m.clusters);
  take("users", "user", m.users);
  take("contexts", "context", m.contexts);
  if (m.current_context.empty()) m.current_context = str(doc, "current-context");
  m.files.push_back(file.string());
}

fs::path resolve(const fs::path& dir, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? p : dir / p;
}

// `name-data` (base64) wins over `name` (a path relative to the kubeconfig's folder).
std::string data_or_file(const Entry& e, const std::string& key, const std::string& what) {
  auto data = str(e.node, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) throw ConfigError(what + ": " + key + "-data in " + e.file + " is not valid base64");
    return *decoded;
  }
  auto path = str(e.node, key.c_str());
  if (path.empty()) return "";
  auto full = resolve(e.dir, path);
  try {
    return read_file(full);
  } catch (const Error&) {
    throw ConfigError(what + ": cannot read " + key + " " + full.string() + " (named in " + e.file + ")");
  }
}

ExecConfig parse_exec(const Entry& e, const std::string& user) {
  const auto& n = e.node["exec"];
  ExecConfig x;
  x.api_version = str(n, "apiVersion");
  if (x.api_version != "client.authentication.k8s.io/v1" && x.api_version != "client.authentication.k8s.io/v1beta1")
    throw ConfigError("user " + user + ": exec apiVersion '" + x.api_version +
                      "' is not supported (use client.authentication.k8s.io/v1 or v1beta1)");
  x.command = str(n, "command");
  if (x.command.empty()) throw ConfigError("user " + user + ": exec has no command");
  // A relative path (with a slash) is relative to the kubeconfig; a bare name is looked up on PATH.
  if (x.command.find('/') != std::string::npos) x.command = resolve(e.dir, x.command).string();
  for (const auto& a : n["args"]) x.args.push_back(a.as<std::string>());
  for (const auto& v : n["env"]) x.env.emplace_back(str(v, "name"), str(v, "value"));
  x.interactive_mode = str(n, "interactiveMode");
  if (x.interactive_mode.empty()) {
    if (x.api_version.ends_with("/v1")) throw ConfigError("user " + user + ": exec interactiveMode is required in client.authentication.k8s.io/v1");
    x.interactive_mode = "IfAvailable";
  }
  if (x.interactive_mode != "Never" && x.interactive_mode != "IfAvailable" && x.interactive_mode != "Always")
    throw ConfigError("user " + user + ": exec interactiveMode '" + x.interactive_mode + "' must be Never, IfAvailable or Always");
  x.provide_cluster_info = flag(n, "provideClusterInfo");
  x.install_hint = str(n, "installHint");
  return x;
}

UserConfig parse_user(const Entry& e, const std::string& name) {
  UserConfig u;
  if (const auto& ap = e.node["auth-provider"]) {
    auto provider = str(ap, "name");
    if (provider == "gcp")
      throw ConfigError("user " + name + ": the gcp auth-provider was removed from Kubernetes clients; install "
                        "gke-gcloud-auth-plugin and run `gcloud container clusters get-credentials` to switch to it");
    if (provider == "azure")
      throw ConfigError("user " + name + ": the azure auth-provider was removed from Kubernetes clients; install "
                        "kubelogin and run `kubelogin convert-kubeconfig` to switch to it");
    if (provider == "oidc") {
      u.token = str(ap["config"], "id-token");
      if (u.token.empty())
        throw ConfigError("user " + name + ": oidc auth-provider has no id-token; use an exec plugin such as kubectl oidc-login");
    } else {
      throw ConfigError("user " + name + ": auth-provider '" + provider + "' is not supported; use an exec credential plugin");
    }
  }
  u.client_cert_pem = data_or_file(e, "client-certificate", "user " + name);
  u.client_key_pem = data_or_file(e, "client-key", "user " + name);
  if (u.client_cert_pem.empty() != u.client_key_pem.empty())
    throw ConfigError("user " + name + ": a client certificate needs its key, and a key its certificate");
  if (auto t = str(e.node, "token"); !t.empty()) u.token = t;
  if (auto f = str(e.node, "tokenFile"); !f.empty()) u.token_file = resolve(e.dir, f);
  u.username = str(e.node, "username");
  u.password = str(e.node, "password");
  if (e.node["exec"]) u.exec = parse_exec(e, name);
  u.impersonate_user = str(e.node, "as");
  u.impersonate_uid = str(e.node, "as-uid");
  for (const auto& g : e.node["as-groups"]) u.impersonate_groups.push_back(g.as<std::string>());
  return u;
}

ClusterConfig parse_cluster(const Entry& e, const std::string& name, std::vector<std::string>& warnings) {
  ClusterConfig c;
  c.server = str(e.node, "server");
  if (c.server.empty()) throw ConfigError("cluster " + name + " has no server (in " + e.file + ")");
  if (!starts_with(c.server, "https://") && !starts_with(c.server, "http://"))
    throw ConfigError("cluster " + name + ": server '" + c.server + "' must start with https://");
  while (c.server.size() > 8 && c.server.back() == '/') c.server.pop_back();
  c.insecure_skip_verify = flag(e.node, "insecure-skip-tls-verify");
  c.ca_pem = data_or_file(e, "certificate-authority", "cluster " + name);
  if (c.insecure_skip_verify && !c.ca_pem.empty())
    throw ConfigError("cluster " + name + ": insecure-skip-tls-verify and a certificate authority are mutually exclusive");
  if (c.insecure_skip_verify)
    warnings.push_back("cluster " + name + ": insecure-skip-tls-verify is set; the server's certificate is not checked");
  c.tls_server_name = str(e.node, "tls-server-name");
  c.proxy_url = str(e.node, "proxy-url");
  c.disable_compression = flag(e.node, "disable-compression");
  return c;
}

std::optional<std::string> real_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

RestConfig in_cluster(const LoadOptions& o, const std::function<std::optional<std::string>(const std::string&)>& env) {
  RestConfig r;
  r.in_cluster = true;
  auto host = env("KUBERNETES_SERVICE_HOST").value_or("");
  auto port = env("KUBERNETES_SERVICE_PORT").value_or("443");
  // An IPv6 service address needs brackets in a URL.
  r.cluster.server = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  try {
    r.cluster.ca_pem = read_file(o.service_account_dir / "ca.crt");
  } catch (const Error&) {
    throw ConfigError("in-cluster: cannot read " + (o.service_account_dir / "ca.crt").string());
  }
  r.user.token_file = o.service_account_dir / "token";
  std::string ns;
  if (auto pod_ns = env("POD_NAMESPACE")) ns = *pod_ns;
  else {
    try {
      ns = std::string(trim(read_file(o.service_account_dir / "namespace")));
    } catch (const Error&) {
    }
  }
  r.namespace_name = !o.namespace_name.empty() ? o.namespace_name : ns.empty() ? "default" : ns;
  return r;
}

}  // namespace

RestConfig load_rest_config(const LoadOptions& o) {
  auto env = o.getenv ? o.getenv : real_getenv;
  Merged m;
  std::error_code ec;
  if (!o.kubeconfig.empty()) {
    if (!fs::exists(o.kubeconfig, ec)) throw ConfigError("kubeconfig " + o.kubeconfig + " (from --kubeconfig) does not exist");
    merge_file(m, o.kubeconfig);
  } else if (auto list = env("KUBECONFIG"); list && !list->empty()) {
    std::set<std::string> seen;
    for (auto& path : split(*list, ':')) {
      if (path.empty() || !seen.insert(path).second || !fs::exists(path, ec)) continue;  // missing files are skipped
      merge_file(m, path);
    }
  } else if (auto home = env("HOME"); home && fs::exists(fs::path(*home) / ".kube/config", ec)) {
    merge_file(m, fs::path(*home) / ".kube/config");
  }

  if (m.files.empty()) {
    if (env("KUBERNETES_SERVICE_HOST") && o.context.empty()) return in_cluster(o, env);
    throw ConfigError("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config");
  }

  RestConfig r;
  r.context = o.context.empty() ? m.current_context : o.context;
  if (r.context.empty()) throw ConfigError("no current-context in " + m.files.front() + ": pass --context");
  auto ctx = m.contexts.find(r.context);
  if (ctx == m.contexts.end()) {
    std::string names;
    for (auto& [n, e] : m.contexts) names += (names.empty() ? "" : ", ") + n;
    throw ConfigError("context '" + r.context + "' not found in the kubeconfig (contexts: " + (names.empty() ? "none" : names) + ")");
  }
  r.cluster_name = str(ctx->second.node, "cluster");
  r.user_name = str(ctx->second.node, "user");
  auto cluster = m.clusters.find(r.cluster_name);
  if (cluster == m.clusters.end())
    throw ConfigError("context '" + r.context + "' names cluster '" + r.cluster_name + "', which is not defined");
  r.cluster = parse_cluster(cluster->second, r.cluster_name, r.warnings);
  if (!r.user_name.empty()) {
    auto user = m.users.find(r.user_name);
    if (user == m.users.end())
      throw ConfigError("context '" + r.context + "' names user '" + r.user_name + "', which is not defined");
    r.user = parse_user(user->second, r.user_name);
  }
  // Namespace: flag > context > the pod's own namespace (in a pod) > default.
  auto ns = !o.namespace_name.empty() ? o.namespace_name : str(ctx->second.node, "namespace");
  if (ns.empty()) {
    try {
      ns = std::string(trim(read_file(o.service_account_dir / "namespace")));
    } catch (const Error&) {
    }
  }
  r.namespace_name = ns.empty() ? "default" : ns;
  return r;
}

}  // namespace kb::kube
