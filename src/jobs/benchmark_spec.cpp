#include "jobs/benchmark_spec.h"

#include <cctype>

#include "core/error.h"
#include "core/files.h"

namespace kb::jobs {

std::string to_string(GpuAccess a) {
  switch (a) {
    case GpuAccess::none: return "none";
    case GpuAccess::resource: return "resource";
    case GpuAccess::hostpath: return "hostpath";
  }
  return "none";
}

std::string to_string(SidecarMode m) { return m == SidecarMode::native ? "native" : "files"; }

GpuAccess parse_gpu_access(const std::string& s) {
  if (s == "none") return GpuAccess::none;
  if (s == "resource") return GpuAccess::resource;
  if (s == "hostpath") return GpuAccess::hostpath;
  throw UsageError("--gpu-access must be resource, hostpath or none, not '" + s + "'");
}

SidecarMode parse_sidecar_mode(const std::string& s) {
  if (s == "native") return SidecarMode::native;
  if (s == "files") return SidecarMode::files;
  throw UsageError("--sidecar must be native or files, not '" + s + "'");
}

std::string BenchmarkJobSpec::namespace_or_default() const {
  return namespace_name.empty() ? dns_label("kubench-" + run_id) : namespace_name;
}

std::string BenchmarkJobSpec::job_name() const {
  return case_name.empty() ? "kubench-bench" : dns_label("kubench-bench-" + case_name);
}

namespace {
std::string squeeze(const std::string& text, size_t max_length, bool keep_case, const std::string& extra_ok) {
  std::string out;
  for (unsigned char c : text) {
    char ch = keep_case ? static_cast<char>(c) : static_cast<char>(std::tolower(c));
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || extra_ok.find(ch) != std::string::npos;
    if (ok && (keep_case || !std::isupper(static_cast<unsigned char>(ch)))) out += ch;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  auto trim_ends = [](std::string& s) {
    while (!s.empty() && !std::isalnum(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && !std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
    s.erase(0, i);
  };
  trim_ends(out);
  if (out.size() > max_length) {
    std::string hash = sha256_hex(text).substr(0, 8);
    out = out.substr(0, max_length - hash.size() - 1);
    trim_ends(out);
    out += "-" + hash;
  }
  return out;
}
}  // namespace

std::string dns_label(const std::string& text, size_t max_length) {
  auto out = squeeze(text, max_length, false, "-");
  return out.empty() ? "x" : out;
}

std::string label_value(const std::string& text) { return squeeze(text, 63, true, "-_."); }

}  // namespace kb::jobs
