#include "media/quicksync_format.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/text.h"
#include "power/power_reading.h"

namespace kb::media {
namespace {

// The seed's fps pattern never yields a value below 1, and its consumers (check 3 of the research
// notes: AVG_FPS `^\d+(\.\d+)?$`) expect a leading digit, so fps keeps the "0" bc would drop.
std::string fps_field(double fps) {
  std::string s = bc_scale2(fps);
  return s.front() == '.' ? "0" + s : s;
}

// ffmpeg prints the input's container bitrate as an integer (bit_rate / 1000, truncated); the
// epsilon keeps 18952.0 stored as 18951.999... from printing 18951.
std::string bitrate_field(const std::optional<double>& kbps) {
  // Unknown bitrate: "0 kb/s" keeps the row 8 fields wide and parseable (the server would drop a
  // row whose bitrate is not a number). kubench's runner always fills it from the clip's header.
  double v = kbps && std::isfinite(*kbps) && *kbps > 0 ? std::floor(*kbps + 1e-6) : 0.0;
  return fixed(v, 0) + " kb/s";
}

bool has_flag(const power::PowerReading& p, const std::string& flag) {
  return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end();
}

// The seed uploads "REJECTED" for readings under 3 W and the server stores null; we write N/A,
// which the server also stores as null, so no implausible reading reaches the community data.
// CPU encodes never had their power measured by the seed, so their column is always N/A.
std::string watts_field(const TestRun& run) {
  const auto& p = run.power;
  if (run.backend == "cpu" || !p.avg_watts || !std::isfinite(*p.avg_watts)) return "N/A";
  if (has_flag(p, "below_3w") || *p.avg_watts < power::kLowPowerWatts) return "N/A";
  return bc_scale2(*p.avg_watts);
}

// A field may not contain the column separator or a line break.
std::string table_safe(std::string_view text) {
  std::string out(trim(text));
  for (char& c : out)
    if (c == '|' || c == '\n' || c == '\r') c = ' ';
  return out;
}

// A concurrency cell: "-" is what the seed writes for a level with no usable speed, and what we
// write for levels the search skipped; the server parses both as 0.
std::string speed_cell(const std::optional<double>& mean_speed) {
  if (!mean_speed) return "-";
  std::string s = bc_scale2(*mean_speed);
  return s == "0" || s.front() == '-' ? "-" : s + "x";
}

}  // namespace

std::string bc_scale2(double value) {
  if (!std::isfinite(value)) return "0";
  // bc works in decimal; a double such as 232.03 is really 232.02999999999997. Rounding to six
  // decimals first recovers the decimal the measurement meant, then the cut truncates like bc.
  std::string s = fixed(std::fabs(value), 6);
  auto dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string hundredths = s.substr(dot + 1, 2);
  if (whole == "0" && hundredths == "00") return "0";
  std::string out = value < 0 ? "-" : "";
  if (whole != "0") out += whole;
  return out + "." + hundredths;
}

std::string quicksync_cpu_field(const BenchResult& result) { return table_safe(result.host.cpu_model); }

std::string quicksync_table(const BenchResult& result) {
  const std::string cpu = quicksync_cpu_field(result);
  std::string out = std::string(kQuickSyncHeader) + "\n";
  for (const auto& run : result.tests) {
    if (run.status != "ok") continue;  // the seed drops rows it cannot measure
    out += cpu + "|" + table_safe(run.test_id) + "|" + table_safe(run.clip) + "|" +
           bitrate_field(run.input_bitrate_kbps) + "|" + fixed(run.wall_seconds, 3) + "s|" + fps_field(run.fps) +
           "|" + bc_scale2(run.speed) + "x|" + watts_field(run) + "\n";
  }
  return out;
}

// The seed searched linearly (1, 2, 3, ... until below real time), so its rows are dense. kubench
// doubles and then bisects, so only some levels were measured: each measured level's mean speed
// sits at its 1-based column, unmeasured levels are "-", and the row ends at the highest level
// measured. The server computes max_concurrency as the highest column with speed >= 1.0 and
// parses "-" as 0, which gives the same answer as a dense row whenever speed falls with load.
std::string quicksync_concurrency_table(const BenchResult& result) {
  if (result.concurrency.empty()) return "";
  int columns = 0;
  for (const auto& c : result.concurrency) {
    columns = std::max(columns, c.cap);
    for (const auto& level : c.levels) columns = std::max(columns, level.streams);
  }
  std::string out = "CPU|TEST|FILE";
  for (int n = 1; n <= columns; ++n) out += "|" + std::to_string(n) + "x";
  out += "\n";

  const std::string cpu = quicksync_cpu_field(result);
  for (const auto& c : result.concurrency) {
    std::map<int, double> speed_by_streams;  // a level measured twice keeps its last measurement
    for (const auto& level : c.levels)
      if (level.streams > 0) speed_by_streams[level.streams] = level.mean_speed;
    if (speed_by_streams.empty()) continue;  // a row without speeds is rejected by the server
    out += cpu + "|" + table_safe(c.test_id) + "|" + table_safe(c.clip);
    const int highest = speed_by_streams.rbegin()->first;
    for (int n = 1; n <= highest; ++n) {
      auto it = speed_by_streams.find(n);
      out += "|" + speed_cell(it == speed_by_streams.end() ? std::nullopt : std::optional<double>(it->second));
    }
    out += "\n";
  }
  return out;
}

}  // namespace kb::media
