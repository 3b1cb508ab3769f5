#include "probe/host.h"

#include <regex>
#include <set>

#include "core/files.h"
#include "core/text.h"

namespace kb::probe {

std::optional<int> guess_intel_generation(std::string_view model) {
  std::string m(model);
  std::smatch match;
  // "Core Ultra 7 265K": series 1 = Meteor Lake (gen 14 lineage), series 2 = Arrow/Lunar Lake (15).
  static const std::regex ultra(R"(Ultra\s+[3579]\s+([12])\d\d)");
  if (std::regex_search(m, match, ultra)) return match[1] == "1" ? 14 : 15;
  static const std::regex core(R"(\bi[3579]-(\d{4,5}))");
  if (!std::regex_search(m, match, core)) return std::nullopt;
  std::string digits = match[1];
  if (digits.size() == 5) return std::stoi(digits.substr(0, 2));
  int two = std::stoi(digits.substr(0, 2));
  if (two >= 10 && two <= 14) return two;
  return digits[0] - '0';
}

namespace {
std::string intel_family(std::string_view model) {
  std::string m(model);
  std::smatch match;
  static const std::regex ultra(R"(Ultra\s+([3579]))");
  if (std::regex_search(m, match, ultra)) return "Core Ultra " + match[1].str();
  static const std::regex core(R"(\b(i[3579])-)");
  if (std::regex_search(m, match, core)) return "Core " + match[1].str();
  static const std::regex nseries(R"(\bN\d{2,3}\b)");
  if (std::regex_search(m, nseries)) return "N-series";
  return "";
}

bool virtual_model(std::string_view model) {
  static const std::regex vm(R"(QEMU|Virtual|VMware|VirtualBox|Hyper-V|KVM)", std::regex::icase);
  return std::regex_search(std::string(model), vm);
}
}  // namespace

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  std::set<std::pair<std::string, std::string>> cores;
  std::string physical_id, core_id;
  auto end_block = [&] {
    if (!core_id.empty()) cores.insert({physical_id, core_id});
    physical_id.clear();
    core_id.clear();
  };
  for (auto& raw : split(text, '\n')) {
    auto colon = raw.find(':');
    if (trim(raw).empty()) {
      end_block();
      continue;
    }
    if (colon == std::string::npos) continue;
    auto key = trim(std::string_view(raw).substr(0, colon));
    auto value = trim(std::string_view(raw).substr(colon + 1));
    if (key == "processor") info.threads++;
    else if (key == "vendor_id" && info.vendor.empty()) info.vendor = value;
    else if (key == "model name" && info.model.empty()) info.model = value;
    else if (key == "physical id") physical_id = value;
    else if (key == "core id") core_id = value;
    else if (key == "flags" && std::string(value).find(" hypervisor") != std::string::npos) info.hypervisor = true;
  }
  end_block();
  info.cores = cores.empty() ? info.threads : static_cast<int>(cores.size());
  info.hypervisor = info.hypervisor || virtual_model(info.model);
  if (info.vendor == "GenuineIntel" || info.model.find("Intel") != std::string::npos) {
    info.intel_generation = guess_intel_generation(info.model);
    info.intel_family = intel_family(info.model);
  }
  return info;
}

long long parse_meminfo_total_bytes(std::string_view text) {
  for (auto& line : split(text, '\n')) {
    if (!starts_with(line, "MemTotal:")) continue;
    auto fields = split(trim(std::string_view(line).substr(9)), ' ');
    if (auto kb = parse_int(fields[0])) return *kb * 1024;
  }
  return 0;
}

CpuInfo read_cpu(const HostPaths& paths) { return parse_cpuinfo(read_file(paths.proc / "cpuinfo")); }
long long read_memory_bytes(const HostPaths& paths) { return parse_meminfo_total_bytes(read_file(paths.proc / "meminfo")); }

}  // namespace kb::probe
