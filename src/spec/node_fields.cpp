// The fields `defaults`, the head and every worker group share: limits, env,
// volumes, labels, resources and the policies (ray_args and Ray's label syntax
// are in ray_args.cpp). What Docker or Ray would refuse later (names, clashing
// mounts) is refused here, at the line that wrote it.
#include "sections.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/ray_flags.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;


const SpecKey& node_key(std::string_view name) { return declared_key(KeySection::node, name); }


// image, num_cpus, gpus, memory, cpus and shm_size.
void load_limits(const ValueReader& reader, const YamlNode& node, NodeSpec& out) {
  if (const YamlNode* image = node.find("image")) {
    out.image = reader.image_of(*image, "image");
  }
  if (const YamlNode* value = node.find("num_cpus")) {
    out.num_cpus = reader.int_of(*value, "num_cpus", node_key("num_cpus"));
  }
  if (const YamlNode* value = node.find("gpus")) {
    out.gpus = reader.int_of(*value, "gpus", node_key("gpus"));
  }
  if (const YamlNode* value = node.find("memory")) {
    const SpecKey& memory = node_key("memory");
    out.memory = reader.size_of(*value, "memory", memory);
    if (static_cast<double>(out.memory->value) < *memory.range->min) {
      reader.fail(*value,
                  fmt::format("memory must be at least 6m, Docker's smallest limit, got \"{}\"",
                              value->text),
                  "e.g. memory: 8g");
    }
  }
  if (const YamlNode* value = node.find("cpus")) {
    out.cpus = reader.number_of(*value, "cpus", node_key("cpus"));
  }
  if (const YamlNode* value = node.find("shm_size")) {
    out.shm_size = reader.size_of(*value, "shm_size", node_key("shm_size"));
  }
}

// How much env a node has so far: its own entries and those it inherits from
// defaults (a name in both counts once, with the node's value).
struct EnvTally {
  const NodeSpec* defaults = nullptr;
  size_t entries = 0;
  size_t bytes = 0;
};

size_t entry_bytes(const std::string& key, const std::string& value) {
  return key.size() + 1 + value.size();  // NAME=VALUE
}

EnvTally tally_of(const NodeSpec* defaults) {
  EnvTally tally{defaults};
  if (defaults != nullptr) {
    tally.entries = defaults->env.size();
    for (const auto& [key, value] : defaults->env) {
      tally.bytes += entry_bytes(key, value.value);
    }
  }
  return tally;
}

// Counts `key` = `value` into `tally`, and refuses it past a node's limits.
void count_env(const ValueReader& reader, EnvTally& tally, const std::string& key,
               const std::string& value, const YamlNode& where) {
  bool inherited = false;
  if (tally.defaults != nullptr) {
    if (auto found = tally.defaults->env.find(key); found != tally.defaults->env.end()) {
      tally.bytes -= entry_bytes(key, found->second.value);  // the node's value replaces it
      inherited = true;
    }
  }
  tally.entries += inherited ? 0 : 1;
  tally.bytes += entry_bytes(key, value);
  const char* hint =
      "entries in defaults.env count for every node; put the rest in a file mounted with volumes:";
  if (tally.entries > k_max_env_entries) {
    reader.fail(where,
                fmt::format("env {} makes {} env entries, more than the {} a node may have", key,
                            tally.entries, k_max_env_entries),
                hint);
  }
  if (tally.bytes > k_max_env_bytes) {
    reader.fail(where,
                fmt::format("env {} makes the node's env {} bytes, more than the {} allowed", key,
                            tally.bytes, k_max_env_bytes),
                hint);
  }
}

void add_env(const ValueReader& reader, NodeSpec& out, EnvTally& tally, const std::string& key,
             Located<std::string> value, const YamlNode& where) {
  static const std::regex k_env_name(std::string(node_key("env").pattern));
  if (!std::regex_match(key, k_env_name)) {
    reader.fail(where, fmt::format("invalid environment variable name \"{}\"", key),
                "names are letters, digits, \"_\" and \".\", not starting with a digit");
  }
  if (key.rfind("RAYLAUNCH_", 0) == 0 || key == "RAY_ADDRESS") {
    reader.fail(where, fmt::format("env {} is set by raylaunch", key),
                "raylaunch sets RAYLAUNCH_PROJECT, RAYLAUNCH_GROUP, RAYLAUNCH_REPLICA and "
                "RAY_ADDRESS");
  }
  count_env(reader, tally, key, value.value, where);
  out.env[key] = std::move(value);
}

