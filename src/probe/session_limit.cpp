#include "probe/session_limit.h"

#include <algorithm>
#include <regex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/process.h"
#include "probe/reference_encode.h"

namespace kb::probe {

bool refused_session(const std::string& text) {
  // NVENC's own words (nvEncOpenEncodeSessionEx): the cap shows as NV_ENC_ERR_OUT_OF_MEMORY (10)
  // on recent drivers, as "incompatible client key" (21) on older ones.
  return text.find("OpenEncodeSessionEx failed") != std::string::npos &&
         (text.find("out of memory") != std::string::npos || text.find("incompatible client key") != std::string::npos);
}

bool uncapped_sessions(const std::string& gpu_name) {
  static const std::regex pro(R"((Tesla|Quadro|\bA[0-9]{2,3}\b|\bH[0-9]{3}\b|\bH200\b|\bB[0-9]{3}\b|\bL4\b|\bL40|\bRTX A[0-9]|RTX [0-9]{4} Ada))",
                              std::regex::icase);
  return std::regex_search(gpu_name, pro);
}

SessionLimitResult session_limit(const FfmpegInfo& ffmpeg, const SessionLimitProbe& p) {
  if (p.cap < 1) throw UsageError("the session probe needs a cap of at least 1");
  struct Outcome {
    ProcessResult result;
    bool done = false;
  };
  std::vector<Outcome> outcomes(static_cast<size_t>(p.cap));
  std::vector<std::thread> threads;
  const auto total = p.step * p.cap + p.hold;
  for (int i = 0; i < p.cap; ++i) {
    threads.emplace_back([&, i] {
      std::this_thread::sleep_for(p.step * i);
      ReferenceEncode r;
      r.backend = p.backend;
      r.codec = p.codec;
      r.device = p.device;
      r.width = 640;
      r.height = 360;
      // Paced at 30 fps: session i stays open until every later one has tried.
      const auto alive = total - p.step * i;
      ProcessSpec spec;
      spec.argv = reference_command(ffmpeg, r, static_cast<long>(alive.count() * 30 / 1000 + 1));
      auto input = std::find(spec.argv.begin(), spec.argv.end(), "-f");
      spec.argv.insert(input, "-re");
      spec.stdout_mode = OutputMode::discard;
      spec.timeout = alive + std::chrono::seconds(20);
      outcomes[static_cast<size_t>(i)].result = run_process(spec);
      outcomes[static_cast<size_t>(i)].done = true;
    });
  }
  for (auto& t : threads) t.join();
  SessionLimitResult out;
  for (auto& o : outcomes) {
    if (o.result.interrupted) throw Interrupted();
    if (o.result.ok()) {
      ++out.opened;
      continue;
    }
    if (refused_session(o.result.stderr_text) && out.opened > 0) {
      out.limit = out.opened;
      return out;
    }
    std::string why = ffmpeg_error_reason(o.result.stderr_text);
    out.reason = "session " + std::to_string(out.opened + 1) + " failed: " + (why.empty() ? o.result.describe() : why);
    return out;
  }
  return out;
}

}  // namespace kb::probe
