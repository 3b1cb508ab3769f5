#include "power/power_reading.h"

#include <cmath>

#include "core/error.h"

namespace kb::power {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  // NaN or infinity would be written as null anyway; make that explicit.
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

std::optional<double> number_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number()) throw ParseError(std::string("power.") + key + ": expected a number or null");
  return j[key].get<double>();
}

std::string string_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (!j[key].is_string()) throw ParseError(std::string("power.") + key + ": expected a string");
  return j[key].get<std::string>();
}

}  // namespace

bool PowerReading::low_power() const { return avg_watts && *avg_watts < kLowPowerWatts; }

nlohmann::json to_json(const PowerReading& r) {
  return {
      {"avg_watts", optional_number(r.avg_watts)},
      {"domain", r.domain},
      {"source", r.source},
      {"energy_joules", optional_number(r.energy_joules)},
      {"package_watts", optional_number(r.package_watts)},
      {"video_busy_pct", optional_number(r.video_busy_pct)},
      {"decoder_busy_pct", optional_number(r.decoder_busy_pct)},
      {"samples", r.samples},
      {"duration_seconds", r.duration_seconds},
      {"flags", r.flags},
      {"null_reason", r.null_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.null_reason)},
  };
}

PowerReading power_reading_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw ParseError("power: expected an object");
  PowerReading r;
  r.avg_watts = number_field(j, "avg_watts");
  r.domain = string_field(j, "domain");
  r.source = string_field(j, "source");
  r.energy_joules = number_field(j, "energy_joules");
  r.package_watts = number_field(j, "package_watts");
  r.video_busy_pct = number_field(j, "video_busy_pct");
  r.decoder_busy_pct = number_field(j, "decoder_busy_pct");
  if (j.contains("samples") && !j["samples"].is_null()) {
    if (!j["samples"].is_number_unsigned() && !j["samples"].is_number_integer())
      throw ParseError("power.samples: expected a whole number");
    auto n = j["samples"].get<long long>();
    if (n < 0) throw ParseError("power.samples: expected a whole number");
    r.samples = static_cast<size_t>(n);
  }
  r.duration_seconds = number_field(j, "duration_seconds").value_or(0.0);
  if (j.contains("flags") && !j["flags"].is_null()) {
    if (!j["flags"].is_array()) throw ParseError("power.flags: expected an array of strings");
    for (const auto& f : j["flags"]) {
      if (!f.is_string()) throw ParseError("power.flags: expected an array of strings");
      r.flags.push_back(f.get<std::string>());
    }
  }
  r.null_reason = string_field(j, "null_reason");
  return r;
}

}  // namespace kb::power
