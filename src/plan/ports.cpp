// Ray's ports are where a cluster collides with its host: the head's are
// published, and in host networking every node's are pinned, since all nodes
// share one network namespace.
#include <raylaunch/plan/ports.hpp>

#include <fmt/format.h>

#include <raylaunch/spec/ray_flags.hpp>

#include <charconv>
#include <algorithm>
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
      // Two ends of the worker range on one port: check_reserved_ports says
      // that the range is empty, as Ray does.
      bool range_ends = (ports[j].first->key == "min-worker-port" && arg->key == "max-worker-port") ||
                        (ports[j].first->key == "max-worker-port" && arg->key == "min-worker-port");
      if (ports[j].second == port && !range_ends) {
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

void check_host_port_room(const ClusterSpec& spec, size_t blocks, size_t nodes) {
  const NetworkSpec& network = spec.network;
  int64_t block = k_ports_per_node + network.worker_ports.value;
  int64_t last = network.port_base.value + block * static_cast<int64_t>(blocks) - 1;
  SourceLocation where = network.port_base.where.line > 0 ? network.port_base.where : network.where;
  if (last > 65535) {
    throw SpecError(
        fmt::format("{} needs {} ports for {} nodes{} from port {}, past 65535",
                    network.mode == NetworkMode::host ? "host networking" : "a cluster across hosts",
                    block * static_cast<int64_t>(blocks), nodes,
                    blocks == nodes ? "" : fmt::format(" ({} blocks: each group takes turns)", blocks),
                    network.port_base.value),
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

std::vector<PortBinding> head_port_bindings(const ClusterSpec& spec, const std::string& bind,
                                            bool pinned) {
  std::vector<PortBinding> bindings;
  for (const HeadPort& port : head_ports_inside(spec, pinned)) {
    bindings.push_back({port.name, bind, port.host, port.container});
  }
  return bindings;
}

namespace {

// Ray's defaults: the head's own ports, the worker port range, and the ports
// every node reserves even when `ray start` is not given them (scripts.py).
constexpr int k_default_min_worker = 10002;
constexpr int k_default_max_worker = 19999;
constexpr int k_default_agent_http = 52365;
constexpr int k_serve_proxy = 8000;

int default_inside(const std::string& name) {
  return name == "gcs" ? 6379 : name == "dashboard" ? 8265 : name == "client" ? 10001
                                                                              : k_serve_proxy;
}

// The head's `ray_args`: its own over those of `defaults`.
std::map<std::string, const RayArg*> head_ray_args(const ClusterSpec& spec) {
  std::map<std::string, const RayArg*> args;
  for (const std::vector<RayArg>* list : {&spec.defaults.ray_args, &spec.head.node.ray_args}) {
    for (const RayArg& arg : *list) {
      args[arg.key] = &arg;
    }
  }
  return args;
}

int port_number(const std::string& text) {
  int port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  return port;
}

// Closed ranges of ports, as a component of Ray's reserves them.
using Ranges = std::vector<std::pair<int, int>>;

Ranges comma_ports(const std::string& text) {
  Ranges ranges;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    int port = port_number(text.substr(start, comma - start));
    ranges.emplace_back(port, port);
    start = comma + 1;
  }
  return ranges;
}

}  // namespace

std::vector<HeadPort> head_ports_inside(const ClusterSpec& spec, bool pinned) {
  std::vector<HeadPort> out;
  for (const auto& [name, port] : head_ports(spec.head)) {
    out.push_back({name, port->value, port->value});
  }
  if (pinned) {
    return out;
  }
  // What the head's own ray_args reserve besides these: the worker range, or
  // its list, and every port option; each with how the spec says it.
  struct Taken {
    int first;
    int last;
    std::string said;
    SourceLocation where;
  };
  std::map<std::string, const RayArg*> args = head_ray_args(spec);
  std::vector<Taken> taken;
  if (auto list = args.find("worker-port-list"); list != args.end()) {
    for (const auto& [first, last] : comma_ports(list->second->value)) {
      taken.push_back({first, last, "ray_args.worker-port-list", list->second->where});
    }
  } else {
    auto min = args.find("min-worker-port");
    auto max = args.find("max-worker-port");
    int low = min != args.end() ? port_number(min->second->value) : k_default_min_worker;
    int high = max != args.end() ? port_number(max->second->value) : k_default_max_worker;
    const RayArg* set = min != args.end() ? min->second : max != args.end() ? max->second : nullptr;
    taken.push_back({low, high,
                     set ? fmt::format("the worker port range {}-{} of its ray_args", low, high)
                         : fmt::format("Ray's default worker port range {}-{}", low, high),
                     set ? set->where : SourceLocation{}});
  }
  if (args.count("dashboard-agent-listen-port") == 0) {
    taken.push_back({k_default_agent_http, k_default_agent_http,
                     "Ray's default --dashboard-agent-listen-port", {}});
  }
  for (const auto& [key, arg] : args) {
    std::optional<RayFlag> flag = find_ray_flag(key);
    int number = port_number(arg->value);
    if (flag && flag->kind == RayFlagKind::port && key != "min-worker-port" &&
        key != "max-worker-port" && number != 0) {
      taken.push_back({number, number, "ray_args." + key, arg->where});
    }
  }
  auto taker = [&](int port) -> const Taken* {
    for (const Taken& t : taken) {
      if (port >= t.first && port <= t.last) {
        return &t;
      }
    }
    return nullptr;
  };
  std::vector<std::pair<const char*, const Located<int>*>> written = head_ports(spec.head);
  for (size_t i = 0; i < out.size(); ++i) {
    HeadPort& port = out[i];
    std::string name = port.name;
    if (name == "serve") {
      // Serve's proxy listens on http_options.port, else its own default.
      port.container = spec.serve ? spec.serve->http_port : k_serve_proxy;
      continue;
    }
    int low = name == "client" ? 1024 : 1;
    if (port.host < low || taker(port.host)) {
      port.container = default_inside(name);
    }
    if (const Taken* by = taker(port.container)) {
      const SourceLocation& at = by->where.line > 0 ? by->where : written[i].second->where;
      std::string what =
          port.host == port.container
              ? fmt::format("Ray cannot listen for head.ports.{} ({}) inside the head: it is in {}",
                            name, port.host, by->said)
              : fmt::format("Ray cannot listen for head.ports.{} inside the head: port {} is not "
                            "one Ray takes there, and its default {} is in {}",
                            name, port.host, port.container, by->said);
      std::string mover = by->said.rfind("ray_args.", 0) == 0 ? by->said
                          : by->where.line > 0 ? "ray_args.min-worker-port and max-worker-port"
                                               : "the worker port range with ray_args";
      throw SpecError(what, fmt::format("move {} off port {}", mover, port.container),
                      at.line > 0 ? at : spec.head.where);
    }
    taken.push_back({port.container, port.container, fmt::format("head.ports.{}", name),
                     written[i].second->where});
  }
  return out;
}

int head_port_inside(const ClusterSpec& spec, bool pinned, const std::string& name) {
  for (const HeadPort& port : head_ports_inside(spec, pinned)) {
    if (port.name == name) {
      return port.container;
    }
  }
  return default_inside(name);
}

namespace {

// One component of Ray's reserved ports, as the spec says it.
struct Reserved {
  std::string said;  // "head.ports.gcs", "ray_args.node-manager-port", ...
  Ranges ports;
  SourceLocation where;  // line 0: Ray's default, written nowhere
};

// Where the node's option `key` came from: its ray_args, the head's ports,
// the pinned block, or Ray's own default.
Reserved source_of(const ClusterSpec& spec, const ResolvedNode& node, const std::string& key,
                   bool is_head, bool pinned) {
  for (const RayArg& arg : node.ray_args) {
    if (arg.key == key) {
      return {"ray_args." + key, {}, arg.where};
    }
  }
  static const std::map<std::string, std::string> k_head_keys = {
      {"port", "gcs"}, {"dashboard-port", "dashboard"}, {"ray-client-server-port", "client"}};
  if (auto head_key = k_head_keys.find(key); is_head && head_key != k_head_keys.end()) {
    for (const auto& [name, port] : head_ports(spec.head)) {
      if (name == head_key->second) {
        return {fmt::format("head.ports.{}", name), {}, port->where};
      }
    }
  }
  if (pinned) {
    SourceLocation where =
        spec.network.port_base.where.line > 0 ? spec.network.port_base.where : spec.network.where;
    return {fmt::format("--{} (pinned from network.port_base)", key), {}, where};
  }
  return {fmt::format("--{} (Ray's default)", key), {}, {}};
}

}  // namespace

void check_reserved_ports(const ClusterSpec& spec, const ResolvedNode& node,
                          const RayStartOptions& options, bool is_head, bool pinned,
                          const std::string& who) {
  auto value_of = [&](const std::string& key) -> std::optional<int> {
    auto found = options.find(key);
    if (found == options.end() || !found->second) {
      return std::nullopt;
    }
    return port_number(*found->second);
  };
  // Ray's worker range: Click's defaults unless set; a list replaces it.
  Reserved min = source_of(spec, node, "min-worker-port", is_head, pinned);
  Reserved max = source_of(spec, node, "max-worker-port", is_head, pinned);
  int min_port = value_of("min-worker-port").value_or(k_default_min_worker);
  int max_port = value_of("max-worker-port").value_or(k_default_max_worker);
  if (!value_of("min-worker-port")) {
    min = {"Ray's default --min-worker-port", {}, {}};
  }
  if (!value_of("max-worker-port")) {
    max = {"Ray's default --max-worker-port", {}, {}};
  }
  if (min_port != 0 && min_port < 1024) {
    throw SpecError(fmt::format("{} of {} is {}: Ray takes 0 or a port from 1024 to 65535",
                                min.said, who, min_port),
                    "e.g. min-worker-port: 20000", min.where.line > 0 ? min.where : max.where);
  }
  if (max_port != 0 && max_port <= min_port) {
    const Reserved& at = max.where.line > 0 ? max : min;
    throw SpecError(fmt::format("the worker port range of {} ends before it starts: {} is {}, "
                                "{} is {}",
                                who, min.said, min_port, max.said, max_port),
                    "Ray wants --max-worker-port higher than --min-worker-port; set both in "
                    "ray_args, e.g. min-worker-port: 20000 and max-worker-port: 20099",
                    at.where);
  }
  for (const char* key : {"ray-client-server-port", "runtime-env-agent-port"}) {
    if (std::optional<int> port = value_of(key); port && *port < 1024) {
      Reserved at = source_of(spec, node, key, is_head, pinned);
      throw SpecError(fmt::format("{} of {} is {}: Ray takes a port from 1024 to 65535 for --{}",
                                  at.said, who, *port, key),
                      "ports below 1024 are refused by ray start for this component; pick one "
                      "from 1024 up",
                      at.where);
    }
  }

  // The components in Ray's order (update_pre_selected_port); a port met
  // twice is the error, at the later one.
  std::vector<Reserved> reserved;
  auto add = [&](const std::string& key, std::optional<int> fallback) {
    std::optional<int> port = value_of(key);
    Reserved source = source_of(spec, node, key, is_head, pinned);
    if (!port && fallback) {
      port = fallback;
      source = {fmt::format("--{} (Ray's default {})", key, *fallback), {}, {}};
    }
    if (port && *port != 0) {
      source.ports = {{*port, *port}};
      reserved.push_back(std::move(source));
    }
  };
  add("object-manager-port", std::nullopt);
  add("node-manager-port", std::nullopt);
  add("port", std::nullopt);
  add("ray-client-server-port", 10001);  // Click's default, on workers too
  add("dashboard-port", 8265);
  add("dashboard-agent-grpc-port", std::nullopt);
  add("dashboard-agent-listen-port", k_default_agent_http);
  add("runtime-env-agent-port", std::nullopt);
  add("metrics-export-port", std::nullopt);
  if (auto shards = options.find("redis-shard-ports"); shards != options.end() && shards->second) {
    Reserved source = source_of(spec, node, "redis-shard-ports", is_head, pinned);
    source.ports = comma_ports(*shards->second);
    reserved.push_back(std::move(source));
  }
  if (auto list = options.find("worker-port-list"); list != options.end() && list->second) {
    Reserved source = source_of(spec, node, "worker-port-list", is_head, pinned);
    source.ports = comma_ports(*list->second);
    reserved.push_back(std::move(source));
  } else {
    std::string said =
        min.where.line == 0 && max.where.line == 0
            ? fmt::format("Ray's default worker port range {}-{}", min_port, max_port)
        : pinned ? fmt::format("the worker port range {}-{} pinned from network.port_base",
                               min_port, max_port)
                 : fmt::format("the worker port range {}-{} of {} and {}", min_port, max_port,
                               min.said, max.said);
    reserved.push_back({said, {{min_port, max_port}}, min.where.line > 0 ? min.where : max.where});
  }

  for (size_t i = 0; i < reserved.size(); ++i) {
    for (size_t k = 0; k < reserved[i].ports.size(); ++k) {
      const auto& [first, last] = reserved[i].ports[k];
      for (size_t j = 0; j <= i; ++j) {
        size_t other_end = j == i ? k : reserved[j].ports.size();
        for (size_t m = 0; m < other_end; ++m) {
          const auto& [other_first, other_last] = reserved[j].ports[m];
          if (first > other_last || last < other_first) {
            continue;
          }
          int port = std::max(first, other_first);
          auto is_range = [](const Reserved& r) {
            return r.ports.size() == 1 && r.ports[0].first != r.ports[0].second;
          };
          bool range = is_range(reserved[i]) || is_range(reserved[j]);
          const Reserved& a = is_range(reserved[i]) ? reserved[j] : reserved[i];
          const Reserved& b = is_range(reserved[i]) ? reserved[i] : reserved[j];
          const SourceLocation& where = a.where.line > 0 ? a.where : b.where;
          throw SpecError(
              range ? fmt::format("{} of {} is port {}, inside {}, which Ray reserves for its "
                                  "workers",
                                  a.said, who, port, b.said)
              : i == j ? fmt::format("{} of {} names port {} twice", a.said, who, port)
                       : fmt::format("{} and {} of {} both use port {}", b.said, a.said, who,
                                     port),
              range ? "ray start refuses a port inside the worker port range; move the port "
                      "out of it, or move the range with ray_args min-worker-port and "
                      "max-worker-port"
                    : "ray start refuses a port used by two of its components; give each its "
                      "own number",
              where);
        }
      }
    }
  }
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
