// The ScaleTarget of `kubench scale validate` on Kubernetes: the backends are a Deployment scaled
// through its scale subresource and waited for pod by pod; the load client (`kubench queue load`)
// is reached through the API server's service proxy, so the validating machine needs no route
// to ClusterIPs (the seed's script did) and no port-forward.
#pragma once
#include <string>

#include "kube/client.h"
#include "queue/scale_validate.h"

namespace kb::queue {

struct KubeScaleOptions {
  std::string backend;            // Deployment name
  std::string backend_namespace;
  std::string client_service;     // Service in front of the load client's API
  std::string client_namespace;
  std::string client_port;        // the Service's port (number or name); "": its only port (check())
  double ready_timeout_s = 120;   // for all backends to run after a scale
};

// "app=worker,tier in (a,b)" from a LabelSelector object (matchLabels, matchExpressions).
std::string label_selector_text(const nlohmann::json& selector);

// Why these pods are not (all) running, from their status: the scheduler's message, a container
// waiting for a reason (image pull, crash loop). "" when nothing is wrong yet. `fatal` is set when
// waiting cannot help (image pull errors, bad config, crash loops).
std::string pods_not_running_reason(const nlohmann::json& pods, bool* fatal = nullptr);

class KubeScaleTarget : public ScaleTarget {
 public:
  KubeScaleTarget(kube::Client& client, KubeScaleOptions options);

  // Checks the Deployment and the Service exist (errors name them) before anything changes.
  void check();

  std::string describe() const override;
  int backend_replicas() override;
  void scale_backends(int n) override;
  int parallelism() override;
  void set_parallelism(int k) override;
  void reset_stats() override;
  nlohmann::json stats() override;
  void wait(std::chrono::milliseconds d) override;

 private:
  std::string proxy_path(const std::string& path) const;
  nlohmann::json deployment();

  kube::Client& client_;
  KubeScaleOptions o_;
};

}  // namespace kb::queue
