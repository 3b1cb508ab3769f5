// Parsing `nvidia-smi --query-gpu=power.draw,utilization.encoder,utilization.decoder
// --format=csv,noheader,nounits -lms <period>` output: one line per sample.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

namespace kb::power {

struct NvidiaSmiSample {
  std::optional<double> power_watts;  // board power.draw
  std::optional<double> encoder_pct;  // utilization.encoder
  std::optional<double> decoder_pct;  // utilization.decoder
};

// "[N/A]", "[Not Supported]", "N/A" and anything else that is not a number become missing fields.
// Lines without exactly three comma-separated fields (error messages, blank lines) are skipped.
std::vector<NvidiaSmiSample> parse_nvidia_smi_csv(std::string_view text);

}  // namespace kb::power
