#include "power/intel_gpu_top_sensor.h"

#include "power/intel_gpu_top_json.h"
#include "power/program_sensor.h"

namespace kb::power {

std::vector<std::string> intel_gpu_top_arguments(const std::string& device, std::chrono::milliseconds period) {
  std::vector<std::string> args{"-J", "-s", std::to_string(period.count())};
  if (!device.empty()) {
    args.push_back("-d");
    args.push_back("drm:" + device);
  }
  return args;
}

namespace {

class IntelGpuTopSensor : public ProgramSensor {
 public:
  IntelGpuTopSensor(const std::string& program, std::string device, std::chrono::milliseconds period)
      : ProgramSensor("intel_gpu_top", program, "gpu"), device_(std::move(device)), period_(period) {}

 protected:
  std::vector<std::string> arguments() const override { return intel_gpu_top_arguments(device_, period_); }

  void read_output(const ProcessResult& result, SensorReading& r) const override {
    auto samples = parse_intel_gpu_top_json(result.stdout_text);
    auto summary = summarize_intel_gpu_top(samples);
    r.watts = summary.gpu_watts;
    r.samples = summary.gpu_samples;
    r.package_watts = summary.package_watts;
    r.video_busy_pct = summary.video_busy_pct;
    if (r.watts) return;
    if (samples.empty())
      r.error = name_ + ": no samples (" + how_it_ended(result) + ")";
    else if (summary.package_watts)
      r.error = name_ + ": no GPU power figure, only Package (the RAPL gpu domain is missing on this CPU)";
    else
      r.error = name_ + ": no power figures in its output (no RAPL power counters, as on a discrete GPU)";
  }

 private:
  std::string device_;
  std::chrono::milliseconds period_;
};

}  // namespace

std::unique_ptr<PowerSensor> make_intel_gpu_top_sensor(const std::string& program, const std::string& device,
                                                       std::chrono::milliseconds period) {
  return std::make_unique<IntelGpuTopSensor>(program, device, period);
}

}  // namespace kb::power
