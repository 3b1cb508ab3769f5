// `kubench submit` against a local stand-in of the QuickSync results API (tests/fixtures/quicksync_api.py).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "core/files.h"
#include "core/http_client.h"
#include "media/results.h"
#include "support/seed_samples.h"
#include "support/test_support.h"

namespace kb {
namespace {

using nlohmann::json;
using test::TempDir;

// The API fixture as a child process; its first stdout line names the port it bound.
class QuickSyncApi {
 public:
  explicit QuickSyncApi(const TempDir& dir, const std::vector<std::string>& extra_args = {})
      : server_("quicksync_api.py", extra_args, dir) {}
  std::string url() const { return server_.url(); }
  json get(const std::string& path) const { return json::parse(http_get(url() + path).body); }
  // Every API request the fixture served (its /_test/ hooks excluded).
  json requests() const { return get("/_test/requests"); }

 private:
  test::FixtureServer server_;
};

// A loopback port with nothing listening on it.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The seed's README sample (i5-9500), plus a failed run that must not be sent, measured on
// generated clips (hence --allow-generated-clips below).
media::BenchResult readme_result() {
  media::BenchResult r = test::readme_sample();
  r.clip_set = "generated";
  media::TestRun failed = test::ok_run("av1_1080p", "ribblehead_1080p_h264", "qsv", 18952, 1, 1, 1, 5);
  failed.status = "failed";
  r.tests.push_back(failed);
  r.concurrency = {test::dense_concurrency("h264_1080p", "ribblehead_1080p_h264",
                                     {9.31, 5.61, 3.76, 2.83, 2.26, 1.89, 1.62, 1.41, 1.26, 1.13}),
                   test::dense_concurrency("hevc_8bit", "ribblehead_1080p_hevc_8bit", {3.93, 2.02, 1.36, 1.02, 0.81})};
  return r;
}

std::filesystem::path write_results(const TempDir& dir, const media::BenchResult& r, const std::string& name = "results") {
  std::filesystem::create_directories(dir / name);
  test::write_text(dir / name / "result.json", media::to_json(r).dump(2));
  return dir / name;
}

const std::string kReadmeTable =
    "CPU|TEST|FILE|BITRATE|TIME|AVG_FPS|AVG_SPEED|AVG_WATTS\n"
    "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p_cpu|ribblehead_1080p_h264|18952 kb/s|59.665s|58.03|2.05x|N/A\n"
    "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p|ribblehead_1080p_h264|18952 kb/s|15.759s|232.03|7.63x|7.66\n"
    "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_4k|ribblehead_4k_h264|46881 kb/s|58.667s|59.21|2.09x|7.49\n"
    "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|hevc_8bit|ribblehead_1080p_hevc_8bit|14947 kb/s|45.369s|76.10|2.66x|9.09\n"
    "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|hevc_4k_10bit|ribblehead_4k_hevc_10bit|44617 kb/s|176.932s|19.71|.68x|10.12\n";

const json* find_test(const json& rows, const std::string& test_name) {
  for (auto& row : rows)
    if (row["test_name"] == test_name) return &row;
  return nullptr;
}

std::string token_of(const std::string& link) {
  std::smatch m;
  std::regex_search(link, m, std::regex("token=([0-9a-f-]+)"));
  return m.size() > 1 ? std::string(m[1]) : "";
}

// The fixture's parsing and hashing against the reference hashes (research-quicksync.md §8, appendix).
TEST(QuickSyncApiFixture, DerivesTheReferenceHashes) {
  ProcessSpec spec;
  spec.argv = {test::python(), (test::fixtures_dir() / "quicksync_api.py").string(), "--self-test"};
  auto r = run_process(spec);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "self-test ok\n");
}

TEST(SubmitCommand, UploadsTheExactTablesAndPrintsTheConfirmLink) {
  TempDir dir;
  QuickSyncApi api(dir);
  auto results = write_results(dir, readme_result());

  auto r = test::run_kubench({"submit", results.string(), "--to", api.url(), "--id", "my lab#1", "--allow-generated-clips"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_TRUE(std::regex_match(r.stdout_text, std::regex("https://quicksync\\.ktz\\.me/submit\\?token=[0-9a-f-]{36}&id=my%20lab%231\n")))
      << r.stdout_text;
  EXPECT_NE(r.stderr_text.find("Open the link within 24 hours to confirm"), std::string::npos) << r.stderr_text;
  const std::string token = token_of(r.stdout_text);

  json seen = api.requests();
  ASSERT_EQ(seen["count"], 2) << seen.dump(2);
  const json& pending = seen["requests"][0];
  EXPECT_EQ(pending["method"], "POST");
  EXPECT_EQ(pending["path"], "/api/submit/pending");
  EXPECT_EQ(pending["content_type"], "text/plain");
  EXPECT_EQ(pending["body"], kReadmeTable);
  const json& concurrency = seen["requests"][1];
  EXPECT_EQ(concurrency["path"], "/api/submit/pending/" + token + "/concurrency");
  EXPECT_EQ(concurrency["body"],
            "CPU|TEST|FILE|1x|2x|3x|4x|5x|6x|7x|8x|9x|10x\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|h264_1080p|ribblehead_1080p_h264|"
            "9.31x|5.61x|3.76x|2.83x|2.26x|1.89x|1.62x|1.41x|1.26x|1.13x\n"
            "Intel(R) Core(TM) i5-9500 CPU @ 3.00GHz|hevc_8bit|ribblehead_1080p_hevc_8bit|3.93x|2.02x|1.36x|1.02x|.81x\n");
  EXPECT_EQ(seen.dump().find("my lab"), std::string::npos) << "the submitter ID reached the API";
  EXPECT_EQ(seen.dump().find("my%20lab"), std::string::npos) << "the submitter ID reached the API";

  // What the server derived from our rows matches the reference (research-quicksync.md §8 check 16).
  json stored = api.get("/api/submit/pending/" + token);
  ASSERT_EQ(stored["results_count"], 5) << stored.dump(2);
  const json* qsv = find_test(stored["results"], "h264_1080p");
  ASSERT_NE(qsv, nullptr);
  EXPECT_EQ((*qsv)["cpu_raw"], "i5-9500");
  EXPECT_EQ((*qsv)["architecture"], "Coffee Lake Refresh");
  EXPECT_EQ((*qsv)["avg_fps"], 232.03);
  EXPECT_EQ((*qsv)["avg_watts"], 7.66);
  EXPECT_EQ((*qsv)["result_hash"], "1a607d3b2bc8a5528c52230983cfa08f48db1f6cb1857b9446393d6eea60c7b9");
  const json* cpu = find_test(stored["results"], "h264_1080p_cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_TRUE((*cpu)["avg_watts"].is_null());
  EXPECT_EQ((*cpu)["result_hash"], "eb2204424b9edc10632311b24cde596a7dac11a5716b5eaabca2fb24e8267c0c");
  const json* uhd_10bit = find_test(stored["results"], "hevc_4k_10bit");
  ASSERT_NE(uhd_10bit, nullptr);
  EXPECT_EQ((*uhd_10bit)["avg_speed"], 0.68);
  ASSERT_EQ(stored["concurrency_results_count"], 2);
  EXPECT_EQ(stored["concurrencyResults"][0]["max_concurrency"], 10);
  EXPECT_EQ(stored["concurrencyResults"][1]["max_concurrency"], 4);
}

TEST(SubmitCommand, ConcurrencyRowHashesLikeTheReference) {
  TempDir dir;
  QuickSyncApi api(dir);
  media::BenchResult result = readme_result();
  result.host.cpu_model = "12th Gen Intel(R) Core(TM) i5-12600H";
  auto results = write_results(dir, result);

  // The result.json path works as well as its directory.
  auto r = test::run_kubench({"submit", (results / "result.json").string(), "--to", api.url(), "--allow-generated-clips"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text.find("&id="), std::string::npos);
  json stored = api.get("/api/submit/pending/" + token_of(r.stdout_text));
  ASSERT_EQ(stored["concurrency_results_count"], 2) << stored.dump(2);
  const json& row = stored["concurrencyResults"][0];
  EXPECT_EQ(row["cpu_raw"], "i5-12600H");
  EXPECT_EQ(row["max_concurrency"], 10);
  EXPECT_EQ(row["result_hash"], "ae6d696862595e470f9206226f5978198929a9db84832b32a4ade4c1fb7c9b58");
}

TEST(SubmitCommand, ResubmittingIsDeduplicatedByTheServer) {
  TempDir dir;
  QuickSyncApi api(dir);
  auto results = write_results(dir, readme_result());
  std::vector<json> confirmations;
  for (int round = 0; round < 2; ++round) {
    auto r = test::run_kubench({"submit", results.string(), "--to", api.url(), "--allow-generated-clips"});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
    json body = {{"token", token_of(r.stdout_text)}, {"turnstile_token", "test-ok"}, {"submitter_id", "my lab#1"}};
    auto reply = http_post(api.url() + "/api/submit/pending/confirm", body.dump(), "application/json");
    ASSERT_EQ(reply.status, 200) << reply.body;
    confirmations.push_back(json::parse(reply.body));
  }
  EXPECT_EQ(confirmations[0]["inserted"], 5);
  EXPECT_EQ(confirmations[0]["concurrency_inserted"], 2);
  EXPECT_EQ(confirmations[1]["inserted"], 0);
  EXPECT_EQ(confirmations[1]["skipped"], 5);
  EXPECT_EQ(confirmations[1]["message"], "All results were already in the database.");
}

TEST(SubmitCommand, RefusedResultsNeverReachTheServer) {
  TempDir dir;
  QuickSyncApi api(dir);

  media::BenchResult vm = readme_result();
  vm.host.virtual_machine = true;
  auto r = test::run_kubench({"submit", write_results(dir, vm, "vm").string(), "--to", api.url(), "--allow-generated-clips"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("virtual machine"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "");

  // Generated clips without the explicit flag.
  r = test::run_kubench({"submit", write_results(dir, readme_result(), "generated").string(), "--to", api.url()});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--allow-generated-clips"), std::string::npos) << r.stderr_text;

  media::BenchResult failed = readme_result();
  for (auto& t : failed.tests) t.status = "failed";
  r = test::run_kubench({"submit", write_results(dir, failed, "failed").string(), "--to", api.url(), "--allow-generated-clips"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;

  r = test::run_kubench({"submit", write_results(dir, readme_result(), "bad-id").string(), "--to", api.url(),
                         "--allow-generated-clips", "--id", "<b>me</b>"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("Submitter ID"), std::string::npos) << r.stderr_text;

  EXPECT_EQ(api.requests()["count"], 0);
}

TEST(SubmitCommand, ShowsTheServersRefusalVerbatim) {
  TempDir dir;
  QuickSyncApi api(dir);
  media::BenchResult result = readme_result();
  result.host.cpu_model = "Intel(R) Core(TM) 3 N355";  // a CPU the server does not know (issue #29)
  auto r = test::run_kubench({"submit", write_results(dir, result).string(), "--to", api.url(), "--allow-generated-clips"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "");
  EXPECT_NE(r.stderr_text.find("Unrecognized CPU architecture. Please report this CPU model."), std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("unknown_cpu"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("Intel Core 3 N355"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(api.requests()["count"], 1);  // no concurrency upload after a refusal
}

TEST(SubmitCommand, SaysWhenTheTokenExpired) {
  TempDir dir;
  QuickSyncApi api(dir, {"--pending-ttl", "0"});  // every token is expired as soon as it is issued
  auto r = test::run_kubench({"submit", write_results(dir, readme_result()).string(), "--to", api.url(),
                              "--allow-generated-clips"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("submission token expired"), std::string::npos) << r.stderr_text;
}

TEST(SubmitCommand, UnreachableServerIsOneLineNamingTheUrl) {
  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto r = test::run_kubench({"submit", write_results(dir, readme_result()).string(), "--to", url,
                              "--allow-generated-clips"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(url + "/api/submit/pending"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "");
}

TEST(SubmitCommand, MissingResultsAreAUsageError) {
  TempDir dir;
  auto r = test::run_kubench({"submit", (dir / "nowhere").string(), "--to", "http://127.0.0.1:9"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("nowhere"), std::string::npos) << r.stderr_text;

  test::write_text(dir / "broken.json", "{not json");
  r = test::run_kubench({"submit", (dir / "broken.json").string(), "--to", "http://127.0.0.1:9"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("not valid JSON"), std::string::npos) << r.stderr_text;

  r = test::run_kubench({"submit", (dir / "broken.json").string()});  // --to is required: opt-in only
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
}

TEST(SubmitCommand, HelpShowsAnExample) {
  auto r = test::run_kubench({"submit", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.stdout_text.find("kubench submit ./kubench-results/ --to https://quicksync-api.ktz.me"), std::string::npos)
      << r.stdout_text;
}

}  // namespace
}  // namespace kb
