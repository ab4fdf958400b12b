// `hosts:`: the machines a cluster spans, each reached through its own Docker
// engine, and where the head and each group run. What only the whole spec can
// tell (a name no host has, two hosts on one address or one engine, a subnet
// that cannot span machines) is checked once every section is read.
#include "sections.hpp"

#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>

namespace raylaunch {

namespace {

constexpr size_t k_max_host_name = 63;

const SpecKey& host_key(std::string_view name) { return declared_key(KeySection::host, name); }

Located<std::string> matching(const ValueReader& reader, const YamlNode& node,
                              const std::string& what, const SpecKey& key,
                              const std::string& hint) {
  Located<std::string> value = reader.string_of(node, what);
  if (!std::regex_match(value.value, std::regex(std::string(key.pattern)))) {
    reader.fail(node, fmt::format("invalid {} \"{}\"", what, value.value), hint);
  }
  return value;
}

Located<std::string> address_of(const ValueReader& reader, const YamlNode& node,
                                const std::string& what) {
  Located<std::string> value = reader.string_of(node, what);
  if (!is_ipv4(value.value)) {
    reader.fail(node, fmt::format("{} must be an IPv4 address, got \"{}\"", what, value.value),
                "e.g. 10.0.0.2, the address the other machines reach this one at");
  }
  return value;
}

void load_host(const ValueReader& reader, const YamlNode& node, HostSpec& host) {
  std::string path = "hosts." + host.name.value;
  if (node.is_null()) {
    return;  // `local:` alone: the engine raylaunch uses anyway
  }
  reader.expect_map(node, path);
  reader.check_keys(node, KeySection::host, "under " + path);
  const YamlNode* docker = node.find("docker");
  const YamlNode* context = node.find("context");
  if (docker && context) {
    reader.fail(*context, fmt::format("{} has both docker: and context:", path),
                "reach the engine one way: an endpoint (docker: ssh://user@host) or a context");
  }
  if (docker) {
    host.docker = matching(reader, *docker, path + ".docker", host_key("docker"),
                           "write an endpoint as docker --host takes it: ssh://user@host, "
                           "tcp://host:2376 or unix:///path/to/docker.sock");
  }
  if (context) {
    host.context = matching(reader, *context, path + ".context", host_key("context"),
                            "name a context of `docker context ls`");
  }
  if (const YamlNode* address = node.find("address")) {
    host.address = address_of(reader, *address, path + ".address");
  }
  if (const YamlNode* bind = node.find("bind")) {
    host.bind = address_of(reader, *bind, path + ".bind");
  }
  if (const YamlNode* gpus = node.find("gpus")) {
    load_gpu_list(reader, *gpus, path + ".gpus", host.gpu_pool, host.gpu_pool_where);
  }
}

// The engine a host is reached through, as one comparable word.
std::string engine_of(const HostSpec& host) {
  if (host.docker) {
    return "docker " + host.docker->value;
  }
  return host.context ? "context " + host.context->value : "the local engine";
}

std::string at(const SourceLocation& where) {
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

// Two hosts on one address, or on one engine, would be one machine twice.
void check_distinct(const std::vector<HostSpec>& hosts) {
  std::map<std::string, const HostSpec*> addresses;
  std::map<std::string, const HostSpec*> engines;
  for (const HostSpec& host : hosts) {
    if (host.address) {
      auto [first, fresh] = addresses.emplace(host.address->value, &host);
      if (!fresh) {
        throw SpecError(fmt::format("hosts \"{}\" and \"{}\" have one address, {}",
                                    first->second->name.value, host.name.value,
                                    host.address->value),
                        fmt::format("each machine has its own address; the first is at {}",
                                    at(first->second->address->where)),
                        host.address->where);
      }
    }
    auto [first, fresh] = engines.emplace(engine_of(host), &host);
    if (!fresh) {
      throw SpecError(fmt::format("hosts \"{}\" and \"{}\" reach one Docker engine ({})",
                                  first->second->name.value, host.name.value, engine_of(host)),
                      "give each machine its own docker: endpoint or context:",
                      host.name.where);
    }
  }
}

void check_several(const ClusterSpec& spec) {
  for (const HostSpec& host : spec.hosts) {
    if (!host.address) {
      throw SpecError(fmt::format("host \"{}\" has no address", host.name.value),
                      "with several hosts, each needs the IPv4 address the others reach it at, "
                      "e.g. address: 10.0.0.2",
                      host.name.where);
    }
    const Located<std::string>& bind = host.bind ? *host.bind : *host.address;
    if (bind.value.rfind("127.", 0) == 0) {
      throw SpecError(fmt::format("host \"{}\" binds its ports to {}, which other machines "
                                  "cannot reach",
                                  host.name.value, bind.value),
                      "use the host's LAN address, or bind: 0.0.0.0", bind.where);
    }
  }
  if (spec.network.subnet) {
    throw SpecError("network.subnet cannot span several hosts",
                    "each host gets a project network of its own; remove subnet",
                    spec.network.subnet->where);
  }
  if (spec.head.bind_written && spec.head.bind.value.rfind("127.", 0) == 0) {
    throw SpecError(fmt::format("head.bind {} cannot be reached from the other hosts",
                                spec.head.bind.value),
                    "leave bind out (the head's host's address is used), or bind: 0.0.0.0",
                    spec.head.bind.where);
  }
}

// A placement that names no host of the spec; the closest name is the hint.
void check_names(const ClusterSpec& spec, const std::vector<Located<std::string>>& placed) {
  std::vector<std::string> names;
  for (const HostSpec& host : spec.hosts) {
    names.push_back(host.name.value);
  }
  for (const Located<std::string>& name : placed) {
    if (std::find(names.begin(), names.end(), name.value) != names.end()) {
      continue;
    }
    std::optional<std::string> guess = closest(name.value, names);
    std::string list;
    for (const std::string& known : names) {
      list += (list.empty() ? "" : ", ") + known;
    }
    throw SpecError(fmt::format("unknown host \"{}\"", name.value),
                    guess ? fmt::format("did you mean \"{}\"? hosts: {}", *guess, list)
                          : fmt::format("name one of hosts: {}", list),
                    name.where);
  }
}

// With one host, a node that says nothing runs there; with several it must say.
void place(const ClusterSpec& spec, std::vector<Located<std::string>>& placed,
           const std::string& who, const SourceLocation& where) {
  if (!placed.empty()) {
    check_names(spec, placed);
    return;
  }
  if (spec.hosts.size() > 1) {
    throw SpecError(fmt::format("{} does not say which host it runs on", who),
                    fmt::format("add host: {} (or hosts: [...] for a group's replicas)",
                                spec.hosts.front().name.value),
                    where);
  }
  placed.push_back({spec.hosts.front().name.value, where});
}

}  // namespace

void load_hosts(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec) {
  reader.expect_map(node, "hosts");
  reader.check_unique_keys(node, "hosts");
  spec.hosts_where = node.where;
  static const std::regex k_name(std::string(find_spec_key(KeySection::top, "hosts")->pattern));
  for (const YamlEntry& entry : node.entries) {
    HostSpec host;
    host.name = {entry.key.text, entry.key.where};
    host.where = entry.key.where;
    if (!std::regex_match(host.name.value, k_name) || host.name.value.size() > k_max_host_name) {
      reader.fail(entry.key, fmt::format("invalid host name \"{}\"", host.name.value),
                  "host names are lowercase letters, digits and \"-\", e.g. gpu-1");
    }
    load_host(reader, entry.value, host);
    spec.hosts.push_back(std::move(host));
  }
  if (spec.hosts.empty()) {
    reader.fail(node, "hosts: lists no host",
                "name each machine, e.g. hosts: {cpu: {address: 10.0.0.1}}; or remove hosts:");
  }
}

void load_placement(const ValueReader& reader, const YamlNode& node, bool spread,
                    std::vector<Located<std::string>>& hosts) {
  const YamlNode* one = node.find("host");
  const YamlNode* many = spread ? node.find("hosts") : nullptr;
  if (one && many) {
    reader.fail(*many, "a group has both host: and hosts:",
                "host: NAME puts every replica there; hosts: [A, B] spreads them");
  }
  static const std::regex k_name(std::string(find_spec_key(KeySection::top, "hosts")->pattern));
  if (one) {
    hosts.push_back(reader.string_of(*one, "host"));
    return;
  }
  if (!many) {
    return;
  }
  reader.expect_sequence(*many, "hosts", "list host names, e.g. hosts: [gpu-1, gpu-2]");
  if (many->items.empty()) {
    reader.fail(*many, "hosts: lists no host", "list host names, e.g. hosts: [gpu-1, gpu-2]");
  }
  std::set<std::string> seen;
  for (const YamlNode& item : many->items) {
    Located<std::string> name = reader.string_of(item, "hosts");
    if (!seen.insert(name.value).second) {
      reader.fail(item, fmt::format("host \"{}\" is listed twice", name.value),
                  "replicas are spread over the list in order; list each host once");
    }
    hosts.push_back(std::move(name));
  }
}

void check_hosts(ClusterSpec& spec) {
  // Ports are pinned in host networking and across hosts; on one bridge
  // network each node has its own.
  const NetworkSpec& network = spec.network;
  if (network.mode == NetworkMode::bridge && spec.hosts.size() < 2) {
    for (const auto& [key, value] : {std::pair{"port_base", &network.port_base},
                                     std::pair{"worker_ports", &network.worker_ports}}) {
      if (value->where.line > 0) {
        throw SpecError(fmt::format("network.{} applies only to mode: host", key),
                        "on a bridge network each node has its own ports; remove it",
                        value->where);
      }
    }
  }
  if (spec.hosts.empty()) {
    std::vector<const Located<std::string>*> placed;
    if (spec.head.host) {
      placed.push_back(&*spec.head.host);
    }
    for (const WorkerGroupSpec& group : spec.workers) {
      if (!group.hosts.empty()) {
        placed.push_back(&group.hosts.front());
      }
    }
    if (!placed.empty()) {
      throw SpecError(fmt::format("host \"{}\" is named, but the spec has no hosts:",
                                  placed.front()->value),
                      "declare the machines at the top, e.g. hosts: {cpu: {address: 10.0.0.1}}",
                      placed.front()->where);
    }
    return;
  }
  if (spec.network.node_ip) {
    throw SpecError("network.node_ip cannot be used with hosts:",
                    "each host's address is its nodes' IP; set hosts.NAME.address",
                    spec.network.node_ip->where);
  }
  check_distinct(spec.hosts);
  if (spec.hosts.size() > 1) {
    check_several(spec);
  }
  std::vector<Located<std::string>> head;
  if (spec.head.host) {
    head.push_back(*spec.head.host);
  }
  place(spec, head, "the head", spec.head.where);
  spec.head.host = head.front();
  for (WorkerGroupSpec& group : spec.workers) {
    place(spec, group.hosts, fmt::format("worker group \"{}\"", group.group.value),
          group.group.where);
  }
}

}  // namespace raylaunch
