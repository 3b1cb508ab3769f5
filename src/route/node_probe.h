// The capability matrix row of this machine (`kubench nodes probe --local`, and what the probe Job
// runs in a pod on each node): kubench probe's inventory and test encodes, then for each working
// encoder whether it takes the options a joinable part needs and its speed with them at 1080p and
// 4K (probe/reference_encode).
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "route/capability_matrix.h"

namespace kb::route {

struct NodeProbeOptions {
  std::string ffmpeg, device;
  // Encoders to measure by name ("libx264", "hevc_nvenc"); empty: the H.264 and HEVC encoders of
  // every backend whose test encode worked.
  std::vector<std::string> encoders;
  std::chrono::milliseconds budget{3000};  // per encoder and resolution
  bool measure_4k = true;
  // NVENC on consumer cards: how many encodes at once the driver allows (probe/session_limit).
  bool session_test = true;
  std::string kubench_version;
};

using NodeProbeProgress = std::function<void(const std::string&)>;

NodeCapabilities probe_this_node(const NodeProbeOptions& options, const NodeProbeProgress& progress = {});

}  // namespace kb::route
