// make_power_monitor end to end. intel_gpu_top and nvidia-smi are FAKES here
// (tests/fixtures/power/fake-sampling-tool.sh printing reconstructed fixtures): the test machines
// have no Intel or NVIDIA GPU. RAPL and hwmon are fake sysfs trees in a temporary directory.
#include "power/power_monitor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/files.h"
#include "core/text.h"
#include "power/intel_gpu_top_json.h"
#include "power/sensor_plan.h"
#include "support/test_support.h"

namespace kb::power {
namespace {

namespace fs = std::filesystem;

struct FakeTool {
  fs::path program;   // a wrapper named like the real tool
  fs::path argv_log;  // appears once the fake has printed its output
};

struct FakeOptions {
  std::string fixture;   // file under tests/fixtures/power
  std::string trailer;   // printed on SIGINT
  std::string stderr_text;
  std::string exit_status;
};

std::string quoted(const std::string& s) { return "'" + s + "'"; }

FakeTool write_fake(const test::TempDir& dir, const std::string& name, const FakeOptions& o) {
  fs::path fixtures = fs::absolute(test::fixtures_dir()) / "power";
  FakeTool fake{dir / name, dir / (name + ".argv")};
  std::string script = "#!/bin/sh\n";
  if (!o.fixture.empty()) script += "export FAKE_OUTPUT=" + quoted((fixtures / o.fixture).string()) + "\n";
  script += "export FAKE_ARGV_LOG=" + quoted(fake.argv_log.string()) + "\n";
  if (!o.trailer.empty()) script += "export FAKE_TRAILER=" + quoted(o.trailer) + "\n";
  if (!o.stderr_text.empty()) script += "export FAKE_STDERR=" + quoted(o.stderr_text) + "\n";
  if (!o.exit_status.empty()) script += "export FAKE_EXIT=" + o.exit_status + "\n";
  script += "exec /bin/sh " + quoted((fixtures / "fake-sampling-tool.sh").string()) + " \"$@\"\n";
  test::write_text(fake.program, script);
  fs::permissions(fake.program, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  return fake;
}

// Waits for the fake to have printed everything (a synchronisation point, not a timing check).
::testing::AssertionResult printed(const FakeTool& fake) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!fs::exists(fake.argv_log)) {
    if (std::chrono::steady_clock::now() > give_up) return ::testing::AssertionFailure() << "the fake never ran";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> argv_of(const FakeTool& fake) {
  std::vector<std::string> args;
  for (auto& line : kb::split(kb::read_file(fake.argv_log), '\n'))
    if (!line.empty()) args.push_back(line);
  return args;
}

fs::path add_rapl(const fs::path& sysfs, const std::string& energy) {
  auto zone = sysfs / "class" / "powercap" / "intel-rapl:0";
  fs::create_directories(zone);
  test::write_text(zone / "name", "package-0\n");
  test::write_text(zone / "energy_uj", energy + "\n");
  test::write_text(zone / "max_energy_range_uj", "262143328850\n");
  return zone;
}

PowerEnvironment env_for(const test::TempDir& dir) {
  PowerEnvironment env;
  env.sysfs_root = dir / "sys";
  fs::create_directories(env.sysfs_root);
  env.intel_gpu_top = (dir / "intel_gpu_top").string();
  env.nvidia_smi = (dir / "nvidia-smi").string();
  env.period_ms = 10;
  return env;
}

TEST(PowerMonitor, QsvOnI915UsesIntelGpuTopGpuWattsAndRaplPackage) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto zone = add_rapl(env.sysfs_root, "1000000");
  auto fake = write_fake(dir, "intel_gpu_top", {"intel_gpu_top-1.28.json", "]", "", ""});
  auto monitor = make_power_monitor({"qsv", "/dev/dri/renderD128", "i915"}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  test::write_text(zone / "energy_uj", "3000000\n");
  auto r = monitor->stop();

  auto expected = summarize_intel_gpu_top(parse_intel_gpu_top_json(test::fixture("power/intel_gpu_top-1.28.json")));
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_DOUBLE_EQ(*r.avg_watts, *expected.gpu_watts);
  EXPECT_NEAR(*r.avg_watts, 10.0, 0.1);
  EXPECT_EQ(r.domain, "gpu");
  EXPECT_EQ(r.source, "intel_gpu_top");
  EXPECT_EQ(r.samples, 4u);
  EXPECT_DOUBLE_EQ(*r.video_busy_pct, *expected.video_busy_pct);
  EXPECT_FALSE(r.decoder_busy_pct);
  ASSERT_GT(r.duration_seconds, 0.0);
  EXPECT_DOUBLE_EQ(*r.energy_joules, *r.avg_watts * r.duration_seconds);
  ASSERT_TRUE(r.package_watts);
  EXPECT_GT(*r.package_watts, 0.0);
  EXPECT_NE(*r.package_watts, *expected.package_watts) << "package comes from RAPL powercap when readable";
  EXPECT_TRUE(r.flags.empty());
  EXPECT_EQ(r.null_reason, "");
  EXPECT_EQ(argv_of(fake), (std::vector<std::string>{"-J", "-s", "10", "-d", "drm:/dev/dri/renderD128"}));
}

TEST(PowerMonitor, BelowThreeWattsIsKeptAndFlagged) {
  test::TempDir dir;
  auto env = env_for(dir);  // no RAPL zones: package comes from intel_gpu_top itself
  auto fake = write_fake(dir, "intel_gpu_top", {"intel_gpu_top-1.28-low-gpu-power.json", "]", "", ""});
  auto monitor = make_power_monitor({"qsv", "", "i915"}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  auto r = monitor->stop();
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_NEAR(*r.avg_watts, 0.31, 0.001);
  EXPECT_EQ(r.flags, std::vector<std::string>{"below_3w"});
  EXPECT_TRUE(r.low_power());
  EXPECT_NEAR(*r.package_watts, 41.08, 0.01);
  EXPECT_EQ(r.null_reason, "");
  EXPECT_EQ(argv_of(fake), (std::vector<std::string>{"-J", "-s", "10"})) << "no -d without a device";

  auto back = power_reading_from_json(to_json(r));
  EXPECT_EQ(to_json(back), to_json(r));
  EXPECT_EQ(back.flags, r.flags);
  EXPECT_EQ(back.avg_watts, r.avg_watts);
}

TEST(PowerMonitor, MissingProgramIsANullWithEveryReason) {
  test::TempDir dir;
  auto env = env_for(dir);
  env.intel_gpu_top = (dir / "no-such-intel_gpu_top").string();
  auto monitor = make_power_monitor({"qsv", "/dev/dri/renderD128", "i915"}, env);
  monitor->start();
  auto r = monitor->stop();
  EXPECT_FALSE(r.avg_watts);
  EXPECT_FALSE(r.package_watts);
  EXPECT_EQ(r.domain, "");
  EXPECT_EQ(r.null_reason, "intel_gpu_top: not installed (" + env.intel_gpu_top +
                               " is not an executable file); rapl: no intel-rapl:N zone under " +
                               (env.sysfs_root / "class" / "powercap").string());
  EXPECT_TRUE(r.flags.empty());
  EXPECT_TRUE(to_json(r)["avg_watts"].is_null());

  env.intel_gpu_top = "kubench-test-no-such-intel_gpu_top";
  monitor = make_power_monitor({"qsv", "", "i915"}, env);
  monitor->start();
  EXPECT_EQ(monitor->stop().null_reason.rfind(
                "intel_gpu_top: not installed (kubench-test-no-such-intel_gpu_top not found on PATH)", 0),
            0u);
}

TEST(PowerMonitor, ProgramThatFailsAtStartGivesItsMessage) {
  test::TempDir dir;
  auto env = env_for(dir);
  add_rapl(env.sysfs_root, "0");
  auto fake = write_fake(dir, "intel_gpu_top", {"", "", "Failed to initialize PMU! (Permission denied)", "1"});
  auto monitor = make_power_monitor({"vaapi", "/dev/dri/renderD128", "i915"}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  auto r = monitor->stop();
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.null_reason.rfind("intel_gpu_top: no samples (", 0), 0u) << r.null_reason;
  EXPECT_NE(r.null_reason.find("Failed to initialize PMU! (Permission denied)"), std::string::npos) << r.null_reason;
  EXPECT_TRUE(r.package_watts) << "RAPL still read";
}

TEST(PowerMonitor, NvencUsesNvidiaSmiBoardPower) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto fake = write_fake(dir, "nvidia-smi", {"nvidia-smi-t4.csv", "", "", ""});
  auto monitor = make_power_monitor({"nvenc", "1", "nvidia"}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  auto r = monitor->stop();
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_DOUBLE_EQ(*r.avg_watts, (27.48 + 68.91 + 70.35 + 70.12 + 69.74) / 5);
  EXPECT_EQ(r.domain, "board");
  EXPECT_EQ(r.source, "nvidia-smi");
  EXPECT_EQ(r.samples, 5u);
  EXPECT_DOUBLE_EQ(*r.video_busy_pct, (0.0 + 54 + 61 + 58 + 57) / 5);
  EXPECT_DOUBLE_EQ(*r.decoder_busy_pct, (0.0 + 12 + 13 + 12 + 11) / 5);
  EXPECT_FALSE(r.package_watts);
  EXPECT_TRUE(r.flags.empty());
  EXPECT_EQ(argv_of(fake), (std::vector<std::string>{"--query-gpu=power.draw,utilization.encoder,utilization.decoder",
                                                     "--format=csv,noheader,nounits", "-lms", "10", "-i", "1"}));
}

TEST(PowerMonitor, NvidiaPowerNotAvailableIsANull) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto fake = write_fake(dir, "nvidia-smi", {"nvidia-smi-power-na.csv", "", "", ""});
  auto monitor = make_power_monitor({"nvenc", "", ""}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  auto r = monitor->stop();
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.null_reason.rfind("nvidia-smi: power.draw is not available for GPU 0", 0), 0u) << r.null_reason;
  EXPECT_DOUBLE_EQ(*r.video_busy_pct, 1.5) << "utilisation is still reported";
}

TEST(PowerMonitor, NvidiaBelowThreeWattsIsFlagged) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto fake = write_fake(dir, "nvidia-smi", {"nvidia-smi-low-power.csv", "", "", ""});
  auto monitor = make_power_monitor({"nvenc", "0", "nvidia"}, env);
  monitor->start();
  ASSERT_TRUE(printed(fake));
  auto r = monitor->stop();
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_DOUBLE_EQ(*r.avg_watts, (1.98 + 2.04 + 2.01) / 3);
  EXPECT_EQ(r.flags, std::vector<std::string>{"below_3w"});
}

TEST(PowerMonitor, CpuEncodeUsesRaplPackage) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto zone = add_rapl(env.sysfs_root, "5000000");
  auto monitor = make_power_monitor({"cpu", "", ""}, env);
  monitor->start();
  test::write_text(zone / "energy_uj", "6500000\n");
  auto r = monitor->stop();
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_EQ(r.domain, "package");
  EXPECT_EQ(r.source, "rapl");
  EXPECT_DOUBLE_EQ(*r.energy_joules, 1.5);
  EXPECT_DOUBLE_EQ(*r.avg_watts, 1.5 / r.duration_seconds);
  EXPECT_EQ(r.package_watts, r.avg_watts);
}

TEST(PowerMonitor, CpuEncodeWithUnreadableRapl) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto zone = add_rapl(env.sysfs_root, "0");
  fs::remove(zone / "energy_uj");
  fs::create_directory(zone / "energy_uj");
  auto monitor = make_power_monitor({"cpu", "", ""}, env);
  monitor->start();
  auto r = monitor->stop();
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.null_reason, "rapl: " + (zone / "energy_uj").string() + ": Is a directory");
}

