// Helpers for the worker and load client integration tests: the real `kubench queue serve` (see
// support/kubench_process.h for the child processes and polling) and plain HTTP calls on loopback.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/http_connection.h"
#include "core/process.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::test {

// `kubench queue serve` on a free loopback port with the given queues (and more flags), stopped
// by SIGTERM like a pod would be.
struct Broker {
  Broker(const TempDir& dir, const std::vector<std::string>& queues, const std::vector<std::string>& extra = {})
      : process("broker", serve_args(queues, extra), dir), port(process.port()) {}
  ~Broker() {
    process.signal(SIGTERM);
    process.wait();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  Kubench process;
  int port;

 private:
  static std::vector<std::string> serve_args(const std::vector<std::string>& queues, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"queue", "serve", "--listen", "127.0.0.1:0"};
    for (const auto& q : queues) a.insert(a.end(), {"--queue", q});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// One HTTP exchange on a fresh connection, waited for.
inline HttpAnswer http(int port, const std::string& method, const std::string& target, const std::string& body = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  boost::asio::io_context io;
  HttpConnection conn(io, "127.0.0.1", std::to_string(port));
  HttpAnswer answer;
  answer.error = "no answer";
  conn.request(method, target, body, timeout, [&](HttpAnswer& a) { answer = a; });
  io.run();
  return answer;
}

inline nlohmann::json http_json(int port, const std::string& method, const std::string& target, const std::string& body = "") {
  auto a = http(port, method, target, body);
  if (!a.ok()) throw std::runtime_error(method + " " + target + ": " + a.error);
  return nlohmann::json::parse(a.body, nullptr, false);
}

// The broker's view of one queue (GET /v1/queues/{queue}).
inline nlohmann::json queue_stats(int port, const std::string& queue) { return http_json(port, "GET", "/v1/queues/" + queue); }

// A submit-and-wait on its own thread: the answer is there once `done()`.
class Submit {
 public:
  Submit(int port, const std::string& queue, const nlohmann::json& payload, int timeout_ms = 60000) {
    thread_ = std::thread([this, port, queue, body = nlohmann::json{{"payload", payload}, {"timeout_ms", timeout_ms}}.dump()] {
      auto a = http(port, "POST", "/v1/queues/" + queue + "/items", body);
      std::lock_guard lock(mutex_);
      answer_ = a;
      done_ = true;
    });
  }
  ~Submit() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() {
    std::lock_guard lock(mutex_);
    return done_;
  }
  HttpAnswer answer() {
    if (thread_.joinable()) thread_.join();
    return answer_;
  }
  nlohmann::json json() { return nlohmann::json::parse(answer().body, nullptr, false); }

 private:
  std::mutex mutex_;
  bool done_ = false;
  HttpAnswer answer_;
  std::thread thread_;
};

// Processes still alive (not zombies) whose process group is `pgid`.
inline std::vector<pid_t> live_group_members(pid_t pgid) {
  std::vector<pid_t> out;
  for (auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp(entry.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z') out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace kb::test
