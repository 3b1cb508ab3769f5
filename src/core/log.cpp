#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <mutex>

#include "core/error.h"
#include "core/utc_time.h"

namespace kb {

namespace {

LogFormat g_format = LogFormat::text;
std::mutex g_fields_mutex;
nlohmann::json g_fields = nlohmann::json::object();

// spdlog's message as a JSON line (the message escaped as JSON text).
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    const auto line = json_log_line(std::string(level.data(), level.size()), std::string(msg.payload.data(), msg.payload.size())) + "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

LogFormat parse_log_format(const std::string& text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  throw UsageError("--log-format must be text or json, got '" + text + "'");
}

void setup_logging(int verbosity, LogFormat format) {
  g_format = format;
  auto logger = spdlog::get("kubench");
  if (!logger) logger = spdlog::stderr_color_mt("kubench");
  if (format == LogFormat::json) logger->set_formatter(std::make_unique<JsonFormatter>());
  else logger->set_pattern("kubench: %^%l%$: %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

LogFormat log_format() { return g_format; }

void set_log_fields(const std::map<std::string, std::string>& fields) {
  std::lock_guard lock(g_fields_mutex);
  for (const auto& [k, v] : fields) g_fields[k] = v;
}

std::string json_log_line(const std::string& level, const std::string& message, const nlohmann::json& fields) {
  nlohmann::json line = {{"time", utc_rfc3339_ms(std::chrono::system_clock::now())}, {"level", level}, {"msg", message}};
  {
    std::lock_guard lock(g_fields_mutex);
    for (const auto& [k, v] : g_fields.items()) line[k] = v;
  }
  for (const auto& [k, v] : fields.items()) line[k] = v;
  // Invalid UTF-8 (a program's output) is replaced rather than thrown on.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kb
