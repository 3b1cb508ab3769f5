// A cluster-admin API client for the test cluster, for tests that check what a command left
// behind. Header-only: only the tests that link kube/ include it.
#pragma once
#include <memory>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "support/cluster_env.h"

namespace kb::test {

inline std::shared_ptr<kube::Client> cluster_admin(const ClusterEnv& env) {
  kube::LoadOptions load;
  load.kubeconfig = env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"];
  return std::make_shared<kube::Client>(std::make_shared<kube::Transport>(kube::load_rest_config(load)));
}

}  // namespace kb::test
