// The Prometheus text format: escaping, sample values, histograms.
#include "core/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>


namespace kb {
namespace {

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_help("x\\y\nz\""), "x\\\\y\\nz\"");
  PrometheusText t;
  t.family("m_total", "counter", "Help with \\ and\nnewline.");
  t.sample("m_total", {{"queue", "q\"1"}}, std::uint64_t{18446744073709551615ULL});
  EXPECT_EQ(t.text(),
            "# HELP m_total Help with \\\\ and\\nnewline.\n# TYPE m_total counter\n"
            "m_total{queue=\"q\\\"1\"} 18446744073709551615\n");
}

TEST(PrometheusText, SampleValues) {
  EXPECT_EQ(format_sample_value(0.5), "0.5");
  EXPECT_EQ(format_sample_value(0.0005), "0.0005");
  EXPECT_EQ(format_sample_value(1800), "1800");
  EXPECT_EQ(format_sample_value(INFINITY), "+Inf");
  EXPECT_EQ(format_sample_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_sample_value(NAN), "NaN");
}

TEST(PrometheusText, HistogramIsCumulativeWithInf) {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // "less than or equal"
  h.observe(0.5);
  h.observe(7);
  PrometheusText t;
  t.histogram("d_seconds", {{"queue", "q"}}, h);
  EXPECT_EQ(t.text(),
            "d_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{queue=\"q\",le=\"1\"} 3\n"
            "d_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{queue=\"q\"} 7.65\n"
            "d_seconds_count{queue=\"q\"} 4\n");
}

}  // namespace
}  // namespace kb
