// One `infer` variant of `kubench sweep run --kube` on the real test cluster, in kubench's offline
// image (scripts/build-image.sh puts libtorch's runtime in it): the model from a ConfigMap, the
// result collected from the pod, the node recorded.
#include <gtest/gtest.h>

#include "core/files.h"
#include "infer/torch_models.h"
#include "support/cluster_env.h"
#include "support/sweep_records.h"
#include "support/test_support.h"

namespace kb::infer {
namespace {

TEST(SweepInferKube, AnInferVariantRunsInKubenchsImageWithItsModelFromAConfigMap) {
  test::ClusterEnv env;
  test::TempDir dir;
  test::save_linear_model(dir / "linear.pt");
  test::save_tensors(dir / "ones.pt", torch::ones({1, 3}));
  write_file_atomic(dir / "suite.yaml", R"(schema: kubench/sweep/v1
inputs: {files: [linear.pt, ones.pt]}
network: none
targets: {any: {}}
workload:
  infer:
    image: kubench.local/kubench:test
    imagePullPolicy: Never
    model: "{{ inputs }}/linear.pt"
    input: "{{ inputs }}/ones.pt"
    iterations: 100
    min_queries: 100
    min_duration: 0
)");
  const auto r = test::run_kubench({"sweep", "run", "--kube", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], (dir / "suite.yaml").string(),
                                    "--out", (dir / "out").string(), "--run-id", "t-sw-infer"},
                                   {}, 600);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto recs = test::sweep_records(dir / "out");
  ASSERT_EQ(recs.size(), 1u);
  const auto& result = recs[0]["result"];
  EXPECT_EQ(result["schema"], "kubench/infer/v1") << recs[0].dump();
  EXPECT_EQ(result["output_sum"], 21.0);  // the model really ran, on the given inputs, in the pod
  EXPECT_EQ(result["queries"], 100);
  EXPECT_EQ(result["node"], env["KUBENCH_CLUSTER_NODE"]);
  EXPECT_EQ(result["environment"]["libtorch_version"], "1.13.0");
  EXPECT_EQ(result["validity"]["valid"], true) << result["validity"].dump();
  EXPECT_GT(recs[0]["metrics"]["latency_p50_ms"].get<double>(), 0);
}

}  // namespace
}  // namespace kb::infer
