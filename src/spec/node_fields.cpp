// The fields `defaults`, the head and every worker group share: limits, env,
// volumes, labels, resources, ray_args and the policies. What Docker or Ray
// would refuse later (names, managed options, clashing mounts) is refused
// here, at the line that wrote it.
#include "sections.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/numbers.hpp>
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

// `ray_args` keys that raylaunch renders itself from a spec field; a second
// source for the same option would make the plan ambiguous.
const std::map<std::string, std::string> k_managed_ray_args = {
    {"head", "the head is the node under `head:`"},
    {"address", "workers join the head by its DNS name"},
    {"block", "raylaunch always passes --block"},
    {"num-cpus", "set num_cpus"},
    {"num-gpus", "set gpus (devices per replica) and the top-level gpus pool"},
    {"resources", "set resources: {name: amount}"},
    {"labels", "set ray_labels: {key: value}"},
    {"port", "set head.ports.gcs"},
    {"dashboard-port", "set head.ports.dashboard"},
    {"ray-client-server-port", "set head.ports.client"},
    {"dashboard-host", "set head.bind"},
    {"node-name", "raylaunch names each node after its container, which is how up, status, logs "
                  "and exec find it in Ray"},
};

const SpecKey& node_key(std::string_view name) { return declared_key(KeySection::node, name); }

// A `ray start` option that takes one port: 0 lets Ray pick it.
const SpecKey k_ray_port = {.name = "port",
                            .type = KeyType::integer,
                            .range = KeyRange{.min = 0, .max = 65535},
                            .example = "8080"};

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

