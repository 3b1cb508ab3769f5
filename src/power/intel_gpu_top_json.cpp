#include "power/intel_gpu_top_json.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/text.h"

namespace kb::power {
namespace {

using nlohmann::json;

// The text of each complete {...} at nesting depth zero; whatever lies between them is ignored.
std::vector<std::string_view> top_level_objects(std::string_view text) {
  std::vector<std::string_view> objects;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t begin = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"' && depth > 0) {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) begin = i;
    } else if (c == '}' && depth > 0) {
      if (--depth == 0) objects.push_back(text.substr(begin, i - begin + 1));
    }
  }
  return objects;
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// Numbers are printed with %f; per-client figures are quoted strings, so accept both.
std::optional<double> number(const json* v) {
  if (!v) return std::nullopt;
  std::optional<double> out;
  if (v->is_number()) out = v->get<double>();
  else if (v->is_string()) out = kb::parse_double(v->get<std::string>());
  if (out && !std::isfinite(*out)) return std::nullopt;
  return out;
}

std::optional<double> first_number(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (auto v = number(member(object, key))) return v;
  return std::nullopt;
}

bool is_video_engine(const std::string& name) {
  // "Video" (class view) or "Video/N" (physical view); not "VideoEnhance".
  return name == "Video" || name.rfind("Video/", 0) == 0;
}

IntelGpuTopSample read_sample(const json& j) {
  IntelGpuTopSample s;
  if (const json* period = member(j, "period")) s.period_ms = number(member(*period, "duration"));
  if (const json* power = member(j, "power")) {
    // "gpu"/"pkg" were the names in the first revision of the package-power patch; "value" is
    // the single GPU figure of releases before 1.26.
    s.gpu_watts = first_number(*power, {"GPU", "gpu", "value"});
    s.package_watts = first_number(*power, {"Package", "pkg"});
  }
  if (const json* engines = member(j, "engines"); engines && engines->is_object()) {
    for (const auto& [name, engine] : engines->items()) {
      if (!is_video_engine(name)) continue;
      if (auto busy = number(member(engine, "busy")))
        s.video_busy_pct = std::max(s.video_busy_pct.value_or(*busy), *busy);
    }
  }
  return s;
}

}  // namespace

std::vector<IntelGpuTopSample> parse_intel_gpu_top_json(std::string_view text) {
  std::vector<IntelGpuTopSample> samples;
  for (auto object : top_level_objects(text)) {
    json j = json::parse(object, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    samples.push_back(read_sample(j));
  }
  return samples;
}

IntelGpuTopSummary summarize_intel_gpu_top(const std::vector<IntelGpuTopSample>& samples) {
  // Period weights only when every sample has one; otherwise samples count equally.
  bool all_periods = !samples.empty() && std::all_of(samples.begin(), samples.end(), [](const auto& s) {
    return s.period_ms && *s.period_ms > 0;
  });
  auto weight = [&](const IntelGpuTopSample& s) { return all_periods ? *s.period_ms : 1.0; };
  auto mean = [&](auto field, size_t* count) -> std::optional<double> {
    double sum = 0, weights = 0;
    size_t n = 0;
    for (const auto& s : samples) {
      const std::optional<double>& v = s.*field;
      if (!v) continue;
      sum += *v * weight(s);
      weights += weight(s);
      ++n;
    }
    if (count) *count = n;
    if (n == 0 || weights <= 0) return std::nullopt;
    return sum / weights;
  };

  IntelGpuTopSummary out;
  out.gpu_watts = mean(&IntelGpuTopSample::gpu_watts, &out.gpu_samples);
  out.package_watts = mean(&IntelGpuTopSample::package_watts, nullptr);
  out.video_busy_pct = mean(&IntelGpuTopSample::video_busy_pct, nullptr);
  bool gpu_always_zero = std::all_of(samples.begin(), samples.end(), [](const auto& s) {
    return !s.gpu_watts || *s.gpu_watts == 0.0;
  });
  if (out.gpu_watts && gpu_always_zero && out.package_watts && *out.package_watts > 0) {
    out.gpu_watts.reset();
    out.gpu_samples = 0;
  }
  return out;
}

}  // namespace kb::power
