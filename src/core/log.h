// Logging to stderr (data goes to stdout). Thin setup over spdlog; text for people, or one JSON
// object per line (`--log-format json`) for log collectors, with fields that name the work
// (a sweep's id) on every line.
#pragma once
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace kb {

enum class LogFormat { text, json };
LogFormat parse_log_format(const std::string& text);  // text | json; UsageError otherwise

// verbosity: 0 = warnings and errors, 1 = info, 2+ = debug.
void setup_logging(int verbosity, LogFormat format = LogFormat::text);
LogFormat log_format();

// Fields added to every JSON line from now on ("sweep" → its id).
void set_log_fields(const std::map<std::string, std::string>& fields);

// One JSON log line: {"time", "level", "msg", the log fields, then `fields`}, no newline.
std::string json_log_line(const std::string& level, const std::string& message, const nlohmann::json& fields = nlohmann::json::object());

}  // namespace kb