// compose's list form: - KEY=VALUE, or - KEY to pass the variable through.
void load_env_list(const ValueReader& reader, const YamlNode& node, NodeSpec& out,
                   EnvTally& tally) {
  std::set<std::string> seen_in_list;
  for (const YamlNode& item : node.items) {
    std::string text = reader.string_of(item, "env").value;
    size_t eq = text.find('=');
    std::string key = text.substr(0, eq);
    if (!seen_in_list.insert(key).second) {
      reader.fail(item, fmt::format("env {} is given twice", key), "keep one of them");
    }
    if (eq == std::string::npos) {
      if (std::optional<std::string> value = reader.lookup(key)) {
        add_env(reader, out, tally, key, {*value, item.where}, item);
      }
      continue;
    }
    add_env(reader, out, tally, key, {text.substr(eq + 1), item.where}, item);
  }
}

void load_env_map(const ValueReader& reader, const YamlNode& node, NodeSpec& out, EnvTally& tally) {
  reader.expect_map(node, "env");
  reader.check_unique_keys(node, "env");
  for (const YamlEntry& entry : node.entries) {
    const std::string& key = entry.key.text;
    // `KEY:` with no value passes the variable through, and leaves it out
    // when it is not set, as compose does.
    if (entry.value.is_null()) {
      if (std::optional<std::string> value = reader.lookup(key)) {
        add_env(reader, out, tally, key, {*value, entry.key.where}, entry.key);
      }
      continue;
    }
    if (entry.value.is_map()) {
      // KEY: {value: ..., secret: true}
      reader.check_keys(entry.value, KeySection::env_entry, fmt::format("under env.{}", key));
      const YamlNode* value = entry.value.find("value");
      if (!value) {
        reader.fail(entry.value, fmt::format("env.{} has no value", key),
                    "write {value: ..., secret: true}");
      }
      if (const YamlNode* secret = entry.value.find("secret")) {
        out.env_secret[key] = reader.bool_of(*secret, fmt::format("env.{}.secret", key));
      }
      add_env(reader, out, tally, key, {reader.text_of(*value, "env." + key), value->where},
              entry.key);
      continue;
    }
    add_env(reader, out, tally, key, {reader.text_of(entry.value, "env." + key), entry.value.where},
            entry.key);
  }
}

// A key Docker or Ray would cut: each reads a label as KEY=VALUE, and Ray's
// list of them is split at ","; whitespace and control bytes are no part of a key.
void check_label_key(const ValueReader& reader, const YamlNode& key, const char* what,
                     const char* separators, const char* hint, const char* example) {
  if (key.text.find_first_of(separators) != std::string::npos) {
    std::string said = separators[1] == '\0'
                           ? fmt::format("\"{}\"", separators)
                           : fmt::format("\"{}\" or \"{}\"", separators[0], separators[1]);
    reader.fail(key, fmt::format("{} \"{}\" contains {}", what, key.text, said), hint);
  }
  for (char c : key.text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      reader.fail(key, fmt::format("{} \"{}\" contains whitespace", what, key.text),
                  fmt::format("write the key as one word, e.g. {}", example));
    }
  }
}

void load_labels(const ValueReader& reader, const YamlNode& node, NodeSpec& out) {
  if (const YamlNode* value = node.find("labels")) {
    out.labels = reader.string_map_of(*value, "labels");
    for (const YamlEntry& entry : value->entries) {
      check_label_key(reader, entry.key, "label", "=",
                      "Docker reads a label as KEY=VALUE; write the key without \"=\", e.g. "
                      "com.example.team",
                      "com.example.team");
    }
    for (const auto& [key, label] : out.labels) {
      if (key.rfind("io.raylaunch.", 0) == 0) {
        throw SpecError(fmt::format("label \"{}\" uses raylaunch's own prefix", key),
                        "labels under io.raylaunch. are set by raylaunch; choose another prefix",
                        label.where);
      }
    }
  }
  if (const YamlNode* value = node.find("ray_labels")) {
    out.ray_labels = reader.string_map_of(*value, "ray_labels");
    const char* hint = "Ray reads labels as key=value,key=value; leave those characters out";
    for (const YamlEntry& entry : value->entries) {
      check_label_key(reader, entry.key, "ray label", "=,", hint, "zone");
      check_ray_label_key(reader, entry.key);
      const std::string& label = out.ray_labels.at(entry.key.text).value;
      if (label.find_first_of("=,") != std::string::npos) {
        reader.fail(entry.value,
                    fmt::format("the value \"{}\" of ray label \"{}\" contains \"=\" or \",\"",
                                label, entry.key.text),
                    hint);
      }
      if (!label.empty() && !is_label_name(label)) {
        reader.fail(entry.value,
                    fmt::format("the value \"{}\" of ray label \"{}\" is not one Ray takes",
                                label, entry.key.text),
                    "Ray takes at most 63 letters, digits, \"-\", \"_\" and \".\", starting and "
                    "ending with a letter or digit (or an empty value)");
      }
    }
  }
}

