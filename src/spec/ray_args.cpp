// `ray_args`, and Ray's own syntax for node labels: each checked as `ray
// start` checks it (Click's types in scripts.py, label_utils.py), so that a
// container never exits on a value the spec could have refused at its line.
#include "sections.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/numbers.hpp>
#include <raylaunch/spec/ray_flags.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

namespace raylaunch {

namespace {

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

// A `ray start` option that takes one port: 0 lets Ray pick it.
const SpecKey k_ray_port = {.name = "port",
                            .type = KeyType::integer,
                            .range = KeyRange{.min = 0, .max = 65535},
                            .example = "8080"};

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


}  // namespace

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

}  // namespace raylaunch
