// A small HTTP/1.1 server (Boost.Beast on Asio) for kubench's own services: the queue broker and
// the load client's stats API. Keep-alive, a router, body and header limits, read and write
// timeouts, and handlers that may answer later (long polls, waiting submits) and learn when the
// client went away. Asio stays inside http_server.cpp; users see plain structs.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http_router.h"

namespace kb {

struct ListenAddress {
  std::string host;  // an IP literal
  std::uint16_t port = 0;
};
// "127.0.0.1:9096", "[::1]:0", ":8080" (all interfaces); UsageError naming `flag` otherwise.
ListenAddress parse_listen_address(std::string_view text, std::string_view flag = "--listen");

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  std::uint16_t port = 0;              // 0: the system picks (see HttpServer::port())
  int threads = 1;                     // I/O threads; each connection is served by one at a time
  std::uint64_t body_limit = 1 << 20;  // larger bodies: 413 and the connection closes
  std::uint32_t header_limit = 16 * 1024;  // 431
  // A whole request must arrive within this, counted from when the server starts waiting for it,
  // so it is also the idle time of a kept-alive connection (and the slow-sender bound).
  std::chrono::milliseconds read_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::size_t max_connections = 10000;  // beyond: new connections are closed at once
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/v1/queues?x=1"
  std::string path;    // "/v1/queues"
  std::string query;   // "x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  HttpParams params;   // from the route's `{name}` segments
  std::string remote;  // "127.0.0.1:43512"

  std::string_view header(std::string_view name) const;  // case-insensitive; "" when absent
  std::string_view param(std::string_view name) const;   // "" when absent
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": {"code": CODE, "message": MESSAGE}} with `status`.
HttpReply json_error_response(int status, std::string_view code, std::string_view message);

namespace detail {
struct ExchangeState;
}

// One request being served. Copyable; the last copy may outlive the handler. Every method is
// thread-safe. The server must outlive every copy (drop them before stopping it).
class HttpExchange {
 public:
  explicit HttpExchange(std::shared_ptr<detail::ExchangeState> state) : state_(std::move(state)) {}
  const HttpRequest& request() const;
  // Sends the response. The first call wins; later calls, and calls after the client went away,
  // do nothing.
  void respond(HttpReply response) const;
  // `callback` runs once, on an I/O thread, if the client closes the connection before the
  // response is sent (the idle socket is watched while a handler has not answered). Register it
  // from the handler itself; a registration that comes after the client left runs at once.
  void on_disconnect(std::function<void()> callback) const;

 private:
  std::shared_ptr<detail::ExchangeState> state_;
};

using HttpHandler = std::function<void(const HttpExchange&)>;

struct HttpServerStats {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t requests_total = 0;
  std::vector<std::pair<int, std::uint64_t>> responses;  // (status, count), statuses sent at least once
};

// A one-shot timer on the server's I/O threads, for deadlines of answers that come later.
class HttpTimer {
 public:
  struct Impl;
  explicit HttpTimer(std::unique_ptr<Impl> impl);
  ~HttpTimer();
  // Replaces any earlier schedule. Not thread-safe against itself: callers serialise (a mutex).
  // A fire that was already due when it was replaced may still run: callbacks must be idempotent.
  void schedule(std::chrono::steady_clock::time_point at, std::function<void()> fire);
  void cancel();

 private:
  std::unique_ptr<Impl> impl_;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stop() with no grace
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before start(). Unknown paths answer 404, known paths with another method 405.
  void route(std::string_view method, std::string_view pattern, HttpHandler handler);
  // Binds and listens; throws EnvironmentError naming the address when that fails.
  void listen();
  std::uint16_t port() const;  // the bound port, after listen()
  std::string address() const; // "127.0.0.1:8080" / "[::1]:8080", after listen()
  void start();                // accepts and serves on `threads` background threads
  // Stops accepting, closes idle connections and those whose exchange has no answer yet, lets
  // answers already given be written (up to `grace`), then stops the I/O threads. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  HttpServerStats stats() const;
  std::unique_ptr<HttpTimer> make_timer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb
