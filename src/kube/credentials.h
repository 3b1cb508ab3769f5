// Where a request's credentials come from: a static token, a token file that is re-read (bound
// service-account tokens rotate), an exec plugin whose result is cached until it expires, or
// client certificates. invalidate() after a 401 makes the next call fetch fresh ones.
#pragma once
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "kube/kubeconfig.h"

namespace kb::kube {

struct Credentials {
  std::string bearer_token;     // "" if none
  std::string client_cert_pem;  // "" if none
  std::string client_key_pem;
  std::string username, password;
};

class CredentialSource {
 public:
  CredentialSource(const RestConfig& config, std::chrono::seconds token_file_refresh = std::chrono::seconds(60));
  Credentials get();
  // The server answered 401: drop cached exec credentials and re-read token files.
  void invalidate();
  int exec_runs() const;  // how often the exec plugin ran (tests, stats)

 private:
  Credentials run_exec();
  RestConfig config_;
  std::chrono::seconds token_file_refresh_;
  mutable std::mutex mu_;
  std::optional<Credentials> exec_cached_;
  std::chrono::system_clock::time_point exec_expires_{};
  bool exec_has_expiry_ = false;
  std::string file_token_;
  std::chrono::steady_clock::time_point file_read_at_{};
  int exec_runs_ = 0;
};

// "2026-11-23T10:15:00Z" (RFC 3339, optional fraction and offset) -> time point.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

}  // namespace kb::kube
