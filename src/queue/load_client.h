// `kubench queue load`: keeps K submit-and-wait requests in flight against one queue (a closed
// loop, like the seed's client), each lane on its own kept-alive connection, all on one thread.
// K can be changed while it runs: raising it starts lanes at once, lowering it lets the lanes
// above the new K finish their current request and stop.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "queue/broker_url.h"
#include "queue/load_stats.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

struct LoadOptions {
  BrokerUrl broker{"127.0.0.1", "8080"};
  std::string queue = "sleep";
  nlohmann::json payload;  // sent in every request
  int parallelism = 1;
  int max_parallelism = 1024;
  std::chrono::milliseconds timeout{30000};        // the request's timeout_ms at the broker
  std::optional<std::chrono::milliseconds> duration;  // stop after this long
  std::optional<std::uint64_t> requests;              // stop after this many answers
  std::string token;                                  // client bearer token
};

class LoadClient {
 public:
  LoadClient(boost::asio::io_context& io, LoadOptions options, LoadStats& stats);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void start();  // on the io thread
  // Thread-safe. Throws UsageError outside 0..max_parallelism; applied on the io thread.
  void set_parallelism(int k);
  int parallelism() const;
  int max_parallelism() const;
  int in_flight() const;
  // Thread-safe: stops sending; requests in flight are abandoned (their connections closed).
  void stop();
  bool finished() const;
  void on_finished(std::function<void()> callback);  // runs on the io thread
  // The snapshot plus queue, broker, parallelism and in_flight.
  nlohmann::json stats_document() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue
