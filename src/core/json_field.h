// A member of a JSON object by reference: `field(pod, "spec")` instead of
// `pod.value("spec", json::object())`, which copies the whole member — in the loops over thousands
// of listed pods those copies and their frees were most of the time.
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

namespace kb {

// The member, or a shared empty object when `object` is not an object or has no such member
// (iterating it yields nothing, `.value(k, d)` gives d).
inline const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!object.is_object()) return empty;
  const auto it = object.find(key);
  return it == object.end() ? empty : *it;
}

// A string member by reference, "" when absent or not a string.
inline const std::string& string_field(const nlohmann::json& object, std::string_view key) {
  static const std::string none;
  const auto& v = field(object, key);
  return v.is_string() ? v.get_ref<const std::string&>() : none;
}

// `text` parsed without the members named in `drop_keys`, at any depth: their values are read past
// and never built (nlohmann's callback parser builds each value before discarding it). A listed
// pod's managedFields are half of it. ParseError for text that is not JSON.
nlohmann::json parse_json_without(std::string_view text, const std::set<std::string>& drop_keys);

}  // namespace kb
