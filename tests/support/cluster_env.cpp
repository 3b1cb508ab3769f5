#include "support/cluster_env.h"

#include <cstdlib>
#include <stdexcept>

#include "core/files.h"
#include "core/process.h"
#include "core/text.h"
#include "support/test_support.h"

namespace kb::test {

ClusterEnv::ClusterEnv() {
  const char* state = std::getenv("KUBENCH_CLUSTER_STATE");
  if (!state || !*state) throw std::runtime_error("KUBENCH_CLUSTER_STATE is not set: run with ctest -L cluster (tests/cluster/up.sh)");
  for (auto& line : split(read_file(std::string(state) + "/env"), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
    values_[line.substr(0, eq)] = value;
  }
}

const std::string& ClusterEnv::operator[](const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::runtime_error("the cluster env file has no " + key);
  return it->second;
}

void ClusterEnv::run_script(const std::string& script) const {
  ProcessSpec spec;
  spec.argv = {(fixtures_dir().parent_path() / "cluster" / script).string(), state()};
  spec.timeout = std::chrono::minutes(3);
  auto r = run_process(spec);
  if (!r.ok()) throw std::runtime_error(script + " failed: " + r.describe() + ": " + r.stderr_text + r.stdout_text);
}

}  // namespace kb::test
