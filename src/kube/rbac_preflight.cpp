#include "kube/rbac_preflight.h"

namespace kb::kube {

std::vector<AccessCheck> run_permissions(const std::string& ns) {
  std::vector<AccessCheck> checks;
  std::string where = ns.empty() ? "kubench-preflight" : ns;
  if (ns.empty()) {
    checks.push_back({"create", "", "namespaces", "", ""});
    checks.push_back({"delete", "", "namespaces", "", ""});
    checks.push_back({"create", "", "serviceaccounts", "", where});  // the run's own, in its own namespace
  }
  for (const char* verb : {"create", "get", "list", "watch", "delete"}) checks.push_back({verb, "batch", "jobs", "", where});
  for (const char* verb : {"get", "list", "watch"}) checks.push_back({verb, "", "pods", "", where});
  checks.push_back({"get", "", "pods", "log", where});
  checks.push_back({"list", "", "events", "", where});
  return checks;
}

std::string describe(const AccessCheck& c) {
  std::string resource = c.resource + (c.subresource.empty() ? "" : "/" + c.subresource) + (c.group.empty() ? "" : "." + c.group);
  return c.verb + " " + resource + (c.namespace_name.empty() ? "" : " in namespace " + c.namespace_name);
}

std::vector<PermissionResult> check_permissions(Client& client, const std::vector<AccessCheck>& checks) {
  std::vector<PermissionResult> out;
  for (auto& c : checks) {
    PermissionResult r{c, false, ""};
    r.allowed = client.can_i(c, &r.reason);
    out.push_back(r);
  }
  return out;
}

void require_permissions(Client& client, const std::vector<AccessCheck>& checks) {
  std::string missing;
  for (auto& r : check_permissions(client, checks))
    if (!r.allowed) missing += (missing.empty() ? "" : "; ") + describe(r.check);
  if (!missing.empty())
    throw CheckFailed("not allowed to " + missing + " (as " + client.config().user_name +
                      "; ask your cluster admin, see docs/kubernetes.md#rbac)");
}

}  // namespace kb::kube
