// UTC timestamps as kubench writes them, whatever the machine's time zone.
#include "core/utc_time.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kb {
namespace {

TEST(UtcTime, FormatsInUtcWhateverTheLocalZone) {
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  EXPECT_EQ(utc_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_format(365 * 86400 + 3723, "%Y%m%d-%H%M%S"), "19710101-010203");
  const auto t = std::chrono::system_clock::from_time_t(86399) + std::chrono::milliseconds(7);
  EXPECT_EQ(utc_rfc3339_ms(t), "1970-01-01T23:59:59.007Z");
  ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace kb
