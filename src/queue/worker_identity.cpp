#include "queue/worker_identity.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kb::queue {

WorkerIdentity worker_identity_from_env() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || !host[0]) std::snprintf(host, sizeof host, "localhost");
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
  };
  WorkerIdentity id;
  id.node = env("KUBENCH_NODE_NAME");
  id.pod = env("KUBENCH_POD_NAME");
  // Outside a pod several workers share a host: the pid tells them apart at the broker.
  id.worker = id.pod.empty() ? std::string(host) + ":" + std::to_string(::getpid()) : id.pod;
  if (id.node.empty()) id.node = host;
  if (id.pod.empty()) id.pod = host;
  return id;
}

}  // namespace kb::queue
