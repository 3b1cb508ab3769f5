#include "core/http_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace kb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr std::uint64_t kBodyLimit = 64ull << 20;  // answers are small JSON; this only stops a runaway peer

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec == http::error::end_of_stream || ec == asio::error::eof) return "connection closed by the server";
  return ec.message();
}

// Errors that mean "the server closed this kept-alive connection", worth one fresh retry.
bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}
}  // namespace

struct HttpConnection::State : std::enable_shared_from_this<State> {
  State(asio::io_context& i, std::string h, std::string p)
      : io(i), resolver(i), stream(i), host(std::move(h)), port(std::move(p)) {}

  asio::io_context& io;
  tcp::resolver resolver;
  beast::tcp_stream stream;
  std::string host, port;
  std::vector<std::pair<std::string, std::string>> headers;
  tcp::resolver::results_type endpoints;
  bool resolved = false;
  bool connected = false;
  bool busy = false;
  int served = 0;         // answers received on the current socket
  bool may_retry = false; // this request went out on a socket that had served others
  unsigned generation = 0;  // bumped by close(): callbacks of an older generation do nothing
  http::request<http::string_body> req;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  HttpAnswer answer;
  Handler handler;

  void drop_socket() {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    connected = false;
    served = 0;
  }

  void start() {
    may_retry = connected && served > 0;
    if (connected) return write();
    if (resolved) return connect();
    auto self = shared_from_this();
    resolver.async_resolve(host, port, [self, gen = generation](const error_code& ec, tcp::resolver::results_type r) {
      if (gen != self->generation) return;
      if (ec) return self->fail("cannot resolve " + self->host + ": " + ec.message());
      self->endpoints = std::move(r);
      self->resolved = true;
      self->connect();
    });
  }

  void connect() {
    auto self = shared_from_this();
    stream.async_connect(endpoints, [self, gen = generation](const error_code& ec, const tcp::endpoint&) {
      if (gen != self->generation) return;
      if (ec) return self->fail("cannot connect to " + self->host + ":" + self->port + ": " + describe(ec));
      self->connected = true;
      error_code ignored;
      self->stream.socket().set_option(tcp::no_delay(true), ignored);  // small requests: no Nagle delay
      self->write();
    });
  }

  void write() {
    auto self = shared_from_this();
    http::async_write(stream, req, [self, gen = generation](const error_code& ec, std::size_t) {
      if (gen != self->generation) return;
      if (ec) return self->failed_io(ec);
      self->parser.emplace();
      self->parser->body_limit(kBodyLimit);
      http::async_read(self->stream, self->buffer, *self->parser, [self, gen](const error_code& rec, std::size_t) {
        if (gen != self->generation) return;
        if (rec) return self->failed_io(rec);
        self->done();
      });
    });
  }

  void failed_io(const error_code& ec) {
    bool nothing_back = !parser || !parser->got_some();
    drop_socket();
    if (may_retry && nothing_back && closed_by_peer(ec)) {
      may_retry = false;
      buffer.clear();
      return connect();
    }
    fail(describe(ec));
  }

  void fail(std::string why) {
    drop_socket();
    buffer.clear();
    answer.error = std::move(why);
    answer.status = 0;
    answer.body.clear();
    finish();
  }

  void done() {
    auto& res = parser->get();
    answer.error.clear();
    answer.status = static_cast<int>(res.result_int());
    answer.body = std::move(res.body());
    ++served;
    if (!res.keep_alive()) drop_socket();
    finish();
  }

  // Ends everything on this socket; operations still pending complete later and do nothing.
  void abandon() {
    ++generation;
    handler = nullptr;
    busy = false;
    resolver.cancel();
    drop_socket();
    buffer.clear();
  }

  void finish() {
    busy = false;
    stream.expires_never();
    Handler h = std::move(handler);
    handler = nullptr;
    if (h) h(answer);
  }
};

HttpConnection::HttpConnection(asio::io_context& io, std::string host, std::string port)
    : state_(std::make_shared<State>(io, std::move(host), std::move(port))) {}

HttpConnection::~HttpConnection() { state_->abandon(); }

void HttpConnection::add_header(std::string name, std::string value) {
  state_->headers.emplace_back(std::move(name), std::move(value));
}

bool HttpConnection::busy() const { return state_->busy; }

void HttpConnection::request(std::string_view method, std::string_view target, std::string body,
                             std::chrono::milliseconds timeout, Handler done) {
  auto& s = *state_;
  if (s.busy) throw std::logic_error("HttpConnection: a request is already in flight");
  s.busy = true;
  s.handler = std::move(done);
  // One request object per connection, refilled: no per-request header allocation churn.
  auto& req = s.req;
  if (req[http::field::host].empty()) {
    req.version(11);
    req.set(http::field::host, s.host + ":" + s.port);
    req.set(http::field::user_agent, "kubench");
    for (auto& [k, v] : s.headers) req.set(k, v);
  }
  req.method(http::string_to_verb(beast::string_view(method.data(), method.size())));
  req.target(beast::string_view(target.data(), target.size()));
  if (body.empty()) {
    req.erase(http::field::content_type);
  } else {
    req.set(http::field::content_type, "application/json");
  }
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(true);
  s.stream.expires_after(timeout);
  s.start();
}

void HttpConnection::close() {
  auto& old = *state_;
  old.abandon();
  // A fresh stream: the old one may still have a read pending (it completes, aborted, later), and
  // Beast allows one read and one write in flight per stream.
  auto fresh = std::make_shared<State>(old.io, old.host, old.port);
  fresh->headers = old.headers;
  fresh->endpoints = old.endpoints;
  fresh->resolved = old.resolved;
  state_ = std::move(fresh);
}

}  // namespace kb
