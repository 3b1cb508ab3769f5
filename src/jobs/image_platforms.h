// Which CPU architectures kubench's image runs on, and what follows for the pods that run it: a
// kubernetes.io/arch requirement, and the nodes left out for it, named (a pod that lands on a node its
// image lacks fails with "exec format error", which users would otherwise have to diagnose).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/node_inventory.h"

namespace kb::jobs {

struct ImagePlatforms {
  std::vector<std::string> architectures;  // Kubernetes' names (GOARCH): amd64, arm64
  std::string source;                      // where the list came from, for the user
  bool allows(const std::string& architecture) const;
  std::string list() const;  // "amd64, arm64"
};

// The architectures kubench's own image is published for (.github/workflows/image.yml).
const std::vector<std::string>& published_architectures();

// "amd64,arm64" or "linux/amd64,linux/arm64/v8" (--image-platforms) -> architectures; throws UsageError.
std::vector<std::string> parse_platform_list(const std::string& text);

// The linux architectures of an OCI image index (its manifests' platforms); throws std::runtime_error
// for a document that is not an index or names no linux platform.
std::vector<std::string> index_architectures(const nlohmann::json& index);

// Where scripts/build-image.sh records each image's index: $KUBENCH_IMAGE_CACHE (default
// /var/cache/kubench/images)/platforms.
std::filesystem::path platform_record_dir();
// The record's file name for an image: the name percent-encoded as jq's @uri does, plus ".json".
std::string platform_record_name(const std::string& image);

// The image's architectures: `flag` (--image-platforms) when given; else the index build-image.sh
// recorded for this image name in `record_dir`; else the published list. Throws UsageError for a bad
// flag or an unreadable record.
ImagePlatforms image_platforms(const std::string& image, const std::string& flag, const std::filesystem::path& record_dir);

// Why `node` cannot run the image ("" when it can), e.g. "node pi4 is arm64 and kubench.local/kubench:dev
// has amd64 only (its index recorded by build-image.sh)".
std::string arch_exclusion(const kube::NodeInventory& node, const std::string& image, const ImagePlatforms& platforms);

// Adds "kubernetes.io/arch In architectures" to a pod spec's required node affinity: to every
// nodeSelectorTerm there is (terms are alternatives), or as the one term.
void require_architectures(nlohmann::json& pod_spec, const std::vector<std::string>& architectures);

}  // namespace kb::jobs
