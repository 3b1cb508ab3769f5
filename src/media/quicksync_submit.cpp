#include "media/quicksync_submit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/http_client.h"
#include "core/text.h"
#include "media/quicksync_format.h"

namespace kb::media {
namespace {

using nlohmann::json;

constexpr size_t kMaxSubmitterIdLength = 50;  // the server's limit, in JavaScript string length

// The seed's client-side VM guard (§1.7); the server rejects the same strings, so refusing here
// saves the user a round trip and keeps VM results from ever leaving the machine.
bool cpu_model_names_a_vm(std::string_view cpu_model) {
  static const std::array<const char*, 6> markers = {"qemu", "virtual", "vmware", "virtualbox", "hyper-v", "kvm"};
  const std::string lower = to_lower(cpu_model);
  return std::any_of(markers.begin(), markers.end(),
                     [&](const char* m) { return lower.find(m) != std::string::npos; });
}

// JavaScript's String.length counts UTF-16 code units: one per UTF-8 sequence, two for the
// 4-byte sequences (characters outside the Basic Multilingual Plane).
size_t javascript_length(std::string_view utf8) {
  size_t units = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += (c >= 0xF0) ? 2 : 1;
  }
  return units;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string one_line(std::string_view text, size_t max_chars) {
  std::string out(trim(text).substr(0, max_chars));
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return out;
}

// The server's error and every detail it sent with it (unknown_cpu, blocked_cpu, ...), verbatim.
std::string server_error_text(const json& reply) {
  std::string text = reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>()
                                                                             : std::string("no error message");
  std::string details;
  for (auto it = reply.begin(); it != reply.end(); ++it) {
    if (it.key() == "success" || it.key() == "error") continue;
    details += (details.empty() ? "" : ", ") + it.key() + ": " + it.value().dump();
  }
  text = one_line(text, 500);
  return details.empty() ? text : text + " (" + details + ")";
}

// POSTs and returns the JSON reply of a 2xx answer; anything else becomes one clear line.
json post_to_api(const std::string& url, const std::string& body, const std::string& what) {
  HttpResponse response;
  try {
    response = http_post(url, body, "text/plain");
  } catch (const EnvironmentError& e) {
    throw EnvironmentError(std::string("cannot reach the QuickSync API: ") + e.what() + " (check --to)");
  }
  json reply;
  try {
    reply = json::parse(response.body);
  } catch (const json::parse_error&) {
    throw EnvironmentError("QuickSync API " + url + " answered HTTP " + std::to_string(response.status) +
                           " with a body that is not JSON: " + one_line(response.body, 200));
  }
  if (response.status >= 200 && response.status < 300 && reply.is_object()) return reply;

  if (!reply.is_object()) reply = json{{"error", reply.dump()}};
  const std::string status = "HTTP " + std::to_string(response.status);
  if (response.status == 404 && reply.value("expired", false))
    throw Error("QuickSync API: submission token expired while uploading " + what + " (" + status + ": " +
                    server_error_text(reply) + "); run kubench submit again",
                kExitFailed);
  if (response.status >= 400 && response.status < 500)
    throw Error("QuickSync API " + url + " refused the " + what + " (" + status + "): " + server_error_text(reply),
                kExitFailed);
  throw EnvironmentError("QuickSync API " + url + " failed (" + status + "): " + server_error_text(reply));
}

int count_field(const json& reply, const char* key) {
  auto it = reply.find(key);
  return it != reply.end() && it->is_number_integer() ? it->get<int>() : 0;
}

}  // namespace

void check_quicksync_submittable(const BenchResult& result, const QuickSyncSubmitOptions& options) {
  const bool any_ok = std::any_of(result.tests.begin(), result.tests.end(),
                                  [](const TestRun& t) { return t.status == "ok"; });
  if (!any_ok) throw UsageError("nothing to submit: the results have no successful test runs");

  const std::string cpu = quicksync_cpu_field(result);
  if (cpu.empty() || cpu == "1")
    throw UsageError("cannot submit: the results record no CPU model (QuickSync groups results by CPU)");
  if (result.host.virtual_machine || cpu_model_names_a_vm(cpu))
    throw EnvironmentError("cannot submit: the results come from a virtual machine ('" + cpu +
                           "'); the QuickSync database does not accept VM results");
  if (result.clip_set != "official" && !options.allow_non_official_clips)
    throw UsageError("cannot submit: the results were measured on " +
                     (result.clip_set.empty() ? std::string("unknown") : "'" + result.clip_set + "'") +
                     " clips, which are not comparable with the community's ribblehead results; run "
                     "with the official clips, or pass --allow-generated-clips (e.g. for a test server)");
}

std::string normalise_submitter_id(std::string_view id) {
  std::string_view trimmed = trim(id);
  if (trimmed.empty()) return "";
  if (javascript_length(trimmed) > kMaxSubmitterIdLength)
    throw UsageError("Submitter ID must be 50 characters or less.");
  for (unsigned char c : trimmed) {
    if (c == '<' || c == '>' || c == '"' || c == '\'' || c == '`')
      throw UsageError("Submitter ID contains invalid characters (< > \" ' `).");
    if (c < 0x20 || c == 0x7F) throw UsageError("Submitter ID contains control characters.");
  }
  std::string collapsed;
  for (char c : trimmed) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  return collapsed;
}

std::string quicksync_confirm_link(const std::string& web_url, const std::string& token,
                                   const std::string& submitter_id) {
  std::string link = without_trailing_slashes(web_url) + "/submit?token=" + url_encode(token);
  if (!submitter_id.empty()) link += "&id=" + url_encode(submitter_id);
  return link;
}

QuickSyncSubmission submit_to_quicksync(const BenchResult& result, const QuickSyncSubmitOptions& options) {
  const std::string api = without_trailing_slashes(options.api_url);
  if (!starts_with(api, "http://") && !starts_with(api, "https://"))
    throw UsageError("the QuickSync API URL must start with http:// or https://, got '" + options.api_url + "'");
  const std::string submitter_id = normalise_submitter_id(options.submitter_id);
  check_quicksync_submittable(result, options);

  QuickSyncSubmission submission;
  const std::string pending_url = api + "/api/submit/pending";
  spdlog::info("uploading results to {}", pending_url);
  json reply = post_to_api(pending_url, quicksync_table(result), "results");
  if (!reply.contains("token") || !reply["token"].is_string() || reply["token"].get<std::string>().empty())
    throw ParseError("QuickSync API " + pending_url + " answered without a submission token: " +
                     one_line(reply.dump(), 200));
  submission.token = reply["token"].get<std::string>();
  submission.results_count = count_field(reply, "results_count");
  submission.link = quicksync_confirm_link(options.web_url, submission.token, submitter_id);

  const std::string concurrency = quicksync_concurrency_table(result);
  if (std::count(concurrency.begin(), concurrency.end(), '\n') > 1) {  // more than the header
    const std::string url = pending_url + "/" + url_encode(submission.token) + "/concurrency";
    spdlog::info("uploading concurrency results to {}", url);
    try {
      json concurrency_reply = post_to_api(url, concurrency, "concurrency results");
      submission.concurrency_results_count = count_field(concurrency_reply, "concurrency_results_count");
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      // The standard results already wait under the token; the user can still confirm them.
      throw Error(std::string(e.what()) + "; the standard results alone can still be confirmed at " + submission.link,
                  e.exit_code());
    }
  }
  return submission;
}

}  // namespace kb::media
