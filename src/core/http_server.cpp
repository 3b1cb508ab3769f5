#include "core/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/text.h"

namespace kb {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string endpoint_text(const tcp::endpoint& ep) {
  auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

// Bytes a watched connection may pipeline before the server stops reading ahead.
constexpr std::size_t kReadAheadLimit = 64 * 1024;
// After an error answer the rest of the request is read and dropped for this long (lingering
// close), so the kernel does not reset the connection before the client has read the answer.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 8u << 20;
}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::string_view HttpRequest::param(std::string_view name) const {
  for (auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

HttpReply json_error_response(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return HttpReply{status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json", {}};
}

namespace detail {

class HttpSession;

// What sessions share: options, routes, counters and the registry used by stop().
struct ServerCore {
  HttpServerOptions options;
  HttpRouter router;
  std::vector<HttpHandler> handlers;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> requests_total{0};
  std::array<std::atomic<std::uint64_t>, 600> responses{};
  mutable std::mutex sessions_mutex;
  std::condition_variable sessions_cv;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions;

  void count_response(int status) {
    if (status >= 0 && status < static_cast<int>(responses.size())) responses[status].fetch_add(1, std::memory_order_relaxed);
  }
};

struct ExchangeState {
  HttpRequest request;
  std::shared_ptr<HttpSession> session;
  std::uint64_t generation = 0;
};

// One connection. Everything below runs on the connection's strand; the public entry points
// (deliver, set_disconnect, close_if_idle) hop onto it.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<ServerCore> core) : stream_(std::move(socket)), core_(std::move(core)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint_text(ep);
    // Answers are small and latency-bound: never wait for Nagle.
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~HttpSession() {
    std::lock_guard lock(core_->sessions_mutex);
    core_->sessions.erase(this);
    core_->sessions_cv.notify_all();
  }

  void start() {
    {
      std::lock_guard lock(core_->sessions_mutex);
      core_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  void deliver(std::uint64_t generation, HttpReply response) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), generation, r = std::move(response)]() mutable {
      self->finish(generation, std::move(r));
    });
  }

  void set_disconnect(std::uint64_t generation, std::function<void()> callback) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), generation, cb = std::move(callback)]() mutable {
      if (generation != self->generation_ || self->responded_) return;
      if (self->phase_ == Phase::closed) {
        cb();  // already gone
        return;
      }
      self->on_disconnect_ = std::move(cb);
    });
  }

  // For stop(): a connection waiting for a request, or for an answer nobody has given yet, is
  // closed now; one whose answer is being written closes after it.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->keep_alive_ = false;
      const bool unanswered = self->phase_ == Phase::handling && !self->ready_ && !self->handler_running_;
      if (self->phase_ == Phase::reading || unanswered) self->close();
    });
  }

 private:
  enum class Phase { reading, handling, writing, lingering, closed };

  void do_read() {
    if (core_->stopping) return close();
    phase_ = Phase::reading;
    parser_.emplace();
    parser_->body_limit(core_->options.body_limit);
    parser_->header_limit(core_->options.header_limit);
    stream_.expires_after(core_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (phase_ != Phase::reading) return;
    if (ec == http::error::body_limit)
      return fail(413, "body_too_large", "request body over " + std::to_string(core_->options.body_limit) + " bytes");
    if (ec == http::error::header_limit) return fail(431, "headers_too_large", "request headers too large");
    if (ec) {
      const bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                               ec != http::error::end_of_stream && ec != http::error::partial_message &&
                               ec != http::error::need_more && ec != http::error::need_buffer;
      if (parse_error) return fail(400, "bad_request", "malformed HTTP request: " + ec.message());
      return close();  // end of stream, timeout, reset
    }
    handle(parser_->release());
  }

  void handle(http::request<http::string_body> msg) {
    core_->requests_total.fetch_add(1, std::memory_order_relaxed);
    keep_alive_ = msg.keep_alive() && !core_->stopping;
    ++generation_;
    responded_ = false;
    ready_.reset();
    on_disconnect_ = nullptr;
    phase_ = Phase::handling;

    auto state = std::make_shared<ExchangeState>();
    HttpRequest& req = state->request;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    req.remote = remote_;

    auto match = core_->router.match(req.method, req.path);
    if (match.route < 0) {
      HttpReply r = match.allow.empty() ? json_error_response(404, "not_found", "no such path: " + req.path)
                                           : json_error_response(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
      if (!match.allow.empty()) r.headers.emplace_back("Allow", match.allow);
      ready_ = std::move(r);
      responded_ = true;
      return do_write();
    }
    req.params = std::move(match.params);
    state->session = shared_from_this();
    state->generation = generation_;

    handler_running_ = true;
    try {
      core_->handlers[static_cast<std::size_t>(match.route)](HttpExchange(state));  // `req` lives in `state`
    } catch (const std::exception& e) {
      spdlog::error("http handler for {} {} failed: {}", req.method, req.path, e.what());
      if (!responded_) {
        ready_ = json_error_response(500, "internal", e.what());
        responded_ = true;
        on_disconnect_ = nullptr;
      }
    }
    handler_running_ = false;
    if (ready_) return do_write();
    watch();
  }

  // While a handler has not answered, a read is kept pending so that a client that goes away is
  // noticed at once (EOF/reset) rather than when its answer is finally written.
  void watch() {
    if (phase_ != Phase::handling || buffer_.size() >= kReadAheadLimit) return;
    watching_ = true;
    stream_.expires_never();
    stream_.async_read_some(buffer_.prepare(4096), beast::bind_front_handler(&HttpSession::on_watch, shared_from_this()));
  }

  void on_watch(beast::error_code ec, std::size_t n) {
    watching_ = false;
    if (phase_ != Phase::handling) return;
    if (!ec) {
      buffer_.commit(n);  // a pipelined next request: kept for the next read
      if (ready_) return do_write();
      return watch();
    }
    if (ready_) return do_write();  // our own cancel, to write the answer
    if (ec == net::error::operation_aborted) return;
    auto callback = std::move(on_disconnect_);
    on_disconnect_ = nullptr;
    close();
    if (callback) callback();
  }

  void finish(std::uint64_t generation, HttpReply response) {
    if (generation != generation_ || responded_ || phase_ != Phase::handling) return;
    responded_ = true;
    on_disconnect_ = nullptr;  // also breaks a cycle: the callback may hold this exchange
    ready_ = std::move(response);
    if (handler_running_) return;  // handle() writes when the handler returns
    if (watching_) {
      beast::error_code ec;
      stream_.socket().cancel(ec);  // on_watch writes
      return;
    }
    do_write();
  }

  void do_write() {
    phase_ = Phase::writing;
    HttpReply& r = *ready_;
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(r.status));
    if (r.status != 204 && r.status != 304) response_.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) response_.set(k, v);
    response_.body() = std::move(r.body);
    response_.keep_alive(keep_alive_ && !core_->stopping);
    response_.prepare_payload();
    core_->count_response(r.status);
    ready_.reset();
    stream_.expires_after(core_->options.write_timeout);
    http::async_write(stream_, response_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return close();
    if (!response_.keep_alive()) return linger();
    do_read();
  }

  // An error answer on a connection that will close: the client may still be sending.
  void fail(int status, std::string_view code, const std::string& message) {
    phase_ = Phase::handling;
    ++generation_;
    responded_ = true;
    keep_alive_ = false;
    ready_ = json_error_response(status, code, message);
    do_write();
  }

  void linger() {
    phase_ = Phase::lingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(kLingerTime);
    drain_some();
  }

  void drain_some() {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > kLingerBytes) return self->close();
      self->drain_some();
    });
  }

  void close() {
    phase_ = Phase::closed;
    on_disconnect_ = nullptr;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<ServerCore> core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string remote_;
  Phase phase_ = Phase::reading;
  std::uint64_t generation_ = 0;
  bool handler_running_ = false;
  bool watching_ = false;
  bool responded_ = false;
  bool keep_alive_ = true;
  std::optional<HttpReply> ready_;
  std::function<void()> on_disconnect_;
  std::array<char, 4096> scratch_{};
  std::size_t lingered_ = 0;
};

}  // namespace detail