TEST(PowerMonitor, AmdgpuUsesHwmonBoardPower) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto hwmon = env.sysfs_root / "class" / "drm" / "renderD128" / "device" / "hwmon" / "hwmon3";
  fs::create_directories(hwmon);
  test::write_text(hwmon / "name", "amdgpu\n");
  test::write_text(hwmon / "power1_average", "62500000\n");
  auto monitor = make_power_monitor({"vaapi", "/dev/dri/renderD128", "amdgpu"}, env);
  monitor->start();
  auto r = monitor->stop();
  ASSERT_TRUE(r.avg_watts) << r.null_reason;
  EXPECT_DOUBLE_EQ(*r.avg_watts, 62.5);
  EXPECT_EQ(r.domain, "board");
  EXPECT_EQ(r.source, "hwmon");
}

TEST(PowerMonitor, UnknownBackendIsANullNotAnError) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto monitor = make_power_monitor({"videotoolbox", "", ""}, env);
  monitor->start();
  auto r = monitor->stop();
  EXPECT_FALSE(r.avg_watts);
  EXPECT_EQ(r.null_reason.rfind("no power sensor is known for backend 'videotoolbox'; rapl: ", 0), 0u) << r.null_reason;
}

TEST(SensorPlan, EachBackendGetsItsSensor) {
  test::TempDir dir;
  auto env = env_for(dir);
  auto plan = plan_sensors({"cpu", "", ""}, env);
  EXPECT_EQ(plan.primary, "rapl");
  EXPECT_FALSE(plan.rapl_package);

  plan = plan_sensors({"qsv", "renderD129", "i915"}, env);
  EXPECT_EQ(plan.primary, "intel_gpu_top");
  EXPECT_EQ(plan.device, "/dev/dri/renderD129");
  EXPECT_TRUE(plan.rapl_package);

  EXPECT_EQ(plan_sensors({"nvenc", "0", ""}, env).primary, "nvidia-smi");
  EXPECT_EQ(plan_sensors({"qsv", "", "xe"}, env).primary, "hwmon");
  EXPECT_EQ(plan_sensors({"vaapi", "", "amdgpu"}, env).primary, "hwmon");
  EXPECT_EQ(plan_sensors({"amf", "", ""}, env).primary, "hwmon");
  EXPECT_EQ(plan_sensors({"vaapi", "", ""}, env).primary, "intel_gpu_top") << "no hwmon: an integrated Intel GPU";
  EXPECT_EQ(plan_sensors({"foo", "", ""}, env).primary, "");

  // A discrete i915 card (Arc) has its own hwmon sensor; intel_gpu_top would show the CPU's iGPU domain.
  auto hwmon = env.sysfs_root / "class" / "drm" / "renderD129" / "device" / "hwmon" / "hwmon6";
  fs::create_directories(hwmon);
  test::write_text(hwmon / "energy1_input", "1\n");
  plan = plan_sensors({"qsv", "/dev/dri/renderD129", "i915"}, env);
  EXPECT_EQ(plan.primary, "hwmon");
  EXPECT_EQ(plan.drm_node, "renderD129");

  // The driver is looked up in sysfs when the target does not say.
  auto drivers = env.sysfs_root / "bus" / "pci" / "drivers" / "xe";
  fs::create_directories(drivers);
  auto device = env.sysfs_root / "class" / "drm" / "renderD128" / "device";
  fs::create_directories(device);
  fs::create_directory_symlink(drivers, device / "driver");
  EXPECT_EQ(plan_sensors({"qsv", "/dev/dri/renderD128", ""}, env).primary, "hwmon");
}

