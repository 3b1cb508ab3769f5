// The image's architectures (flag, recorded OCI index, published list), the kubernetes.io/arch
// requirement every pod of kubench's image gets, and the nodes left out for it, named.
#include "jobs/image_platforms.h"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "jobs/job_render.h"
#include "jobs/node_probe_job.h"
#include "jobs/run_targets.h"
#include "jobs/scene_job.h"

namespace kb::jobs {
namespace {

using nlohmann::json;
using kube::NodeInventory;
using Strings = std::vector<std::string>;

// The index scripts/build-image.sh writes for a two-platform image.
const json kIndex = json::parse(R"({
  "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aa", "size": 1,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:bb", "size": 1,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]})");

NodeInventory node(const std::string& name, const std::string& arch) {
  NodeInventory n;
  n.name = name;
  n.ready = true;
  n.architecture = arch;
  return n;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kubench-platforms-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

// The required node affinity's matchExpressions on kubernetes.io/arch, term by term.
std::vector<json> arch_terms(const json& pod) {
  std::vector<json> out;
  const json::json_pointer terms("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
  for (auto& term : pod.contains(terms) ? pod[terms] : json::array())
    for (auto& e : term.value("matchExpressions", json::array()))
      if (e["key"] == "kubernetes.io/arch") out.push_back(e);
  return out;
}

TEST(ImagePlatforms, TheFlagTakesNamesOrPlatforms) {
  EXPECT_EQ(parse_platform_list("amd64,arm64"), (Strings{"amd64", "arm64"}));
  EXPECT_EQ(parse_platform_list(" linux/amd64 , linux/arm64/v8,arm64"), (Strings{"amd64", "arm64"}));
  EXPECT_THROW(parse_platform_list(""), UsageError);
  EXPECT_THROW(parse_platform_list(" , "), UsageError);
  EXPECT_THROW(parse_platform_list("windows/amd64"), UsageError);
  EXPECT_THROW(parse_platform_list("ARM64"), UsageError);
  EXPECT_THROW(parse_platform_list("linux/arm64/v8/x"), UsageError);
}

TEST(ImagePlatforms, AnIndexGivesItsLinuxArchitectures) {
  EXPECT_EQ(index_architectures(kIndex), (Strings{"amd64", "arm64"}));
  json windows = kIndex;
  windows["manifests"][1]["platform"] = {{"architecture", "amd64"}, {"os", "windows"}};
  EXPECT_EQ(index_architectures(windows), (Strings{"amd64"}));
  EXPECT_THROW(index_architectures(json::object()), std::runtime_error);              // a manifest, not an index
  EXPECT_THROW(index_architectures(json{{"manifests", json::array()}}), std::runtime_error);
}

TEST(ImagePlatforms, TheRecordIsNamedAsJqsUriEncoding) {
  EXPECT_EQ(platform_record_name("kubench.local/kubench:dev"), "kubench.local%2Fkubench%3Adev.json");
  EXPECT_EQ(platform_record_name("reg:5000/a_b~c@sha256:1"), "reg%3A5000%2Fa_b~c%40sha256%3A1.json");
}

TEST(ImagePlatforms, FlagThenRecordThenThePublishedList) {
  TempDir dir;
  const std::string image = "kubench.local/kubench:dev";
  auto published = image_platforms(image, "", dir.path);
  EXPECT_EQ(published.architectures, published_architectures());
  EXPECT_NE(published.source.find("published"), std::string::npos);

  json amd64_only = kIndex;
  amd64_only["manifests"].erase(1);
  dir.write(platform_record_name(image), amd64_only.dump());
  auto recorded = image_platforms(image, "", dir.path);
  EXPECT_EQ(recorded.architectures, Strings{"amd64"});
  EXPECT_NE(recorded.source.find("build-image.sh"), std::string::npos);
  EXPECT_EQ(image_platforms("other/image:1", "", dir.path).architectures, published_architectures());  // another image's record

  auto flagged = image_platforms(image, "arm64", dir.path);
  EXPECT_EQ(flagged.architectures, Strings{"arm64"});
  EXPECT_EQ(flagged.source, "--image-platforms");

  dir.write(platform_record_name(image), "{not json");
  try {
    image_platforms(image, "", dir.path);
    ADD_FAILURE() << "a corrupt record was taken";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(platform_record_name(image)), std::string::npos) << e.what();
  }
}

TEST(ImagePlatforms, ANodeIsLeftOutWithItsArchitectureAndTheImagesNamed) {
  const ImagePlatforms amd64{{"amd64"}, "its index"};
  EXPECT_EQ(arch_exclusion(node("x86", "amd64"), "img:1", amd64), "");
  EXPECT_EQ(arch_exclusion(node("pi4", "arm64"), "img:1", amd64), "node pi4 is arm64 and img:1 has amd64 only (its index)");
  EXPECT_NE(arch_exclusion(node("odd", ""), "img:1", amd64).find("no kubernetes.io/arch label"), std::string::npos);
  EXPECT_EQ(arch_exclusion(node("pi4", "arm64"), "img:1", {{"amd64", "arm64"}, ""}), "");
}

TEST(ImagePlatforms, NodeInventoryReadsTheArchitecture) {
  auto labelled = kube::node_inventory(json::parse(R"({"metadata": {"name": "a", "labels": {"kubernetes.io/arch": "arm64"}},
                                                       "status": {"nodeInfo": {"architecture": "amd64"}}})"));
  EXPECT_EQ(labelled.architecture, "arm64");
  auto unlabelled = kube::node_inventory(json::parse(R"({"metadata": {"name": "b"}, "status": {"nodeInfo": {"architecture": "arm64"}}})"));
  EXPECT_EQ(unlabelled.architecture, "arm64");
}

TEST(ImagePlatforms, TheRequirementJoinsEveryTermOrIsTheOnlyOne) {
  json pod = json::object();
  require_architectures(pod, {"amd64", "arm64"});
  ASSERT_EQ(arch_terms(pod).size(), 1u);
  EXPECT_EQ(arch_terms(pod)[0], (json{{"key", "kubernetes.io/arch"}, {"operator", "In"}, {"values", {"amd64", "arm64"}}}));

  // Terms are alternatives: each must carry it, beside what it had.
  json two = json::parse(R"({"affinity": {"podAntiAffinity": {}, "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
      {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name"}]}, {"matchExpressions": [{"key": "gpu"}]}]}}}})");
  require_architectures(two, {"arm64"});
  EXPECT_EQ(arch_terms(two).size(), 2u);
  const auto& terms = two["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
  EXPECT_TRUE(terms[0].contains("matchFields"));
  EXPECT_EQ(terms[1]["matchExpressions"].size(), 2u);
  EXPECT_TRUE(two["affinity"].contains("podAntiAffinity"));
}

TargetRequest request(const ImagePlatforms& platforms) {
  TargetRequest r;
  r.base.image = "kubench.local/kubench:dev";
  r.base.run_id = "arch";
  r.access.accel = "cpu";
  r.platforms = platforms;
  return r;
}

TEST(ImagePlatforms, AllNodesSkipsAndNamesTheNodesTheImageLacks) {
  const std::vector<NodeInventory> nodes = {node("x86-a", "amd64"), node("pi4", "arm64"), node("x86-b", "amd64")};
  auto r = request({{"amd64"}, "its index"});
  r.all_nodes = true;
  Strings notes;
  auto specs = plan_targets(r, nodes, notes);
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].node, "x86-a");
  EXPECT_EQ(specs[1].node, "x86-b");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "skipping: node pi4 is arm64 and kubench.local/kubench:dev has amd64 only (its index)");
  // Each Job requires the image's architectures.
  const auto pod = render_job(specs[0])["spec"]["template"]["spec"];
  ASSERT_EQ(arch_terms(pod).size(), 1u);
  EXPECT_EQ(arch_terms(pod)[0]["values"], json::array({"amd64"}));

  // Every architecture: nobody is left out.
  auto both = request({{"amd64", "arm64"}, "published"});
  both.all_nodes = true;
  notes.clear();
  EXPECT_EQ(plan_targets(both, nodes, notes).size(), 3u);
  EXPECT_TRUE(notes.empty());
}

TEST(ImagePlatforms, ANamedNodeOfAnotherArchitectureIsRefused) {
  const std::vector<NodeInventory> nodes = {node("x86-a", "amd64"), node("pi4", "arm64")};
  auto r = request({{"amd64"}, "its index"});
  r.node = "pi4";
  Strings notes;
  try {
    plan_targets(r, nodes, notes);
    ADD_FAILURE() << "pi4 was taken";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("node pi4 is arm64"), std::string::npos) << e.what();
  }
}

TEST(ImagePlatforms, TheSchedulersCandidatesLeaveOutOtherArchitectures) {
  auto r = request({{"arm64"}, "--image-platforms"});
  Strings notes;
  auto specs = plan_targets(r, std::vector<NodeInventory>{node("x86-a", "amd64"), node("pi4", "arm64")}, notes);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].architectures, Strings{"arm64"});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("left out: node x86-a is amd64", 0), 0u) << notes[0];
  // None left: the error says why.
  notes.clear();
  try {
    plan_targets(r, std::vector<NodeInventory>{node("x86-a", "amd64")}, notes);
    ADD_FAILURE() << "an amd64 node was taken for an arm64 image";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "no Ready node matches (nodes: x86-a): left out: node x86-a is amd64 and kubench.local/kubench:dev has arm64 only (--image-platforms)");
  }
  auto all = r;
  all.all_nodes = true;
  notes.clear();
  try {
    plan_targets(all, std::vector<NodeInventory>{node("x86-a", "amd64")}, notes);
    ADD_FAILURE() << "an amd64 node was taken for an arm64 image";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no node matches (nodes: x86-a): skipping: node x86-a is amd64"), std::string::npos) << e.what();
  }
}

