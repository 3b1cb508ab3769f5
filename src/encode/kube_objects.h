// The Kubernetes objects of `kubench encode --kube`, rendered from the plan and the route (pure):
//   - a prepare Job (`kubench encode-pod prepare`): reads the source on the volume, finds the
//     cuts, writes the plan into the work directory and answers it framed in its log;
//   - the queue broker (`kubench queue serve`) as a Deployment and Service, its worker token in a
//     Secret;
//   - one worker Deployment per route class (`kubench queue work --workload exec -- kubench
//     encode-pod part`), pinned to its node with the GPU resource the class needs and as many
//     slots as the route gave it: faster nodes pull more parts;
//   - a join Job (`kubench encode-pod join`) on the node the route chose.
// Every pod mounts the user's volume at /data (hostPath, PVC or NFS, as `scenes run --kube`).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/job_run.h"
#include "jobs/scene_job.h"
#include "route/route_plan.h"

namespace kb::encode {

inline constexpr const char* kEncodeQueue = "encode";
inline constexpr const char* kEncodeContainer = "encode";
inline constexpr int kBrokerPort = 8080;

struct KubeEncodeSpec {
  std::string run_id, namespace_name, image, image_pull_policy = "IfNotPresent";
  std::vector<std::string> architectures;  // the image's: every pod requires kubernetes.io/arch In these
  jobs::SceneVolume volume;
  nlohmann::json request;      // request_to_json(), its paths under /data
  std::string work_dir;        // under /data
  std::vector<route::WorkerClass> workers;
  std::string join_node;       // "" : anywhere
  // Where workers reach the broker: its pod's IP once it runs (no cluster DNS or kube-proxy
  // needed, as for the producer, which goes through the API server); "" : the Service's name.
  std::string broker_address;
  int cpu_milli_per_part = 1000;
  int lease_seconds = 30;
  std::string memory_limit = "2Gi";  // per slot
  long deadline_seconds = 6 * 3600;
};

std::string broker_name(const KubeEncodeSpec& spec);   // Deployment and Service
std::string token_secret_name(const KubeEncodeSpec& spec);
std::string worker_name(const KubeEncodeSpec& spec, size_t worker_class);
std::string prepare_job_name(const KubeEncodeSpec& spec);
std::string join_job_name(const KubeEncodeSpec& spec);

// Secret, broker Deployment, Service.
std::vector<nlohmann::json> render_broker(const KubeEncodeSpec& spec, const std::string& worker_token);
// One Deployment per worker class.
std::vector<nlohmann::json> render_workers(const KubeEncodeSpec& spec);

// The one-Job runs (jobs::JobRun) of the prepare and join stages.
jobs::RunOptions prepare_run_options(const KubeEncodeSpec& spec);
jobs::RunOptions join_run_options(const KubeEncodeSpec& spec);

// The label selector of every pod of the run (broker, workers, Jobs).
std::string run_selector(const KubeEncodeSpec& spec);

}  // namespace kb::encode
