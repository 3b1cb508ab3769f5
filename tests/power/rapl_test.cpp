// RAPL package energy from a fake powercap tree.
#include "power/rapl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "power/energy_counter_sensor.h"
#include "support/test_support.h"

namespace kb::power {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

fs::path add_zone(const fs::path& sysfs, const std::string& dir, const std::string& name, const std::string& energy,
                  const std::string& max_range = "262143328850") {
  auto zone = sysfs / "class" / "powercap" / dir;
  fs::create_directories(zone);
  test::write_text(zone / "name", name + "\n");
  test::write_text(zone / "energy_uj", energy + "\n");
  test::write_text(zone / "max_energy_range_uj", max_range + "\n");
  return zone;
}

TEST(EnergyCounter, DeltaCorrectsOneWrap) {
  EXPECT_EQ(counter_delta(100, 350, 1000), 250u);
  EXPECT_EQ(counter_delta(900, 100, 1000), 200u);  // 900 -> 1000 wraps to 0 -> 100
  EXPECT_EQ(counter_delta(900, 100, std::nullopt), 0u) << "a drop without a known range is not counted";
  EXPECT_EQ(counter_delta(5000, 100, 1000), 0u) << "a value beyond the range cannot be trusted";
}

TEST(EnergyCounter, IntegratesReadingsAcrossWraps) {
  // 900 -> 100 (wrap, +200) -> 600 (+500) -> 50 (wrap, +450) -> 300 (+250)
  EXPECT_DOUBLE_EQ(integrate_counter({900, 100, 600, 50, 300}, 1000), 1400.0);
  EXPECT_DOUBLE_EQ(integrate_counter({42}, 1000), 0.0);
  EXPECT_DOUBLE_EQ(integrate_counter({}, 1000), 0.0);
}

TEST(Rapl, FindsPackagesButNotSubzonesOrMmio) {
  test::TempDir sys;
  add_zone(sys.path(), "intel-rapl:1", "package-1", "5");
  add_zone(sys.path(), "intel-rapl:0", "package-0", "5");
  add_zone(sys.path(), "intel-rapl:0:0", "core", "5");
  add_zone(sys.path(), "intel-rapl:0:1", "uncore", "5");
  add_zone(sys.path(), "intel-rapl-mmio:0", "package-0", "5");
  auto zones = find_rapl_packages(sys.path());
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0].name, "package-0");
  EXPECT_EQ(zones[0].dir.filename(), "intel-rapl:0");
  EXPECT_EQ(zones[1].name, "package-1");
}

TEST(Rapl, CounterThatWrapsDuringTheRunGivesTheRightEnergy) {
  test::TempDir sys;
  auto zone = add_zone(sys.path(), "intel-rapl:0", "package-0", "900000", "1000000");
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();  // reads 900000 before returning
  // The counter passes 1000000, wraps, and reaches 300000. However many polls see the old or the
  // new value, the growth is one wrap: 100000 + 300000 µJ.
  test::write_text(zone / "energy_uj", "300000\n");
  auto r = sensor->stop();  // reads 300000 before returning
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.source, "rapl");
  EXPECT_EQ(r.domain, "package");
  ASSERT_TRUE(r.energy_joules);
  EXPECT_DOUBLE_EQ(*r.energy_joules, 0.4);
  ASSERT_TRUE(r.watts);
  ASSERT_GT(r.duration_seconds, 0.0);
  EXPECT_DOUBLE_EQ(*r.watts, 0.4 / r.duration_seconds);
  EXPECT_GE(r.samples, 2u);
}

TEST(Rapl, SumsAllPackages) {
  test::TempDir sys;
  auto p0 = add_zone(sys.path(), "intel-rapl:0", "package-0", "1000000");
  auto p1 = add_zone(sys.path(), "intel-rapl:1", "package-1", "7000000");
  auto core = add_zone(sys.path(), "intel-rapl:0:0", "core", "0");
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();
  test::write_text(p0 / "energy_uj", "3000000\n");     // +2 J
  test::write_text(p1 / "energy_uj", "7500000\n");     // +0.5 J
  test::write_text(core / "energy_uj", "9000000\n");   // inside package-0: not added again
  auto r = sensor->stop();
  ASSERT_TRUE(r.energy_joules) << r.error;
  EXPECT_DOUBLE_EQ(*r.energy_joules, 2.5);
}

TEST(Rapl, SensorCanRunAgain) {
  test::TempDir sys;
  auto zone = add_zone(sys.path(), "intel-rapl:0", "package-0", "0");
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();
  test::write_text(zone / "energy_uj", "1000000\n");
  EXPECT_DOUBLE_EQ(*sensor->stop().energy_joules, 1.0);
  sensor->start();
  test::write_text(zone / "energy_uj", "1250000\n");
  EXPECT_DOUBLE_EQ(*sensor->stop().energy_joules, 0.25);
}

TEST(Rapl, UnreadableCounterIsANullWithTheReason) {
  test::TempDir sys;
  auto zone = add_zone(sys.path(), "intel-rapl:0", "package-0", "1");
  // Tests run as root here, where a mode-0400 file stays readable; a directory fails to read for
  // everyone and exercises the same path.
  fs::remove(zone / "energy_uj");
  fs::create_directory(zone / "energy_uj");
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();
  auto r = sensor->stop();
  EXPECT_FALSE(r.watts);
  EXPECT_FALSE(r.energy_joules);
  EXPECT_EQ(r.error, "rapl: " + (zone / "energy_uj").string() + ": Is a directory");
}

TEST(Rapl, PermissionDeniedForNonRoot) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files; covered by the directory case";
  test::TempDir sys;
  auto zone = add_zone(sys.path(), "intel-rapl:0", "package-0", "1");
  fs::permissions(zone / "energy_uj", fs::perms::none);
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();
  EXPECT_EQ(sensor->stop().error, "rapl: " + (zone / "energy_uj").string() + ": Permission denied");
}

TEST(Rapl, NoZonesIsANullWithTheReason) {
  test::TempDir sys;
  auto sensor = make_rapl_sensor(sys.path(), milliseconds(10));
  sensor->start();
  auto r = sensor->stop();
  EXPECT_FALSE(r.watts);
  EXPECT_EQ(r.error, "rapl: no intel-rapl:N zone under " + (sys.path() / "class" / "powercap").string());
}

TEST(Rapl, StopWithoutStartSaysSo) {
  test::TempDir sys;
  auto r = make_rapl_sensor(sys.path(), milliseconds(10))->stop();
  EXPECT_FALSE(r.watts);
  EXPECT_EQ(r.error, "rapl: not started");
}

}  // namespace
}  // namespace kb::power
