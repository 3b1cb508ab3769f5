// The kubectl-style connection flags every Kubernetes command shares.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "kube/client.h"

namespace kb::app {

struct KubeFlags {
  std::string kubeconfig;
  std::string context;
  std::string namespace_name;
  double qps = 20;
  int burst = 40;
};

void add_kube_flags(CLI::App* cmd, KubeFlags& flags);
// Loads the kubeconfig and makes a client; errors name the file/context and what to do.
std::shared_ptr<kube::Client> connect(const KubeFlags& flags);

}  // namespace kb::app
