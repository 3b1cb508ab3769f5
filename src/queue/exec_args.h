// Which argv an `exec` item runs. The worker's own argv comes from its command line; arguments
// from a request (payload {"args": [...]}) are appended only when the worker was started with
// --allow-request-args, and each must match --arg-pattern in full. The seed appended request
// arguments unchecked, which let any client inject options (e.g. `-o /some/path`) into the
// workload; the default pattern therefore refuses a leading '-', '/', and anything shell-like.
// Nothing here ever goes through a shell: the argv is exec'd as is.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace kb::queue {

inline constexpr const char* kDefaultArgPattern = "[A-Za-z0-9][A-Za-z0-9._,:=+@%-]{0,255}";

class ArgPolicy {
 public:
  // Throws UsageError when `pattern` is not a valid (ECMAScript) regular expression.
  ArgPolicy(bool allow_request_args, const std::string& pattern = kDefaultArgPattern, size_t max_args = 64);
  bool allows_request_args() const { return allow_; }
  const std::string& pattern() const { return pattern_text_; }
  bool matches(const std::string& arg) const;
  size_t max_args() const { return max_args_; }

 private:
  bool allow_;
  std::string pattern_text_;
  std::shared_ptr<const std::regex> pattern_;
  size_t max_args_;
};

struct ExecPlan {
  std::vector<std::string> argv;
  std::string refusal;  // non-empty: the item must fail with this reason, nothing is run
};

// The worker's argv with "{device}" replaced by the slot's device (in the worker's own arguments
// only), then the request's arguments if the policy lets every one of them through.
ExecPlan plan_exec(const std::vector<std::string>& base_argv, const std::string& device, const nlohmann::json& payload,
                   const ArgPolicy& policy);

}  // namespace kb::queue