const HttpRequest& HttpExchange::request() const { return state_->request; }

void HttpExchange::respond(HttpReply response) const {
  state_->session->deliver(state_->generation, std::move(response));
}

void HttpExchange::on_disconnect(std::function<void()> callback) const {
  state_->session->set_disconnect(state_->generation, std::move(callback));
}

struct HttpTimer::Impl {
  explicit Impl(net::io_context& ioc) : timer(ioc) {}
  net::steady_timer timer;
};

HttpTimer::HttpTimer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTimer::~HttpTimer() = default;

void HttpTimer::schedule(std::chrono::steady_clock::time_point at, std::function<void()> fire) {
  impl_->timer.expires_at(at);
  impl_->timer.async_wait([fire = std::move(fire)](beast::error_code ec) {
    if (!ec) fire();
  });
}

void HttpTimer::cancel() { impl_->timer.cancel(); }

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions options) : core(std::make_shared<detail::ServerCore>()) {
    core->options = std::move(options);
  }

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors and the like: back off a little rather than spin.
        spdlog::warn("http accept on {}: {}", bound, ec.message());
        accept_backoff.expires_after(std::chrono::milliseconds(50));
        accept_backoff.async_wait([this](beast::error_code) {
          if (acceptor.is_open()) do_accept();
        });
        return;
      }
      core->connections_total.fetch_add(1, std::memory_order_relaxed);
      std::size_t open;
      {
        std::lock_guard lock(core->sessions_mutex);
        open = core->sessions.size();
      }
      if (open >= core->options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<detail::HttpSession>(std::move(socket), core)->start();
      }
      do_accept();
    });
  }

  // ioc first: destroyed last, after everything bound to it.
  net::io_context ioc;
  std::shared_ptr<detail::ServerCore> core;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_backoff{ioc};
  std::vector<std::thread> threads;
  std::string bound;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

