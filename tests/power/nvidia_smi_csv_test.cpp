#include "power/nvidia_smi_csv.h"

#include <gtest/gtest.h>

#include "power/nvidia_smi_sensor.h"
#include "support/test_support.h"

namespace kb::power {
namespace {

TEST(NvidiaSmiCsv, ParsesEachLineAsASample) {
  auto samples = parse_nvidia_smi_csv(test::fixture("power/nvidia-smi-t4.csv"));
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_DOUBLE_EQ(*samples[0].power_watts, 27.48);
  EXPECT_DOUBLE_EQ(*samples[0].encoder_pct, 0.0);
  EXPECT_DOUBLE_EQ(*samples[1].power_watts, 68.91);
  EXPECT_DOUBLE_EQ(*samples[1].encoder_pct, 54.0);
  EXPECT_DOUBLE_EQ(*samples[1].decoder_pct, 12.0);
  EXPECT_DOUBLE_EQ(*samples[4].power_watts, 69.74);
}

TEST(NvidiaSmiCsv, NotAvailableFieldsAreMissing) {
  auto samples = parse_nvidia_smi_csv(test::fixture("power/nvidia-smi-power-na.csv"));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_FALSE(samples[0].power_watts);  // [N/A]
  EXPECT_FALSE(samples[0].encoder_pct);
  EXPECT_FALSE(samples[0].decoder_pct);
  EXPECT_FALSE(samples[1].power_watts);  // [Not Supported]
  EXPECT_DOUBLE_EQ(*samples[1].encoder_pct, 0.0);
  EXPECT_FALSE(samples[2].power_watts);  // N/A
  EXPECT_DOUBLE_EQ(*samples[2].encoder_pct, 3.0);
  EXPECT_DOUBLE_EQ(*samples[2].decoder_pct, 1.0);
}

TEST(NvidiaSmiCsv, UnitsAndNoiseAreTolerated) {
  auto samples = parse_nvidia_smi_csv("No devices were found\n\n35.20 W, 12 %, 3 %\r\n1, 2\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*samples[0].power_watts, 35.2);
  EXPECT_DOUBLE_EQ(*samples[0].encoder_pct, 12.0);
  EXPECT_DOUBLE_EQ(*samples[0].decoder_pct, 3.0);
}

TEST(NvidiaSmiArguments, QueryOneGpuAtThePeriod) {
  EXPECT_EQ(nvidia_smi_arguments("", std::chrono::milliseconds(100)),
            (std::vector<std::string>{"--query-gpu=power.draw,utilization.encoder,utilization.decoder",
                                      "--format=csv,noheader,nounits", "-lms", "100", "-i", "0"}));
  EXPECT_EQ(nvidia_gpu_index("/dev/nvidia2"), "2");
  EXPECT_EQ(nvidia_gpu_index("1"), "1");
  EXPECT_EQ(nvidia_gpu_index("GPU-8fe3a97d-51f6-a669-0d80-b4530b81b816"), "GPU-8fe3a97d-51f6-a669-0d80-b4530b81b816");
}

}  // namespace
}  // namespace kb::power
