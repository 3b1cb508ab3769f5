#include "jobs/image_platforms.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "core/error.h"
#include "core/text.h"

namespace kb::jobs {

using nlohmann::json;

bool ImagePlatforms::allows(const std::string& architecture) const {
  return std::find(architectures.begin(), architectures.end(), architecture) != architectures.end();
}

std::string ImagePlatforms::list() const {
  std::string out;
  for (auto& a : architectures) out += (out.empty() ? "" : ", ") + a;
  return out;
}

const std::vector<std::string>& published_architectures() {
  static const std::vector<std::string> list = {"amd64", "arm64"};
  return list;
}

std::vector<std::string> parse_platform_list(const std::string& text) {
  std::vector<std::string> out;
  for (auto& part : split(text, ',')) {
    std::string item(trim(part));
    if (item.empty()) continue;
    // linux/arm64/v8 -> arm64; a bare name is the architecture.
    const auto parts = split(item, '/');
    std::string arch = parts.size() >= 2 ? std::string(parts[1]) : item;
    if (parts.size() >= 2 && parts[0] != "linux")
      throw UsageError("--image-platforms: kubench's pods run on linux, not '" + std::string(parts[0]) + "' (in '" + text + "')");
    const bool name_ok = !arch.empty() && std::all_of(arch.begin(), arch.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
    if (!name_ok || parts.size() > 3)
      throw UsageError("--image-platforms wants architectures such as amd64,arm64 or linux/arm64/v8, not '" + item + "'");
    if (std::find(out.begin(), out.end(), arch) == out.end()) out.push_back(arch);
  }
  if (out.empty()) throw UsageError("--image-platforms is empty: name at least one architecture (amd64, arm64)");
  return out;
}

std::vector<std::string> index_architectures(const json& index) {
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw std::runtime_error("not an OCI image index (no manifests list)");
  std::vector<std::string> out;
  for (auto& m : index["manifests"]) {
    const auto platform = m.value("platform", json::object());
    const std::string os = platform.value("os", ""), arch = platform.value("architecture", "");
    if (os == "linux" && !arch.empty() && std::find(out.begin(), out.end(), arch) == out.end()) out.push_back(arch);
  }
  if (out.empty()) throw std::runtime_error("the index names no linux platform");
  return out;
}

std::filesystem::path platform_record_dir() {
  const char* cache = std::getenv("KUBENCH_IMAGE_CACHE");
  return std::filesystem::path(cache && *cache ? cache : "/var/cache/kubench/images") / "platforms";
}

std::string platform_record_name(const std::string& image) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : image) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out + ".json";
}

ImagePlatforms image_platforms(const std::string& image, const std::string& flag, const std::filesystem::path& record_dir) {
  if (!flag.empty()) return {parse_platform_list(flag), "--image-platforms"};
  const auto record = record_dir / platform_record_name(image);
  std::ifstream in(record);
  if (in) {
    try {
      return {index_architectures(json::parse(in)), "its index, recorded by scripts/build-image.sh in " + record.string()};
    } catch (const std::exception& e) {
      throw UsageError("cannot read the platforms of " + image + " from " + record.string() + ": " + e.what() +
                       " (rebuild the image, or give --image-platforms)");
    }
  }
  return {published_architectures(), "the platforms kubench's image is published for; --image-platforms says otherwise"};
}

std::string arch_exclusion(const kube::NodeInventory& node, const std::string& image, const ImagePlatforms& platforms) {
  if (node.architecture.empty())
    return "node " + node.name + " does not say its architecture (no kubernetes.io/arch label), and " + image + " has " +
           platforms.list() + " only";
  if (platforms.allows(node.architecture)) return "";
  return "node " + node.name + " is " + node.architecture + " and " + image + " has " + platforms.list() + " only (" +
         platforms.source + ")";
}

void require_architectures(json& pod_spec, const std::vector<std::string>& architectures) {
  const json requirement = {{"key", "kubernetes.io/arch"}, {"operator", "In"}, {"values", architectures}};
  auto& required = pod_spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
  auto& terms = required["nodeSelectorTerms"];
  if (!terms.is_array() || terms.empty()) terms = json::array({json::object()});
  for (auto& term : terms) term["matchExpressions"].push_back(requirement);
}

}  // namespace kb::jobs
