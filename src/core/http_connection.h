// One kept-alive HTTP/1.1 client connection, driven by an Asio io_context: the queue worker's lease
// loop and the load client's request lanes. Requests go out one at a time on one socket, so the
// per-request cost is a write and a read (no connect, no thread, no allocation of a new client).
// Beast stays inside the .cpp; users see only this small interface.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace kb {

struct HttpAnswer {
  std::string error;  // why no answer came (refused, timed out, reset); empty when one did
  int status = 0;
  std::string body;
  bool ok() const { return error.empty(); }
};

class HttpConnection {
 public:
  // Called on the io_context's thread; may start the next request at once.
  using Handler = std::function<void(HttpAnswer& answer)>;

  // `host` is a name or address, `port` a number; resolved on first use, connected lazily.
  HttpConnection(boost::asio::io_context& io, std::string host, std::string port);
  ~HttpConnection();  // drops a request in flight without calling its handler
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sent with every request, e.g. {"Authorization", "Bearer …"}.
  void add_header(std::string name, std::string value);

  // Sends one request; `timeout` bounds the whole exchange (connect included). A request that fails
  // on a reused connection before any answer byte (the server closed it while idle) is sent once
  // more on a fresh connection. Only one request may be in flight: check busy().
  void request(std::string_view method, std::string_view target, std::string body, std::chrono::milliseconds timeout,
               Handler done);
  bool busy() const;

  // Closes the socket; a request in flight is dropped and its handler never runs.
  void close();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace kb