TEST(ImagePlatforms, ProbeAndSceneJobsRequireTheArchitectures) {
  NodeProbeJobSpec probe;
  probe.run_id = "p";
  probe.namespace_name = "default";
  probe.image = "img:1";
  probe.nodes = {node("x86-a", "amd64")};
  probe.architectures = {"amd64", "arm64"};
  const auto probe_pod = render_node_probe_jobs(probe).at(0)["spec"]["template"]["spec"];
  ASSERT_EQ(arch_terms(probe_pod).size(), 1u);
  EXPECT_EQ(probe_pod["nodeSelector"]["kubernetes.io/hostname"], "x86-a");

  SceneJobSpec scenes;
  scenes.run_id = "s";
  scenes.namespace_name = "default";
  scenes.image = "img:1";
  scenes.volume = parse_scene_volume("hostpath:/srv");
  scenes.videos = {"a.mp4"};
  scenes.shard_dir = "kubench-scenes/s";
  scenes.architectures = {"arm64"};
  const auto scene_pod = render_scene_jobs(scenes).at(0)["spec"]["template"]["spec"];
  ASSERT_EQ(arch_terms(scene_pod).size(), 1u);
  EXPECT_TRUE(scene_pod["affinity"].contains("podAntiAffinity"));
  scenes.architectures.clear();
  EXPECT_TRUE(arch_terms(render_scene_jobs(scenes).at(0)["spec"]["template"]["spec"]).empty());
}

}  // namespace
}  // namespace kb::jobs
