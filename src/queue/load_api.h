// The load client's own HTTP API (docs/queue-work-load.md): GET / (HTML), GET /stats, GET /rate,
// POST /reset, GET and PUT /parallelism. State changes are POST/PUT only, and a browser request
// from another origin (an Origin header that is not this host) is refused, so a web page cannot
// drive the load client behind its user's back.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kb {
class HttpServer;
}

#include "core/http_server.h"  // ListenAddress

namespace kb::queue {

class LoadClient;
class LoadStats;

class LoadApi {
 public:
  LoadApi(LoadClient& client, LoadStats& stats, const ListenAddress& listen);
  ~LoadApi();
  void start();                 // binds and serves on its own thread; throws EnvironmentError
  std::string address() const;  // "127.0.0.1:41234", after start()
  void stop();

 private:
  std::unique_ptr<HttpServer> server_;
};

}  // namespace kb::queue
