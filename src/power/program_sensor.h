// A sensor read by running a sampling program between start() and stop(); subclasses give the
// arguments and turn the program's output into a reading.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/process.h"
#include "power/power_sensor.h"
#include "power/sampling_program.h"

namespace kb::power {

class ProgramSensor : public PowerSensor {
 public:
  void start() override;
  SensorReading stop() override;

 protected:
  // `name` prefixes every reason ("intel_gpu_top: ..."); `program` is a name on PATH or a path.
  ProgramSensor(std::string name, std::string program, std::string domain);
  virtual std::vector<std::string> arguments() const = 0;
  // Fills the figures from the output; leaves `watts` empty (with `error` set, or a generic reason
  // is used) when there is none.
  virtual void read_output(const ProcessResult& result, SensorReading& reading) const = 0;
  // "exit status 1: Failed to initialize PMU! (Permission denied)" for reasons.
  static std::string how_it_ended(const ProcessResult& result);

  std::string name_;
  std::string program_;

 private:
  using Clock = std::chrono::steady_clock;
  std::string domain_;
  std::unique_ptr<SamplingProgram> running_;
  std::string error_;
  Clock::time_point started_;
};

}  // namespace kb::power
