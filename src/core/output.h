// Output formats shared by every command: aligned tables for people, JSON/YAML/CSV for programs.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kb {

enum class OutputFormat { table, json, yaml, csv, quicksync };

// Parses "-o" values; `allowed` lists the formats the command supports (error names them).
OutputFormat parse_output_format(std::string_view text, const std::vector<OutputFormat>& allowed);
std::string_view to_string(OutputFormat f);

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  // Columns whose index is listed here are right-aligned (numbers).
  std::vector<size_t> right_aligned;

  std::string render() const;  // aligned text, two spaces between columns
  std::string to_csv() const;  // RFC 4180
};

std::string csv_escape(std::string_view field);
std::string to_yaml(const nlohmann::json& doc);

}  // namespace kb
