// Live VRAM through a real Prometheus (Debian's `prometheus` package) that scrapes what DCGM
// exporter serves — its exposition as recorded, served on loopback (no GPU here): the pod that has
// a GPU to itself gets its use, the pods sharing one are named and left to the next source.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "core/process.h"
#include "share/vram_live.h"
#include "support/kubench_process.h"
#include "support/test_support.h"

namespace kb::share {
namespace {

// DCGM exporter's lines for two GPUs of node homelabai: GPU-a held by ai/llm-0, GPU-b time-sliced
// between ai/whisper-1 and ai/tts-1 (the exporter repeats the GPU's whole use under each).
const char* kExposition =
    "# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).\n"
    "# TYPE DCGM_FI_DEV_FB_USED gauge\n"
    "DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-a\",device=\"nvidia0\",modelName=\"NVIDIA GeForce RTX 3080 Ti\",Hostname=\"homelabai\","
    "container=\"llm\",namespace=\"ai\",pod=\"llm-0\"} 8192\n"
    "DCGM_FI_DEV_FB_USED{gpu=\"1\",UUID=\"GPU-b\",device=\"nvidia1\",modelName=\"NVIDIA GeForce RTX 3080 Ti\",Hostname=\"homelabai\","
    "container=\"whisper\",namespace=\"ai\",pod=\"whisper-1\"} 3072\n"
    "DCGM_FI_DEV_FB_USED{gpu=\"1\",UUID=\"GPU-b\",device=\"nvidia1\",modelName=\"NVIDIA GeForce RTX 3080 Ti\",Hostname=\"homelabai\","
    "container=\"tts\",namespace=\"ai\",pod=\"tts-1\"} 3072\n";

TEST(VramLiveFromPrometheus, ReadsDcgmFbUsedByPod) {
  auto prometheus = find_executable("prometheus");
  if (!prometheus) GTEST_FAIL() << "prometheus not installed (Debian package prometheus; scripts/install-deps.sh)";
  test::TempDir dir;
  std::filesystem::create_directories(dir / "exporter");
  test::write_text(dir / "exporter" / "metrics", kExposition);
  test::FixtureServer exporter("range_server.py", {(dir / "exporter").string()}, dir);
  test::write_text(dir / "prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dcgm\n    static_configs:\n"
                                           "      - targets: ['127.0.0.1:" + std::to_string(exporter.port()) + "']\n");
  const int port = test::free_loopback_port();
  ProcessSpec spec;
  spec.argv = {prometheus->string(), "--config.file=" + (dir / "prometheus.yml").string(), "--storage.tsdb.path=" + (dir / "tsdb").string(),
               "--web.listen-address=127.0.0.1:" + std::to_string(port)};
  spec.stdout_mode = OutputMode::file;
  spec.stdout_path = dir / "prometheus.out";
  spec.stderr_mode = OutputMode::file;
  spec.stderr_path = dir / "prometheus.err";
  ChildProcess server(spec);  // stopped with its group when the test ends

  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  VramSources sources;
  ASSERT_TRUE(test::eventually([&] {
    sources = {};
    query_live_vram(url, sources);
    return !sources.live_by_pod.empty();
  })) << (sources.live_notes.empty() ? "" : sources.live_notes.back()) << "\n" << test::slurp(dir / "prometheus.err");
  EXPECT_EQ(sources.live_by_pod.size(), 1u);
  EXPECT_EQ(sources.live_by_pod.at("ai/llm-0"), 8LL << 30);
  ASSERT_EQ(sources.live_notes.size(), 1u);
  EXPECT_EQ(sources.live_notes[0],
            "DCGM_FI_DEV_FB_USED is per GPU: GPU GPU-b is shared by ai/tts-1, ai/whisper-1 (3.0 GiB in use there now), which cannot be split; "
            "their estimates come from the next source");

  // Not a Prometheus (the exporter itself answers 404 for the API path): a note, never an error.
  VramSources wrong;
  query_live_vram(exporter.url(), wrong);
  ASSERT_EQ(wrong.live_notes.size(), 1u);
  EXPECT_NE(wrong.live_notes[0].find("not a Prometheus API answer"), std::string::npos) << wrong.live_notes[0];
}

}  // namespace
}  // namespace kb::share
