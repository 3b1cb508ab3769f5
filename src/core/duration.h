// Seconds as people give them (flags, settings) to a chrono duration.
#pragma once
#include <chrono>
#include <cmath>

namespace kb {

// Rounded to the nearest millisecond.
inline std::chrono::milliseconds milliseconds_from_seconds(double seconds) {
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

}  // namespace kb
