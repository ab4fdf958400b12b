// Each container's command is `ray start --block` with every option spelled
// out, so the argv alone says what Ray will do and changes to it show in the
// config hash.
#include <raylaunch/plan/ray_start.hpp>

#include <raylaunch/plan/ports.hpp>
#include <raylaunch/spec/ray_flags.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace raylaunch {

namespace {

std::string resources_json(const std::map<std::string, double>& resources) {
  std::string out = "{";
  for (const auto& [name, amount] : resources) {
    if (out.size() > 1) {
      out += ", ";
    }
    out += fmt::format("\"{}\": {}", name, format_number(amount));
  }
  return out + "}";
}

// What every node gets whatever its role: its name, its devices and its size.
RayStartOptions node_options(const ResolvedNode& node, const std::string& name, size_t gpus) {
  RayStartOptions options;
  options["block"] = std::nullopt;
  options["node-name"] = name;
  options["num-gpus"] = std::to_string(gpus);
  if (node.num_cpus) {
    options["num-cpus"] = std::to_string(*node.num_cpus);
  } else if (node.cpus) {
    options["num-cpus"] = std::to_string(std::max<int64_t>(1, static_cast<int64_t>(*node.cpus)));
  }
  if (!node.resources.empty()) {
    options["resources"] = resources_json(node.resources);
  }
  if (!node.ray_labels.empty()) {
    std::string labels;
    for (const auto& [key, value] : node.ray_labels) {
      labels += (labels.empty() ? "" : ",") + key + "=" + value;
    }
    options["labels"] = labels;
  }
  return options;
}

// `ray_args` come last, so they override raylaunch's choices. In host
// networking an option raylaunch set (but node-name) is refused instead: the
// pinned ports and the node's address are what keep nodes apart there.
void apply_ray_args(const ClusterSpec& spec, const std::vector<RayArg>& ray_args, bool pinned,
                    RayStartOptions& options) {
  for (const RayArg& arg : ray_args) {
    if (pinned && options.count(arg.key) && arg.key != "node-name") {
      throw SpecError(
          fmt::format("--{} is set by raylaunch in {}", arg.key,
                      spec.network.mode == NetworkMode::host ? "host networking"
                                                             : "a cluster across hosts"),
          arg.key != "node-ip-address"         ? "set network.port_base and network.worker_ports instead"
          : spec.hosts.empty() ? "set network.node_ip instead"
                               : "set the host's address under hosts: instead",
          arg.where);
    }
    std::optional<RayFlag> flag = find_ray_flag(arg.key);
    if (flag && flag->kind == RayFlagKind::flag) {
      if (arg.value == "true") {
        options[arg.key] = std::nullopt;
      } else {
        options.erase(arg.key);
      }
    } else {
      options[arg.key] = arg.value;
    }
  }
}

}  // namespace

RayStartOptions ray_start_options(const ClusterSpec& spec, const ResolvedNode& node,
                                  const std::string& name, size_t gpus, bool is_head,
                                  const NodePlace& place, const std::string& gcs_address) {
  bool host = spec.network.mode == NetworkMode::host;
  const HeadSpec& head = spec.head;
  RayStartOptions options = node_options(node, name, gpus);
  if (is_head) {
    options["head"] = std::nullopt;
    options["port"] = std::to_string(head.ports.gcs.value);
    options["dashboard-port"] = std::to_string(head.ports.dashboard.value);
    options["ray-client-server-port"] = std::to_string(head.ports.client.value);
    // On a bridge network the dashboard must listen on the container's
    // interface to be published at all; the publication binds to `bind`.
    options["dashboard-host"] = host ? place.bind : "0.0.0.0";
  } else {
    options["address"] = gcs_address;
  }
  if (place.pinned) {
    for (const auto& [key, port] : pinned_node_ports(spec.network, place.index)) {
      options[key] = port;
    }
  }
  if (!place.node_ip.empty()) {
    options["node-ip-address"] = place.node_ip;
  }
  apply_ray_args(spec, node.ray_args, place.pinned, options);
  return options;
}

// KubeRay renders rayStartParams the same way, and sorting keeps the argv,
// and so the config hash, stable.
std::vector<std::string> render_ray_start(const RayStartOptions& options) {
  std::vector<std::string> argv = {"ray", "start"};
  argv.reserve(options.size() + 2);
  for (const auto& [key, value] : options) {
    argv.push_back(value ? fmt::format("--{}={}", key, *value) : fmt::format("--{}", key));
  }
  return argv;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

}  // namespace raylaunch
