// Seconds since a point on the steady clock: how the stages of an encode time themselves.
#pragma once
#include <chrono>

namespace kb::encode {

using StageClock = std::chrono::steady_clock;
inline double seconds_since(StageClock::time_point t) { return std::chrono::duration<double>(StageClock::now() - t).count(); }

}  // namespace kb::encode
