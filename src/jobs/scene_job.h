// `kubench scenes run --kube`: the shards of a scene detection as Kubernetes Jobs in the user's
// namespace — one Indexed Job (shard = JOB_COMPLETION_INDEX) where the server keeps
// `completionMode: Indexed`, else one Job per shard with the shard in KUBENCH_SHARD_INDEX. Every
// pod mounts the user's volume (hostPath, PVC or NFS) at /data, reads the videos there, plans the
// shards itself from their sizes (scene/scene_plan.h), writes its parts' results beside them and
// prints them framed in its log for the collector. Pods prefer distinct nodes (anti-affinity).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/job_run.h"
#include "kube/client.h"

namespace kb::jobs {

inline constexpr const char* kScenesContainer = "scenes";
inline constexpr const char* kSceneVolumeMount = "/data";

struct SceneVolume {
  enum class Kind { host_path, pvc, nfs } kind = Kind::host_path;
  std::string path;    // hostPath directory, or the NFS export
  std::string claim;   // PVC name
  std::string server;  // NFS server
};
// "hostpath:/srv/videos", "pvc:videos", "nfs:nas.local:/export/videos"; UsageError otherwise.
SceneVolume parse_scene_volume(const std::string& text);
std::string describe(const SceneVolume& v);
// The pod's volume "data" for it.
nlohmann::json volume_json(const SceneVolume& v);
// UsageError for a path that is absolute or leaves the volume ("..").
void check_volume_path(const std::string& path, const std::string& what);

enum class SceneJobMode { indexed, per_shard };

struct SceneJobSpec {
  std::string run_id;
  std::string namespace_name;
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  SceneVolume volume;
  std::vector<std::string> videos;       // relative to the volume
  std::string shard_dir;                 // relative to the volume: where shard results go
  int shards = 1;
  std::vector<std::string> detect_flags; // detector and decoder flags (app's shard_flags)
  SceneJobMode mode = SceneJobMode::per_shard;
  bool one_per_node = false;             // anti-affinity required instead of preferred
  std::map<std::string, std::string> node_selector;
  std::vector<std::string> architectures;  // the image's (kubernetes.io/arch In ...); empty: any
  std::string cpu_request = "1";
  std::string memory_request = "256Mi";
  std::string memory_limit = "2Gi";
  long active_deadline_seconds = 6 * 3600;
};

// Refuses absolute video paths and ones that leave the volume ("..").
void validate(const SceneJobSpec& spec);

// The Job(s): one Indexed Job, or one Job per shard.
std::vector<nlohmann::json> render_scene_jobs(const SceneJobSpec& spec);

// The run: no namespace of its own (the volume's PVC lives in the user's), a target per shard
// whose result is a kubench/scene-shard-set/v1 document.
RunOptions scene_run_options(const SceneJobSpec& spec);

// Whether the server keeps `completionMode: Indexed` (1.21+ with the feature on): a server-side
// dry run of the Indexed Job, which an older server answers with the field dropped.
bool indexed_jobs_served(kube::Client& client, const SceneJobSpec& spec);

}  // namespace kb::jobs
