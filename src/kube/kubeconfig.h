// Loading a kubeconfig the way kubectl does (client-go's loading rules), or the in-cluster
// service account, into one RestConfig: where the API server is and how to authenticate.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace kb::kube {

// A kubeconfig that cannot be used as written (missing file, unknown context, removed provider).
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what, kExitUsage) {}
};

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;      // resolved against the kubeconfig's folder when it is a relative path
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;  // Never | IfAvailable | Always
  bool provide_cluster_info = false;
  std::string install_hint;
};

struct ClusterConfig {
  std::string server;           // https://host:port[/prefix]
  std::string ca_pem;           // certificate-authority-data, or the file's contents
  bool insecure_skip_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
  bool disable_compression = false;
};

struct UserConfig {
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::filesystem::path token_file;  // re-read while running; wins over token
  std::string username;
  std::string password;
  std::optional<ExecConfig> exec;
  std::string impersonate_user;
  std::string impersonate_uid;
  std::vector<std::string> impersonate_groups;
};

struct RestConfig {
  std::string context;  // "" for in-cluster
  std::string cluster_name;
  std::string user_name;
  ClusterConfig cluster;
  UserConfig user;
  std::string namespace_name;
  bool in_cluster = false;
  std::vector<std::string> warnings;  // shown to the user once (e.g. insecure-skip-tls-verify)
};

struct LoadOptions {
  std::string kubeconfig;      // --kubeconfig: loaded alone
  std::string context;         // --context
  std::string namespace_name;  // -n/--namespace
  // Seams for tests; the defaults read the real environment and file system.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Throws ConfigError with what to do.
RestConfig load_rest_config(const LoadOptions& options);

}  // namespace kb::kube
