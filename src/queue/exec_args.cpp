#include "queue/exec_args.h"

#include "core/error.h"

namespace kb::queue {

ArgPolicy::ArgPolicy(bool allow_request_args, const std::string& pattern, size_t max_args)
    : allow_(allow_request_args), pattern_text_(pattern), max_args_(max_args) {
  try {
    pattern_ = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw UsageError("--arg-pattern '" + pattern + "' is not a valid regular expression: " + e.what());
  }
}

bool ArgPolicy::matches(const std::string& arg) const {
  // A NUL cannot reach exec and would truncate the argument silently: never allowed.
  if (arg.find('\0') != std::string::npos) return false;
  return std::regex_match(arg, *pattern_);
}

namespace {
std::string substitute_device(std::string arg, const std::string& device) {
  static const std::string key = "{device}";
  for (size_t at = arg.find(key); at != std::string::npos; at = arg.find(key, at + device.size()))
    arg.replace(at, key.size(), device);
  return arg;
}

std::string shown(const std::string& arg) {
  std::string out = nlohmann::json(arg).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  return out.size() > 80 ? out.substr(0, 77) + "...\"" : out;
}
}  // namespace

ExecPlan plan_exec(const std::vector<std::string>& base_argv, const std::string& device, const nlohmann::json& payload,
                   const ArgPolicy& policy) {
  ExecPlan plan;
  for (auto& a : base_argv) plan.argv.push_back(substitute_device(a, device));

  if (payload.is_null()) return plan;
  if (!payload.is_object()) {
    plan.refusal = "exec payload must be a JSON object such as {\"args\": [\"x\"]}";
    return plan;
  }
  auto it = payload.find("args");
  if (it == payload.end() || it->is_null() || (it->is_array() && it->empty())) return plan;
  if (!it->is_array()) {
    plan.refusal = "exec payload \"args\" must be an array of strings";
    return plan;
  }
  if (!policy.allows_request_args()) {
    plan.refusal = "request arguments are refused: this worker runs only its own argv (start it with --allow-request-args)";
    return plan;
  }
  if (it->size() > policy.max_args()) {
    plan.refusal = "too many request arguments (" + std::to_string(it->size()) + ", at most " + std::to_string(policy.max_args()) + ")";
    return plan;
  }
  for (auto& a : *it) {
    if (!a.is_string()) {
      plan.refusal = "exec payload \"args\" must be an array of strings";
      return plan;
    }
    const auto& text = a.get_ref<const std::string&>();
    if (!policy.matches(text)) {
      plan.refusal = "request argument " + shown(text) + " does not match --arg-pattern " + policy.pattern();
      return plan;
    }
    plan.argv.push_back(text);
  }
  return plan;
}

}  // namespace kb::queue
