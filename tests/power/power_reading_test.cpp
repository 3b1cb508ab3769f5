#include "power/power_reading.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "power/combined_monitor.h"

namespace kb::power {
namespace {

TEST(PowerReading, JsonHasSnakeCaseFieldsAndNullsForMissing) {
  PowerReading r;
  r.null_reason = "intel_gpu_top: not installed (intel_gpu_top not found on PATH)";
  r.duration_seconds = 1.5;
  auto j = to_json(r);
  EXPECT_TRUE(j["avg_watts"].is_null());
  EXPECT_TRUE(j["energy_joules"].is_null());
  EXPECT_TRUE(j["package_watts"].is_null());
  EXPECT_TRUE(j["video_busy_pct"].is_null());
  EXPECT_TRUE(j["decoder_busy_pct"].is_null());
  EXPECT_EQ(j["domain"], "");
  EXPECT_EQ(j["source"], "");
  EXPECT_EQ(j["samples"], 0);
  EXPECT_EQ(j["duration_seconds"], 1.5);
  EXPECT_TRUE(j["flags"].is_array());
  EXPECT_EQ(j["null_reason"], r.null_reason);
}

TEST(PowerReading, RoundTrip) {
  PowerReading r;
  r.avg_watts = 0.31;
  r.domain = "gpu";
  r.source = "intel_gpu_top";
  r.energy_joules = 0.93;
  r.package_watts = 41.1;
  r.video_busy_pct = 60.0;
  r.samples = 31;
  r.duration_seconds = 3.0;
  r.flags = {"below_3w"};
  auto back = power_reading_from_json(to_json(r));
  EXPECT_EQ(back.avg_watts, r.avg_watts);
  EXPECT_EQ(back.domain, r.domain);
  EXPECT_EQ(back.source, r.source);
  EXPECT_EQ(back.energy_joules, r.energy_joules);
  EXPECT_EQ(back.package_watts, r.package_watts);
  EXPECT_EQ(back.video_busy_pct, r.video_busy_pct);
  EXPECT_FALSE(back.decoder_busy_pct);
  EXPECT_EQ(back.samples, r.samples);
  EXPECT_EQ(back.duration_seconds, r.duration_seconds);
  EXPECT_EQ(back.flags, r.flags);
  EXPECT_EQ(back.null_reason, "");
  EXPECT_TRUE(to_json(r)["null_reason"].is_null());
  EXPECT_EQ(to_json(back), to_json(r));
}

TEST(PowerReading, FromJsonToleratesMissingFieldsAndRejectsWrongTypes) {
  auto r = power_reading_from_json(nlohmann::json::object());
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.samples, 0u);
  EXPECT_THROW(power_reading_from_json(nlohmann::json{{"avg_watts", "12 W"}}), ParseError);
  EXPECT_THROW(power_reading_from_json(nlohmann::json{{"flags", "below_3w"}}), ParseError);
  EXPECT_THROW(power_reading_from_json(nlohmann::json::array()), ParseError);
}

TEST(PowerReading, LowPower) {
  PowerReading r;
  EXPECT_FALSE(r.low_power());
  r.avg_watts = 2.99;
  EXPECT_TRUE(r.low_power());
  r.avg_watts = 3.0;
  EXPECT_FALSE(r.low_power());
}

SensorReading sensor(std::string source, std::string domain, std::optional<double> watts, std::string error = "") {
  SensorReading s;
  s.source = std::move(source);
  s.domain = std::move(domain);
  s.watts = watts;
  s.error = std::move(error);
  s.samples = watts ? 10 : 0;
  s.duration_seconds = 2.0;
  if (watts) s.energy_joules = *watts * 2.0;
  return s;
}

TEST(CombineReadings, PrimaryGivesAvgAndRaplGivesPackage) {
  auto igt = sensor("intel_gpu_top", "gpu", 6.5);
  igt.package_watts = 19.0;
  igt.video_busy_pct = 80.0;
  auto r = combine_readings(igt, sensor("rapl", "package", 21.0), "", 2.1);
  EXPECT_EQ(*r.avg_watts, 6.5);
  EXPECT_EQ(r.domain, "gpu");
  EXPECT_EQ(r.source, "intel_gpu_top");
  EXPECT_EQ(*r.energy_joules, 13.0);
  EXPECT_EQ(*r.package_watts, 21.0) << "RAPL powercap wins over intel_gpu_top's Package";
  EXPECT_EQ(*r.video_busy_pct, 80.0);
  EXPECT_EQ(r.samples, 10u);
  EXPECT_EQ(r.duration_seconds, 2.0);
  EXPECT_TRUE(r.flags.empty());
  EXPECT_EQ(r.null_reason, "");
}

TEST(CombineReadings, PackageFromThePrimaryWhenRaplIsUnreadable) {
  auto igt = sensor("intel_gpu_top", "gpu", 0.31);
  igt.package_watts = 41.0;
  auto r = combine_readings(igt, sensor("rapl", "package", std::nullopt, "rapl: x: Permission denied"), "", 2.0);
  EXPECT_EQ(*r.avg_watts, 0.31);
  EXPECT_EQ(*r.package_watts, 41.0);
  EXPECT_EQ(r.flags, std::vector<std::string>{"below_3w"});
}

TEST(CombineReadings, NullNamesEverythingTried) {
  auto r = combine_readings(sensor("intel_gpu_top", "gpu", std::nullopt, "intel_gpu_top: not installed"),
                            sensor("rapl", "package", std::nullopt, "rapl: /sys/class/powercap/intel-rapl:0/energy_uj: Permission denied"),
                            "", 2.0);
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.domain, "");
  EXPECT_FALSE(r.package_watts);
  EXPECT_EQ(r.null_reason,
            "intel_gpu_top: not installed; rapl: /sys/class/powercap/intel-rapl:0/energy_uj: Permission denied");
  EXPECT_TRUE(r.flags.empty());
  EXPECT_EQ(r.duration_seconds, 2.0);
}

TEST(CombineReadings, PrimaryMissingButPackageReadable) {
  auto r = combine_readings(sensor("nvidia-smi", "board", std::nullopt, "nvidia-smi: not installed"),
                            sensor("rapl", "package", 30.0), "", 2.0);
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(*r.package_watts, 30.0);
  EXPECT_EQ(r.null_reason, "nvidia-smi: not installed");
}

TEST(CombineReadings, CpuEncodeReportsPackageAsBoth) {
  auto r = combine_readings(sensor("rapl", "package", 35.0), std::nullopt, "", 2.0);
  EXPECT_EQ(*r.avg_watts, 35.0);
  EXPECT_EQ(r.domain, "package");
  EXPECT_EQ(*r.package_watts, 35.0);
}

}  // namespace
}  // namespace kb::power
