// Who a worker is, as its results report it: the node and pod from the downward API variables
// kubench's own Job pods set (KUBENCH_NODE_NAME, KUBENCH_POD_NAME), else this host's name.
#pragma once
#include <string>

namespace kb::queue {

struct WorkerIdentity {
  std::string node;
  std::string pod;
  std::string worker;  // the lease call's "worker": the pod, or host:pid outside a pod
};

WorkerIdentity worker_identity_from_env();

}  // namespace kb::queue
