#include "media/concurrency_search.h"

#include <algorithm>

namespace kb::media {

void search_max_streams(ConcurrencyResult& result, int cap, const RunLevel& run_level, const std::function<bool()>& stop) {
  result.cap = cap;
  int held = 0;    // largest level known to run in real time
  int failed = 0;  // smallest level known not to (0: none yet)
  auto run = [&](int n) {
    auto level = run_level(n);
    result.levels.push_back(level);
    if (level.realtime) held = std::max(held, n);
    else failed = failed ? std::min(failed, n) : n;
    return level.realtime;
  };
  for (int n = 1; n <= cap && !stop();) {
    if (!run(n)) break;
    if (n == cap) {
      result.capped = true;
      break;
    }
    n = std::min(n * 2, cap);
  }
  while (failed && failed - held > 1 && !stop()) run(held + (failed - held) / 2);
  result.max_realtime_streams = held;
}

}  // namespace kb::media
