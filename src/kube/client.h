// The Kubernetes API as kubench uses it: generic CRUD by group/version/resource, server-side
// apply, discovery, watch that never misses or repeats an event, log follow that resumes, and
// RBAC checks. Knows nothing of media.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kube/api_error.h"
#include "kube/transport.h"

namespace kb::kube {

using nlohmann::json;

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "pods"
  bool namespaced = true;
};
namespace resources {
inline const Resource namespaces{"", "v1", "namespaces", false};
inline const Resource nodes{"", "v1", "nodes", false};
inline const Resource pods{"", "v1", "pods", true};
inline const Resource events{"", "v1", "events", true};
inline const Resource service_accounts{"", "v1", "serviceaccounts", true};
inline const Resource config_maps{"", "v1", "configmaps", true};
inline const Resource services{"", "v1", "services", true};
inline const Resource secrets{"", "v1", "secrets", true};
inline const Resource jobs{"batch", "v1", "jobs", true};
inline const Resource deployments{"apps", "v1", "deployments", true};
inline const Resource network_policies{"networking.k8s.io", "v1", "networkpolicies", true};
inline const Resource priority_classes{"scheduling.k8s.io", "v1", "priorityclasses", false};
}  // namespace resources

// "/api/v1/namespaces/ns/pods/name/log", "/apis/batch/v1/jobs"...
std::string resource_path(const Resource& r, const std::string& ns = "", const std::string& name = "",
                          const std::string& subresource = "");

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  long limit = 500;  // page size; pages are followed with `continue`
  // list_watch only: watch from this version without listing first (e.g. a version the caller
  // already holds). If the server no longer has it (410), list_watch lists and sends a SYNC.
  std::string resource_version;
  // list_watch only: set from another thread to make list_watch return (within about a second).
  const std::atomic<bool>* cancel = nullptr;
};

enum class PatchType { merge, strategic, json_patch };

struct WatchEvent {
  std::string type;  // ADDED | MODIFIED | DELETED | BOOKMARK | SYNC (a full list after (re)listing)
  json object;       // for SYNC: the list's items array
};

struct LogOptions {
  std::string container;
  std::string since_time;  // RFC 3339; "" = from the start
  bool timestamps = false; // hand the server's timestamps to the caller
  const std::atomic<bool>* cancel = nullptr;  // set from another thread to make follow_log return
};

struct AccessCheck {
  std::string verb, group, resource, subresource, namespace_name;
};

class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport);

  const RestConfig& config() const { return transport_->config(); }
  Transport& transport() { return *transport_; }

  // Raw JSON request; throws ApiError for an error status.
  json request(const std::string& method, const std::string& path, const json* body = nullptr,
               const std::string& content_type = "application/json");

  json get(const Resource& r, const std::string& ns, const std::string& name);
  std::optional<json> get_if_exists(const Resource& r, const std::string& ns, const std::string& name);
  // All pages merged: {"items": [...], "metadata": {"resourceVersion": ...}}.
  json list(const Resource& r, const std::string& ns, const ListOptions& options = {});
  // The same items one at a time, for lists too large to hold (5,000 pods parse to ~250 MB): the
  // next page is fetched while this one is parsed, each item is handed over as it is parsed (keys
  // in `drop_keys`, such as managedFields, left out at any depth) and a page is freed before the
  // one after it is parsed. Returns the list's resourceVersion.
  std::string list_each(const Resource& r, const std::string& ns, const ListOptions& options,
                        const std::function<void(json&& item)>& on_item, const std::set<std::string>& drop_keys = {});
  json create(const Resource& r, const std::string& ns, const json& object, bool dry_run = false);
  json replace(const Resource& r, const std::string& ns, const json& object, bool dry_run = false);
  json patch(const Resource& r, const std::string& ns, const std::string& name, const json& patch, PatchType type,
             bool dry_run = false, const std::string& subresource = "");
  // Server-side apply with fieldManager=kubench (force takes over conflicting fields).
  json apply(const Resource& r, const std::string& ns, const json& object, bool force = true, bool dry_run = false);
  // Returns false when it was already gone.
  bool remove(const Resource& r, const std::string& ns, const std::string& name,
              const std::string& propagation = "Background", bool dry_run = false);
  json scale(const Resource& r, const std::string& ns, const std::string& name, int replicas);

  std::string server_version();  // "v1.20.15"
  // Does the server serve this group/version/resource? (Indexed Jobs, native sidecars...)
  bool has_resource(const std::string& group_version, const std::string& plural);
  std::vector<std::string> group_versions();

  // LIST, then WATCH from the list's resourceVersion; after a dropped connection it re-watches
  // from the last version seen (bookmarks included); on 410 Gone it lists again and delivers a
  // SYNC. `handler` returns false to stop. Runs until stopped (or Ctrl-C).
  void list_watch(const Resource& r, const std::string& ns, const ListOptions& options,
                  const std::function<bool(const WatchEvent&)>& handler);

  // Follows a container's log line by line until the container ends or `on_line` returns
  // false; reconnects after a dropped stream without repeating or losing lines. Waits while the
  // container has not started, or its node's kubelet has not taken the pod in yet.
  void follow_log(const std::string& ns, const std::string& pod, const LogOptions& options,
                  const std::function<bool(std::string_view line)>& on_line);
  std::string read_log(const std::string& ns, const std::string& pod, const std::string& container, long tail_lines = -1);

  // SelfSubjectAccessReview.
  bool can_i(const AccessCheck& check, std::string* reason = nullptr);
  // SelfSubjectReview when the server has it (1.27+), else the user name from the kubeconfig.
  std::string who_am_i();

 private:
  std::shared_ptr<Transport> transport_;
};

}  // namespace kb::kube
