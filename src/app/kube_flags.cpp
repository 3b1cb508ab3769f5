#include "app/kube_flags.h"

#include "kube/kubeconfig.h"

namespace kb::app {

void add_kube_flags(CLI::App* cmd, KubeFlags& f) {
  cmd->add_option("--kubeconfig", f.kubeconfig, "kubeconfig file (alone, no merging); default $KUBECONFIG, then ~/.kube/config");
  cmd->add_option("--context", f.context, "kubeconfig context to use");
  cmd->add_option("-n,--namespace", f.namespace_name, "namespace");
  cmd->add_option("--qps", f.qps, "client-side request rate limit (default 20)");
  cmd->add_option("--burst", f.burst, "client-side burst (default 40)");
}

std::shared_ptr<kube::Client> connect(const KubeFlags& f) {
  kube::LoadOptions load;
  load.kubeconfig = f.kubeconfig;
  load.context = f.context;
  load.namespace_name = f.namespace_name;
  auto config = kube::load_rest_config(load);
  kube::TransportOptions options;
  options.qps = f.qps;
  options.burst = f.burst;
  return std::make_shared<kube::Client>(std::make_shared<kube::Transport>(config, options));
}

}  // namespace kb::app
