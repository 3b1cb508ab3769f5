// The broker over HTTP (docs/queue.md): routes on an HttpServer, the Broker behind one mutex, one
// timer for every deadline, and the hooks a drain needs. The state machine itself is broker.h.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "core/http_server.h"
#include "queue/bearer_auth.h"
#include "queue/broker.h"

namespace kb::queue {

class BrokerApi {
 public:
  // Registers the routes: construct before server.start(), destroy after server.stop().
  BrokerApi(HttpServer& server, BrokerConfig config, AccessTokens tokens);
  ~BrokerApi();
  BrokerApi(const BrokerApi&) = delete;
  BrokerApi& operator=(const BrokerApi&) = delete;

  void start_drain();
  // Blocks (not on an I/O thread) until no item is waiting or leased, or `deadline`.
  bool wait_idle(TimePoint deadline);
  // Answers everyone still waiting (503 shutting_down); call before HttpServer::stop().
  void shut_down();

 private:
  void submit(const HttpExchange& ex);
  void lease(const HttpExchange& ex);
  void complete(const HttpExchange& ex);
  void heartbeat(const HttpExchange& ex);
  void release(const HttpExchange& ex);
  void list_queues(const HttpExchange& ex);
  void get_queue(const HttpExchange& ex);
  void metrics(const HttpExchange& ex);
  void readyz(const HttpExchange& ex);
  // With mutex_ held, after any change: re-arms the timer, wakes wait_idle().
  void after_change();
  void on_timer();

  HttpServer& server_;
  std::size_t qmax_;
  AccessTokens tokens_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;
  Broker broker_;
  std::unique_ptr<HttpTimer> timer_;
  std::optional<TimePoint> armed_;
};

}  // namespace kb::queue
