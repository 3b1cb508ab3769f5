// `kubench encode` on this machine: read the source, find its scene cuts (or split at fixed
// lengths), plan the parts, encode them `jobs` at a time (longest first, so the last to finish
// is short), the audio once, join, decode the output once to verify it, and only then put it in
// place. The work directory keeps every checked part: a rerun redoes only what is missing or
// damaged. Progress (parts done, fps, ETA) through the events.
#pragma once
#include <nlohmann/json.hpp>

#include "encode/encode_request.h"

namespace kb::encode {

// The kubench/encode/v1 report (kubench/encode-plan/v1 with dry_run). ParseError (exit 2) for an input that is not a constant-rate
// video; CheckFailed (exit 1) for a part that fails every attempt or an output that does not
// verify (no output written, work directory kept); Interrupted (130), work directory kept.
nlohmann::json run_encode_locally(const EncodeRequest& request, const EncodeEvents& events);

}  // namespace kb::encode
