// The QuickSync benchmark's pipe tables (research-quicksync.md §1.8, §3), byte for byte, so kubench
// results can be read by people used to the seed and submitted to its community results API.
#pragma once
#include <string>

#include "media/results.h"

namespace kb::media {

inline constexpr const char* kQuickSyncHeader = "CPU|TEST|FILE|BITRATE|TIME|AVG_FPS|AVG_SPEED|AVG_WATTS";

// A number the way the seed's `bc scale=2` prints it: truncated (not rounded) to 2 decimals,
// no leading zero below 1 (".68"), and "0" for zero.
std::string bc_scale2(double value);

// The 8-column table, header first, one row per successful TestRun, each line ending in '\n'.
std::string quicksync_table(const BenchResult& result);

// The concurrency table: header `CPU|TEST|FILE|1x|...|<cap>x`, one row per ConcurrencyResult.
// Empty when the result has no concurrency runs.
std::string quicksync_concurrency_table(const BenchResult& result);

// The CPU column: /proc/cpuinfo's model name trimmed, with characters that would break the
// table ('|', line breaks) replaced by spaces.
std::string quicksync_cpu_field(const BenchResult& result);

}  // namespace kb::media
