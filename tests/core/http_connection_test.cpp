// HttpConnection against a tiny in-process server: requests reuse one connection, a connection
// the server closed while idle is replaced transparently, and failures are reported, not thrown.
#include "core/http_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <thread>

namespace kb {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Serves connections one at a time on its own thread. Each request is answered with its own
// body echoed; after `close_after` answers on a connection the server closes it (idle close).
class EchoServer {
 public:
  explicit EchoServer(int close_after = 1000) : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), close_after_(close_after) {
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake accept() with a connection of our own.
    tcp::socket s(io_);
    s.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      ++connections_;
      asio::streambuf buf;
      for (int served = 0; served < close_after_; ++served) {
        auto n = asio::read_until(s, buf, "\r\n\r\n", ec);
        if (ec) break;
        std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<long>(n));
        buf.consume(n);
        size_t length = 0;
        auto at = head.find("Content-Length: ");
        if (at != std::string::npos) length = std::stoul(head.substr(at + 16));
        if (buf.size() < length) asio::read(s, buf, asio::transfer_exactly(length - buf.size()), ec);
        std::string body(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<long>(length));
        buf.consume(length);
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        asio::write(s, asio::buffer(answer), ec);
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  int close_after_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

HttpAnswer exchange(asio::io_context& io, HttpConnection& c, const std::string& body) {
  HttpAnswer out;
  c.request("POST", "/x", body, std::chrono::seconds(10), [&](HttpAnswer& a) { out = a; });
  io.restart();
  io.run();
  return out;
}

TEST(HttpConnection, ReusesOneConnection) {
  EchoServer server;
  asio::io_context io;
  HttpConnection c(io, "127.0.0.1", server.port());
  for (int i = 0; i < 5; ++i) {
    auto a = exchange(io, c, "{\"n\":" + std::to_string(i) + "}");
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "{\"n\":" + std::to_string(i) + "}");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpConnection, ReconnectsWhenTheServerClosedTheIdleConnection) {
  EchoServer server(1);  // one answer per connection, then close
  asio::io_context io;
  HttpConnection c(io, "127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) {
    auto a = exchange(io, c, "abc");
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.body, "abc");
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpConnection, ReportsRefusedAndTimedOut) {
  asio::io_context io;
  std::string port;
  {
    EchoServer gone;
    port = gone.port();
  }
  HttpConnection refused(io, "127.0.0.1", port);
  auto a = exchange(io, refused, "");
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.error.find("cannot connect"), std::string::npos) << a.error;

  // A listener that never answers: the exchange times out.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  HttpConnection slow(io, "127.0.0.1", std::to_string(silent.local_endpoint().port()));
  HttpAnswer out;
  slow.request("GET", "/", "", std::chrono::milliseconds(100), [&](HttpAnswer& x) { out = x; });
  io.restart();
  io.run();
  EXPECT_EQ(out.error, "timed out");
  EXPECT_FALSE(slow.busy());
}

TEST(HttpConnection, CloseDropsTheRequestInFlight) {
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  HttpConnection c(io, "127.0.0.1", std::to_string(silent.local_endpoint().port()));
  bool called = false;
  c.request("GET", "/", "", std::chrono::seconds(30), [&](HttpAnswer&) { called = true; });
  EXPECT_TRUE(c.busy());
  io.poll();
  c.close();
  EXPECT_FALSE(c.busy());
  io.restart();
  io.run();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace kb
