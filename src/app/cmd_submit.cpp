// kubench submit: the only way kubench sends anything to the QuickSync community database, and
// only when the user runs it with --to.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "media/quicksync_submit.h"
#include "media/results.h"

namespace kb::app {
namespace {

struct SubmitOptions {
  std::string results_path;
  media::QuickSyncSubmitOptions quicksync;
};

// RESULTS is a results directory (as written by `kubench bench`) or its result.json.
media::BenchResult load_bench_result(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file = std::filesystem::is_directory(path, ec) ? path / "result.json" : path;
  if (!std::filesystem::is_regular_file(file, ec))
    throw UsageError("no results at " + file.string() + " (give a results directory or its result.json)");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::parse_error& e) {
    throw ParseError(file.string() + " is not valid JSON: " + e.what());
  }
  try {
    return media::bench_result_from_json(doc);
  } catch (const ParseError& e) {
    throw ParseError(file.string() + ": " + e.what());
  }
}

std::string count_of(int n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

void run_submit(const SubmitOptions& opts) {
  const media::BenchResult result = load_bench_result(opts.results_path);
  if (!result.complete) spdlog::warn("the results are incomplete; only the tests that finished are submitted");
  const media::QuickSyncSubmission submission = media::submit_to_quicksync(result, opts.quicksync);

  std::string uploaded = count_of(submission.results_count, "result");
  if (submission.concurrency_results_count)
    uploaded += " and " + count_of(*submission.concurrency_results_count, "concurrency result");
  std::fprintf(stderr,
               "Uploaded %s to %s.\n"
               "Open the link within 24 hours to confirm (a human check; you can edit the submitter ID there).\n",
               uploaded.c_str(), opts.quicksync.api_url.c_str());
  std::fprintf(stdout, "%s\n", submission.link.c_str());
}

}  // namespace

void add_submit_command(CLI::App& app, GlobalOptions& global) {
  auto opts = std::make_shared<SubmitOptions>();
  auto* cmd = app.add_subcommand(
      "submit", "Upload results to the QuickSync community database (opt-in; prints a link to confirm them)");
  cmd->add_option("RESULTS", opts->results_path, "Results directory (containing result.json) or a result.json file")
      ->required();
  cmd->add_option("--to", opts->quicksync.api_url,
                  std::string("QuickSync API base URL; the public one is ") + media::kQuickSyncPublicApiUrl)
      ->required()
      ->envname("QUICKSYNC_API_URL");
  cmd->add_option("--id", opts->quicksync.submitter_id,
                  "Submitter ID to pre-fill on the confirmation page (never sent to the API; max 50 characters)")
      ->envname("QUICKSYNC_ID");
  cmd->add_option("--web", opts->quicksync.web_url, "Website that hosts the confirmation page")
      ->default_str(media::kQuickSyncWebUrl);
  cmd->add_flag("--allow-generated-clips", opts->quicksync.allow_non_official_clips,
                "Also submit results measured on generated or user clips (not comparable with the community's)");
  cmd->footer(
      "Example:\n"
      "  kubench submit ./kubench-results/ --to https://quicksync-api.ktz.me --id my_homelab\n"
      "The link is printed on stdout; open it within 24 hours to confirm. Results from virtual machines,\n"
      "runs without successful tests, and (without --allow-generated-clips) generated clips are refused\n"
      "before anything is sent. Docs: docs/quicksync.md");
  cmd->callback([opts, &global] {
    start_command(global);
    run_submit(*opts);
  });
}

}  // namespace kb::app
