// A small line chart as a self-contained SVG (no scripts, no external fonts or files), for reports
// such as `kubench scale validate`'s throughput against replicas.
#pragma once
#include <string>
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

}  // namespace kb
