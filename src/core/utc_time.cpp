#include "core/utc_time.h"

#include <cstdio>

namespace kb {

std::string utc_format(std::time_t t, const char* format) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string utc_rfc3339(std::time_t t) { return utc_format(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string utc_rfc3339_ms(std::chrono::system_clock::time_point t) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - whole).count();
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return utc_format(std::chrono::system_clock::to_time_t(whole), "%Y-%m-%dT%H:%M:%S") + frac;
}

double epoch_seconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace kb
