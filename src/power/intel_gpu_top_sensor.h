// The iGPU's RAPL "gpu" domain (and Package, and Video engine busy) from `intel_gpu_top -J`.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "power/power_sensor.h"

namespace kb::power {

// `intel_gpu_top -J -s <period_ms> [-d drm:<device>]`; -d only when a device is given, since
// releases before 1.26 reject it.
std::vector<std::string> intel_gpu_top_arguments(const std::string& device, std::chrono::milliseconds period);

// Domain "gpu", source "intel_gpu_top"; also fills package_watts and video_busy_pct.
std::unique_ptr<PowerSensor> make_intel_gpu_top_sensor(const std::string& program, const std::string& device,
                                                       std::chrono::milliseconds period);

}  // namespace kb::power
