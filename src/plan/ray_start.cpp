// Each container's command is `ray start --block` with every option spelled
// out, so the argv alone says what Ray will do and changes to it show in the
// config hash.
#include <raylaunch/plan/ray_start.hpp>

#include <raylaunch/plan/ports.hpp>
#include <raylaunch/spec/ray_flags.hpp>
#include <raylaunch/base/error.hpp>

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
    // A worker-port-list would replace the pinned range.
    if (pinned && (options.count(arg.key) || arg.key == "worker-port-list")) {
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

// Ray's raylet refuses more GPUs than CUDA_VISIBLE_DEVICES lists, when the
// node's environment sets it (resource_spec.py); Docker's --gpus sets only
// NVIDIA_VISIBLE_DEVICES.
void check_visible_devices(const ResolvedNode& node, size_t gpus, const std::string& who) {
  auto visible = node.env.find("CUDA_VISIBLE_DEVICES");
  if (visible == node.env.end()) {
    return;
  }
  size_t listed = 0;
  if (!visible->second.empty() && visible->second != "NoDevFiles") {
    listed = static_cast<size_t>(std::count(visible->second.begin(), visible->second.end(), ',')) + 1;
  }
  if (gpus > listed) {
    auto where = node.env_where.find("CUDA_VISIBLE_DEVICES");
    throw SpecError(
        fmt::format("{} gets {} GPU{}, but its env CUDA_VISIBLE_DEVICES lists {}{}", who, gpus,
                    gpus == 1 ? "" : "s", listed,
                    node.env_secret.count("CUDA_VISIBLE_DEVICES") != 0
                        ? ""
                        : fmt::format(" (\"{}\")", visible->second)),
        "Ray refuses to start a raylet with more GPUs than CUDA_VISIBLE_DEVICES lists; leave "
        "CUDA_VISIBLE_DEVICES out of env (Docker's --gpus already picks the devices)",
        where == node.env_where.end() ? SourceLocation{} : where->second);
  }
}

}  // namespace

RayStartOptions ray_start_options(const ClusterSpec& spec, const ResolvedNode& node,
                                  const std::string& name, size_t gpus, bool is_head,
                                  const NodePlace& place, const std::string& gcs_address) {
  bool host = spec.network.mode == NetworkMode::host;
  RayStartOptions options = node_options(node, name, gpus);
  if (is_head) {
    options["head"] = std::nullopt;
    for (const HeadPort& port : head_ports_inside(spec, place.pinned)) {
      static const std::map<std::string, std::string> k_options = {
          {"gcs", "port"}, {"dashboard", "dashboard-port"}, {"client", "ray-client-server-port"}};
      if (auto option = k_options.find(port.name); option != k_options.end()) {
        options[option->second] = std::to_string(port.container);
      }
    }
    // On a bridge network the dashboard must listen on the container's
    // interface to be published at all; the publication binds to `bind`.
    options["dashboard-host"] = host ? place.bind : "0.0.0.0";
  } else {
    options["address"] = gcs_address;
    for (const RayArg& arg : node.ray_args) {
      if (std::optional<RayFlag> flag = find_ray_flag(arg.key); flag && flag->head_only) {
        throw SpecError(fmt::format("--{} is for the head only: ray start refuses it on a worker",
                                    arg.key),
                        "set it under head.ray_args, not under defaults or a worker group",
                        arg.where);
      }
    }
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
  // Ray's ResourceIsolationConfig refuses these without isolation turned on.
  for (const RayArg& arg : node.ray_args) {
    if ((arg.key == "system-reserved-cpu" || arg.key == "system-reserved-memory" ||
         arg.key == "cgroup-path") &&
        options.count("enable-resource-isolation") == 0) {
      throw SpecError(fmt::format("--{} needs --enable-resource-isolation: ray start refuses it "
                                  "without",
                                  arg.key),
                      "add enable-resource-isolation: true to ray_args, or leave it out",
                      arg.where);
    }
  }
  check_visible_devices(node, gpus, is_head ? std::string("the head") : fmt::format("node {}", name));
  check_reserved_ports(spec, node, options, is_head, place.pinned,
                       is_head ? std::string("the head") : fmt::format("node {}", name));
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
