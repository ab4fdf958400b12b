// The top-level sections of the spec: the project's name, the network, the
// GPU pool, authentication, the head and the worker groups. Each checks what
// only it knows (names Docker and DNS accept, addresses, modes that go
// together) after the value readers checked the types.
#include "sections.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/loader.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

// Container names, `<project>-<group>-<n>`, become DNS names of at most 63
// characters.
constexpr size_t k_max_project_name = 40;
constexpr size_t k_max_group_name = 30;

bool is_group_name(const std::string& name) {
  static const std::regex k_group(
      std::string(declared_key(KeySection::worker_group, "group").pattern));
  return std::regex_match(name, k_group);
}

std::string invalid_project_name(const std::string& name) {
  return fmt::format(
      "invalid project name \"{}\": must consist only of lowercase letters, digits, \"-\" and "
      "\"_\", and start with a letter or digit",
      name);
}

std::string project_name_too_long(const std::string& name) {
  return fmt::format("project name \"{}\" is longer than {} characters", name, k_max_project_name);
}

constexpr const char* k_dns_hint =
    "container names become DNS names of at most 63 characters; shorten it";

// Like compose: the folder's name, lowercased, with what Docker refuses dropped.
std::string name_of_folder(const std::string& file) {
  std::string folder = fs::absolute(fs::path(file)).parent_path().filename().string();
  std::string normalized;
  for (char c : folder) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '_') {
      normalized += lower;
    }
  }
  while (!normalized.empty() && (normalized[0] == '-' || normalized[0] == '_')) {
    normalized.erase(0, 1);
  }
  return normalized;
}

void load_subnet(const ValueReader& reader, const YamlNode& subnet, NetworkSpec& network) {
  if (network.mode == NetworkMode::host) {
    reader.fail(subnet, "network.subnet applies only to mode: bridge",
                "remove subnet, or use mode: bridge");
  }
  Located<std::string> value = reader.string_of(subnet, "network.subnet");
  size_t slash = value.value.find('/');
  bool valid = slash != std::string::npos && is_ipv4(value.value.substr(0, slash));
  if (valid) {
    std::string bits = value.value.substr(slash + 1);
    valid = !bits.empty() && bits.size() <= 2 && std::all_of(bits.begin(), bits.end(), ::isdigit) &&
            std::stoi(bits) >= 8 && std::stoi(bits) <= 30;
  }
  if (!valid) {
    reader.fail(subnet, fmt::format("network.subnet must be an IPv4 CIDR, got \"{}\"", value.value),
                "e.g. subnet: 172.28.0.0/24 (prefix length 8 to 30)");
  }
  network.subnet = value;
}

void load_node_ip(const ValueReader& reader, const YamlNode& node_ip, NetworkSpec& network) {
  if (network.mode != NetworkMode::host) {
    reader.fail(node_ip, "network.node_ip applies only to mode: host",
                "on a bridge network nodes find the head by its DNS name");
  }
  Located<std::string> value = reader.string_of(node_ip, "network.node_ip");
  if (!is_ipv4(value.value)) {
    reader.fail(node_ip,
                fmt::format("network.node_ip must be an IPv4 address, got \"{}\"", value.value),
                "e.g. node_ip: 192.168.1.10, the address other machines reach this host at");
  }
  network.node_ip = value;
}

// Ports and port counts are ints in the model; the table's ranges keep them small.
Located<int> small_int_of(const ValueReader& reader, const YamlNode& node, const std::string& what,
                          KeySection section, std::string_view key) {
  Located<int64_t> number = reader.int_of(node, what, declared_key(section, key));
  return {static_cast<int>(number.value), number.where};
}

void load_ports(const ValueReader& reader, const YamlNode& ports, HeadPorts& out) {
  reader.expect_map(ports, "head.ports");
  reader.check_keys(ports, KeySection::head_ports, "under head.ports");
  auto port = [&](const char* key, Located<int>& into) {
    if (const YamlNode* value = ports.find(key)) {
      into =
          small_int_of(reader, *value, fmt::format("ports.{}", key), KeySection::head_ports, key);
    }
  };
  port("gcs", out.gcs);
  port("dashboard", out.dashboard);
  port("client", out.client);
  if (ports.find("serve")) {
    out.serve = Located<int>{};
    port("serve", *out.serve);
  }
}

