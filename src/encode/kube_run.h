// `kubench encode --kube`: the same split encode with the cluster's nodes as the encoders. The
// input, the work directory and the output live on a volume every pod mounts. kubench (here) is
// the producer and the only coordinator; Kubernetes runs everything else:
//   1. the capability matrix (cached; nodes not yet probed get a probe Job);
//   2. a prepare Job reads the source and plans the parts (plan.json on the volume);
//   3. the route gives worker classes (node, encoder, slots); a broker Deployment and one worker
//      Deployment per class start; every part not yet done is submitted through the API server's
//      service proxy and waited for, so faster nodes take more; failed or lost parts are submitted
//      again (elsewhere), a node that fails twice is dropped;
//   4. workers and broker go, a join Job on the route's join node joins and verifies.
// On failure or Ctrl-C every object of the run is deleted and the work directory kept (a rerun
// resumes from it).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "encode/cluster_capabilities.h"
#include "encode/encode_request.h"
#include "jobs/scene_job.h"
#include "kube/client.h"
#include "route/route_plan.h"

namespace kb::encode {

struct KubeEncodeRequest {
  EncodeRequest encode;          // input, output, work_dir relative to the volume
  bool auto_backend = true;      // the route chooses the encoder family; else encode.backend
  jobs::SceneVolume volume;
  std::string run_id;            // "" : encode-<time>
  route::RoutePolicy policy;
  double cpu_per_part = 0;       // cores a CPU part reserves (0: its threads, at least 1)
  int lease_seconds = 30;
  ClusterProbeOptions probe;     // image, pull policy, max age…
  bool keep = false;             // leave the objects for inspection
  double cleanup_timeout = 120;
};

// The kubench/encode/v1 report (with "workers", "route" and "run_id"); with encode.dry_run the plan
// and the route only. Errors as run_encode_locally, plus EnvironmentError when the cluster cannot
// run the pods (unschedulable, image missing) or the broker stays unreachable.
nlohmann::json run_encode_on_kube(kube::Client& client, const KubeEncodeRequest& request, const EncodeEvents& events);

}  // namespace kb::encode
