#include "kube/transport.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "kube/api_error.h"

namespace kb::kube {

ApiError api_error(const std::string& method, const std::string& path, long status, const std::string& body) {
  std::string reason, message;
  try {
    auto j = nlohmann::json::parse(body);
    if (j.value("kind", "") == "Status") {
      reason = j.value("reason", "");
      message = j.value("message", "");
    }
  } catch (const std::exception&) {
  }
  if (message.empty()) message = std::string(trim(body.substr(0, 200)));
  std::string what = method + " " + path.substr(0, path.find('?')) + ": " + (message.empty() ? "HTTP " + std::to_string(status) : message) +
                     " (" + (reason.empty() ? "" : reason + ", ") + "HTTP " + std::to_string(status) + ")";
  return ApiError(what, static_cast<int>(status), reason, message);
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value) {
  auto seconds = parse_double(value);
  if (!seconds || *seconds < 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(*seconds * 1000));
}

// libcurl state shared by every request: connection pool, TLS sessions, DNS.
struct Transport::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  Shared() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, +[](CURL*, curl_lock_data d, curl_lock_access, void* self) {
      static_cast<Shared*>(self)->locks[d].lock();
    });
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data d, void* self) {
      static_cast<Shared*>(self)->locks[d].unlock();
    });
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~Shared() { curl_share_cleanup(share); }
};

Transport::Transport(RestConfig config, TransportOptions options)
    : config_(std::move(config)),
      options_(options),
      credentials_(config_, options.token_file_refresh),
      limiter_(options.qps, options.burst),
      shared_(std::make_unique<Shared>()) {
  for (auto& w : config_.warnings) spdlog::warn("{}", w);
}

Transport::~Transport() = default;

TransportStats Transport::stats() const {
  return {requests_.load(), retries_.load(), throttled_.load(), static_cast<double>(throttled_ns_.load()) / 1e9};
}

namespace {

struct CallState {
  Response* response;
  const std::function<bool(std::string_view)>* on_data;
  bool stopped = false;
  const std::atomic<bool>* cancel = nullptr;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallState*>(user);
  size_t bytes = size * n;
  // Error answers are collected whole even on a stream, so they can be reported.
  if (st->on_data && st->response->status < 400) {
    if (!(*st->on_data)(std::string_view(data, bytes))) {
      st->stopped = true;
      return 0;
    }
    return bytes;
  }
  st->response->body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallState*>(user);
  std::string_view line(data, size * n);
  if (starts_with(line, "HTTP/")) {
    st->response->headers.clear();
    auto parts = split(trim(line), ' ');
    if (parts.size() >= 2) st->response->status = parse_int(parts[1]).value_or(0);
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    st->response->headers[name] = std::string(trim(line.substr(colon + 1)));
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<CallState*>(user);
  if (st->cancel && st->cancel->load()) {
    st->stopped = true;  // asked to stop: not an error
    return 1;
  }
  return interrupted() ? 1 : 0;
}

// "https://host:port/prefix" -> host and port, for tls-server-name's CONNECT_TO.
std::pair<std::string, std::string> host_port(const std::string& server) {
  auto rest = server.substr(server.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest, port = starts_with(server, "https") ? "443" : "80";
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  return {host, port};
}

bool idempotent(const std::string& method) { return method == "GET" || method == "HEAD"; }

}  // namespace

Response Transport::perform(const Request& req, const std::function<bool(std::string_view)>* on_data, int& curl_code,
                            std::string& curl_error) {
  Response resp;
  CallState st{&resp, on_data, false, req.cancel};
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
  auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
  CURL* c = curl.get();
  const auto& cluster = config_.cluster;

  std::string url = cluster.server + req.path;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> connect_to(nullptr, &curl_slist_free_all);
  if (!cluster.tls_server_name.empty()) {
    // Verify (and send SNI for) tls-server-name while connecting to the real address.
    auto [host, port] = host_port(cluster.server);
    auto scheme_end = cluster.server.find("://") + 3;
    url = cluster.server.substr(0, scheme_end) + cluster.tls_server_name + ":" + port +
          cluster.server.substr(std::min(cluster.server.size(), cluster.server.find('/', scheme_end))) + req.path;
    connect_to.reset(curl_slist_append(nullptr, (cluster.tls_server_name + ":" + port + ":" + host + ":" + port).c_str()));
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to.get());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_SHARE, shared_->share);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  if (!on_data) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    add_header("Content-Type: " + req.content_type);
  }
  add_header("Accept: application/json");
  add_header("User-Agent: kubench/0.1");
  if (!cluster.disable_compression) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  if (!cluster.proxy_url.empty()) curl_easy_setopt(c, CURLOPT_PROXY, cluster.proxy_url.c_str());

