#include "app/share_listing.h"

namespace kb::app {

ClusterShares list_cluster_shares(kube::Client& client, const std::string& node) {
  ClusterShares out;
  out.nodes = client.list(kube::resources::nodes, "");
  share::PodTally pods;
  client.list_each(kube::resources::pods, "", {}, [&](nlohmann::json&& pod) { pods.add(pod); },
                   {"managedFields", "conditions", "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses",
                    "tolerations", "affinity", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"});
  const auto& items = out.nodes["items"];
  out.view = share::share_view(items.is_array() ? items.get_ref<const nlohmann::json::array_t&>() : nlohmann::json::array_t{},
                               std::move(pods), node);
  return out;
}

}  // namespace kb::app
