// A small line chart as a self-contained SVG (no scripts, no external fonts or files), for reports
// such as `kubench scale validate`'s throughput against replicas.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kb {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
  std::string colour = "#1f77b4";
  bool dashed = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log2_x = false;  // doublings are evenly spaced (x must be > 0)
  std::vector<ChartSeries> series;
  int width = 720, height = 420;
};

// Text is XML-escaped; y starts at 0; x ticks are the points' own x values.
std::string render_svg(const LineChart& chart);

// Grouped bars: one group per category, one bar per series; a missing value leaves a gap, and a
// range (min–max of repeats) is drawn as a whisker over the bar.
struct BarSeries {
  std::string name;
  std::vector<std::optional<double>> values;                      // per category
  std::vector<std::optional<std::pair<double, double>>> ranges;   // per category, or empty
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  int width = 720, height = 380;
};

// Text is XML-escaped; y starts at 0 (negative values are drawn at 0).
std::string render_svg(const BarChart& chart);

}  // namespace kb
