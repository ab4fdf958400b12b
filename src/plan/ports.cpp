// Ray's ports are where a cluster collides with its host: the head's are
// published, and in host networking every node's are pinned, since all nodes
// share one network namespace.
#include <raylaunch/plan/ports.hpp>

#include <fmt/format.h>

#include <raylaunch/spec/ray_flags.hpp>

#include <charconv>
#include <cstdint>
#include <iterator>
#include <utility>

namespace raylaunch {

namespace {

// Ports a host-networked node listens on besides the worker range, each
// pinned because several nodes share one network namespace (Ray issues
// #37229, #18053: random ports collide).
constexpr const char* k_pinned_ports[] = {
    "node-manager-port",         "object-manager-port",         "runtime-env-agent-port",
    "dashboard-agent-grpc-port", "dashboard-agent-listen-port", "metrics-export-port"};
constexpr int k_ports_per_node = 10;  // the six above, and room to grow

// The head's own ports by name, in the order they are checked and published.
std::vector<std::pair<const char*, const Located<int>*>> head_ports(const HeadSpec& head) {
  std::vector<std::pair<const char*, const Located<int>*>> ports = {
      {"gcs", &head.ports.gcs}, {"dashboard", &head.ports.dashboard}, {"client", &head.ports.client}};
  if (head.ports.serve) {
    ports.emplace_back("serve", &*head.ports.serve);
  }
  return ports;
}

// The node's `ray_args` that set one port, with the port; 0 (Ray picks) is left out.
std::vector<std::pair<const RayArg*, int>> ray_arg_ports(const ResolvedNode& node) {
  std::vector<std::pair<const RayArg*, int>> ports;
  for (const RayArg& arg : node.ray_args) {
    std::optional<RayFlag> flag = find_ray_flag(arg.key);
    int port = 0;
    if (flag && flag->kind == RayFlagKind::port) {
      std::from_chars(arg.value.data(), arg.value.data() + arg.value.size(), port);
    }
    if (port != 0) {
      ports.emplace_back(&arg, port);  // the loader read the value as a port
    }
  }
  return ports;
}

// min-worker-port and max-worker-port may be one port: a range of one.
bool may_share(const RayArg& a, const RayArg& b) {
  return (a.key == "min-worker-port" && b.key == "max-worker-port") ||
         (a.key == "max-worker-port" && b.key == "min-worker-port");
}

[[noreturn]] void both_use(const std::string& first, const std::string& second, int port,
                           const SourceLocation& where) {
  throw SpecError(fmt::format("{} and {} both use port {}", first, second, port),
                  "give each port its own number", where);
}

}  // namespace

void check_ray_arg_ports(const ClusterSpec& spec, const ResolvedNode& node, bool is_head) {
  std::vector<std::pair<const RayArg*, int>> ports = ray_arg_ports(node);
  std::vector<std::pair<const char*, const Located<int>*>> published;
  if (is_head) {
    published = head_ports(spec.head);
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& [arg, port] = ports[i];
    for (size_t j = 0; j < i; ++j) {
      if (ports[j].second == port && !may_share(*ports[j].first, *arg)) {
        both_use("ray_args." + ports[j].first->key, "ray_args." + arg->key, port, arg->where);
      }
    }
    for (const auto& [name, head_port] : published) {
      if (head_port->value == port) {
        both_use("ray_args." + arg->key, fmt::format("ports.{}", name), port, arg->where);
      }
    }
  }
}

std::optional<Diagnostic> check_head_ports(const ClusterSpec& spec) {
  const HeadSpec& head = spec.head;
  std::vector<std::pair<const char*, const Located<int>*>> ports = head_ports(head);
  for (size_t i = 0; i < ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ports[i].second->value == ports[j].second->value) {
        const SourceLocation& where =
            ports[i].second->where.line > 0 ? ports[i].second->where : ports[j].second->where;
        throw SpecError(fmt::format("ports.{} and ports.{} both use host port {}", ports[j].first,
                                    ports[i].first, ports[i].second->value),
                        "give each published port its own number", where);
      }
    }
  }
  if (head.bind_written && head.bind.value == "0.0.0.0") {
    return Diagnostic{
        Severity::warning,
        spec.network.mode == NetworkMode::host
            ? "the head's dashboard listens on every interface (bind: 0.0.0.0)"
            : "the head's ports are published on every interface (bind: 0.0.0.0)",
        "Ray's dashboard and Jobs API run code for anyone who reaches them (CVE-2023-48022); "
        "bind to 127.0.0.1 and tunnel, or firewall these ports",
        head.bind.where};
  }
  return std::nullopt;
}

void check_host_port_room(const ClusterSpec& spec, size_t nodes) {
  const NetworkSpec& network = spec.network;
  int64_t block = k_ports_per_node + network.worker_ports.value;
  int64_t last = network.port_base.value + block * static_cast<int64_t>(nodes) - 1;
  SourceLocation where = network.port_base.where.line > 0 ? network.port_base.where : network.where;
  if (last > 65535) {
    throw SpecError(
        fmt::format("{} needs {} ports for {} nodes from port {}, past 65535",
                    network.mode == NetworkMode::host ? "host networking" : "a cluster across hosts",
                    block * static_cast<int64_t>(nodes), nodes, network.port_base.value),
        "lower network.port_base or network.worker_ports, or run fewer nodes per host", where);
  }
  for (const auto& [name, port] : head_ports(spec.head)) {
    if (port->value >= network.port_base.value && port->value <= last) {
      throw SpecError(
          fmt::format("head port {} falls in the ports pinned for nodes ({}-{})", port->value,
                      network.port_base.value, last),
          "move network.port_base above the head's ports, e.g. port_base: 20000",
          port->where.line > 0 ? port->where : where);
    }
  }
}

std::vector<PortBinding> head_port_bindings(const HeadSpec& head, const std::string& bind) {
  std::vector<PortBinding> bindings;
  for (const auto& [name, port] : head_ports(head)) {
    bindings.push_back({name, bind, port->value, port->value});
  }
  return bindings;
}

std::map<std::string, std::string> pinned_node_ports(const NetworkSpec& network, size_t index) {
  int block = k_ports_per_node + network.worker_ports.value;
  int first = network.port_base.value + static_cast<int>(index) * block;
  std::map<std::string, std::string> options;
  for (size_t i = 0; i < std::size(k_pinned_ports); ++i) {
    options[k_pinned_ports[i]] = std::to_string(first + static_cast<int>(i));
  }
  options["min-worker-port"] = std::to_string(first + k_ports_per_node);
  options["max-worker-port"] = std::to_string(first + block - 1);
  return options;
}

}  // namespace raylaunch
