// The real `kubench queue serve` as a child process on 127.0.0.1 with an ephemeral port, plus the
// JSON helpers the broker's integration tests share. Waits poll for conditions, bounded by kBound
// only so that a broken broker fails the test instead of hanging the suite.
#pragma once
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/files.h"
#include "core/process.h"
#include "support/raw_http.h"
#include "support/test_support.h"

namespace kb::test {

inline constexpr auto kBound = std::chrono::seconds(60);

template <class Condition>
bool eventually(Condition condition) {
  const auto give_up = std::chrono::steady_clock::now() + kBound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline std::string read_or_empty(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? read_file(path) : "";
}

class BrokerProcess {
 public:
  BrokerProcess(const TempDir& dir, const std::vector<std::string>& args) : log_(dir / "broker.stderr") {
    ProcessSpec spec;
    spec.argv = {kubench_binary().string(), "queue", "serve", "--listen", "127.0.0.1:0"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stdout_mode = OutputMode::discard;
    spec.stderr_mode = OutputMode::file;
    spec.stderr_path = log_;
    spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kBound * 3);
    child_ = std::make_unique<ChildProcess>(spec);
    const std::regex listening("listening on 127\\.0\\.0\\.1:(\\d+)");
    eventually([&] {
      std::smatch m;
      const std::string text = log();
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      return port_ != 0 || text.find("kubench: ") != std::string::npos;
    });
    if (port_ == 0) throw std::runtime_error("the broker did not start: " + log());
  }

  int port() const { return port_; }
  std::string log() const { return read_or_empty(log_); }
  pid_t pid() const { return child_->pid(); }
  void terminate() { ::kill(child_->pid(), SIGTERM); }  // as the kubelet does
  ProcessResult wait() { return child_->wait(); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

inline nlohmann::json body_json(const RawResponse& r) {
  if (r.body.empty()) return nullptr;
  return nlohmann::json::parse(r.body);
}

inline std::string error_code(const RawResponse& r) {
  auto doc = body_json(r);
  return doc.is_object() && doc.contains("error") ? doc["error"]["code"].get<std::string>() : "";
}

// One queue's object from GET /v1/queues/{queue}, on a connection of its own.
inline nlohmann::json queue_stats(int port, const std::string& queue, const std::string& auth = {}) {
  RawHttp c(port);
  return body_json(c.request("GET", "/v1/queues/" + queue, "", auth));
}

inline std::string metrics(int port) {
  RawHttp c(port);
  return c.request("GET", "/metrics").body;
}

}  // namespace kb::test
