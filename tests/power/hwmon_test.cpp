// GPU board power from a fake hwmon tree.
#include "power/hwmon.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "power/drm_device.h"
#include "power/power_gauge_sensor.h"
#include "support/test_support.h"

namespace kb::power {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

fs::path add_hwmon(const fs::path& sysfs, const std::string& node, const std::string& hwmon, const std::string& chip) {
  auto dir = sysfs / "class" / "drm" / node / "device" / "hwmon" / hwmon;
  fs::create_directories(dir);
  test::write_text(dir / "name", chip + "\n");
  return dir;
}

TEST(Hwmon, PrefersTheEnergyCounterThenTheAverage) {
  test::TempDir sys;
  auto dir = add_hwmon(sys.path(), "renderD128", "hwmon4", "amdgpu");
  test::write_text(dir / "power1_input", "1\n");
  test::write_text(dir / "power1_average", "1\n");
  auto f = find_hwmon_power(sys.path(), "renderD128");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path, dir / "power1_average");
  EXPECT_FALSE(f->is_energy_counter);
  EXPECT_EQ(f->chip, "amdgpu");

  test::write_text(dir / "energy1_input", "1\n");
  f = find_hwmon_power(sys.path(), "renderD128");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path, dir / "energy1_input");
  EXPECT_TRUE(f->is_energy_counter);
}

TEST(Hwmon, MissingSensorHasAReason) {
  test::TempDir sys;
  std::string why;
  EXPECT_FALSE(find_hwmon_power(sys.path(), "renderD128", &why));
  EXPECT_NE(why.find("no hwmon sensor for renderD128"), std::string::npos) << why;
  add_hwmon(sys.path(), "renderD128", "hwmon2", "i915");  // an iGPU-like hwmon with no power file
  EXPECT_FALSE(find_hwmon_power(sys.path(), "renderD128", &why));
  EXPECT_NE(why.find("no energy1_input, power1_average or power1_input"), std::string::npos) << why;
}

TEST(Hwmon, GaugeSensorAveragesBoardPower) {
  test::TempDir sys;
  auto dir = add_hwmon(sys.path(), "renderD128", "hwmon4", "amdgpu");
  test::write_text(dir / "power1_average", "45000000\n");  // µW
  auto sensor = make_hwmon_sensor(sys.path(), "renderD128", milliseconds(10));
  sensor->start();
  auto r = sensor->stop();
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.source, "hwmon");
  EXPECT_EQ(r.domain, "board");
  ASSERT_TRUE(r.watts);
  EXPECT_DOUBLE_EQ(*r.watts, 45.0);
  EXPECT_GE(r.samples, 2u);
  ASSERT_TRUE(r.energy_joules);
  EXPECT_DOUBLE_EQ(*r.energy_joules, 45.0 * r.duration_seconds);
}

TEST(Hwmon, EnergyCounterSensorUsesTheDelta) {
  test::TempDir sys;
  auto dir = add_hwmon(sys.path(), "card1", "hwmon5", "xe");
  test::write_text(dir / "energy1_input", "1000000\n");  // µJ
  auto sensor = make_hwmon_sensor(sys.path(), "card1", milliseconds(10));
  sensor->start();
  test::write_text(dir / "energy1_input", "3000000\n");
  auto r = sensor->stop();
  ASSERT_TRUE(r.energy_joules) << r.error;
  EXPECT_DOUBLE_EQ(*r.energy_joules, 2.0);
  EXPECT_EQ(r.domain, "board");
}

TEST(Hwmon, UnreadableOrMissingIsANullWithTheReason) {
  test::TempDir sys;
  auto sensor = make_hwmon_sensor(sys.path(), "renderD128", milliseconds(10));
  sensor->start();
  auto r = sensor->stop();
  EXPECT_FALSE(r.watts);
  EXPECT_EQ(r.error.rfind("hwmon: no hwmon sensor for renderD128", 0), 0u) << r.error;

  auto dir = add_hwmon(sys.path(), "renderD128", "hwmon4", "amdgpu");
  fs::create_directory(dir / "power1_average");  // unreadable even for root
  sensor->start();
  r = sensor->stop();
  EXPECT_EQ(r.error, "hwmon: " + (dir / "power1_average").string() + ": Is a directory");
}

TEST(Hwmon, ListsCardsButNotConnectors) {
  test::TempDir sys;
  test::write_text(add_hwmon(sys.path(), "card1", "hwmon3", "amdgpu") / "power1_average", "1\n");
  test::write_text(add_hwmon(sys.path(), "card1-DP-1", "hwmon9", "amdgpu") / "power1_average", "1\n");
  add_hwmon(sys.path(), "card0", "hwmon2", "i915");  // no power file
  auto list = list_hwmon_power(sys.path());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].first, "card1");
  EXPECT_EQ(list[0].second.chip, "amdgpu");
}

TEST(TimeWeightedMean, WeighsEachReadingByTheIntervalItEnds) {
  // 10 W held for 1 s, then 40 W for 3 s: (10*1 + 40*3) / 4.
  EXPECT_DOUBLE_EQ(*time_weighted_mean({{0.0, 99.0}, {1.0, 10.0}, {4.0, 40.0}}), 32.5);
  EXPECT_DOUBLE_EQ(*time_weighted_mean({{0.0, 7.0}}), 7.0);
  EXPECT_DOUBLE_EQ(*time_weighted_mean({{0.0, 2.0}, {0.0, 4.0}}), 3.0);
  EXPECT_FALSE(time_weighted_mean({}));
}

TEST(DrmDevice, NodeAndDriver) {
  EXPECT_EQ(drm_node_name("/dev/dri/renderD129"), "renderD129");
  EXPECT_EQ(drm_node_name("card0"), "card0");
  EXPECT_EQ(drm_node_name(""), "renderD128");

  test::TempDir sys;
  auto drivers = sys.path() / "bus" / "pci" / "drivers" / "amdgpu";
  fs::create_directories(drivers);
  auto device = sys.path() / "class" / "drm" / "renderD128" / "device";
  fs::create_directories(device);
  fs::create_directory_symlink(drivers, device / "driver");
  EXPECT_EQ(drm_driver(sys.path(), "renderD128"), "amdgpu");
  EXPECT_EQ(drm_driver(sys.path(), "renderD129"), "");
}

}  // namespace
}  // namespace kb::power
