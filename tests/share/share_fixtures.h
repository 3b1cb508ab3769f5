// The fourth seed's cluster as listed objects: node homelabai (one RTX 3080 Ti time-sliced into
// 8 nvidia.com/gpu.shared) and its GPU users — Plex through a webhook (no request), Ollama, TTS
// and Whisper requesting shares — for the share view's tests.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace kb::test {

inline nlohmann::json seed_node() {
  return nlohmann::json::parse(R"({
    "metadata": {"name": "homelabai", "labels": {
      "nvidia.com/gpu.product": "NVIDIA-GeForce-RTX-3080-Ti", "nvidia.com/gpu.memory": "12288", "nvidia.com/gpu.count": "1",
      "nvidia.com/gpu.replicas": "8", "nvidia.com/gpu.sharing-strategy": "time-slicing"}},
    "status": {"capacity": {"cpu": "16", "nvidia.com/gpu": "0", "nvidia.com/gpu.shared": "8", "pods": "110"},
               "allocatable": {"cpu": "16", "nvidia.com/gpu": "0", "nvidia.com/gpu.shared": "8", "pods": "110"},
               "conditions": [{"type": "Ready", "status": "True"}]}})");
}

// A pod of Deployment `name` (through its ReplicaSet) in `ns` asking for `shares` GPU shares.
inline nlohmann::json seed_pod(const std::string& ns, const std::string& name, int shares, const std::string& phase = "Running") {
  nlohmann::json container = {{"name", name}, {"image", "busybox"}};
  if (shares > 0) container["resources"] = {{"limits", {{"nvidia.com/gpu.shared", std::to_string(shares)}}}};
  return {{"metadata",
           {{"name", name + "-7c9d8b6f5-x2k4q"},
            {"namespace", ns},
            {"labels", {{"pod-template-hash", "7c9d8b6f5"}}},
            {"ownerReferences", nlohmann::json::array({{{"kind", "ReplicaSet"}, {"name", name + "-7c9d8b6f5"}, {"controller", true}}})}}},
          {"spec", {{"nodeName", "homelabai"}, {"containers", nlohmann::json::array({container})}}},
          {"status", {{"phase", phase}}}};
}

// Plex as the seed runs it: the webhook's annotation, runtimeClassName nvidia and /dev/nvidia0.
inline nlohmann::json seed_plex() {
  auto p = seed_pod("media", "plex", 0);
  p["metadata"]["annotations"] = {{"gpu-directories", "nvidia"}};
  p["spec"]["runtimeClassName"] = "nvidia";
  p["spec"]["volumes"] = nlohmann::json::array({{{"name", "nvidia0"}, {"hostPath", {{"path", "/dev/nvidia0"}}}}});
  p["spec"]["containers"][0]["volumeMounts"] = nlohmann::json::array({{{"name", "nvidia0"}, {"mountPath", "/dev/nvidia0"}}});
  return p;
}

inline std::vector<nlohmann::json> seed_pods() {
  return {seed_plex(), seed_pod("ai", "whisper", 2), seed_pod("ai", "ollama", 1), seed_pod("ai", "tts", 1),
          seed_pod("ai", "old-batch", 4, "Succeeded"),  // finished: holds nothing
          seed_pod("kube-system", "coredns", 0)};       // no GPU at all
}

}  // namespace kb::test
