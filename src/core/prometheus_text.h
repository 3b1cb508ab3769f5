// The Prometheus text exposition format (0.0.4), written by hand (Debian has no client library):
// one HELP and TYPE per family, escaped label values, integer counters printed exactly.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/histogram.h"

namespace kb {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // Starts a family; its samples follow. `type`: counter, gauge, histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  void sample(std::string_view name, const Labels& labels, double value);
  // name_bucket{...,le="..."}, name_sum, name_count.
  void histogram(std::string_view name, const Labels& labels, const Histogram& h);
  const std::string& text() const { return out_; }

 private:
  void series(std::string_view name, const Labels& labels, std::string_view extra_label = {},
              std::string_view extra_value = {});
  std::string out_;
};

std::string escape_label_value(std::string_view value);  // \ " and newline
std::string escape_help(std::string_view text);          // \ and newline
std::string format_sample_value(double value);           // shortest exact form; +Inf, -Inf, NaN

}  // namespace kb
