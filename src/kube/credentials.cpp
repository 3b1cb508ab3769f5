#include "kube/credentials.h"

#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/process.h"
#include "core/text.h"

namespace kb::kube {

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  if (*rest == '.')
    while (std::isdigit(static_cast<unsigned char>(*++rest))) {
    }
  long offset = 0;
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600 + mm * 60) * (*rest == '-' ? -1 : 1);
  } else if (*rest != 'Z' && *rest != 'z') {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(::timegm(&tm) - offset);
}

CredentialSource::CredentialSource(const RestConfig& config, std::chrono::seconds token_file_refresh)
    : config_(config), token_file_refresh_(token_file_refresh) {}

int CredentialSource::exec_runs() const {
  std::lock_guard lock(mu_);
  return exec_runs_;
}

void CredentialSource::invalidate() {
  std::lock_guard lock(mu_);
  exec_cached_.reset();
  file_read_at_ = {};
}

Credentials CredentialSource::run_exec() {
  const auto& x = *config_.user.exec;
  nlohmann::json info = {{"apiVersion", x.api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  bool interactive = x.interactive_mode != "Never" && ::isatty(STDIN_FILENO) == 1;
  info["spec"]["interactive"] = interactive;
  if (x.provide_cluster_info) {
    nlohmann::json cluster = {{"server", config_.cluster.server}};
    if (!config_.cluster.ca_pem.empty()) cluster["certificate-authority-data"] = base64_encode(config_.cluster.ca_pem);
    if (!config_.cluster.tls_server_name.empty()) cluster["tls-server-name"] = config_.cluster.tls_server_name;
    if (config_.cluster.insecure_skip_verify) cluster["insecure-skip-tls-verify"] = true;
    info["spec"]["cluster"] = cluster;
  }
  if (x.interactive_mode == "Always" && !interactive)
    throw ConfigError("user " + config_.user_name + ": exec plugin " + x.command + " needs an interactive terminal (interactiveMode: Always)");

  ProcessSpec spec;
  spec.argv = {x.command};
  spec.argv.insert(spec.argv.end(), x.args.begin(), x.args.end());
  spec.env = x.env;
  spec.env.emplace_back("KUBERNETES_EXEC_INFO", info.dump());
  spec.stderr_mode = interactive ? OutputMode::inherit : OutputMode::capture;
  spec.timeout = std::chrono::minutes(interactive ? 5 : 1);
  ++exec_runs_;
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const EnvironmentError&) {
    std::string hint = x.install_hint.empty() ? "" : "\n" + x.install_hint;
    throw ConfigError("user " + config_.user_name + ": exec plugin '" + x.command + "' not found" + hint);
  }
  if (!r.ok())
    throw ConfigError("user " + config_.user_name + ": exec plugin " + x.command + " failed (" + r.describe() + "): " +
                      last_lines(r.stderr_text, 2));
  nlohmann::json cred;
  try {
    cred = nlohmann::json::parse(r.stdout_text);
  } catch (const std::exception&) {
    throw ConfigError("user " + config_.user_name + ": exec plugin " + x.command + " did not print an ExecCredential");
  }
  auto status = cred.value("status", nlohmann::json::object());
  Credentials c;
  c.bearer_token = status.value("token", "");
  c.client_cert_pem = status.value("clientCertificateData", "");
  c.client_key_pem = status.value("clientKeyData", "");
  if (c.bearer_token.empty() && c.client_cert_pem.empty())
    throw ConfigError("user " + config_.user_name + ": exec plugin " + x.command + " returned neither a token nor a certificate");
  exec_has_expiry_ = false;
  if (auto exp = status.value("expirationTimestamp", ""); !exp.empty()) {
    auto t = parse_rfc3339(exp);
    if (!t) throw ConfigError("user " + config_.user_name + ": exec plugin returned a bad expirationTimestamp '" + exp + "'");
    exec_expires_ = *t;
    exec_has_expiry_ = true;
  }
  return c;
}

Credentials CredentialSource::get() {
  std::lock_guard lock(mu_);
  const auto& u = config_.user;
  if (u.exec) {
    bool expired = exec_has_expiry_ && std::chrono::system_clock::now() >= exec_expires_;
    if (!exec_cached_ || expired) exec_cached_ = run_exec();
    Credentials c = *exec_cached_;
    // The kubeconfig's own certificate is used when the plugin returns only a token.
    if (c.client_cert_pem.empty()) {
      c.client_cert_pem = u.client_cert_pem;
      c.client_key_pem = u.client_key_pem;
    }
    return c;
  }
  Credentials c;
  c.client_cert_pem = u.client_cert_pem;
  c.client_key_pem = u.client_key_pem;
  c.username = u.username;
  c.password = u.password;
  c.bearer_token = u.token;
  if (!u.token_file.empty()) {
    auto now = std::chrono::steady_clock::now();
    if (file_read_at_ == std::chrono::steady_clock::time_point{} || now - file_read_at_ >= token_file_refresh_) {
      try {
        file_token_ = std::string(trim(read_file(u.token_file)));
        file_read_at_ = now;
      } catch (const Error&) {
        if (file_token_.empty()) throw ConfigError("cannot read tokenFile " + u.token_file.string());
      }
    }
    c.bearer_token = file_token_;
  }
  return c;
}

}  // namespace kb::kube
