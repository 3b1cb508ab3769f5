// Which sweep variants to create now: the admission that keeps a sweep from flooding the
// scheduler. A variant is admitted only when a node of its target has the free allocatable for it
// (allocatable minus the requests of every non-terminated pod bound to it, counted as the
// scheduler counts them), within --max-parallel, highest priority first. Pure functions over
// listed Node and Pod objects; the runner feeds them from its watches.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/quantity.h"
#include "kube/pod_resources.h"
#include "jobs/image_platforms.h"
#include "jobs/sweep_suite.h"

namespace kb::jobs {

// The pod spec a target gives a variant's container (the requests the runner admits against).
ResourceList target_requests(const SweepTarget& target);

// Why a node cannot run the target's pods ("" when it can): not Ready, cordoned, a nodeSelector
// label it lacks, a required node affinity term it fails, a NoSchedule/NoExecute taint the
// target does not tolerate.
std::string node_mismatch(const nlohmann::json& node, const SweepTarget& target);
// Why kubench's image (bench, infer workloads) cannot run on `node`: "is arm64 and the image has amd64
// only"; "" when it can or `platforms` names none (a container workload's image is unknown).
std::string arch_mismatch(const nlohmann::json& node, const ImagePlatforms& platforms);

using kube::container_requests;
using kube::node_capacity;
using kube::NodeCapacity;
using kube::pod_requests;

struct PendingVariant {
  size_t key = 0;          // the caller's handle (returned in the plan)
  std::string target;
  int priority = 0;        // higher first; equal priorities keep the given order
  ResourceList requests;   // pod_requests of its pod
};

struct AdmissionInput {
  std::vector<NodeCapacity> nodes;
  std::map<std::string, std::vector<std::string>> target_nodes;  // target → nodes it may use
  // The sweep's own pods that exist (or are about to) but are not bound to a node yet: they hold
  // room on a node of their target that the listed pods do not show.
  std::vector<std::pair<std::string, ResourceList>> unbound;  // target, requests
  int in_flight = 0;     // variants created and not finished, in the whole sweep
  int max_parallel = 0;  // 0: no cap
  bool capacity_known = true;  // false: the nodes could not be read; only max_parallel applies
};

struct AdmissionPlan {
  std::vector<size_t> admit;                  // keys, in the order to create them
  std::map<size_t, std::string> waiting;      // key → why it waits, for the user
};

// Admits, highest priority first, each variant that fits on a node of its target after the
// variants admitted before it; within a target the order is kept (a variant that does not fit
// holds back the lower-priority ones of its target, which could otherwise starve it).
AdmissionPlan plan_admission(const AdmissionInput& input, const std::vector<PendingVariant>& pending);

}  // namespace kb::jobs
