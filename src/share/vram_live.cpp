#include "share/vram_live.h"

#include <map>
#include <set>

#include "core/error.h"
#include "core/http_client.h"
#include "core/text.h"

namespace kb::share {

using nlohmann::json;

namespace {

// The workload's label, not the exporter pod's: Prometheus renames a target label the series also
// carries to exported_<name> (kube-prometheus scrapes the exporter with its own namespace and pod).
std::string label(const json& metric, const std::string& name) {
  for (const auto& key : {"exported_" + name, name})
    if (metric.contains(key) && metric[key].is_string() && !metric[key].get<std::string>().empty()) return metric[key].get<std::string>();
  return "";
}

}  // namespace

void read_dcgm_answer(const json& answer, VramSources& sources) {
  if (answer.value("status", "") != "success" || !answer.contains("data") || !answer["data"].contains("result")) {
    sources.live_notes.push_back("Prometheus answered DCGM_FI_DEV_FB_USED with " +
                                 (answer.contains("error") ? answer["error"].dump() : std::string("no result")) +
                                 "; VRAM estimates fall back to the next source");
    return;
  }
  struct Series {
    std::string pod;  // "namespace/pod"
    int64_t bytes;
  };
  std::map<std::string, std::vector<Series>> by_gpu;  // GPU → the pods it is labelled with
  size_t series = 0;
  for (const auto& r : answer["data"]["result"]) {
    ++series;
    const auto& metric = r.value("metric", json::object());
    const auto pod = label(metric, "pod"), ns = label(metric, "namespace");
    if (pod.empty() || ns.empty() || !r.contains("value") || r["value"].size() != 2 || !r["value"][1].is_string()) continue;
    const auto mib = parse_double(r["value"][1].get<std::string>());
    if (!mib || *mib < 0) continue;
    auto gpu = metric.value("UUID", "");
    if (gpu.empty()) gpu = metric.value("Hostname", "") + "/" + metric.value("gpu", "");
    by_gpu[gpu].push_back({ns + "/" + pod, static_cast<int64_t>(*mib * 1024 * 1024)});
  }
  for (const auto& [gpu, list] : by_gpu) {
    std::set<std::string> pods;
    for (const auto& s : list) pods.insert(s.pod);
    if (pods.size() == 1) {
      sources.live_by_pod[list.front().pod] = list.front().bytes;
      continue;
    }
    std::string names;
    for (const auto& p : pods) names += (names.empty() ? "" : ", ") + p;
    sources.live_notes.push_back("DCGM_FI_DEV_FB_USED is per GPU: GPU " + gpu + " is shared by " + names + " (" + gib_text(list.front().bytes) +
                                 " in use there now), which cannot be split; their estimates come from the next source");
  }
  if (series == 0) sources.live_notes.push_back("Prometheus has no DCGM_FI_DEV_FB_USED series (is DCGM exporter scraped?); VRAM estimates fall back to the next source");
}

void query_live_vram(const std::string& prometheus_url, VramSources& sources) {
  auto base = prometheus_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const auto url = base + "/api/v1/query?query=" + url_encode("DCGM_FI_DEV_FB_USED");
  HttpRequestOptions opts;
  opts.connect_timeout_ms = 3000;
  opts.timeout_ms = 15000;
  try {
    const auto response = http_get(url, opts);
    json answer = json::parse(response.body, nullptr, false);
    if (answer.is_discarded()) {
      sources.live_notes.push_back("--prometheus " + prometheus_url + ": HTTP " + std::to_string(response.status) +
                                   ", not a Prometheus API answer; VRAM estimates fall back to the next source");
      return;
    }
    read_dcgm_answer(answer, sources);
  } catch (const Error& e) {
    sources.live_notes.push_back("--prometheus " + prometheus_url + " unreachable (" + e.what() + "); VRAM estimates fall back to the next source");
  }
}

}  // namespace kb::share