// The group's name, checked; `names` holds the groups before it.
void load_group_name(const ValueReader& reader, const YamlNode& item, WorkerGroupSpec& group,
                     std::map<std::string, SourceLocation>& names) {
  const YamlNode* name = item.find("group");
  if (!name) {
    reader.fail(item, "a worker group has no group name", "start the group with \"- group: NAME\"");
  }
  group.group = reader.string_of(*name, "group");
  reader.check_keys(item, KeySection::worker_group,
                    fmt::format("in worker group \"{}\"", group.group.value));
  if (!is_group_name(group.group.value) || group.group.value.size() > k_max_group_name) {
    reader.fail(*name,
                fmt::format("invalid group name \"{}\": must be lowercase letters, digits and "
                            "\"-\", start and end with a letter or digit, at most 30 characters",
                            group.group.value),
                "the group becomes part of container and DNS names; e.g. group: gpu-a10");
  }
  if (group.group.value == "head") {
    reader.fail(*name, "a worker group cannot be named \"head\"",
                "\"head\" names the head node; call the group e.g. \"main\"");
  }
  auto [previous, inserted] = names.emplace(group.group.value, group.group.where);
  if (!inserted) {
    reader.fail(*name, fmt::format("two worker groups are named \"{}\"", group.group.value),
                fmt::format("the first is at {}:{}:{}; give each group its own name",
                            previous->second.file, previous->second.line, previous->second.column));
  }
}

}  // namespace

bool is_ipv4(const std::string& text) {
  static const std::regex k_ipv4(R"((\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}))");
  std::smatch match;
  if (!std::regex_match(text, match, k_ipv4)) {
    return false;
  }
  for (size_t i = 1; i <= 4; ++i) {
    if (std::stoi(match[i].str()) > 255) {
      return false;
    }
  }
  return true;
}

void load_name(const ValueReader& reader, const YamlNode& root, ClusterSpec& spec,
               const std::optional<std::string>& project_name) {
  if (project_name) {
    if (!is_valid_project_name(*project_name)) {
      throw UsageError(invalid_project_name(*project_name), "e.g. -p my-cluster");
    }
    if (project_name->size() > k_max_project_name) {
      throw UsageError(project_name_too_long(*project_name), k_dns_hint);
    }
    spec.name = {*project_name, SourceLocation{reader.file(), 0, 0}};
    return;
  }
  if (const YamlNode* name = root.find("name")) {
    spec.name = reader.string_of(*name, "name");
    if (!is_valid_project_name(spec.name.value)) {
      reader.fail(*name, invalid_project_name(spec.name.value),
                  "Docker and DNS refuse other names; e.g. name: my-cluster");
    }
    if (spec.name.value.size() > k_max_project_name) {
      reader.fail(*name, project_name_too_long(spec.name.value), k_dns_hint);
    }
    return;
  }
  std::string normalized = name_of_folder(reader.file());
  if (normalized.empty() || normalized.size() > k_max_project_name) {
    throw SpecError("the spec has no name and its folder's name cannot serve as one",
                    "add name: my-cluster at the top of the spec, or pass -p NAME",
                    SourceLocation{reader.file(), 1, 1});
  }
  spec.name = {normalized, SourceLocation{reader.file(), 1, 1}};
}

void load_network(const ValueReader& reader, const YamlNode& node, NetworkSpec& network) {
  reader.expect_map(node, "network");
  reader.check_keys(node, KeySection::network, "under network");
  network.where = node.where;
  if (const YamlNode* mode = node.find("mode")) {
    std::string text = reader.string_of(*mode, "network.mode").value;
    if (text == "bridge") {
      network.mode = NetworkMode::bridge;
    } else if (text == "host") {
      network.mode = NetworkMode::host;
    } else {
      reader.fail(*mode, fmt::format("network.mode must be bridge or host, got \"{}\"", text),
                  "bridge gives the project its own network; host shares the host's");
    }
  }
  if (const YamlNode* subnet = node.find("subnet")) {
    load_subnet(reader, *subnet, network);
  }
  if (const YamlNode* node_ip = node.find("node_ip")) {
    load_node_ip(reader, *node_ip, network);
  }
  if (const YamlNode* base = node.find("port_base")) {
    network.port_base = small_int_of(reader, *base, "port_base", KeySection::network, "port_base");
  }
  if (const YamlNode* range = node.find("worker_ports")) {
    network.worker_ports =
        small_int_of(reader, *range, "worker_ports", KeySection::network, "worker_ports");
  }
}

void load_auth(const ValueReader& reader, const YamlNode& node, AuthSpec& auth) {
  reader.expect_map(node, "auth");
  reader.check_keys(node, KeySection::auth, "under auth");
  auth.where = node.where;
  const YamlNode* mode_node = node.find("mode");
  std::string mode = mode_node ? reader.string_of(*mode_node, "auth.mode").value : "token";
  if (mode != "token" && mode != "disabled") {
    reader.fail(*mode_node, fmt::format("auth.mode must be token or disabled, got \"{}\"", mode),
                "token turns on Ray's token authentication (Ray 2.52 and later)");
  }
  auth.token = mode == "token";
  if (const YamlNode* token_env = node.find("token_env")) {
    auth.token_env = reader.string_of(*token_env, "auth.token_env").value;
    auth.where = token_env->where;
    static const std::regex k_env_name(
        std::string(declared_key(KeySection::auth, "token_env").pattern));
    if (!std::regex_match(auth.token_env, k_env_name)) {
      reader.fail(*token_env,
                  fmt::format("invalid environment variable name \"{}\"", auth.token_env),
                  "name the variable that holds the token, e.g. token_env: RAY_CLUSTER_TOKEN");
    }
  }
}

