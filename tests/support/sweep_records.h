// The variant records of a sweep directory (variants/NNNN.json), in index order.
#pragma once
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/files.h"

namespace kb::test {

inline std::vector<nlohmann::json> sweep_records(const std::filesystem::path& out) {
  std::vector<nlohmann::json> r;
  for (const auto& e : std::filesystem::directory_iterator(out / "variants"))
    if (e.path().extension() == ".json") r.push_back(nlohmann::json::parse(read_file(e.path())));
  std::sort(r.begin(), r.end(), [](auto& a, auto& b) { return a["index"] < b["index"]; });
  return r;
}

}  // namespace kb::test
