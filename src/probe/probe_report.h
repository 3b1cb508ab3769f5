// `kubench probe`: the whole inventory of this machine, and the --require fast-fail check.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/output.h"
#include "power/power_monitor.h"
#include "probe/ffmpeg_caps.h"
#include "probe/gpu.h"
#include "probe/host.h"

namespace kb::probe {

struct ProbeOptions {
  std::string ffmpeg;   // --ffmpeg
  std::string device;   // --device
  HostPaths host_paths;
  std::filesystem::path sysfs_root = "/sys";
  std::string nvidia_smi = "nvidia-smi";
  bool test_codecs = true;
};

struct ProbeReport {
  std::string hostname;
  std::string kernel;
  CpuInfo cpu;
  long long memory_bytes = 0;
  std::vector<GpuDevice> gpus;
  std::string nvidia_smi_note;  // why nvidia-smi was not used, or ""
  std::optional<FfmpegInfo> ffmpeg;
  std::string ffmpeg_missing;   // the reason when ffmpeg is absent
  std::vector<CodecCheck> checks;
  std::vector<power::SensorStatus> sensors;

  // Backends whose H.264 (or, failing that, any) encoder passed its test encode.
  std::vector<Backend> working_backends() const;
  const GpuDevice* gpu_for_device(const std::string& device) const;
};

ProbeReport run_probe(const ProbeOptions& options);

// --require qsv|vaapi|nvenc|amf|any: "" when met, else the reason ("no working QSV encoder: ...").
std::string check_requirement(const ProbeReport& report, const std::string& requirement);

nlohmann::json to_json(const ProbeReport& report);
std::string render_table(const ProbeReport& report);

}  // namespace kb::probe