  // TLS: the cluster's CA (from memory), or skip verification when the kubeconfig says so.
  curl_blob ca{const_cast<char*>(cluster.ca_pem.data()), cluster.ca_pem.size(), CURL_BLOB_NOCOPY};
  if (!cluster.ca_pem.empty()) curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  if (cluster.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  auto creds = credentials_.get();
  curl_blob cert{creds.client_cert_pem.data(), creds.client_cert_pem.size(), CURL_BLOB_NOCOPY};
  curl_blob key{creds.client_key_pem.data(), creds.client_key_pem.size(), CURL_BLOB_NOCOPY};
  if (!creds.client_cert_pem.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (!creds.bearer_token.empty()) add_header("Authorization: Bearer " + creds.bearer_token);
  else if (!creds.username.empty()) {
    std::string userpwd = creds.username + ":" + creds.password;
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  }
  const auto& u = config_.user;
  if (!u.impersonate_user.empty()) add_header("Impersonate-User: " + u.impersonate_user);
  if (!u.impersonate_uid.empty()) add_header("Impersonate-Uid: " + u.impersonate_uid);
  for (auto& g : u.impersonate_groups) add_header("Impersonate-Group: " + g);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);

  ++requests_;
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_code = st.stopped ? CURLE_OK : rc;
  curl_error = rc == CURLE_OK ? "" : curl_easy_strerror(rc);
  return resp;
}

Response Transport::send(const Request& req) {
  std::mt19937 rng(std::random_device{}());
  bool reauthenticated = false;
  for (int attempt = 0;; ++attempt) {
    auto waited = limiter_.acquire();
    if (waited.count() > 0) {
      ++throttled_;
      throttled_ns_ += waited.count();
    }
    if (waited > std::chrono::milliseconds(50))
      spdlog::debug("waited {} ms for client-side throttling (--qps)", waited.count() / 1000000);
    int code = 0;
    std::string error;
    Response resp = perform(req, nullptr, code, error);
    if (code == CURLE_ABORTED_BY_CALLBACK) throw Interrupted();

    auto backoff = [&] {
      auto base = std::chrono::milliseconds(200) * (1 << std::min(attempt, 10));
      auto capped = std::min<std::chrono::milliseconds>(base, options_.max_backoff);
      std::uniform_int_distribution<long> jitter(0, capped.count() / 2);
      return capped + std::chrono::milliseconds(jitter(rng));
    };
    std::optional<std::chrono::milliseconds> wait;
    if (code != CURLE_OK) {
      bool certificate = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
                         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CONNECT_ERROR;
      if (certificate)  // retrying cannot fix a certificate
        throw EnvironmentError("TLS with " + config_.cluster.server + " failed: " + error +
                               " (check the kubeconfig's certificate-authority and tls-server-name)");
      bool transient = code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
                       code == CURLE_PARTIAL_FILE || code == CURLE_OPERATION_TIMEDOUT ||
                       (code == CURLE_COULDNT_CONNECT && attempt < 2);
      if (!transient || !idempotent(req.method) || attempt >= options_.max_retries)
        throw EnvironmentError("cannot reach the API server " + config_.cluster.server + ": " + error);
      wait = backoff();
    } else if (resp.status == 401 && !reauthenticated && (config_.user.exec || !config_.user.token_file.empty())) {
      credentials_.invalidate();  // an expired exec token or a rotated token file
      reauthenticated = true;
      wait = std::chrono::milliseconds(0);
    } else if (resp.status == 429 || resp.status >= 500) {
      auto retry_after = resp.headers.count("retry-after") ? parse_retry_after(resp.headers["retry-after"]) : std::nullopt;
      // With Retry-After the server did not process the request: safe for any method.
      if (attempt < options_.max_retries && (retry_after || idempotent(req.method)))
        wait = retry_after ? std::min<std::chrono::milliseconds>(*retry_after, std::chrono::seconds(60)) : backoff();
    }
    if (!wait) return resp;
    ++retries_;
    spdlog::debug("{} {}: retrying in {} ms (attempt {})", req.method, req.path.substr(0, req.path.find('?')), wait->count(), attempt + 1);
    auto until = std::chrono::steady_clock::now() + *wait;
    while (std::chrono::steady_clock::now() < until) {
      if (interrupted()) throw Interrupted();
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(until - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
    }
  }
}

Response Transport::stream(const Request& req, const std::function<bool(std::string_view)>& on_data) {
  limiter_.acquire();
  int code = 0;
  std::string error;
  Response resp = perform(req, &on_data, code, error);
  if (code == CURLE_ABORTED_BY_CALLBACK) throw Interrupted();
  if (code != CURLE_OK && resp.status == 0) throw EnvironmentError("cannot reach the API server " + config_.cluster.server + ": " + error);
  if (resp.status == 401) credentials_.invalidate();
  return resp;
}

}  // namespace kb::kube
