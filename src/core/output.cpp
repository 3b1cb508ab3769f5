#include "core/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "core/error.h"

namespace kb {

std::string_view to_string(OutputFormat f) {
  switch (f) {
    case OutputFormat::table: return "table";
    case OutputFormat::json: return "json";
    case OutputFormat::yaml: return "yaml";
    case OutputFormat::csv: return "csv";
    case OutputFormat::quicksync: return "quicksync";
  }
  return "table";
}

OutputFormat parse_output_format(std::string_view text, const std::vector<OutputFormat>& allowed) {
  std::string names;
  for (auto f : allowed) {
    if (to_string(f) == text) return f;
    names += (names.empty() ? "" : "|") + std::string(to_string(f));
  }
  throw UsageError("unknown output format '" + std::string(text) + "': use -o " + names);
}

namespace {
// Display width of UTF-8 text, counting code points (good enough for our tables).
size_t display_width(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

std::string Table::render() const {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = display_width(headers[i]);
  for (auto& row : rows)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  auto is_right = [&](size_t i) { return std::find(right_aligned.begin(), right_aligned.end(), i) != right_aligned.end(); };
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : "";
      std::string pad(widths[i] - std::min(widths[i], display_width(cell)), ' ');
      bool last = i + 1 == widths.size();
      if (is_right(i)) text += pad + cell;
      else text += cell + (last ? "" : pad);
      if (!last) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(headers);
  for (auto& row : rows) line(row);
  return out;
}

std::string csv_escape(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Table::to_csv() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_escape(cells[i]);
    out += "\n";
  };
  line(headers);
  for (auto& row : rows) line(row);
  return out;
}

namespace {
void emit(YAML::Emitter& out, const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        out << YAML::Key << it.key() << YAML::Value;
        emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (auto& v : j) emit(out, v);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      // Quote strings YAML would otherwise read as another type ("true", "1.5", "null", "").
      const auto& s = j.get_ref<const std::string&>();
      YAML::Node probe = YAML::Load(s.empty() ? "''" : s);
      bool plain_ok = !s.empty() && probe.IsScalar() && probe.Tag() == "?" && probe.Scalar() == s;
      bool looks_typed = false;
      if (plain_ok) {
        double d;
        bool b;
        looks_typed = YAML::convert<double>::decode(probe, d) || YAML::convert<bool>::decode(probe, b) ||
                      s == "null" || s == "~";
      }
      if (!plain_ok || looks_typed) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case nlohmann::json::value_t::null: out << YAML::Null; break;
    case nlohmann::json::value_t::boolean: out << j.get<bool>(); break;
    case nlohmann::json::value_t::number_integer: out << j.get<long long>(); break;
    case nlohmann::json::value_t::number_unsigned: out << j.get<unsigned long long>(); break;
    case nlohmann::json::value_t::number_float: out << j.dump(); break;
    default: out << YAML::Null; break;
  }
}
}  // namespace

std::string to_yaml(const nlohmann::json& doc) {
  YAML::Emitter out;
  emit(out, doc);
  return std::string(out.c_str()) + "\n";
}

}  // namespace kb
