#include "jobs/run_outcome.h"

#include <gtest/gtest.h>

#include <set>

namespace kb::jobs {
namespace {

using nlohmann::json;

// A benchmark pod as the API server returns it (files sidecar), with `status` as the kubelet left it.
json pod_with_status(const char* status) {
  auto pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "kubench-bench-x7k2p", "namespace": "kubench-quicksync",
                 "labels": {"kubench.io/run-id": "quicksync", "batch.kubernetes.io/job-name": "kubench-bench"}},
    "spec": {"nodeName": "n1", "restartPolicy": "Never",
             "initContainers": [{"name": "check-device", "image": "registry.example/kubench:1.0"},
                                {"name": "fetch-clips", "image": "registry.example/kubench:1.0"}],
             "containers": [{"name": "benchmark", "image": "registry.example/kubench:1.0"},
                            {"name": "power", "image": "registry.example/kubench:1.0"}]}})");
  pod["status"] = json::parse(status);
  return pod;
}

Failure classify(const json& pod, const json* job = nullptr) {
  auto view = pod_view(pod);
  auto f = classify_failure(job, &view);
  if (!f) throw std::runtime_error("no failure classified");
  return *f;
}

constexpr const char* kHealthyRunning = R"({
  "phase": "Running", "hostIP": "10.0.0.5", "podIP": "10.244.0.17", "qosClass": "Burstable",
  "startTime": "2024-06-01T10:00:00Z",
  "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"},
                 {"type": "ContainersReady", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
  "initContainerStatuses": [
    {"name": "check-device", "ready": true, "restartCount": 0, "image": "registry.example/kubench:1.0",
     "imageID": "registry.example/kubench@sha256:ab12", "containerID": "containerd://1111",
     "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2024-06-01T10:00:02Z",
                              "finishedAt": "2024-06-01T10:00:04Z", "containerID": "containerd://1111"}},
     "lastState": {}},
    {"name": "fetch-clips", "ready": true, "restartCount": 0, "image": "registry.example/kubench:1.0",
     "imageID": "registry.example/kubench@sha256:ab12", "containerID": "containerd://2222",
     "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2024-06-01T10:00:05Z",
                              "finishedAt": "2024-06-01T10:00:40Z", "containerID": "containerd://2222"}},
     "lastState": {}}],
  "containerStatuses": [
    {"name": "power", "ready": true, "restartCount": 0, "started": true, "image": "registry.example/kubench:1.0",
     "state": {"running": {"startedAt": "2024-06-01T10:00:41Z"}}, "lastState": {}},
    {"name": "benchmark", "ready": true, "restartCount": 0, "started": true, "image": "registry.example/kubench:1.0",
     "state": {"running": {"startedAt": "2024-06-01T10:00:41Z"}}, "lastState": {}}]})";

TEST(PodView, ReadsContainersInSpecOrder) {
  auto view = pod_view(pod_with_status(kHealthyRunning));
  EXPECT_EQ(view.name, "kubench-bench-x7k2p");
  EXPECT_EQ(view.node, "n1");
  EXPECT_EQ(view.phase, "Running");
  EXPECT_FALSE(view.unschedulable);
  ASSERT_EQ(view.containers.size(), 4u);
  // Statuses list power before benchmark; the view follows the spec.
  const char* order[] = {"check-device", "fetch-clips", "benchmark", "power"};
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(view.containers[i].name, order[i]);
  EXPECT_TRUE(view.containers[0].init);
  EXPECT_TRUE(view.containers[1].init);
  EXPECT_FALSE(view.containers[2].init);
  const auto* fetch = view.find("fetch-clips");
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->state, "terminated");
  EXPECT_EQ(fetch->reason, "Completed");
  EXPECT_EQ(fetch->exit_code, 0);
  EXPECT_EQ(fetch->finished_at, "2024-06-01T10:00:40Z");
  EXPECT_EQ(view.find("benchmark")->state, "running");
  EXPECT_EQ(view.find("nope"), nullptr);
  EXPECT_EQ(view.summary(), "Running  check-device:Completed  fetch-clips:Completed  benchmark:running  power:running");
}

TEST(PodView, ContainersWithoutStatusYet) {
  auto view = pod_view(pod_with_status(R"({"phase": "Pending",
    "conditions": [{"type": "PodScheduled", "status": "True"}],
    "initContainerStatuses": [{"name": "check-device", "ready": false, "restartCount": 0,
                               "state": {"waiting": {"reason": "PodInitializing"}}}]})"));
  ASSERT_EQ(view.containers.size(), 4u);
  EXPECT_EQ(view.containers[0].state, "waiting");
  EXPECT_EQ(view.containers[0].reason, "PodInitializing");
  EXPECT_EQ(view.containers[3].name, "power");
  EXPECT_EQ(view.containers[3].state, "");
  EXPECT_EQ(view.summary(), "Pending  check-device:PodInitializing");
  EXPECT_EQ(classify_failure(nullptr, &view), std::nullopt);
}

