// The stages of `kubench encode --kube` as its pods run them (`kubench encode-pod prepare|part|join`),
// each on the shared volume's work directory:
//   prepare: the request (as JSON, paths under the volume's mount) → plan.json, scene cuts found
//            on the node; answers the plan.
//   part:    one part, idempotent — a part already committed and intact answers its record at once,
//            so a queue's at-least-once delivery and the producer's resubmits are harmless. Many
//            run at once (shared lock).
//   join:    every part committed, the audio, join, verification, output in place; answers the
//            report. The work directory goes unless the request kept it.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "encode/encode_request.h"
#include "encode/work_dir.h"

namespace kb::encode {

// The request as JSON for a pod, and back (UsageError for a malformed one).
nlohmann::json request_to_json(const EncodeRequest& request);
EncodeRequest request_from_json(const nlohmann::json& j);

// The plan document (without the source's keyframe list, which only the pods need).
nlohmann::json prepare_stage(const EncodeRequest& request, const EncodeEvents& events);
// `reused`: the part was there already. `backend` (nullopt: the plan's) and `device` ("" : the
// plan's) are the worker's own: with mixed encoders each node class uses its family.
PartRecord part_stage(const std::filesystem::path& work_dir, int index, bool& reused, std::optional<probe::Backend> backend = std::nullopt,
                      const std::string& device = "");
// The kubench/encode/v1 report (every part marked encoded; the producer knows which it reused).
nlohmann::json join_stage(const std::filesystem::path& work_dir, const EncodeEvents& events);

}  // namespace kb::encode
