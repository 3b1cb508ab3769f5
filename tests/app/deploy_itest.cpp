// deploy/quicksync/ is for people who only use `kubectl apply`: it must stay exactly what
// `kubench render` produces with the default settings.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <set>

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

// deploy/scalability/: every manifest parses and names its object, every file a kustomization
// lists is there (and every manifest is listed by one), the dashboard is valid JSON. Whether the
// objects work is scale_validate_ctest's job (kubectl's kustomize, the real cluster).
TEST(DeployManifests, ScalabilityManifestsAreCompleteAndWellFormed) {
  namespace fs = std::filesystem;
  const auto root = (test::fixtures_dir() / ".." / ".." / "deploy" / "scalability").lexically_normal();
  std::set<fs::path> manifests, listed;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".yaml") continue;
    if (e.path().filename() == "kustomization.yaml") {
      auto k = YAML::LoadFile(e.path().string());
      for (const char* key : {"resources", "bases"})
        for (auto item : k[key]) {
          auto target = (e.path().parent_path() / item.as<std::string>()).lexically_normal();
          EXPECT_TRUE(fs::exists(target)) << e.path() << " lists " << target;
          listed.insert(target);
        }
      for (auto gen : k["configMapGenerator"])
        for (auto file : gen["files"]) EXPECT_TRUE(fs::exists(e.path().parent_path() / file.as<std::string>())) << file.as<std::string>();
      continue;
    }
    manifests.insert(e.path().lexically_normal());
    auto docs = YAML::LoadAllFromFile(e.path().string());
    ASSERT_FALSE(docs.empty()) << e.path();
    for (auto& d : docs) {
      EXPECT_TRUE(d["apiVersion"].IsScalar()) << e.path();
      EXPECT_TRUE(d["kind"].IsScalar()) << e.path();
      EXPECT_FALSE(d["metadata"]["name"].as<std::string>("").empty()) << e.path();
      EXPECT_EQ(d["metadata"]["labels"]["app.kubernetes.io/part-of"].as<std::string>(""), "kubench-scalability")
          << e.path() << " " << d["metadata"]["name"].as<std::string>("");
    }
  }
  for (auto& m : manifests) EXPECT_TRUE(listed.count(m)) << m << " is in no kustomization.yaml";
  EXPECT_GE(manifests.size(), 11u);
  auto dashboard = nlohmann::json::parse(read_file(root / "monitoring" / "grafana-dashboard.json"));
  EXPECT_GE(dashboard["panels"].size(), 6u);
  for (auto& panel : dashboard["panels"])
    for (auto& target : panel["targets"]) EXPECT_NE(target["expr"].get<std::string>().find("kubench_queue_"), std::string::npos);
}

}  // namespace
}  // namespace kb