TEST(ProbeSensors, ListsEachSensorWithWhyNot) {
  test::TempDir dir;
  auto env = env_for(dir);
  add_rapl(env.sysfs_root, "123");
  auto bad = env.sysfs_root / "class" / "powercap" / "intel-rapl:1";
  fs::create_directories(bad / "energy_uj");
  test::write_text(bad / "name", "package-1\n");
  auto hwmon = env.sysfs_root / "class" / "drm" / "card1" / "device" / "hwmon" / "hwmon3";
  fs::create_directories(hwmon);
  test::write_text(hwmon / "name", "amdgpu\n");
  test::write_text(hwmon / "power1_average", "9000000\n");
  write_fake(dir, "intel_gpu_top", {"intel_gpu_top-1.28.json", "", "", ""});
  env.nvidia_smi = "kubench-test-no-such-nvidia-smi";

  auto sensors = probe_sensors(env);
  ASSERT_EQ(sensors.size(), 5u);
  EXPECT_EQ(sensors[0].name, "rapl:package-0");
  EXPECT_TRUE(sensors[0].readable);
  EXPECT_EQ(sensors[0].detail, (env.sysfs_root / "class" / "powercap" / "intel-rapl:0" / "energy_uj").string());
  EXPECT_EQ(sensors[1].name, "rapl:package-1");
  EXPECT_FALSE(sensors[1].readable);
  EXPECT_NE(sensors[1].detail.find("Is a directory"), std::string::npos) << sensors[1].detail;
  EXPECT_EQ(sensors[2].name, "intel_gpu_top");
  EXPECT_TRUE(sensors[2].readable);
  EXPECT_NE(sensors[2].detail.find("found on PATH"), std::string::npos) << sensors[2].detail;
  EXPECT_FALSE(fs::exists(dir / "intel_gpu_top.argv")) << "the probe must not start the tool";
  EXPECT_EQ(sensors[3].name, "nvidia-smi");
  EXPECT_FALSE(sensors[3].readable);
  EXPECT_EQ(sensors[3].detail, "kubench-test-no-such-nvidia-smi not found on PATH");
  EXPECT_EQ(sensors[4].name, "hwmon:amdgpu");
  EXPECT_TRUE(sensors[4].readable);
  EXPECT_EQ(sensors[4].detail, (hwmon / "power1_average").string());
}

TEST(ProbeSensors, NothingPresent) {
  test::TempDir dir;
  auto env = env_for(dir);
  env.intel_gpu_top = "kubench-test-no-such-intel_gpu_top";
  env.nvidia_smi = "kubench-test-no-such-nvidia-smi";
  auto sensors = probe_sensors(env);
  ASSERT_EQ(sensors.size(), 4u);
  for (const auto& s : sensors) EXPECT_FALSE(s.readable) << s.name;
  EXPECT_EQ(sensors[0].name, "rapl");
  EXPECT_EQ(sensors[3].name, "hwmon");
}

}  // namespace
}  // namespace kb::power