TEST(PodView, EmptyPodIsPending) {
  auto view = pod_view(json::object());
  EXPECT_TRUE(view.containers.empty());
  EXPECT_EQ(view.summary(), "Pending");
}

TEST(ClassifyFailure, UnschedulableIsLeftToTheCaller) {
  auto view = pod_view(pod_with_status(R"({"phase": "Pending", "qosClass": "Burstable",
    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "lastTransitionTime": "2024-06-01T10:00:00Z",
                    "message": "0/1 nodes are available: 1 Insufficient gpu.intel.com/i915."}]})"));
  ASSERT_TRUE(view.unschedulable);
  EXPECT_EQ(*view.unschedulable, "0/1 nodes are available: 1 Insufficient gpu.intel.com/i915.");
  EXPECT_EQ(view.summary(), "Pending (unschedulable)");
  EXPECT_EQ(classify_failure(nullptr, &view), std::nullopt);
}

TEST(ClassifyFailure, HealthyRunningPodIsNoFailure) {
  auto view = pod_view(pod_with_status(kHealthyRunning));
  auto job = json::parse(R"({"status": {"active": 1, "ready": 1, "startTime": "2024-06-01T10:00:00Z"}})");
  EXPECT_EQ(classify_failure(&job, &view), std::nullopt);
  EXPECT_EQ(classify_failure(nullptr, nullptr), std::nullopt);
}

TEST(ClassifyFailure, ImagePullReasonsNameTheContainer) {
  for (const char* reason : {"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"}) {
    auto status = json::parse(R"({"phase": "Pending",
      "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"},
                     {"type": "PodScheduled", "status": "True"}],
      "initContainerStatuses": [
        {"name": "check-device", "ready": false, "restartCount": 0, "image": "registry.example/kubench:1.0", "imageID": "",
         "state": {"waiting": {"reason": "X",
           "message": "rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example/kubench:1.0\": not found"}}},
        {"name": "fetch-clips", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
      "containerStatuses": [
        {"name": "benchmark", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}},
        {"name": "power", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]})");
    status["initContainerStatuses"][0]["state"]["waiting"]["reason"] = reason;
    auto f = classify(pod_with_status(status.dump().c_str()));
    EXPECT_EQ(f.outcome, Outcome::image_pull) << reason;
    EXPECT_NE(f.message.find("check-device"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find(reason), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("registry.example/kubench:1.0"), std::string::npos) << f.message;
  }
}

