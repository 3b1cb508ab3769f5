// A deliberately small HTTP/1.1 client on a plain socket, for tests of kubench's own servers:
// keep-alive, raw bytes (malformed requests, half-sent bodies) and closing at any moment.
// Reads are bounded (kRawHttpBound) only so that a broken server fails a test instead of
// hanging the suite. Header-only: no build change for the tests that use it.
#pragma once
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::test {

inline constexpr std::chrono::seconds kRawHttpBound{60};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;

  std::string header(std::string_view name) const {
    std::string lower_head = head, lower_name(name);
    for (auto& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto pos = lower_head.find("\r\n" + lower_name + ":");
    if (pos == std::string::npos) return {};
    pos += 3 + lower_name.size();
    auto end = head.find("\r\n", pos);
    std::string value = head.substr(pos, end - pos);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }
};

class RawHttp {
 public:
  explicit RawHttp(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      auto e = errno;
      ::close(fd_);
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawHttp() { close(); }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Half-close: the server sees end of stream, the socket can still read.
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("send: " + std::string(std::strerror(errno)));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  static std::string format(std::string_view method, std::string_view target, std::string_view body,
                            std::string_view extra_headers = {}) {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    r += extra_headers;
    if (!body.empty() || method == "POST") r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n";
    r += body;
    return r;
  }

  void send_request(std::string_view method, std::string_view target, std::string_view body = {},
                    std::string_view extra_headers = {}) {
    send(format(method, target, body, extra_headers));
  }

  RawResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                      std::string_view extra_headers = {}) {
    send_request(method, target, body, extra_headers);
    return read_response();
  }

  RawResponse read_response() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) throw std::runtime_error("connection closed before a response (got: " + buffer_ + ")");
    RawResponse r;
    r.head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (r.head.size() < 12) throw std::runtime_error("bad status line: " + r.head);
    r.status = std::stoi(r.head.substr(9, 3));
    const std::string length = r.header("Content-Length");
    const std::size_t n = length.empty() ? 0 : std::stoul(length);
    while (buffer_.size() < n)
      if (!fill()) throw std::runtime_error("connection closed in a response body");
    r.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return r;
  }

  // True once the server closed the connection (reads until end of stream; data is kept).
  bool wait_closed() {
    while (fill()) {
    }
    return true;
  }

  const std::string& unread() const { return buffer_; }

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    const int ms = static_cast<int>(std::chrono::milliseconds(kRawHttpBound).count());
    int ready;
    do ready = ::poll(&p, 1, ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0) throw std::runtime_error("no data from the server within the test bound");
    char chunk[16384];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;  // closed or reset
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace kb::test
