// What each node can encode, measured (`kubench nodes probe`): per node its CPU, memory, GPUs and
// every encoder the probe proved working, with its reference fps at 1080p and 4K and, where found,
// the concurrent session limit (NVENC on consumer cards). `kubench/capabilities/v1` JSON, cached in
// a ConfigMap so that `encode` routes without probing again. Pure: values in, values out.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/output.h"
#include "probe/backends.h"

namespace kb::route {

struct EncoderCapability {
  std::string encoder;              // "hevc_nvenc", "libx264"
  probe::Backend backend = probe::Backend::cpu;
  probe::Codec codec = probe::Codec::h264;
  bool works = false;
  std::string reason;               // why not, when it does not
  std::optional<double> fps_1080p, fps_4k;  // one session, reference encode
  std::optional<int> session_limit;         // concurrent sessions that opened; nullopt: not limited or unknown
  bool stitchable = false;          // takes every option a joinable part needs (docs/encode.md)
  int threads = 0;                  // threads the CPU measurement used
  std::string device;               // what it ran on ("/dev/dri/renderD128", "0")
};

struct NodeCapabilities {
  std::string node, probed_at, kubench_version, ffmpeg_version;
  int cpu_cores = 0, cpu_threads = 0;
  long long memory_bytes = 0;
  std::vector<std::string> gpus;                     // "nvidia NVIDIA GeForce RTX 3080 Ti", "intel 0x4680"
  std::map<std::string, std::string> gpu_resources;  // advertised when probed: resource → quantity
  std::vector<EncoderCapability> encoders;
  std::string error;                                 // the probe failed on this node: why
};

struct CapabilityMatrix {
  std::string generated_at;
  std::vector<NodeCapabilities> nodes;  // sorted by node name
};

nlohmann::json to_json(const CapabilityMatrix& matrix);
// ParseError naming `origin` (a file, "ConfigMap kube-system/kubench-capabilities") for a document
// that is not kubench/capabilities/v1.
CapabilityMatrix matrix_from_json(const nlohmann::json& doc, const std::string& origin);

// The cached matrix with the freshly probed nodes replacing theirs (nodes not probed again kept).
CapabilityMatrix merge(CapabilityMatrix cached, const std::vector<NodeCapabilities>& fresh, const std::string& now);

// One row per node and working encoder (a node without one: one row saying why).
Table matrix_table(const CapabilityMatrix& matrix);

}  // namespace kb::route
