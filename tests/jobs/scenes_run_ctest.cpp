// `kubench scenes run --kube` on the real test cluster (1.20: no Indexed Jobs, so one Job per
// shard) with the offline image, the videos on a hostPath volume: the merged lists equal the local
// single pass, shard results land on the volume, failures are classified, nothing is left.
#include <gtest/gtest.h>

#include "core/files.h"
#include "support/cluster_admin.h"
#include "support/kubench_process.h"
#include "support/cut_video.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {
using nlohmann::json;

constexpr const char* kImage = "kubench.local/kubench:test";

class ScenesRunKube : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  test::TempDir dir;  // the hostPath volume: the test cluster's only node is this machine
  std::shared_ptr<kube::Client> admin;

  ScenesRunKube() : admin(test::cluster_admin(env)) {}

  std::vector<std::string> run_args(const std::string& run_id, std::vector<std::string> extra) {
    std::vector<std::string> args = {"scenes", "run", "--kube", "--kubeconfig", env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"], "-n", "default",
                                     "--image", kImage, "--image-pull-policy", "Never", "--run-id", run_id,
                                     "--volume", "hostpath:" + dir.path().string(), "--cpu", "100m"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Local single pass of one video, as JSON without the run's own "shards" count.
  json local(const std::string& video) {
    auto r = test::run_kubench({"scenes", "detect", (dir / video).string(), "-q", "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    auto doc = json::parse(r.stdout_text);
    doc.erase("shards");
    return doc;
  }

  void expect_nothing_left(const std::string& run_id) {
    kube::ListOptions o;
    o.label_selector = "kubench.io/run-id=" + run_id;
    EXPECT_TRUE(admin->list(kube::resources::jobs, "default", o)["items"].empty()) << "Jobs left behind";
    EXPECT_TRUE(admin->list(kube::resources::pods, "default", o)["items"].empty()) << "pods left behind";
  }
};

TEST_F(ScenesRunKube, ThreeShardsOnAHostPathEqualTheLocalPass) {
  test::make_cut_video(dir / "cuts.mp4", test::kCutsAt30_75_120, 25);
  auto r = test::run_kubench(run_args("t-scenes3", {"--shards", "3", "cuts.mp4", "-o", "json"}), {}, 400);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto doc = json::parse(r.stdout_text);
  EXPECT_EQ(doc["cuts"], json({30, 75, 120}));
  EXPECT_EQ(doc["shards"], 3);
  doc.erase("shards");
  EXPECT_EQ(doc, local("cuts.mp4"));
  // 1.20 drops completionMode, so the fallback ran: a Job per shard, the shard in its environment.
  EXPECT_NE(r.stderr_text.find("one Job per shard"), std::string::npos) << r.stderr_text;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(r.stderr_text.find("Job kubench-scenes-t-scenes3-" + std::to_string(i) + " created"), std::string::npos) << r.stderr_text;
    EXPECT_TRUE(std::filesystem::exists(dir / "kubench-scenes" / "t-scenes3" / ("cuts.mp4.part-" + std::to_string(i) + "-of-3.json")));
  }
  expect_nothing_left("t-scenes3");
}

TEST_F(ScenesRunKube, SeveralVideosTwoShardsOneListEach) {
  test::make_cut_video(dir / "a.mp4", test::kCutsAt30_75_120);
  test::make_cut_video(dir / "b.mp4", {{"testsrc2", 100, ""}, {"smptebars", 200, ""}}, 25);
  auto r = test::run_kubench(run_args("t-scenes-many", {"--shards", "2", "a.mp4", "b.mp4", "-o", "json", "-q"}), {}, 400);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto docs = json::parse(r.stdout_text);
  ASSERT_EQ(docs.size(), 2u);
  for (auto& d : docs) d.erase("shards");
  EXPECT_EQ(docs[0], local("a.mp4"));
  EXPECT_EQ(docs[1], local("b.mp4"));
  EXPECT_EQ(docs[1]["cuts"], json({100}));
  expect_nothing_left("t-scenes-many");
}

TEST_F(ScenesRunKube, AShardThatCannotReadItsVideoIsClassifiedAndNamed) {
  test::write_text(dir / "notes.mp4", "not a video\n");
  auto r = test::run_kubench(run_args("t-scenes-bad", {"--shards", "2", "notes.mp4", "-q"}), {}, 300);
  EXPECT_EQ(r.exit_code, 9) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("no-results"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("/data/notes.mp4: not a video"), std::string::npos) << r.stderr_text;
  EXPECT_TRUE(r.stdout_text.empty()) << r.stdout_text;
  expect_nothing_left("t-scenes-bad");
}

TEST_F(ScenesRunKube, CtrlCDeletesTheJobsAndExits130) {
  test::make_cut_video(dir / "cuts.mp4", test::kCutsAt30_75_120);
  test::Kubench child("scenes-run", run_args("t-scenes-int", {"--shards", "2", "cuts.mp4"}), dir);
  // Interrupt as soon as the Jobs exist (their pods are being created).
  ASSERT_TRUE(test::eventually([&] { return child.err().find("Job kubench-scenes-t-scenes-int-1 created") != std::string::npos; },
                               std::chrono::seconds(120)))
      << child.err();
  child.signal(SIGINT);
  EXPECT_EQ(child.wait().exit_code, 130) << child.err();
  EXPECT_NE(child.err().find("Jobs deleted with their pods"), std::string::npos) << child.err();
  EXPECT_TRUE(child.out().empty()) << "no partial scene list";
  expect_nothing_left("t-scenes-int");
}

TEST_F(ScenesRunKube, UsageErrorsBeforeAnythingIsCreated) {
  test::make_cut_video(dir / "cuts.mp4", test::kCutsAt30_75_120);
  // Indexed Jobs asked for on a server that drops completionMode.
  auto r = test::run_kubench(run_args("t-scenes-idx", {"--job-mode", "indexed", "cuts.mp4"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("drops completionMode: Indexed"), std::string::npos) << r.stderr_text;
  // A path outside the volume.
  r = test::run_kubench(run_args("t-scenes-abs", {"/etc/passwd"}), {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("must be a path relative to the volume"), std::string::npos) << r.stderr_text;
  // A namespace that does not exist: the dry run says so.
  auto args = run_args("t-scenes-ns", {"cuts.mp4"});
  args[6] = "no-such-namespace";
  r = test::run_kubench(args, {}, 120);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("no-such-namespace"), std::string::npos) << r.stderr_text;
  for (auto id : {"t-scenes-idx", "t-scenes-abs", "t-scenes-ns"}) expect_nothing_left(id);
}

}  // namespace
}  // namespace kb::jobs
