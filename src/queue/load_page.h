// The load client's HTML page: the /stats snapshot for people. Node, pod, device and failure
// texts come from workers and clients anywhere on the network, so every value on the page goes
// through html_escape (the seed's page echoed them raw: stored XSS); the page has no script,
// and its Content-Security-Policy forbids any.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/text.h"  // html_escape

namespace kb::queue {

// `stats` is LoadStats::snapshot() plus the client's "queue", "broker", "parallelism",
// "max_parallelism" and "in_flight".
std::string render_load_page(const nlohmann::json& stats);

inline constexpr const char* kLoadPagePolicy = "default-src 'none'; style-src 'unsafe-inline'";

}  // namespace kb::queue
