// `kubench encode --accel auto` on this machine: the fastest encoder for the codec at the source's
// size that `kubench nodes probe --local` measured working with joinable settings (hardware first
// on a tie, in route's fallback order), or the CPU encoder when nothing was measured.
#pragma once
#include <filesystem>
#include <string>

#include "route/capability_matrix.h"

namespace kb::encode {

struct LocalChoice {
  probe::Backend backend = probe::Backend::cpu;
  std::string device;
  std::string why;  // what decided it, for the report and the notes
};

// From this machine's row of the matrix (node = hostname, same ffmpeg version); else the CPU
// encoder and why.
LocalChoice choose_local_encoder(const route::CapabilityMatrix& matrix, const std::string& hostname, const std::string& ffmpeg_version,
                                 probe::Codec codec, int width, int height);

// The matrix `nodes probe --local` cached at `path`; empty when absent or unreadable.
route::CapabilityMatrix read_local_matrix(const std::filesystem::path& path);

}  // namespace kb::encode
