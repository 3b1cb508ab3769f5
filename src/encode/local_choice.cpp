#include "encode/local_choice.h"

#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"
#include "route/route_plan.h"

namespace kb::encode {

LocalChoice choose_local_encoder(const route::CapabilityMatrix& matrix, const std::string& hostname, const std::string& ffmpeg_version,
                                 probe::Codec codec, int width, int height) {
  LocalChoice choice;
  auto node = std::find_if(matrix.nodes.begin(), matrix.nodes.end(), [&](const route::NodeCapabilities& n) { return n.node == hostname; });
  if (node == matrix.nodes.end()) {
    choice.why = "no capability matrix for this machine (kubench nodes probe --local measures its encoders): the CPU encoder";
    return choice;
  }
  if (node->ffmpeg_version != ffmpeg_version) {
    choice.why = "the capability matrix was measured with ffmpeg " + node->ffmpeg_version + ", this is " + ffmpeg_version +
                 " (kubench nodes probe --local again): the CPU encoder";
    return choice;
  }
  const auto& order = route::fallback_order();
  auto rank = [&](probe::Backend b) { return std::find(order.begin(), order.end(), b) - order.begin(); };
  const route::EncoderCapability* best = nullptr;
  double best_fps = 0;
  for (auto& e : node->encoders) {
    if (e.codec != codec || !e.works || !e.stitchable) continue;
    auto fps = route::fps_at(e, width, height);
    if (!fps) continue;
    if (!best || *fps > best_fps || (*fps == best_fps && rank(e.backend) < rank(best->backend))) best = &e, best_fps = *fps;
  }
  if (!best) {
    choice.why = "no joinable " + std::string(probe::to_string(codec)) + " encoder measured on this machine: the CPU encoder";
    return choice;
  }
  choice.backend = best->backend;
  choice.device = best->device;
  choice.why = best->encoder + ": the fastest joinable " + std::string(probe::to_string(codec)) + " encoder measured here (" + fixed(best_fps, 1) +
               " fps at " + std::to_string(width) + "x" + std::to_string(height) + ", probed " + node->probed_at + ")";
  return choice;
}

route::CapabilityMatrix read_local_matrix(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return {};
  try {
    return route::matrix_from_json(nlohmann::json::parse(read_file(path)), path.string());
  } catch (const std::exception&) {
    return {};  // a damaged cache is as good as none
  }
}

}  // namespace kb::encode
