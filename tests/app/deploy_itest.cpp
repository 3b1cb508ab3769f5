// deploy/quicksync/ is for people who only use `kubectl apply`: it must stay exactly what
// `kubench render` produces with the default settings.
#include <gtest/gtest.h>

#include "core/files.h"
#include "support/test_support.h"

namespace kb {
namespace {

TEST(DeployManifests, QuickSyncStaticManifestsEqualRender) {
  auto dir = test::fixtures_dir() / ".." / ".." / "deploy" / "quicksync";
  auto r = test::run_kubench({"render"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(read_file(dir / "namespace.yaml") + read_file(dir / "job.yaml"), r.stdout_text)
      << "deploy/quicksync/ drifted from `kubench render`: run deploy/quicksync/regenerate.sh";
  auto kustomization = read_file(dir / "kustomization.yaml");
  EXPECT_NE(kustomization.find("- namespace.yaml"), std::string::npos);
  EXPECT_NE(kustomization.find("- job.yaml"), std::string::npos);
}

TEST(DeployManifests, RenderRefusesWhatItCannotKnowWithoutACluster) {
  auto r = test::run_kubench({"render", "--accel", "auto"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--accel auto needs"), std::string::npos) << r.stderr_text;
  r = test::run_kubench({"render", "--run-id", "Bad_Id"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("--run-id must be lower-case"), std::string::npos) << r.stderr_text;
}

}  // namespace
}  // namespace kb