void load_gpu_list(const ValueReader& reader, const YamlNode& node, const std::string& what,
                   std::vector<Located<std::string>>& pool, std::optional<SourceLocation>& where) {
  if (node.is_scalar() && node.text == "auto") {
    reader.fail(node, fmt::format("{}: auto is not supported yet", what),
                "list the devices this host may hand out, e.g. gpus: [0, 1]");
  }
  reader.expect_sequence(node, what, "list the device ids or UUIDs, e.g. gpus: [0, 2]");
  where = node.where;
  std::set<std::string> seen;
  static const std::regex k_device(std::string(declared_key(KeySection::top, "gpus").pattern));
  for (const YamlNode& item : node.items) {
    Located<std::string> device = reader.string_of(item, what);
    if (!std::regex_match(device.value, k_device)) {
      reader.fail(item, fmt::format("invalid GPU device \"{}\"", device.value),
                  "write a device index such as 0, or a UUID such as GPU-8b3c...");
    }
    if (std::all_of(device.value.begin(), device.value.end(), ::isdigit)) {
      // 0 and 00 name one device.
      device.value.erase(0, std::min(device.value.find_first_not_of('0'), device.value.size() - 1));
    }
    if (!seen.insert(device.value).second) {
      reader.fail(item, fmt::format("GPU device \"{}\" is listed twice", device.value),
                  "list each device once");
    }
    pool.push_back(device);
  }
}

void load_gpu_pool(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec) {
  load_gpu_list(reader, node, "gpus", spec.gpu_pool, spec.gpu_pool_where);
}

void load_head(const ValueReader& reader, const YamlNode& node, HeadSpec& head,
               const std::string& spec_dir, const NodeSpec* defaults) {
  head.where = node.where;
  if (node.is_null()) {
    return;
  }
  reader.expect_map(node, "head");
  reader.check_keys(node, KeySection::head, "under head");
  load_node(reader, node, head.node, spec_dir, defaults);
  std::vector<Located<std::string>> host;
  load_placement(reader, node, false, host);
  if (!host.empty()) {
    head.host = host.front();
  }
  if (const YamlNode* ports = node.find("ports")) {
    load_ports(reader, *ports, head.ports);
  }
  if (const YamlNode* bind = node.find("bind")) {
    head.bind = reader.string_of(*bind, "bind");
    head.bind_written = true;
    if (!is_ipv4(head.bind.value)) {
      reader.fail(*bind, fmt::format("bind must be an IPv4 address, got \"{}\"", head.bind.value),
                  "e.g. bind: 127.0.0.1 (the default) or bind: 0.0.0.0 for every interface");
    }
  }
}

void load_workers(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec,
                  const std::string& spec_dir) {
  if (node.is_null()) {
    return;
  }
  reader.expect_sequence(node, "workers",
                         "write a list of groups, each starting with \"- group: NAME\"");
  std::map<std::string, SourceLocation> names;
  int64_t nodes = 1;  // the head
  for (const YamlNode& item : node.items) {
    reader.expect_map(item, "a worker group");
    WorkerGroupSpec group;
    group.where = item.where;
    load_group_name(reader, item, group, names);
    const YamlNode* replicas = item.find("replicas");
    if (replicas) {
      group.replicas =
          reader.int_of(*replicas, "replicas", declared_key(KeySection::worker_group, "replicas"));
    } else {
      group.replicas.where = group.group.where;
    }
    load_group_scaling(reader, item, group);
    nodes += group.planned_replicas();
    if (nodes > k_max_nodes) {
      const YamlNode* max = item.find("max_replicas");
      reader.fail(max ? *max : replicas ? *replicas : *item.find("group"),
                  fmt::format("worker group \"{}\" makes the cluster {} nodes, more than the {} "
                              "allowed",
                              group.group.value, nodes, k_max_nodes),
                  fmt::format("the head and all replicas together are at most {}; lower replicas, "
                              "or split the cluster into several projects",
                              k_max_nodes));
    }
    load_node(reader, item, group.node, spec_dir, &spec.defaults);
    load_placement(reader, item, true, group.hosts);
    spec.workers.push_back(std::move(group));
  }
}

}  // namespace raylaunch
