// The search for the most simultaneous streams that all stay at or above real time:
// double (1, 2, 4, ...) until a level fails or the cap is reached, then bisect between the last
// level that held and the first that did not. About 2·log2(max) levels instead of max.
#pragma once
#include <functional>

#include "media/results.h"

namespace kb::media {

using RunLevel = std::function<ConcurrencyLevel(int streams)>;
// Fills levels, max_realtime_streams and capped. Stops early when `stop()` turns true.
void search_max_streams(ConcurrencyResult& result, int cap, const RunLevel& run_level,
                        const std::function<bool()>& stop = [] { return false; });

}  // namespace kb::media
