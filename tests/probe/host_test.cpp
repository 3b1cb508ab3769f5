#include "probe/host.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace kb::probe {
namespace {

TEST(Host, ParsesCpuinfoAsWritten) {
  auto cpu = parse_cpuinfo(test::fixture("cpuinfo/i5-9500.txt"));
  EXPECT_EQ(cpu.model, "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz");
  EXPECT_EQ(cpu.vendor, "GenuineIntel");
  EXPECT_EQ(cpu.threads, 3);
  EXPECT_EQ(cpu.cores, 2);  // core id 0 appears twice (hyper-thread)
  EXPECT_FALSE(cpu.hypervisor);
  EXPECT_EQ(cpu.intel_generation, 9);
  EXPECT_EQ(cpu.intel_family, "Core i5");
}

TEST(Host, RecognisesVirtualMachines) {
  auto cpu = parse_cpuinfo(test::fixture("cpuinfo/qemu.txt"));
  EXPECT_TRUE(cpu.hypervisor);
  EXPECT_FALSE(cpu.intel_generation);
}

TEST(Host, IntelGenerationGuesses) {
  EXPECT_EQ(guess_intel_generation("12th Gen Intel(R) Core(TM) i5-12600H"), 12);
  EXPECT_EQ(guess_intel_generation("Intel(R) Core(TM) i7-1065G7 CPU @ 1.30GHz"), 10);
  EXPECT_EQ(guess_intel_generation("Intel(R) Core(TM) i7-1260P"), 12);
  EXPECT_EQ(guess_intel_generation("Intel(R) Core(TM) i7-4700EQ CPU @ 2.40GHz"), 4);
  EXPECT_EQ(guess_intel_generation("Intel(R) Core(TM) Ultra 7 265K"), 15);
  EXPECT_EQ(guess_intel_generation("Intel(R) Core(TM) Ultra 5 125H"), 14);
  EXPECT_FALSE(guess_intel_generation("Intel(R) N100"));
  EXPECT_FALSE(guess_intel_generation("AMD Ryzen 7 5800X 8-Core Processor"));
}

TEST(Host, MemoryFromMeminfo) {
  EXPECT_EQ(parse_meminfo_total_bytes("MemTotal:       24576000 kB\nMemFree: 1 kB\n"), 24576000LL * 1024);
  EXPECT_EQ(parse_meminfo_total_bytes("nothing"), 0);
}

}  // namespace
}  // namespace kb::probe
