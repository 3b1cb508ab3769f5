#include "core/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/text.h"

namespace kb {
namespace {

// A "nice" step (1, 2 or 5 × 10^k) giving about `ticks` intervals up to `max`.
double nice_step(double max, int ticks) {
  double raw = max / ticks;
  double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

std::string label(double v) {
  if (std::fabs(v - std::round(v)) < 1e-9) return std::to_string(static_cast<long long>(std::llround(v)));
  return fixed(v, std::fabs(v) < 10 ? 2 : 1);
}

}  // namespace

std::string render_svg(const LineChart& chart) {
  const double left = 70, right = 20, top = 40, bottom = 70;
  const double plot_w = chart.width - left - right, plot_h = chart.height - top - bottom;
  auto tx = [&](double x) { return chart.log2_x ? std::log2(x) : x; };

  std::set<double> xs;
  double y_max = 0;
  for (auto& s : chart.series)
    for (auto& [x, y] : s.points) {
      if (chart.log2_x && !(x > 0)) continue;
      xs.insert(x);
      if (std::isfinite(y)) y_max = std::max(y_max, y);
    }
  if (y_max <= 0) y_max = 1;
  const double step = nice_step(y_max, 5);
  y_max = std::ceil(y_max / step) * step;
  double x_lo = xs.empty() ? 0 : tx(*xs.begin()), x_hi = xs.empty() ? 1 : tx(*xs.rbegin());
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  auto px = [&](double x) { return left + (tx(x) - x_lo) / (x_hi - x_lo) * plot_w; };
  auto py = [&](double y) { return top + plot_h - y / y_max * plot_h; };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(chart.width) + "\" height=\"" +
                    std::to_string(chart.height) + "\" viewBox=\"0 0 " + std::to_string(chart.width) + " " +
                    std::to_string(chart.height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + fixed(chart.width / 2.0, 1) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" +
         html_escape(chart.title) + "</text>\n";
  for (double y = 0; y <= y_max + step / 2; y += step) {
    svg += "<line x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(py(y), 1) + "\" y2=\"" +
           fixed(py(y), 1) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + fixed(left - 6, 1) + "\" y=\"" + fixed(py(y) + 4, 1) + "\" text-anchor=\"end\">" + label(y) + "</text>\n";
  }
  for (double x : xs)
    svg += "<text x=\"" + fixed(px(x), 1) + "\" y=\"" + fixed(top + plot_h + 18, 1) + "\" text-anchor=\"middle\">" + label(x) +
           "</text>\n";
  svg += "<line x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(top + plot_h, 1) + "\" y2=\"" +
         fixed(top + plot_h, 1) + "\" stroke=\"black\"/>\n";
  svg += "<line x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left, 1) + "\" y1=\"" + fixed(top, 1) + "\" y2=\"" +
         fixed(top + plot_h, 1) + "\" stroke=\"black\"/>\n";
  svg += "<text x=\"" + fixed(left + plot_w / 2, 1) + "\" y=\"" + fixed(top + plot_h + 40, 1) + "\" text-anchor=\"middle\">" +
         html_escape(chart.x_label) + "</text>\n";
  svg += "<text transform=\"translate(16," + fixed(top + plot_h / 2, 1) + ") rotate(-90)\" text-anchor=\"middle\">" +
         html_escape(chart.y_label) + "</text>\n";

  double legend_x = left + 10;
  for (auto& s : chart.series) {
    std::string points;
    for (auto& [x, y] : s.points) {
      if ((chart.log2_x && !(x > 0)) || !std::isfinite(y)) continue;
      points += (points.empty() ? "" : " ") + fixed(px(x), 1) + "," + fixed(py(y), 1);
    }
    const std::string dash = s.dashed ? " stroke-dasharray=\"6 4\"" : "";
    svg += "<polyline fill=\"none\" stroke=\"" + html_escape(s.colour) + "\" stroke-width=\"2\"" + dash + " points=\"" + points +
           "\"/>\n";
    if (!s.dashed)
      for (auto& [x, y] : s.points)
        if (!(chart.log2_x && !(x > 0)) && std::isfinite(y))
          svg += "<circle cx=\"" + fixed(px(x), 1) + "\" cy=\"" + fixed(py(y), 1) + "\" r=\"3.5\" fill=\"" + html_escape(s.colour) +
                 "\"/>\n";
    const double ly = chart.height - 14;
    svg += "<line x1=\"" + fixed(legend_x, 1) + "\" x2=\"" + fixed(legend_x + 24, 1) + "\" y1=\"" + fixed(ly - 4, 1) + "\" y2=\"" +
           fixed(ly - 4, 1) + "\" stroke=\"" + html_escape(s.colour) + "\" stroke-width=\"2\"" + dash + "/>\n";
    svg += "<text x=\"" + fixed(legend_x + 30, 1) + "\" y=\"" + fixed(ly, 1) + "\">" + html_escape(s.name) + "</text>\n";
    legend_x += 40 + 7.0 * static_cast<double>(s.name.size());
  }
  svg += "</svg>\n";
  return svg;
}

std::string render_svg(const BarChart& chart) {
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  const double left = 70, right = 20, top = 40, bottom = 90;
  const double plot_w = chart.width - left - right, plot_h = chart.height - top - bottom;
  double y_max = 0;
  for (const auto& s : chart.series) {
    for (const auto& v : s.values)
      if (v && std::isfinite(*v)) y_max = std::max(y_max, *v);
    for (const auto& r : s.ranges)
      if (r && std::isfinite(r->second)) y_max = std::max(y_max, r->second);
  }
  if (y_max <= 0) y_max = 1;
  const double step = nice_step(y_max, 5);
  y_max = std::ceil(y_max / step) * step;
  const auto py = [&](double y) { return top + plot_h - std::max(0.0, y) / y_max * plot_h; };
  const double groups = std::max<double>(1, static_cast<double>(chart.categories.size()));
  const double group_w = plot_w / groups;
  const double bar_w = group_w * 0.8 / std::max<double>(1, static_cast<double>(chart.series.size()));

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(chart.width) + "\" height=\"" +
                    std::to_string(chart.height) + "\" viewBox=\"0 0 " + std::to_string(chart.width) + " " + std::to_string(chart.height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + fixed(chart.width / 2.0, 1) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + html_escape(chart.title) +
         "</text>\n";
  for (double y = 0; y <= y_max + step / 2; y += step) {
    svg += "<line x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(py(y), 1) + "\" y2=\"" + fixed(py(y), 1) +
           "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + fixed(left - 6, 1) + "\" y=\"" + fixed(py(y) + 4, 1) + "\" text-anchor=\"end\">" + label(y) + "</text>\n";
  }
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double gx = left + group_w * static_cast<double>(c) + group_w * 0.1;
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const auto& series = chart.series[s];
      const std::string colour = colours[s % 8];
      const double x = gx + bar_w * static_cast<double>(s);
      if (c < series.values.size() && series.values[c] && std::isfinite(*series.values[c])) {
        const double y = py(*series.values[c]);
        svg += "<rect x=\"" + fixed(x, 1) + "\" y=\"" + fixed(y, 1) + "\" width=\"" + fixed(bar_w * 0.9, 1) + "\" height=\"" +
               fixed(top + plot_h - y, 1) + "\" fill=\"" + colour + "\"><title>" + html_escape(series.name + " · " + chart.categories[c]) + ": " +
               label(*series.values[c]) + "</title></rect>\n";
      }
      if (c < series.ranges.size() && series.ranges[c]) {
        const double mid = x + bar_w * 0.45;
        svg += "<line x1=\"" + fixed(mid, 1) + "\" x2=\"" + fixed(mid, 1) + "\" y1=\"" + fixed(py(series.ranges[c]->first), 1) + "\" y2=\"" +
               fixed(py(series.ranges[c]->second), 1) + "\" stroke=\"black\"/>\n";
      }
    }
    const double cx = left + group_w * (static_cast<double>(c) + 0.5);
    svg += "<text transform=\"translate(" + fixed(cx, 1) + "," + fixed(top + plot_h + 14, 1) + ") rotate(20)\" text-anchor=\"start\">" +
           html_escape(chart.categories[c]) + "</text>\n";
  }
  svg += "<line x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(top + plot_h, 1) + "\" y2=\"" +
         fixed(top + plot_h, 1) + "\" stroke=\"black\"/>\n";
  svg += "<text transform=\"translate(16," + fixed(top + plot_h / 2, 1) + ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(chart.y_label) +
         "</text>\n";
  double legend_x = left + 10;
  for (size_t s = 0; s < chart.series.size(); ++s) {
    const double ly = chart.height - 12;
    svg += "<rect x=\"" + fixed(legend_x, 1) + "\" y=\"" + fixed(ly - 10, 1) + "\" width=\"12\" height=\"12\" fill=\"" + colours[s % 8] + "\"/>\n";
    svg += "<text x=\"" + fixed(legend_x + 18, 1) + "\" y=\"" + fixed(ly, 1) + "\">" + html_escape(chart.series[s].name) + "</text>\n";
    legend_x += 30 + 7.0 * static_cast<double>(chart.series[s].name.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace kb
