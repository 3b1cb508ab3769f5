// Power from energy counters (RAPL energy_uj, hwmon energy1_input): polled so wraps are seen,
// summed, and divided by the elapsed time.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "power/power_sensor.h"
#include "power/sampling_loop.h"

namespace kb::power {

// Growth of a counter from `prev` to `cur`. A drop means it wrapped once at `max_range`
// (max_energy_range_uj); without a known range a drop contributes nothing.
std::uint64_t counter_delta(std::uint64_t prev, std::uint64_t cur, std::optional<std::uint64_t> max_range);

// Sum of the deltas between successive readings, in the counter's unit.
double integrate_counter(const std::vector<std::uint64_t>& readings, std::optional<std::uint64_t> max_range);

struct EnergyCounter {
  std::filesystem::path path;               // a µJ counter
  std::optional<std::uint64_t> max_range;   // where it wraps, when known
};

// Finds the counters at each start(); returns none and sets the reason when there are none.
using CounterLocator = std::function<std::vector<EnergyCounter>(std::string* error)>;

class EnergyCounterSensor : public PowerSensor {
 public:
  EnergyCounterSensor(std::string source, std::string domain, CounterLocator locate,
                      std::chrono::milliseconds period);
  void start() override;
  SensorReading stop() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Track {
    EnergyCounter counter;
    std::uint64_t last = 0;
    double total_uj = 0;
  };
  bool read_all();  // advances every track; false if any counter could not be read

  std::string source_, domain_;
  CounterLocator locate_;
  std::chrono::milliseconds period_;
  std::vector<Track> tracks_;
  std::string error_;
  std::size_t reads_ = 0;
  Clock::time_point started_, first_read_, last_read_;
  std::unique_ptr<SamplingLoop> loop_;
};

}  // namespace kb::power
