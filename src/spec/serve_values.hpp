#pragma once

// A Serve config's YAML into the JSON Serve takes, checked against the key
// table (serve_values.cpp).

#include <nlohmann/json.hpp>

#include "value_reader.hpp"
#include "yaml_reader.hpp"

#include <string>

namespace raylaunch {

using Json = nlohmann::ordered_json;

class ServeValues {
 public:
  explicit ServeValues(const ValueReader& reader) : m_reader(reader) {}

  /// The mapping `node` of `id`'s keys; `path` names it in messages
  /// ("" for `serve:` itself, else e.g. ".applications[0]").
  Json section(const YamlNode& node, KeySection id, const std::string& path) const;
  /// Any value, as YAML 1.2 reads it: quoted text stays text.
  Json any(const YamlNode& node, const std::string& what) const;

 private:
  Json value(const YamlNode& node, const SpecKey& key, const std::string& path) const;
  Json scalar_as_yaml(const YamlNode& node, const std::string& what) const;

  const ValueReader& m_reader;
};

}  // namespace raylaunch
