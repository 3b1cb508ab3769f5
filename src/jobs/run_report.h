// The document of `kubench run --kube` (kubench/run/v1, saved as run.json) and its comparison:
// one row per node and test. The same table for the command's own output and `kubench report`.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/report.h"
#include "jobs/job_run.h"

namespace kb::jobs {

// node → its GPU as its labels name it (for nodes whose result does not say).
using NodeGpus = std::map<std::string, std::string>;

nlohmann::json run_document(const RunReport& r, const std::string& server, const NodeGpus& gpus);

// NODE, GPU, BACKEND, TEST, FPS, SPEED, WATTS, FPS/W, STATUS from a run document.
Table run_comparison(const nlohmann::json& doc);

Report run_report(const nlohmann::json& doc);

}  // namespace kb::jobs
