// The libtorch-free helpers of infer_runner.h: every build has them.
#include <algorithm>
#include <set>

#include "core/text.h"
#include "infer/infer_runner.h"

namespace kb::infer {

std::string torch_error_reason(std::string_view what) {
  std::string first, last_error;
  for (const auto& raw : split(what, '\n')) {
    const auto line = std::string(trim(raw));
    if (line.empty()) continue;
    if (first.empty()) first = line;
    const auto colon = line.find(": ");
    if (colon != std::string::npos && colon > 5 && line.compare(colon - 5, 5, "Error") == 0 && line.find(' ') > colon - 1)
      last_error = line.substr(colon + 2);
  }
  auto reason = last_error.empty() ? first : last_error;
  // c10 appends " (most recent call first):" or an "Exception raised from" origin to the first line.
  for (const char* tail : {" (most recent call first):", "Exception raised from"})
    if (auto at = reason.find(tail); at != std::string::npos) reason = std::string(trim(reason.substr(0, at)));
  return reason.empty() ? "unknown libtorch error" : reason;
}

std::string cpu_capability_from_config(std::string_view config) {
  for (const auto& line : split(config, '\n')) {
    const auto at = line.find("CPU capability usage:");
    if (at != std::string::npos) return std::string(trim(line.substr(at + 21)));
  }
  return "unknown";
}

std::vector<std::string> vector_extensions(std::string_view cpuinfo) {
  static const std::set<std::string> wanted = {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                                               "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "asimd", "asimddp", "sve", "sve2"};
  std::set<std::string> found;
  for (const auto& line : split(cpuinfo, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto key = trim(std::string_view(line).substr(0, colon));
    if (key != "flags" && key != "Features") continue;
    for (const auto& flag : split(trim(std::string_view(line).substr(colon + 1)), ' '))
      if (wanted.count(flag)) found.insert(flag);
    break;  // every processor lists the same
  }
  return {found.begin(), found.end()};
}

}  // namespace kb::infer
