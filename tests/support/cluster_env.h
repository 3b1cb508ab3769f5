// The real test cluster (tests/cluster/up.sh) as the `cluster`-labelled tests see it:
// the KEY=value lines of $KUBENCH_CLUSTER_STATE/env.
#pragma once
#include <map>
#include <string>

namespace kb::test {

class ClusterEnv {
 public:
  // Reads $KUBENCH_CLUSTER_STATE/env; throws with what to do when the cluster is not up.
  ClusterEnv();
  const std::string& operator[](const std::string& key) const;
  std::string state() const { return (*this)["KUBENCH_CLUSTER_STATE"]; }
  // Runs tests/cluster/<script> STATE and throws if it fails.
  void run_script(const std::string& script) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace kb::test
