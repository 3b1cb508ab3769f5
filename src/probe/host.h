// CPU and memory inventory from /proc (paths injectable for tests).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kb::probe {

struct CpuInfo {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  std::string model;   // "model name" exactly as written (trimmed)
  int cores = 0;       // physical cores (distinct physical id/core id pairs)
  int threads = 0;     // logical processors
  bool hypervisor = false;  // the "hypervisor" flag or a virtual CPU model name
  std::optional<int> intel_generation;  // guessed from the model (12 for i5-12600H), if Intel Core
  std::string intel_family;             // "Core i5", "Core Ultra 7", "N-series", "" when unknown
};

CpuInfo parse_cpuinfo(std::string_view text);
// The guess the community site uses: i5-12600H -> 12, i7-1065G7 -> 10, i5-9500 -> 9, Ultra -> by series.
std::optional<int> guess_intel_generation(std::string_view model);
long long parse_meminfo_total_bytes(std::string_view text);

struct HostPaths {
  std::filesystem::path proc = "/proc";
};
CpuInfo read_cpu(const HostPaths& paths = {});
long long read_memory_bytes(const HostPaths& paths = {});

}  // namespace kb::probe