void load_resources(const ValueReader& reader, const YamlNode& node, NodeSpec& out) {
  reader.expect_map(node, "resources");
  reader.check_unique_keys(node, "resources");
  const SpecKey& resources = node_key("resources");
  static const std::regex k_resource_name(std::string(resources.pattern));
  for (const YamlEntry& entry : node.entries) {
    const std::string& key = entry.key.text;
    if (!std::regex_match(key, k_resource_name)) {
      reader.fail(entry.key, fmt::format("invalid resource name \"{}\"", key),
                  "use letters, digits and _.:-, e.g. accelerator_a10");
    }
    if (key == "CPU" || key == "GPU" || key == "memory" || key == "object_store_memory") {
      reader.fail(entry.key, fmt::format("resource \"{}\" is one of Ray's own", key),
                  key == "CPU"   ? "set num_cpus"
                  : key == "GPU" ? "set gpus"
                                 : "Ray sizes it itself");
    }
    out.resources[key] = reader.number_of(entry.value, "resources." + key, resources);
  }
}

Located<RestartPolicy> restart_of(const ValueReader& reader, const YamlNode& node) {
  std::string text = reader.string_of(node, "restart").value;
  RestartPolicy policy;
  if (text == "no") {
    policy.kind = RestartPolicy::Kind::no;
  } else if (text == "always") {
    policy.kind = RestartPolicy::Kind::always;
  } else if (text == "unless-stopped") {
    policy.kind = RestartPolicy::Kind::unless_stopped;
  } else if (text.rfind("on-failure", 0) == 0) {
    policy.kind = RestartPolicy::Kind::on_failure;
    std::string rest = text.substr(10);
    if (!rest.empty()) {
      int retries = 0;
      auto [end, error] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), retries);
      if (rest[0] != ':' || error != std::errc() || end != rest.data() + rest.size() ||
          retries < 1) {
        reader.fail(node, fmt::format("invalid restart policy \"{}\"", text),
                    "write on-failure or on-failure:N with N at least 1");
      }
      policy.max_retries = retries;
    }
  } else {
    reader.fail(node, fmt::format("invalid restart policy \"{}\"", text),
                "write no, always, on-failure[:N] or unless-stopped");
  }
  return {policy, node.where};
}

Located<PullPolicy> pull_of(const ValueReader& reader, const YamlNode& node) {
  std::string text = reader.string_of(node, "pull").value;
  PullPolicy policy = PullPolicy::missing;
  if (text == "always") {
    policy = PullPolicy::always;
  } else if (text == "never") {
    policy = PullPolicy::never;
  } else if (text == "ship") {
    policy = PullPolicy::ship;
  } else if (text != "missing") {
    reader.fail(node,
                fmt::format("pull must be missing, always, never or ship, got \"{}\"", text),
                "missing pulls only images not present (the default); ship copies them from "
                "this machine's engine");
  }
  return {policy, node.where};
}

// stop_grace_period: compose's duration, in whole seconds for `docker stop -t`.
Located<int64_t> stop_grace_of(const ValueReader& reader, const YamlNode& node) {
  double seconds = reader.duration_of(node, "stop_grace_period", "10s or 1m30s", "1m30s");
  if (seconds > 3600) {
    reader.fail(node,
                fmt::format("stop_grace_period must be at most 1h, got \"{}\"",
                            reader.string_of(node, "stop_grace_period").value),
                "it is how long a node may take to stop before Docker kills it");
  }
  return {static_cast<int64_t>(std::ceil(seconds)), node.where};
}

}  // namespace

void load_node(const ValueReader& reader, const YamlNode& node, NodeSpec& out,
               const std::string& spec_dir, const NodeSpec* defaults) {
  load_limits(reader, node, out);
  if (const YamlNode* value = node.find("env")) {
    EnvTally tally = tally_of(defaults);
    if (value->is_sequence()) {
      load_env_list(reader, *value, out, tally);
    } else {
      load_env_map(reader, *value, out, tally);
    }
  }
  if (const YamlNode* value = node.find("volumes")) {
    load_volumes(reader, *value, out, spec_dir);
  }
  load_labels(reader, node, out);
  if (const YamlNode* value = node.find("resources")) {
    load_resources(reader, *value, out);
  }
  if (const YamlNode* value = node.find("ray_args")) {
    load_ray_args(reader, *value, out);
  }
  if (const YamlNode* value = node.find("restart")) {
    out.restart = restart_of(reader, *value);
  }
  if (const YamlNode* value = node.find("pull")) {
    out.pull = pull_of(reader, *value);
  }
  if (const YamlNode* value = node.find("stop_grace_period")) {
    out.stop_grace = stop_grace_of(reader, *value);
  }
}

}  // namespace raylaunch
