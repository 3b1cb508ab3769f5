// The kubench/encode/v1 report of a finished encode — the same document whether the parts were
// made here or on the cluster's nodes — and its text for the terminal.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "encode/join_verify.h"
#include "encode/work_dir.h"

namespace kb::encode {

struct EncodeTimings {
  double encode_s = 0, total_s = 0;
};

// `records` and `reused` by part index; `where` describes how the parts ran ({"jobs": 2} here,
// the worker classes on a cluster).
nlohmann::json encode_report(const PreparedEncode& prepared, const std::vector<PartRecord>& records, const std::vector<bool>& reused,
                             const AudioTrack& audio, const JoinResult& joined, const EncodeTimings& timings, const nlohmann::json& where);

// What the user reads: the plan in brief, the parts, the verification and the timings.
std::string render_encode_report(const nlohmann::json& report);

}  // namespace kb::encode
