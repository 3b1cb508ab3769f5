// The share view of a cluster from its two list calls, for `share show`, `plan` and `check`.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/client.h"
#include "share/share_view.h"

namespace kb::app {

struct ClusterShares {
  nlohmann::json nodes;  // the listed Nodes ({"items": [...]}), for callers that need more of them
  std::vector<share::NodeShare> view;
};

// Pods are folded in as each page is parsed, with the fields no view reads left out, so a
// 5,000-pod cluster is never held at once. An unknown `node` is a UsageError.
ClusterShares list_cluster_shares(kube::Client& client, const std::string& node);

}  // namespace kb::app
