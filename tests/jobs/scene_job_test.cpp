// The scene Jobs as rendered: volume kinds, the shard in the environment or the completion index,
// anti-affinity, paths kept inside the volume, the run's targets.
#include "jobs/scene_job.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::jobs {
namespace {

using nlohmann::json;

SceneJobSpec spec() {
  SceneJobSpec s;
  s.run_id = "scenes-t1";
  s.namespace_name = "media";
  s.image = "kubench.local/kubench:test";
  s.volume = parse_scene_volume("hostpath:/srv/videos");
  s.videos = {"film.mp4", "season1/ep1.mkv"};
  s.shard_dir = "kubench-scenes/scenes-t1";
  s.shards = 3;
  s.detect_flags = {"--detector", "content", "--threshold", "27.000000"};
  return s;
}

std::string joined(const json& command) {
  std::string out;
  for (auto& a : command) out += (out.empty() ? "" : " ") + a.get<std::string>();
  return out;
}

TEST(SceneVolume, ThreeKindsAndClearErrors) {
  auto h = parse_scene_volume("hostpath:/srv/videos");
  EXPECT_EQ(h.kind, SceneVolume::Kind::host_path);
  EXPECT_EQ(h.path, "/srv/videos");
  auto p = parse_scene_volume("pvc:videos");
  EXPECT_EQ(p.kind, SceneVolume::Kind::pvc);
  EXPECT_EQ(p.claim, "videos");
  auto n = parse_scene_volume("nfs:nas.local:/export/video");
  EXPECT_EQ(n.kind, SceneVolume::Kind::nfs);
  EXPECT_EQ(n.server, "nas.local");
  EXPECT_EQ(n.path, "/export/video");
  for (auto bad : {"", "hostpath:relative", "pvc:", "nfs:nas.local", "nfs::/x", "s3:bucket", "/srv/videos"})
    EXPECT_THROW(parse_scene_volume(bad), UsageError) << bad;
}

TEST(SceneJobs, OneJobPerShardWithTheShardInItsEnvironment) {
  auto jobs = render_scene_jobs(spec());
  ASSERT_EQ(jobs.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto& job = jobs[static_cast<size_t>(i)];
    EXPECT_EQ(job["metadata"]["name"], "kubench-scenes-scenes-t1-" + std::to_string(i));
    EXPECT_EQ(job["metadata"]["namespace"], "media");
    EXPECT_FALSE(job["spec"].contains("completionMode"));
    EXPECT_EQ(job["spec"]["completions"], 1);
    EXPECT_EQ(job["spec"]["backoffLimit"], 0);
    auto& pod = job["spec"]["template"]["spec"];
    auto& c = pod["containers"][0];
    EXPECT_EQ(c["name"], kScenesContainer);
    EXPECT_EQ(joined(c["command"]),
              "kubench scenes detect /data/film.mp4 /data/season1/ep1.mkv --shard $(KUBENCH_SHARD_INDEX)/3 "
              "--shard-out /data/kubench-scenes/scenes-t1/ --result-frame -q --detector content --threshold 27.000000");
    bool index_env = false;
    for (auto& e : c["env"]) index_env |= e["name"] == "KUBENCH_SHARD_INDEX" && e["value"] == std::to_string(i);
    EXPECT_TRUE(index_env) << c["env"].dump();
    EXPECT_EQ(pod["volumes"][0]["hostPath"]["path"], "/srv/videos");
    EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/data");
    EXPECT_EQ(pod["template"], nullptr);
    auto& anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    EXPECT_EQ(anti["topologyKey"], "kubernetes.io/hostname");
    EXPECT_EQ(anti["labelSelector"]["matchLabels"][kRunIdLabel], "scenes-t1");
    EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"][kCaseLabel], "shard-" + std::to_string(i));
    EXPECT_EQ(pod["automountServiceAccountToken"], false);
  }
}

TEST(SceneJobs, IndexedJobTakesTheShardFromTheCompletionIndex) {
  auto s = spec();
  s.mode = SceneJobMode::indexed;
  s.one_per_node = true;
  s.volume = parse_scene_volume("pvc:videos");
  auto jobs = render_scene_jobs(s);
  ASSERT_EQ(jobs.size(), 1u);
  auto& job = jobs[0];
  EXPECT_EQ(job["spec"]["completionMode"], "Indexed");
  EXPECT_EQ(job["spec"]["completions"], 3);
  EXPECT_EQ(job["spec"]["parallelism"], 3);
  auto& pod = job["spec"]["template"]["spec"];
  EXPECT_NE(joined(pod["containers"][0]["command"]).find("--shard $(JOB_COMPLETION_INDEX)/3"), std::string::npos);
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "videos");
  EXPECT_TRUE(pod["affinity"]["podAntiAffinity"].contains("requiredDuringSchedulingIgnoredDuringExecution"));

  auto run = scene_run_options(s);
  EXPECT_FALSE(run.own_namespace);
  EXPECT_TRUE(run.setup.empty());
  ASSERT_EQ(run.targets.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(run.targets[static_cast<size_t>(i)].job_name, "kubench-scenes-scenes-t1");
    EXPECT_EQ(run.targets[static_cast<size_t>(i)].completion_index, i);
    EXPECT_EQ(run.targets[static_cast<size_t>(i)].case_label, "scenes");
    EXPECT_EQ(run.targets[static_cast<size_t>(i)].result_container, kScenesContainer);
  }
  EXPECT_TRUE(run.result_ok({{"schema", "kubench/scene-shard-set/v1"}}));
  EXPECT_FALSE(run.result_ok({{"schema", "kubench/bench/v1"}}));
}

TEST(SceneJobs, PathsStayInsideTheVolume) {
  for (auto bad : {"/etc/passwd", "../outside.mp4", "a/../../b.mp4", ""}) {
    auto s = spec();
    s.videos = {bad};
    EXPECT_THROW(render_scene_jobs(s), UsageError) << bad;
  }
  auto s = spec();
  s.shard_dir = "/tmp/out";
  EXPECT_THROW(render_scene_jobs(s), UsageError);
  s = spec();
  s.shards = 0;
  EXPECT_THROW(render_scene_jobs(s), UsageError);
}

}  // namespace
}  // namespace kb::jobs
