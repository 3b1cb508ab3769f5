// Opt-in submission of results to the QuickSync community results API (research-quicksync.md §4.1).
// Only `kubench submit` calls this; nothing else in kubench talks to that API.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "media/results.h"

namespace kb::media {

inline constexpr const char* kQuickSyncWebUrl = "https://quicksync.ktz.me";
inline constexpr const char* kQuickSyncPublicApiUrl = "https://quicksync-api.ktz.me";

struct QuickSyncSubmitOptions {
  std::string api_url;                    // e.g. https://quicksync-api.ktz.me (no default: opt-in)
  std::string web_url = kQuickSyncWebUrl;  // where the confirmation page lives
  std::string submitter_id;               // optional; only ever put into the confirmation link
  // Results measured on generated or user clips are not comparable with the community's
  // ribblehead data; they may be sent only when the caller says so (e.g. to a test server).
  bool allow_non_official_clips = false;
};

struct QuickSyncSubmission {
  std::string token;
  std::string link;  // <web>/submit?token=<token>[&id=<id>]
  int results_count = 0;
  std::optional<int> concurrency_results_count;  // set when a concurrency table was sent
};

// Throws UsageError/EnvironmentError (exit 2) when `result` must not be submitted: no successful
// runs, no CPU model, a virtual machine, or non-official clips without allow_non_official_clips.
void check_quicksync_submittable(const BenchResult& result, const QuickSyncSubmitOptions& options);

// The server's submitter-ID rules (§4.3): trimmed; at most 50 characters; none of < > " ' `;
// no control characters; whitespace runs collapsed. Returns the normalised ID ("" when none);
// throws UsageError with the server's wording otherwise.
std::string normalise_submitter_id(std::string_view id);

// <web>/submit?token=<token>[&id=<percent-encoded id>]
std::string quicksync_confirm_link(const std::string& web_url, const std::string& token,
                                   const std::string& submitter_id);

// Checks, uploads the pipe table (and the concurrency table when there is one) and returns the
// link the user opens to confirm. No HTTP request is made when a check fails. Server refusals
// throw kb::Error with exit code 1 carrying the server's message and details on one line;
// an unreachable server throws EnvironmentError (exit 2).
QuickSyncSubmission submit_to_quicksync(const BenchResult& result, const QuickSyncSubmitOptions& options);

}  // namespace kb::media
