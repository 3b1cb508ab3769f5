#include "encode/encode_report.h"

#include <map>

#include "core/output.h"
#include "core/text.h"

namespace kb::encode {

nlohmann::json encode_report(const PreparedEncode& p, const std::vector<PartRecord>& records, const std::vector<bool>& reused,
                             const AudioTrack& audio, const JoinResult& joined, const EncodeTimings& timings, const nlohmann::json& where) {
  const auto& r = p.request;
  const auto& source = p.source;
  nlohmann::json part_rows = nlohmann::json::array();
  int reused_count = 0;
  std::map<std::string, int> encoders;
  for (auto& part : p.parts) {
    const auto i = static_cast<size_t>(part.index);
    const auto& rec = records.at(i);
    reused_count += reused.at(i);
    ++encoders[rec.encoder];
    part_rows.push_back({{"index", part.index}, {"first", part.first}, {"frames", part.frames}, {"border", part.border},
                         {"reused", static_cast<bool>(reused.at(i))}, {"encoder", rec.encoder}, {"node", rec.node},
                         {"attempts", rec.attempts}, {"wall_s", rec.wall_s}, {"fps", rec.fps}, {"bytes", rec.bytes}});
  }
  nlohmann::json report = {
      {"kind", "kubench/encode/v1"},
      {"input", r.input.string()},
      {"output", r.output.string()},
      {"work_dir", r.keep_work ? nlohmann::json(work_dir_of(r).string()) : nlohmann::json(nullptr)},
      {"settings", p.settings},
      {"encoder_chosen_by", p.chosen_by},
      {"jobs", r.jobs},
      {"source", {{"frames", source.frames}, {"rate", media::to_string(source.rate)}, {"duration_s", source.duration_s()},
                  {"width", source.width}, {"height", source.height}, {"codec", source.codec}, {"audio_codec", source.audio_codec}}},
      {"split", {{"rule", r.split.fixed ? "fixed:" + fixed(r.split.fixed_s, 3) : "scenes"}, {"max_part_s", r.split.max_part_s},
                 {"cuts", p.cuts}, {"cuts_reused", p.cuts_reused}}},
      {"audio", {{"mode", audio.present ? r.audio : "none"}, {"reused", audio.reused}}},
      {"parts", part_rows},
      {"reused_parts", reused_count},
      {"encoders", encoders},
      {"in_band_parameter_sets", joined.in_band_parts},
      {"verification", joined.verification},
      {"bytes", joined.bytes},
      {"timings", {{"probe_s", p.probe_s}, {"detect_s", p.detect_s}, {"encode_s", timings.encode_s}, {"join_s", joined.join_s},
                   {"verify_s", joined.verify_s}, {"total_s", timings.total_s}}},
      {"fps", timings.total_s > 0 ? static_cast<double>(source.frames) / timings.total_s : 0}};
  for (auto& [key, value] : where.items()) report[key] = value;
  return report;
}

std::string render_encode_report(const nlohmann::json& report) {
  std::string out;
  const auto& s = report.at("source");
  const auto& parts = report.at("parts");
  const bool kube = report.contains("workers");
  out += report.at("output").get<std::string>() + ": " + std::to_string(s.at("frames").get<std::int64_t>()) + " frames at " +
         s.at("rate").get<std::string>() + " fps, " + report.at("settings").at("encoder").get<std::string>() + ", " +
         std::to_string(parts.size()) + " parts (" + report.at("split").at("rule").get<std::string>() + "), " +
         (kube ? std::to_string(report.at("workers").size()) + " worker classes on the cluster"
               : std::to_string(report.at("jobs").get<int>()) + " at once") +
         "\n";
  Table table;
  table.headers = {"PART", "FIRST", "FRAMES", "ENDS AT", "ENCODER", "NODE", "ATTEMPTS", "FPS", "STATE"};
  table.right_aligned = {0, 1, 2, 6, 7};
  for (auto& p : parts)
    table.rows.push_back({std::to_string(p.at("index").get<int>()), std::to_string(p.at("first").get<std::int64_t>()),
                          std::to_string(p.at("frames").get<std::int64_t>()), p.at("border").get<std::string>(),
                          p.at("encoder").get<std::string>(), p.at("node").get<std::string>(), std::to_string(p.at("attempts").get<int>()),
                          fixed(p.at("fps").get<double>(), 1), p.at("reused").get<bool>() ? "reused" : "encoded"});
  out += table.render();
  if (report.contains("encoders") && report.at("encoders").size() > 1) {
    std::string mixed;
    for (auto& [encoder, n] : report.at("encoders").items()) mixed += (mixed.empty() ? "" : ", ") + encoder + " " + std::to_string(n.get<int>());
    out += "mixed encoders (--allow-mixed-encoders): " + mixed + " parts; " + std::to_string(report.value("in_band_parameter_sets", 0)) +
           " parts carry their own parameter sets in band\n";
  }
  const auto& v = report.at("verification");
  out += "verified: " + std::to_string(v.at("frames").get<std::int64_t>()) + "/" + std::to_string(v.at("source_frames").get<std::int64_t>()) +
         " frames, " + fixed(v.at("duration_s").get<double>(), 3) + " s";
  if (report.at("audio").at("mode") != "none")
    out += ", " + std::to_string(v.at("audio_samples").get<std::int64_t>()) + "/" + std::to_string(v.at("source_audio_samples").get<std::int64_t>()) +
           " audio samples";
  out += "\n";
  const auto& tm = report.at("timings");
  out += "time: " + fixed(tm.at("total_s").get<double>(), 2) + " s (scene cuts " + fixed(tm.at("detect_s").get<double>(), 2) +
         ", parts " + fixed(tm.at("encode_s").get<double>(), 2) + ", join " + fixed(tm.at("join_s").get<double>(), 2) +
         ", verify " + fixed(tm.at("verify_s").get<double>(), 2) + "), " + fixed(report.at("fps").get<double>(), 1) + " fps overall\n";
  return out;
}

}  // namespace kb::encode
