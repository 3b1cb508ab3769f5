// UTC time as text: one strftime over gmtime_r for every timestamp kubench writes (RFC 3339 in
// reports and API calls, compact ones in run ids and directory names).
#pragma once
#include <chrono>
#include <ctime>
#include <string>

namespace kb {

// `format` is strftime's ("%Y-%m-%dT%H:%M:%SZ").
std::string utc_format(std::time_t t, const char* format);

// "2026-01-05T10:15:00Z" (now by default).
std::string utc_rfc3339(std::time_t t = std::time(nullptr));

// Seconds since the epoch, now, with the sub-second part.
double epoch_seconds();

// "2026-01-05T10:15:00.123Z".
std::string utc_rfc3339_ms(std::chrono::system_clock::time_point t);

}  // namespace kb
