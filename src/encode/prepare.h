// The first stage of a split encode, the same on this machine and in the cluster's prepare Job:
// check the paths, read the source, choose the encoder, find the scene cuts (reused from an
// earlier run of the same source and detector), plan the parts and store the plan in the work
// directory. Everything a later stage needs — a part's encoder (`kubench encode part`), the join
// (`kubench encode join`) — comes from that stored plan, so every stage of one encode uses the
// very same settings wherever it runs.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "encode/encode_request.h"
#include "encode/part_encoder.h"
#include "encode/work_dir.h"
#include "media/source_info.h"

namespace kb::encode {

struct PreparedEncode {
  EncodeRequest request;           // with the encoder chosen (--accel auto resolved)
  media::SourceInfo source;
  std::string identity;            // the source's sampled sha256
  nlohmann::json settings;         // what every part is made with (part keys hash it)
  std::string chosen_by;           // why this encoder
  std::vector<std::int64_t> cuts;
  bool cuts_reused = false;
  std::vector<Part> parts;
  std::vector<std::string> keys;   // part_key() of each part, by index
  double probe_s = 0, detect_s = 0;
};

// The UsageError for an output that exists without --force, an input that is the output, or an
// output name without a muxer; checked before any work.
void check_encode_paths(const EncodeRequest& request);

// OUTPUT.kubench-work beside the output unless the request names one.
std::filesystem::path work_dir_of(const EncodeRequest& request);

// Source, encoder, cuts and parts. `work` null: nothing read or written (a dry run); else the work
// directory is opened there (exclusive) once the source proved to be a video, so bad input leaves
// nothing behind.
PreparedEncode prepare_encode(const EncodeRequest& request, std::unique_ptr<WorkDirectory>* work, const EncodeEvents& events);

// The kubench/encode-plan/v1 document (plan.json), and back. ParseError names `origin`.
nlohmann::json plan_document(const PreparedEncode& prepared);
PreparedEncode prepared_from_plan(const nlohmann::json& plan, const std::string& origin);
// The plan stored in the work directory; ParseError when there is none.
PreparedEncode read_stored_plan(const WorkDirectory& work);

// The job of the part at `index` (plan order), to run with `ffmpeg` and recorded as made on `node`.
PartJob part_job(const PreparedEncode& prepared, int index, const std::string& ffmpeg, const std::string& node);
// The same part with another encoder family (mixed encoders): its own settings and key.
PartJob part_job_with(const PreparedEncode& prepared, int index, const std::string& ffmpeg, const std::string& node, probe::Backend backend,
                      const std::string& device);
// The keys a committed part of `index` may carry: the plan's family's, and with mixed encoders
// every family's that has an encoder for the codec.
std::vector<std::string> acceptable_keys(const PreparedEncode& prepared, int index);

// This machine's name: $KUBENCH_NODE_NAME in a pod (the node's, from the downward API), else the host name.
std::string this_node();

}  // namespace kb::encode
