// Where the cluster's capability matrix lives between commands: the ConfigMap
// `kubench-capabilities` (data `matrix.json`, each node with its own probe time), so `kubench
// encode --kube` and later probes reuse measurements younger than --max-age; and the node labels
// `nodes probe --label` writes in node feature discovery's style.
#pragma once
#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/client.h"
#include "route/capability_matrix.h"

namespace kb::route {

inline constexpr const char* kCapabilitiesConfigMap = "kubench-capabilities";
inline constexpr const char* kEncoderLabelPrefix = "kubench.io/encoder.";
inline constexpr const char* kProbedLabel = "kubench.io/capabilities-probed";

nlohmann::json capabilities_configmap(const CapabilityMatrix& matrix, const std::string& ns);
// The matrix in the ConfigMap of `ns`; an empty one when there is none. ParseError for a damaged one.
CapabilityMatrix read_cached_matrix(kube::Client& client, const std::string& ns);
void write_cached_matrix(kube::Client& client, const std::string& ns, const CapabilityMatrix& matrix);

// The nodes among `nodes` without a cached entry probed within `max_age` before `now` (or with a
// failed probe); all of them with `refresh`.
std::vector<std::string> nodes_to_probe(const CapabilityMatrix& cached, const std::vector<std::string>& nodes, std::time_t now,
                                        std::chrono::seconds max_age, bool refresh);

// A merge patch for the node's labels: `kubench.io/encoder.NAME: "true"` for every working,
// joinable encoder, null for those of ours the node has that are no longer true, and the probe
// time (20261207T043913Z).
nlohmann::json label_patch(const NodeCapabilities& node, const std::map<std::string, std::string>& current_labels);

}  // namespace kb::route
