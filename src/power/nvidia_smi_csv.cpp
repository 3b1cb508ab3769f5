#include "power/nvidia_smi_csv.h"

#include <cmath>
#include <string>

#include "core/text.h"

namespace kb::power {
namespace {

std::optional<double> field_value(std::string_view field) {
  field = kb::trim(field);
  // Without nounits the values carry " W" and " %": accept those too.
  for (std::string_view unit : {"W", "%"}) {
    if (field.size() > unit.size() && field.substr(field.size() - unit.size()) == unit) {
      field = kb::trim(field.substr(0, field.size() - unit.size()));
      break;
    }
  }
  auto v = kb::parse_double(field);
  if (v && !std::isfinite(*v)) return std::nullopt;
  return v;
}

}  // namespace

std::vector<NvidiaSmiSample> parse_nvidia_smi_csv(std::string_view text) {
  std::vector<NvidiaSmiSample> samples;
  for (const auto& line : kb::split(text, '\n')) {
    if (kb::trim(line).empty()) continue;
    auto fields = kb::split(line, ',');
    if (fields.size() != 3) continue;
    samples.push_back({field_value(fields[0]), field_value(fields[1]), field_value(fields[2])});
  }
  return samples;
}

}  // namespace kb::power
