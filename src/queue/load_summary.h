// The load client's summary at exit, as text tables (the JSON form is the /stats document).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace kb::queue {

// Overall figures (requests/s, p50/p90/p99), then per node and failures by reason when there are any.
std::string load_summary_text(const nlohmann::json& stats);

}  // namespace kb::queue