void HttpServer::route(std::string_view method, std::string_view pattern, HttpHandler handler) {
  impl_->core->router.add(method, pattern);
  impl_->core->handlers.push_back(std::move(handler));
}

void HttpServer::listen() {
  auto& o = impl_->core->options;
  const std::string wanted = o.address + ":" + std::to_string(o.port);
  beast::error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec) throw UsageError("cannot listen on " + wanted + ": not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)");
  tcp::endpoint endpoint(address, o.port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw EnvironmentError("cannot listen on " + wanted + ": " + ec.message());
  auto local = a.local_endpoint(ec);
  impl_->port = local.port();
  impl_->bound = endpoint_text(local);
}

std::uint16_t HttpServer::port() const { return impl_->port; }
std::string HttpServer::address() const { return impl_->bound; }

void HttpServer::start() {
  if (impl_->started) return;
  impl_->started = true;
  net::post(impl_->ioc, [impl = impl_.get()] { impl->do_accept(); });
  const int n = std::max(1, impl_->core->options.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([impl = impl_.get()] { impl->ioc.run(); });
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  auto& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  impl.core->stopping = true;
  if (impl.started) {
    net::post(impl.ioc, [&impl] {
      beast::error_code ec;
      impl.acceptor.close(ec);
      impl.accept_backoff.cancel();
      std::vector<std::shared_ptr<detail::HttpSession>> live;
      {
        std::lock_guard lock(impl.core->sessions_mutex);
        for (auto& [raw, weak] : impl.core->sessions)
          if (auto s = weak.lock()) live.push_back(std::move(s));
      }
      for (auto& s : live) s->close_if_idle();
    });
    std::unique_lock lock(impl.core->sessions_mutex);
    impl.core->sessions_cv.wait_for(lock, grace, [&] { return impl.core->sessions.empty(); });
  }
  impl.ioc.stop();
  for (auto& t : impl.threads) t.join();
  impl.threads.clear();
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  auto& core = *impl_->core;
  {
    std::lock_guard lock(core.sessions_mutex);
    s.connections_open = core.sessions.size();
  }
  s.connections_total = core.connections_total.load();
  s.requests_total = core.requests_total.load();
  for (std::size_t i = 0; i < core.responses.size(); ++i)
    if (auto n = core.responses[i].load(std::memory_order_relaxed)) s.responses.emplace_back(static_cast<int>(i), n);
  return s;
}

std::unique_ptr<HttpTimer> HttpServer::make_timer() {
  return std::make_unique<HttpTimer>(std::make_unique<HttpTimer::Impl>(impl_->ioc));
}

ListenAddress parse_listen_address(std::string_view text, std::string_view flag) {
  const auto bad = [&] {
    return UsageError(std::string(flag) + " '" + std::string(text) + "': expected HOST:PORT with an IP address, e.g. 0.0.0.0:8080 (port 0: any free port)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw bad();
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port = parse_int(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) throw bad();
  return {host.empty() ? std::string("0.0.0.0") : std::string(host), static_cast<std::uint16_t>(*port)};
}

}  // namespace kb
