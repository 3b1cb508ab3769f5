// How many encodes a hardware encoder runs at once before the driver refuses another: NVENC on
// GeForce and other consumer NVIDIA cards is capped by the driver (3, then 5, then 8 sessions
// over the years, system-wide), which a router must respect or parts fail with
// "OpenEncodeSessionEx failed: out of memory (10)". Encodes are opened one after another, each
// paced in real time (-re) so the earlier ones still run when the next opens; the first refused
// session gives the limit (the number already open). Data-centre cards have no such cap and are
// not filled for nothing.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "probe/backends.h"
#include "probe/ffmpeg_caps.h"

namespace kb::probe {

struct SessionLimitProbe {
  Backend backend = Backend::nvenc;
  Codec codec = Codec::h264;
  std::string device;
  int cap = 8;                                 // sessions tried at most
  std::chrono::milliseconds step{400};         // between two openings
  std::chrono::milliseconds hold{1500};        // how long every session stays open once all are
};

struct SessionLimitResult {
  std::optional<int> limit;  // sessions that opened before the driver refused one; nullopt: none refused up to cap
  int opened = 0;            // sessions that ran
  std::string reason;        // why the probe says nothing (the first session failed, not for a session cap)
};

// Whether ffmpeg's output says the driver refused one more encode session.
bool refused_session(const std::string& ffmpeg_stderr);

// Data-centre and professional NVIDIA products (no driver session cap): "NVIDIA H100 80GB HBM3",
// "Tesla T4", "NVIDIA A100", "L4", "L40S", "Quadro RTX 4000", "NVIDIA RTX A4000".
bool uncapped_sessions(const std::string& gpu_name);

SessionLimitResult session_limit(const FfmpegInfo& ffmpeg, const SessionLimitProbe& probe);

}  // namespace kb::probe
