// HTTP to the API server on libcurl: TLS and every kubeconfig auth method, a shared connection
// pool (HTTP/2 where offered), the client-side rate limiter, and retries (429/5xx with
// Retry-After honoured, connection resets) with capped, jittered backoff. Credentials never
// reach the logs.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "kube/credentials.h"
#include "kube/kubeconfig.h"
#include "kube/rate_limiter.h"

namespace kb::kube {

struct TransportOptions {
  double qps = 20;     // client-side limit (client-go's default is 5; a run needs more)
  int burst = 40;
  int max_retries = 8;
  std::chrono::milliseconds timeout{30000};  // per request (not for streams)
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::seconds token_file_refresh{60};  // how often a tokenFile is re-read
};

struct Request {
  std::string method = "GET";
  std::string path;  // "/api/v1/namespaces/x/pods?labelSelector=..."
  std::string body;
  std::string content_type = "application/json";
  // Streams only: set from another thread to end the stream within about a second (libcurl's
  // progress callback rate); stream() then returns as if on_data had returned false.
  const std::atomic<bool>* cancel = nullptr;
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct TransportStats {
  long requests = 0;        // HTTP requests sent, retries included
  long retries = 0;
  long throttled = 0;       // requests that waited in the client-side limiter
  double throttled_seconds = 0;
};

class Transport {
 public:
  Transport(RestConfig config, TransportOptions options = {});
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // A complete request with retries. Returns any HTTP answer (callers check status); throws
  // EnvironmentError naming the server when none arrives, Interrupted on Ctrl-C.
  Response send(const Request& request);
  // A long-lived stream (watch, log follow): `on_data` gets bytes as they arrive and returns false
  // to stop. No retries: callers resume from what they saw. Returns the status (and, for an error
  // status, the body).
  Response stream(const Request& request, const std::function<bool(std::string_view)>& on_data);

  const RestConfig& config() const { return config_; }
  CredentialSource& credentials() { return credentials_; }
  TransportStats stats() const;

 private:
  struct Shared;
  Response perform(const Request& request, const std::function<bool(std::string_view)>* on_data, int& curl_code,
                   std::string& curl_error);
  RestConfig config_;
  TransportOptions options_;
  CredentialSource credentials_;
  RateLimiter limiter_;
  std::unique_ptr<Shared> shared_;
  std::atomic<long> requests_{0}, retries_{0}, throttled_{0};
  std::atomic<long long> throttled_ns_{0};
};

// Parses "Retry-After" (seconds) -> duration, nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value);

}  // namespace kb::kube
