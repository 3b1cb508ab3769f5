// NVIDIA board power and encoder/decoder utilisation from `nvidia-smi --query-gpu ... -lms`.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "power/power_sensor.h"

namespace kb::power {

// The GPU index for -i: "0" for "", "2" for "/dev/nvidia2", anything else (an index, a UUID,
// a PCI bus id) as given.
std::string nvidia_gpu_index(const std::string& device);

std::vector<std::string> nvidia_smi_arguments(const std::string& device, std::chrono::milliseconds period);

// Domain "board", source "nvidia-smi"; also fills video_busy_pct (encoder) and decoder_busy_pct.
std::unique_ptr<PowerSensor> make_nvidia_smi_sensor(const std::string& program, const std::string& device,
                                                    std::chrono::milliseconds period);

}  // namespace kb::power
