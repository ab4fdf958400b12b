// Serve's replicas against the cluster's nodes, before anything runs: a
// replica no node can hold stays STARTING for ever in Ray (Serve has no
// timeout for it), so it is an error here; replicas that fit one by one but
// not all at max_replicas are a warning.
#include <raylaunch/plan/serve.hpp>

#include <fmt/format.h>

#include <raylaunch/plan/ray_start.hpp>
#include <raylaunch/plan/resolve.hpp>

#include <algorithm>
#include <cmath>

namespace raylaunch {

namespace {

// Ray's memory resource on a node with a limit: what is left after the
// object store's share; an upper bound is all the check needs.
constexpr double k_memory_share = 1.0;

NodeShape shape_of(const ClusterSpec& spec, const NodeSpec& node, const SourceLocation& where,
                   const std::string& group, int64_t replicas) {
  ResolvedNode resolved = resolve_node(spec, node, where, group);
  NodeShape shape{group, replicas, {}, {}};
  if (resolved.num_cpus) {
    shape.offers["CPU"] = static_cast<double>(*resolved.num_cpus);
  } else if (resolved.cpus) {
    shape.offers["CPU"] = std::max(1.0, std::floor(*resolved.cpus));
  } else {
    shape.unknown.emplace_back("CPU");
  }
  shape.offers["GPU"] = static_cast<double>(resolved.gpus);
  if (resolved.memory) {
    shape.offers["memory"] = static_cast<double>(*resolved.memory) * k_memory_share;
  } else {
    shape.unknown.emplace_back("memory");
  }
  for (const auto& [name, amount] : resolved.resources) {
    shape.offers[name] = amount;
  }
  return shape;
}

double offered(const NodeShape& node, const std::string& resource) {
  auto found = node.offers.find(resource);
  return found == node.offers.end() ? 0 : found->second;
}

bool unknown(const NodeShape& node, const std::string& resource) {
  return std::find(node.unknown.begin(), node.unknown.end(), resource) != node.unknown.end();
}

}  // namespace

ResourceShape serve_replica_shape(const ServeDeploymentSpec& deployment) {
  ResourceShape shape;
  shape["CPU"] = deployment.num_cpus.value_or(1.0);
  shape["GPU"] = deployment.num_gpus.value_or(0.0);
  shape["memory"] = deployment.memory.value_or(0.0);
  for (const auto& [name, amount] : deployment.resources) {
    shape[name] = amount;
  }
  std::erase_if(shape, [](const auto& entry) { return entry.second <= 0; });
  return shape;
}

std::vector<NodeShape> node_shapes(const ClusterSpec& spec) {
  std::vector<NodeShape> shapes = {shape_of(spec, spec.head.node, spec.head.where, "head", 1)};
  for (const WorkerGroupSpec& group : spec.workers) {
    shapes.push_back(
        shape_of(spec, group.node, group.where, group.group.value, group.planned_replicas()));
  }
  return shapes;
}

bool fits(const ResourceShape& asks, const NodeShape& node) {
  return std::all_of(asks.begin(), asks.end(), [&](const auto& ask) {
    return unknown(node, ask.first) || offered(node, ask.first) >= ask.second;
  });
}

std::string format_shape(const ResourceShape& shape) {
  std::string out;
  for (const auto& [name, amount] : shape) {
    out += fmt::format("{}\"{}\": {}", out.empty() ? "" : ", ", name, format_number(amount));
  }
  return "{" + out + "}";
}

void check_serve_fit(const ClusterSpec& spec, std::vector<Diagnostic>& warnings) {
  if (!spec.serve) {
    return;
  }
  std::vector<NodeShape> nodes = node_shapes(spec);
  for (const ServeAppSpec& app : spec.serve->apps) {
    for (const ServeDeploymentSpec& deployment : app.deployments) {
      ResourceShape asks = serve_replica_shape(deployment);
      if (std::none_of(nodes.begin(), nodes.end(),
                       [&](const NodeShape& node) { return fits(asks, node); })) {
        std::string offers;
        for (const NodeShape& node : nodes) {
          ResourceShape shown;
          for (const auto& [name, amount] : asks) {
            if (!unknown(node, name)) {
              shown[name] = offered(node, name);
            }
          }
          offers +=
              fmt::format("{}{} {}", offers.empty() ? "" : ", ", node.group, format_shape(shown));
        }
        throw SpecError(
            fmt::format("deployment \"{}\" of application \"{}\" asks {} per replica, more than "
                        "any node has ({})",
                        deployment.name.value, app.name.value, format_shape(asks), offers),
            "give a worker group what a replica asks (num_cpus, gpus, memory, resources), or ask "
            "less in ray_actor_options; Serve would leave the replica pending for ever",
            deployment.asks_where);
      }
      for (const auto& [name, amount] : asks) {
        double total = 0;
        bool counted = true;
        for (const NodeShape& node : nodes) {
          counted = counted && !unknown(node, name);
          total += offered(node, name) * static_cast<double>(node.replicas);
        }
        double most = amount * static_cast<double>(deployment.max_replicas);
        if (counted && most > total) {
          warnings.push_back(
              {Severity::warning,
               fmt::format("deployment \"{}\" of application \"{}\" may ask {} {} at its {} "
                           "replicas, more than the cluster's nodes have ({})",
                           deployment.name.value, app.name.value, format_number(most), name,
                           deployment.max_replicas, format_number(total)),
               "replicas beyond that stay pending until a node with room joins", deployment.where});
        }
      }
    }
  }
}

std::optional<PlannedServe> plan_serve(const ClusterSpec& spec, std::vector<Diagnostic>& warnings) {
  if (!spec.serve) {
    return std::nullopt;
  }
  check_serve_fit(spec, warnings);
  return PlannedServe{spec.serve->config_json, spec.serve->file, spec.serve->http_port,
                      spec.serve->apps};
}

}  // namespace raylaunch