TEST(ClassifyFailure, OomKilled) {
  auto f = classify(pod_with_status(R"({"phase": "Running",
    "initContainerStatuses": [
      {"name": "check-device", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
      {"name": "fetch-clips", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
    "containerStatuses": [
      {"name": "benchmark", "ready": false, "restartCount": 0,
       "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2024-06-01T10:00:41Z",
                                "finishedAt": "2024-06-01T10:03:12Z"}}},
      {"name": "power", "state": {"running": {"startedAt": "2024-06-01T10:00:41Z"}}}]})"));
  EXPECT_EQ(f.outcome, Outcome::oom_killed);
  EXPECT_NE(f.message.find("benchmark"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("n1"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("--memory-limit"), std::string::npos) << f.message;
}

TEST(ClassifyFailure, DeviceCheckGivesTheLogsLastLine) {
  auto status = json::parse(R"({"phase": "Failed",
    "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"}],
    "initContainerStatuses": [
      {"name": "check-device", "ready": false, "restartCount": 0,
       "state": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2024-06-01T10:00:04Z", "message": "X"}}},
      {"name": "fetch-clips", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
    "containerStatuses": [
      {"name": "benchmark", "state": {"waiting": {"reason": "PodInitializing"}}},
      {"name": "power", "state": {"waiting": {"reason": "PodInitializing"}}}]})");
  const std::string reason = "node n1: no working QSV encoder: h264_qsv: Error creating a MFX session: -9";
  status["initContainerStatuses"][0]["state"]["terminated"]["message"] =
      "[probe] render node /dev/dri/renderD128 (i915)\n[AVHWDeviceContext @ 0x5581] Error creating a MFX session: -9.\n" + reason + "\n\n";
  auto f = classify(pod_with_status(status.dump().c_str()));
  EXPECT_EQ(f.outcome, Outcome::device_check);
  EXPECT_EQ(f.message, reason);

  // No log at all: still says which node and exit code.
  status["initContainerStatuses"][0]["state"]["terminated"].erase("message");
  f = classify(pod_with_status(status.dump().c_str()));
  EXPECT_EQ(f.outcome, Outcome::device_check);
  EXPECT_EQ(f.message, "check-device failed on node n1 (exit 1)");
}

TEST(ClassifyFailure, FetchClipsExitCodeIsAContainerFailure) {
  auto f = classify(pod_with_status(R"({"phase": "Failed",
    "initContainerStatuses": [
      {"name": "check-device", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
      {"name": "fetch-clips", "state": {"terminated": {"exitCode": 2, "reason": "Error",
        "message": "downloading clips from http://mirror.local/clips\nerror: http://mirror.local/clips/index.json: HTTP 404\n"}}}],
    "containerStatuses": [
      {"name": "benchmark", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]})"));
  EXPECT_EQ(f.outcome, Outcome::container_failed);
  EXPECT_NE(f.message.find("fetch-clips"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("exit 2"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("HTTP 404"), std::string::npos) << f.message;
}

TEST(ClassifyFailure, CreateContainerConfigError) {
  auto f = classify(pod_with_status(R"({"phase": "Pending",
    "initContainerStatuses": [
      {"name": "check-device", "state": {"waiting": {"reason": "CreateContainerConfigError",
                                                    "message": "secret \"kubench-creds\" not found"}}}]})"));
  EXPECT_EQ(f.outcome, Outcome::container_failed);
  EXPECT_NE(f.message.find("check-device"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("CreateContainerConfigError"), std::string::npos) << f.message;
}

TEST(ClassifyFailure, EvictedPod) {
  auto f = classify(pod_with_status(R"({"phase": "Failed", "reason": "Evicted",
    "message": "The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi."})"));
  EXPECT_EQ(f.outcome, Outcome::container_failed);
  EXPECT_NE(f.message.find("Evicted"), std::string::npos) << f.message;
}

TEST(ClassifyFailure, JobDeadlineExceeded) {
  auto job = json::parse(R"({"apiVersion": "batch/v1", "kind": "Job", "status": {"failed": 1,
    "conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                    "message": "Job was active longer than specified deadline"}]}})");
  auto f = classify_failure(&job, nullptr);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->outcome, Outcome::deadline_exceeded);
  EXPECT_NE(f->message.find("Job was active longer than specified deadline"), std::string::npos) << f->message;
  // A still-running pod does not mask the Job's verdict.
  auto view = pod_view(pod_with_status(kHealthyRunning));
  f = classify_failure(&job, &view);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->outcome, Outcome::deadline_exceeded);
}

TEST(ClassifyFailure, JobBackoffLimitExceeded) {
  auto job = json::parse(R"({"status": {"failed": 1, "conditions": [
    {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded"},
    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
     "message": "Job has reached the specified backoff limit"}]}})");
  auto f = classify_failure(&job, nullptr);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->outcome, Outcome::container_failed);
  EXPECT_NE(f->message.find("BackoffLimitExceeded"), std::string::npos) << f->message;
  // A Failed condition that is not True is no verdict.
  auto pending = json::parse(R"({"status": {"conditions": [{"type": "Failed", "status": "False", "reason": "DeadlineExceeded"}]}})");
  EXPECT_EQ(classify_failure(&pending, nullptr), std::nullopt);
}

TEST(Outcome, ExitCodesAreDistinctAndDocumented) {
  const std::pair<Outcome, int> expected[] = {
      {Outcome::succeeded, 0},      {Outcome::tests_failed, 1},     {Outcome::unschedulable, 3},
      {Outcome::image_pull, 4},     {Outcome::device_check, 5},     {Outcome::oom_killed, 6},
      {Outcome::deadline_exceeded, 7}, {Outcome::container_failed, 8}, {Outcome::no_results, 9},
      {Outcome::interrupted, 130}};
  std::set<int> codes;
  for (auto [o, code] : expected) {
    EXPECT_EQ(exit_code(o), code) << to_string(o);
    codes.insert(exit_code(o));
  }
  EXPECT_EQ(codes.size(), std::size(expected));
  EXPECT_EQ(codes.count(2), 0u);  // 2 stays the usage/environment error
}

TEST(Outcome, Names) {
  EXPECT_EQ(to_string(Outcome::succeeded), "succeeded");
  EXPECT_EQ(to_string(Outcome::tests_failed), "tests-failed");
  EXPECT_EQ(to_string(Outcome::unschedulable), "unschedulable");
  EXPECT_EQ(to_string(Outcome::image_pull), "image-pull-error");
  EXPECT_EQ(to_string(Outcome::device_check), "device-check-failed");
  EXPECT_EQ(to_string(Outcome::oom_killed), "oom-killed");
  EXPECT_EQ(to_string(Outcome::deadline_exceeded), "deadline-exceeded");
  EXPECT_EQ(to_string(Outcome::container_failed), "container-failed");
  EXPECT_EQ(to_string(Outcome::no_results), "no-results");
  EXPECT_EQ(to_string(Outcome::interrupted), "interrupted");
}

}  // namespace
}  // namespace kb::jobs
