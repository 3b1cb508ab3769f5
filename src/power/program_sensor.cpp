#include "power/program_sensor.h"

#include <utility>

#include "core/error.h"
#include "core/text.h"

namespace kb::power {
namespace {

std::string first_line(std::string_view text) {
  for (const auto& line : kb::split(text, '\n')) {
    auto t = kb::trim(line);
    if (!t.empty()) return std::string(t);
  }
  return "";
}

}  // namespace

ProgramSensor::ProgramSensor(std::string name, std::string program, std::string domain)
    : name_(std::move(name)), program_(std::move(program)), domain_(std::move(domain)) {}

std::string ProgramSensor::how_it_ended(const ProcessResult& result) {
  // nvidia-smi prints its errors on stdout, intel_gpu_top on stderr.
  std::string said = first_line(result.stderr_text);
  if (said.empty()) said = first_line(result.stdout_text);
  return said.empty() ? result.describe() : result.describe() + ": " + said;
}

void ProgramSensor::start() {
  running_.reset();
  error_.clear();
  started_ = Clock::now();
  if (!kb::find_executable(program_)) {
    error_ = name_ + ": not installed (" + program_ +
             (program_.find('/') == std::string::npos ? " not found on PATH)" : " is not an executable file)");
    return;
  }
  std::vector<std::string> argv{program_};
  for (auto& a : arguments()) argv.push_back(std::move(a));
  try {
    running_ = std::make_unique<SamplingProgram>(argv);
  } catch (const kb::Error& e) {
    error_ = name_ + ": " + e.what();
  }
}

SensorReading ProgramSensor::stop() {
  SensorReading r;
  r.source = name_;
  r.domain = domain_;
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  if (!running_) {
    r.error = error_.empty() ? name_ + ": not started" : error_;
    return r;
  }
  ProcessResult result = running_->stop();
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  running_.reset();
  read_output(result, r);
  if (r.watts) {
    r.error.clear();
    if (!r.energy_joules) r.energy_joules = *r.watts * r.duration_seconds;
  } else if (r.error.empty()) {
    r.error = name_ + ": no power figure in its output (" + how_it_ended(result) + ")";
  }
  return r;
}

}  // namespace kb::power
