// One report code path for every kind of result (bench, run, sweep, scale validate): a command
// turns its result document into a `Report` — facts, titled tables with best cells marked, bar or
// line charts — and this renders it as text, CSV, JSON or one self-contained HTML file (inline
// SVG, no scripts, every value escaped).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/output.h"
#include "core/svg_chart.h"

namespace kb {

struct ReportSection {
  std::string title;
  std::string note;                            // a line under the title ("higher is better")
  Table table;
  std::set<std::pair<size_t, size_t>> best;    // (row, column) cells marked best
  std::optional<BarChart> bars;
  std::optional<LineChart> lines;
};

struct Report {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // "sweep" → "quant", in order
  std::vector<ReportSection> sections;
};

// Facts, then each section: its title, note and table; best cells end in " *".
std::string render_text(const Report& report);
// Each section's table as a CSV block, its title in a row before it, a blank line between blocks.
std::string render_csv(const Report& report);
// {"schema": "kubench/report/v1", "title", "facts", "sections": [{"title", "note", "headers", "rows", "best": [[row, col]]}]}
nlohmann::json render_json(const Report& report);
// A whole HTML document; charts inline as SVG.
std::string render_html(const Report& report);

}  // namespace kb
