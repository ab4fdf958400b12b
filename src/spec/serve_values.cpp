// A Serve config's YAML read against the key table into the JSON Serve takes:
// every key checked (unknown ones refused with "did you mean"), every value of
// its key's type and range, located in the file it came from.
#include "serve_values.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/numbers.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace raylaunch {

namespace {

// Keys a null may be written for: Serve takes None for them (null route:
// no HTTP route; null autoscaling_config: none).
bool nullable(std::string_view key) {
  static const std::string_view k_nullable[] = {"route_prefix",
                                                "num_replicas",
                                                "initial_replicas",
                                                "request_timeout_s",
                                                "upscaling_factor",
                                                "downscaling_factor",
                                                "autoscaling_config",
                                                "logs_dir",
                                                "target_capacity",
                                                "logging_config",
                                                "user_config",
                                                "placement_group_bundles",
                                                "placement_group_strategy",
                                                "max_replicas_per_node",
                                                "accelerator_type",
                                                "upscale_smoothing_factor",
                                                "downscale_smoothing_factor",
                                                "ssl_keyfile",
                                                "ssl_certfile",
                                                "ssl_keyfile_password",
                                                "ssl_ca_certs",
                                                "autoscaling_policy"};
  return std::find(std::begin(k_nullable), std::end(k_nullable), key) != std::end(k_nullable);
}

std::string joined(const std::vector<std::string_view>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += i == 0 ? "" : i + 1 == values.size() ? " or " : ", ";
    out += values[i];
  }
  return out;
}

}  // namespace

Json ServeValues::scalar_as_yaml(const YamlNode& node, const std::string& what) const {
  if (node.is_null()) {
    return nullptr;
  }
  std::string text = m_reader.text_of(node, what);
  if (node.quote != 0) {
    return text;
  }
  static const std::regex k_float(
      "-?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|-?[0-9]+[eE][-+]?[0-9]+");
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") {
    return nullptr;
  }
  if (std::optional<double> whole = read_decimal(text, false); whole && std::abs(*whole) < 9e15) {
    return static_cast<int64_t>(*whole);
  }
  if (std::regex_match(text, k_float)) {
    double value = std::strtod(text.c_str(), nullptr);
    if (std::isfinite(value)) {
      return value;
    }
  }
  return text;  // what YAML takes as text, or a number JSON cannot hold
}

Json ServeValues::any(const YamlNode& node, const std::string& what) const {
  if (node.is_map()) {
    m_reader.check_unique_keys(node, what);
    Json out = Json::object();
    for (const YamlEntry& entry : node.entries) {
      out[entry.key.text] = any(entry.value, what + "." + entry.key.text);
    }
    return out;
  }
  if (node.is_sequence()) {
    Json out = Json::array();
    for (size_t i = 0; i < node.items.size(); ++i) {
      out.push_back(any(node.items[i], fmt::format("{}[{}]", what, i)));
    }
    return out;
  }
  return scalar_as_yaml(node, what);
}

Json ServeValues::value(const YamlNode& node, const SpecKey& key, const std::string& path) const {
  std::string name(key.name);
  if (node.is_null() && nullable(key.name)) {
    return nullptr;
  }
  switch (key.type) {
    case KeyType::any:
      return any(node, name);
    case KeyType::string:
    case KeyType::size:
    case KeyType::environment:
      return m_reader.string_of(node, name).value;
    case KeyType::integer:
      return m_reader.int_of(node, name, key).value;
    case KeyType::number:
      return m_reader.number_of(node, name, key).value;
    case KeyType::boolean:
      return m_reader.bool_of(node, name);
    case KeyType::enumeration: {
      std::string text = m_reader.string_of(node, name).value;
      if (std::find(key.values.begin(), key.values.end(), text) == key.values.end()) {
        m_reader.fail(node,
                      fmt::format("{} must be {}, got \"{}\"", name, joined(key.values), text),
                      fmt::format("e.g. {}: {}", name, key.values.front()));
      }
      return text;
    }
    case KeyType::list: {
      m_reader.expect_sequence(node, name, "write one item a line, each after \"- \"");
      Json out = Json::array();
      for (size_t i = 0; i < node.items.size(); ++i) {
        std::string item_path = fmt::format("{}.{}[{}]", path, name, i);
        if (key.section) {
          out.push_back(section(node.items[i], *key.section, item_path));
        } else if (key.items == KeyType::any) {
          out.push_back(any(node.items[i], item_path));
        } else {
          out.push_back(m_reader.string_of(node.items[i], name).value);
        }
      }
      return out;
    }
    case KeyType::mapping:
      break;
  }
  if (key.section) {
    return section(node, *key.section, path + "." + name);
  }
  m_reader.expect_map(node, name);
  m_reader.check_unique_keys(node, name);
  Json out = Json::object();
  for (const YamlEntry& entry : node.entries) {
    std::string entry_name = name + "." + entry.key.text;
    out[entry.key.text] = key.items == KeyType::number
                              ? Json(m_reader.number_of(entry.value, entry_name, key).value)
                              : any(entry.value, entry_name);
  }
  return out;
}

Json ServeValues::section(const YamlNode& node, KeySection id, const std::string& path) const {
  std::string shown = path.starts_with(".") ? path.substr(1) : path;
  m_reader.expect_map(node, shown.empty() ? std::string("serve") : shown);
  m_reader.check_keys(node, id, shown.empty() ? "under serve" : "under " + shown);
  Json out = Json::object();
  for (const YamlEntry& entry : node.entries) {
    out[entry.key.text] = value(entry.value, *find_spec_key(id, entry.key.text), path);
  }
  return out;
}

}  // namespace raylaunch
