// What a kubench run needs to be allowed to do, checked before anything is created.
#pragma once
#include <string>
#include <vector>

#include "kube/client.h"

namespace kb::kube {

struct PermissionResult {
  AccessCheck check;
  bool allowed = false;
  std::string reason;
};

// The verbs a run of Jobs uses: its own namespace with a service account (unless `ns` is given,
// then that namespace is used as is), Jobs, pods, pod logs, events.
std::vector<AccessCheck> run_permissions(const std::string& ns);
std::vector<PermissionResult> check_permissions(Client& client, const std::vector<AccessCheck>& checks);
// "create jobs.batch in namespace x" — how a missing permission is named to the user.
std::string describe(const AccessCheck& c);
// Throws CheckFailed naming every missing verb (kubectl-style), or returns when all are allowed.
void require_permissions(Client& client, const std::vector<AccessCheck>& checks);

}  // namespace kb::kube
