#include "power/nvidia_smi_sensor.h"

#include <algorithm>
#include <cctype>

#include "power/nvidia_smi_csv.h"
#include "power/program_sensor.h"

namespace kb::power {

std::string nvidia_gpu_index(const std::string& device) {
  if (device.empty()) return "0";
  const std::string dev = "/dev/nvidia";
  if (device.rfind(dev, 0) == 0) {
    std::string n = device.substr(dev.size());
    if (!n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); })) return n;
  }
  return device;
}

std::vector<std::string> nvidia_smi_arguments(const std::string& device, std::chrono::milliseconds period) {
  return {"--query-gpu=power.draw,utilization.encoder,utilization.decoder",
          "--format=csv,noheader,nounits",
          "-lms", std::to_string(period.count()),
          "-i", nvidia_gpu_index(device)};
}

namespace {

class NvidiaSmiSensor : public ProgramSensor {
 public:
  NvidiaSmiSensor(const std::string& program, std::string device, std::chrono::milliseconds period)
      : ProgramSensor("nvidia-smi", program, "board"), device_(std::move(device)), period_(period) {}

 protected:
  std::vector<std::string> arguments() const override { return nvidia_smi_arguments(device_, period_); }

  void read_output(const ProcessResult& result, SensorReading& r) const override {
    auto samples = parse_nvidia_smi_csv(result.stdout_text);
    // The lines come at a fixed period, so each counts the same.
    auto mean = [&](auto field, size_t* count) -> std::optional<double> {
      double sum = 0;
      size_t n = 0;
      for (const auto& s : samples) {
        if (const auto& v = s.*field) {
          sum += *v;
          ++n;
        }
      }
      if (count) *count = n;
      return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt;
    };
    r.watts = mean(&NvidiaSmiSample::power_watts, &r.samples);
    r.video_busy_pct = mean(&NvidiaSmiSample::encoder_pct, nullptr);
    r.decoder_busy_pct = mean(&NvidiaSmiSample::decoder_pct, nullptr);
    if (r.watts) return;
    if (samples.empty())
      r.error = name_ + ": no samples (" + how_it_ended(result) + ")";
    else
      r.error = name_ + ": power.draw is not available for GPU " + nvidia_gpu_index(device_) + " ([N/A] or [Not Supported])";
  }

 private:
  std::string device_;
  std::chrono::milliseconds period_;
};

}  // namespace

std::unique_ptr<PowerSensor> make_nvidia_smi_sensor(const std::string& program, const std::string& device,
                                                    std::chrono::milliseconds period) {
  return std::make_unique<NvidiaSmiSensor>(program, device, period);
}

}  // namespace kb::power
