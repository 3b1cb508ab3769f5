#include "core/yaml_json.h"

#include "core/error.h"

namespace kb {

using nlohmann::json;

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: return n.as<std::string>();
    default: return nullptr;
  }
}

std::vector<json> parse_yaml_documents(const std::string& text, const std::string& name) {
  std::vector<json> out;
  try {
    for (const auto& doc : YAML::LoadAll(text))
      if (doc.IsDefined() && !doc.IsNull()) out.push_back(yaml_to_json(doc));
  } catch (const YAML::Exception& e) {
    throw ParseError(name + ":" + std::to_string(e.mark.line + 1) + ": not YAML: " + e.msg);
  }
  return out;
}

}  // namespace kb
