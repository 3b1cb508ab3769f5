// YAML as JSON, scalars kept as the strings they were written as (a Kubernetes manifest's "2" and
// 2 mean the same to the reader that checks them): suites, manifests and config files.
#pragma once
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kb {

nlohmann::json yaml_to_json(const YAML::Node& node);

// Every document of a multi-document text ("---"), empty ones skipped. ParseError "NAME:LINE: …"
// for text that is not YAML.
std::vector<nlohmann::json> parse_yaml_documents(const std::string& text, const std::string& name);

}  // namespace kb