// A label name or value as Ray's label_utils takes it (Kubernetes' syntax):
// at most 63 characters, [a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?.
bool is_label_name(std::string_view text) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (text.empty() || text.size() > 63 || !alnum(text.front()) || !alnum(text.back())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A DNS subdomain: labels of [a-z0-9]([a-z0-9-]*[a-z0-9])? with dots between, 253 at most.
bool is_dns_subdomain(std::string_view text) {
  if (text.empty() || text.size() > 253) {
    return false;
  }
  for (size_t start = 0; start <= text.size();) {
    size_t dot = std::min(text.find('.', start), text.size());
    std::string_view label = text.substr(start, dot - start);
    auto ok = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    if (label.empty() || label.size() > 63 || !ok(label.front()) || !ok(label.back()) ||
        !std::all_of(label.begin(), label.end(), [&](char c) { return ok(c) || c == '-'; })) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

// A `ray_labels` key as Ray's validate_node_labels takes it: an optional
// DNS-subdomain prefix and "/", then a name; the prefix ray.io/ is Ray's.
void check_ray_label_key(const ValueReader& reader, const YamlNode& key) {
  const std::string& text = key.text;
  size_t slash = text.rfind('/');
  std::string_view name = slash == std::string::npos ? std::string_view(text)
                                                     : std::string_view(text).substr(slash + 1);
  if (slash != std::string::npos) {
    std::string_view prefix = std::string_view(text).substr(0, slash);
    if (prefix == "ray.io") {
      reader.fail(key, fmt::format("ray label \"{}\" uses Ray's own prefix ray.io/", text),
                  "Ray refuses custom labels under ray.io/; choose another prefix, e.g. "
                  "example.com/");
    }
    if (!is_dns_subdomain(prefix)) {
      reader.fail(key,
                  fmt::format("the prefix \"{}\" of ray label \"{}\" is not a DNS subdomain",
                              prefix, text),
                  "Ray takes lowercase DNS labels separated by dots before the \"/\", e.g. "
                  "example.com/zone");
    }
  }
  if (!is_label_name(name)) {
    reader.fail(key, fmt::format("ray label \"{}\" is not a name Ray takes", text),
                "Ray takes at most 63 letters, digits, \"-\", \"_\" and \".\", starting and "
                "ending with a letter or digit, e.g. zone");
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

// A `ray_args` key as Ray spells the option: no leading dashes, `-` for `_`.
std::string ray_option_name(std::string key) {
  while (!key.empty() && key[0] == '-') {
    key.erase(0, 1);
  }
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

// The option `name` (written at `key_node`), checked against Ray's own list
// and the options raylaunch sets itself.
RayFlag ray_flag_of(const ValueReader& reader, const YamlNode& key_node, const std::string& name) {
  std::optional<RayFlag> flag = find_ray_flag(name);
  if (!flag) {
    std::vector<std::string> known;
    for (const RayFlag& candidate : ray_start_flags()) {
      if (!candidate.removed) {
        known.emplace_back(candidate.name);
      }
    }
    std::optional<std::string> guess = closest(name, known);
    reader.fail(key_node, fmt::format("ray start has no option --{}", name),
                guess ? fmt::format("did you mean \"{}\"?", *guess)
                      : "`ray start --help` lists the options Ray accepts");
  }
  if (flag->removed) {
    reader.fail(key_node, fmt::format("--{} was removed from ray start in Ray 2.48", name),
                "leave it out; Ray 2.48 and later refuse it");
  }
  if (auto managed = k_managed_ray_args.find(name); managed != k_managed_ray_args.end()) {
    reader.fail(key_node, fmt::format("--{} is set by raylaunch", name), managed->second);
  }
  return *flag;
}

// A comma list of ports, as --worker-port-list and --redis-shard-ports take them.
std::string port_list_of(const ValueReader& reader, const YamlNode& value, const RayFlag& flag) {
  std::string text = reader.text_of(value, "ray_args." + std::string(flag.name));
  int low = flag.name == "worker-port-list" ? 1024 : 1;  // Ray's _check_usage
  bool ok = !text.empty();
  for (size_t start = 0; ok && start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::optional<double> port = read_decimal(std::string_view(text).substr(start, comma - start),
                                              false);
    ok = port && *port >= low && *port <= 65535;
    start = comma + 1;
  }
  if (!ok) {
    reader.fail(value,
                fmt::format("ray_args.{} must be ports from {} to 65535 with commas between "
                            "them, got \"{}\"",
                            flag.name, low, text),
                fmt::format("e.g. {}: \"{}\"", flag.name,
                            low == 1024 ? "20100,20101,20102" : "6380,6381"));
  }
  return text;
}

// The value of a `ray_args` option that takes one, checked as Ray's Click
// options check it, so that `ray start` never exits on it in a container.
std::string ray_arg_value(const ValueReader& reader, const YamlNode& value, const RayFlag& flag) {
  std::string what = "ray_args." + std::string(flag.name);
  switch (flag.kind) {
    case RayFlagKind::port:
      return std::to_string(reader.int_of(value, what, k_ray_port).value);
    case RayFlagKind::integer: {
      // Bytes for the memory options; 1 PiB is past any machine.
      static const SpecKey k_bytes = {.name = "bytes",
                                      .type = KeyType::integer,
                                      .range = KeyRange{.min = 0, .max = double(int64_t(1) << 50)},
                                      .example = "2000000000"};
      return std::to_string(reader.int_of(value, what, k_bytes).value);
    }
    case RayFlagKind::decimal: {
      static const SpecKey k_share = {.name = "cpus",
                                      .type = KeyType::number,
                                      .range = KeyRange{.min = 0, .max = 1e6},
                                      .example = "0.5"};
      reader.number_of(value, what, k_share);
      return reader.text_of(value, what);
    }
    case RayFlagKind::choice: {
      std::string text = reader.text_of(value, what);
      std::string choices(flag.choices);
      std::vector<std::string> words;
      for (size_t start = 0; start <= choices.size();) {
        size_t bar = std::min(choices.find('|', start), choices.size());
        words.push_back(choices.substr(start, bar - start));
        start = bar + 1;
      }
      if (std::find(words.begin(), words.end(), text) == words.end()) {
        std::string listed;
        for (size_t i = 0; i < words.size(); ++i) {
          listed += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
        }
        std::optional<std::string> guess = closest(text, words);
        reader.fail(value, fmt::format("{} must be {}, got \"{}\"", what, listed, text),
                    guess ? fmt::format("did you mean \"{}\"?", *guess)
                          : fmt::format("ray start --{} takes one of these words", flag.name));
      }
      return text;
    }
    case RayFlagKind::port_list:
      return port_list_of(reader, value, flag);
    case RayFlagKind::path: {
      std::string text = reader.text_of(value, what);
      if (text.empty() || text[0] != '/') {
        reader.fail(value, fmt::format("{} must be an absolute path, got \"{}\"", what, text),
                    fmt::format("Ray refuses a relative --{}; e.g. {}: /tmp/ray", flag.name,
                                flag.name));
      }
      return text;
    }
    case RayFlagKind::value:
    case RayFlagKind::flag:
    case RayFlagKind::boolean:
      break;
  }
  return reader.text_of(value, what);
}

void load_ray_args(const ValueReader& reader, const YamlNode& node, NodeSpec& out) {
  reader.expect_map(node, "ray_args");
  std::set<std::string> given;
  for (const YamlEntry& entry : node.entries) {
    RayArg arg;
    arg.key = ray_option_name(entry.key.text);
    RayFlag flag = ray_flag_of(reader, entry.key, arg.key);
    if (!given.insert(arg.key).second) {
      reader.fail(entry.key, fmt::format("--{} is given twice in ray_args", arg.key),
                  "keep one of them");
    }
    arg.where = entry.value.is_null() ? entry.key.where : entry.value.where;
    if (flag.kind == RayFlagKind::flag || flag.kind == RayFlagKind::boolean) {
      arg.is_bool = true;
      arg.value = reader.bool_of(entry.value, "ray_args." + arg.key) ? "true" : "false";
    } else {
      if (entry.value.is_null()) {
        reader.fail(entry.key, fmt::format("--{} needs a value", arg.key),
                    fmt::format("write {}: VALUE", entry.key.text));
      }
      arg.value = ray_arg_value(reader, entry.value, flag);
    }
    out.ray_args.push_back(std::move(arg));
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
  std::string text = reader.string_of(node, "stop_grace_period").value;
  if (read_decimal(text, true)) {
    reader.fail(node, fmt::format("stop_grace_period needs a unit, got \"{}\"", text),
                fmt::format("write {}s for seconds, or e.g. 1m30s", text));
  }
  std::optional<double> seconds = read_duration(text);
  if (!seconds) {
    reader.fail(node,
                fmt::format("stop_grace_period must be a duration such as 10s or 1m30s, got "
                            "\"{}\"",
                            text),
                "write numbers with the units h, m, s, ms or us, e.g. stop_grace_period: 1m30s");
  }
  if (*seconds > 3600) {
    reader.fail(node, fmt::format("stop_grace_period must be at most 1h, got \"{}\"", text),
                "it is how long a node may take to stop before Docker kills it");
  }
  return {static_cast<int64_t>(std::ceil(*seconds)), node.where};
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
