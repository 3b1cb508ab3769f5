#include "core/report.h"

#include "core/text.h"

namespace kb {

using nlohmann::json;

namespace {

Table marked(const ReportSection& s) {
  Table t = s.table;
  for (const auto& [row, col] : s.best)
    if (row < t.rows.size() && col < t.rows[row].size()) t.rows[row][col] += " *";
  return t;
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out = report.title + "\n";
  size_t width = 0;
  for (const auto& [k, v] : report.facts) width = std::max(width, k.size());
  for (const auto& [k, v] : report.facts) out += "  " + k + ":" + std::string(width - k.size() + 1, ' ') + v + "\n";
  for (const auto& s : report.sections) {
    out += "\n" + s.title + (s.note.empty() ? "" : " (" + s.note + ")") + "\n";
    out += marked(s).render();
  }
  return out;
}

std::string render_csv(const Report& report) {
  std::string out;
  for (const auto& s : report.sections) {
    if (!out.empty()) out += "\n";
    out += csv_escape(s.title) + "\n" + s.table.to_csv();
  }
  return out;
}

json render_json(const Report& report) {
  json facts = json::object(), sections = json::array();
  for (const auto& [k, v] : report.facts) facts[k] = v;
  for (const auto& s : report.sections) {
    json best = json::array();
    for (const auto& [row, col] : s.best) best.push_back({row, col});
    sections.push_back({{"title", s.title}, {"note", s.note}, {"headers", s.table.headers}, {"rows", s.table.rows}, {"best", best}});
  }
  return {{"schema", "kubench/report/v1"}, {"title", report.title}, {"facts", facts}, {"sections", sections}};
}

std::string render_html(const Report& report) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + html_escape(report.title) +
                  "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1em}"
                  "th,td{border:1px solid #ccc;padding:3px 8px}td.num{text-align:right}td.best{background:#d9f2d9;font-weight:bold}"
                  "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}p.note{color:#666;margin:0}"
                  "</style>\n</head><body>\n<h1>" +
                  html_escape(report.title) + "</h1>\n<dl id=\"facts\">\n";
  for (const auto& [k, v] : report.facts) h += "<dt>" + html_escape(k) + "</dt><dd>" + html_escape(v) + "</dd>\n";
  h += "</dl>\n";
  for (size_t n = 0; n < report.sections.size(); ++n) {
    const auto& s = report.sections[n];
    h += "<section id=\"s" + std::to_string(n) + "\">\n<h2>" + html_escape(s.title) + "</h2>\n";
    if (!s.note.empty()) h += "<p class=\"note\">" + html_escape(s.note) + "</p>\n";
    h += "<table>\n<tr>";
    for (const auto& header : s.table.headers) h += "<th>" + html_escape(header) + "</th>";
    h += "</tr>\n";
    for (size_t r = 0; r < s.table.rows.size(); ++r) {
      h += "<tr>";
      for (size_t c = 0; c < s.table.rows[r].size(); ++c) {
        std::string cls;
        for (size_t right : s.table.right_aligned) cls = right == c ? "num" : cls;
        if (s.best.count({r, c})) cls += cls.empty() ? "best" : " best";
        h += (cls.empty() ? "<td>" : "<td class=\"" + cls + "\">") + html_escape(s.table.rows[r][c]) + "</td>";
      }
      h += "</tr>\n";
    }
    h += "</table>\n";
    if (s.bars) h += render_svg(*s.bars);
    if (s.lines) h += render_svg(*s.lines);
    h += "</section>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace kb
