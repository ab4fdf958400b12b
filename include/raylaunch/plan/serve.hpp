#pragma once

// Serve in the plan: the config `up` deploys, and whether its replicas fit the
// cluster's nodes (src/plan/serve.cpp). Pure.

#include <raylaunch/base/error.hpp>
#include <raylaunch/spec/model.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// What `up` deploys to Serve, decided from `serve:`.
struct PlannedServe {
  /// The body of `PUT /api/serve/applications/`, before a local working_dir
  /// is replaced by its package's URI.
  std::string config_json;
  std::string file;      // where the config was written, for messages
  int http_port = 8000;  // the proxy's port inside the head
  std::vector<ServeAppSpec> apps;
};

/// A Ray resource shape: resource name (CPU, GPU, memory, custom) to amount.
using ResourceShape = std::map<std::string, double>;

/// What one replica of `deployment` asks of a node, as Serve's
/// required_resources says it: CPU (Serve's default 1), GPU, memory (bytes)
/// and custom resources, those of 0 left out.
ResourceShape serve_replica_shape(const ServeDeploymentSpec& deployment);

/// The resources one node of a group (or the head) offers Ray; a resource
/// Ray counts itself (CPUs without num_cpus or cpus, memory without a limit)
/// is missing: it is not checked.
struct NodeShape {
  std::string group;  // "head" for the head
  int64_t replicas = 1;  // an autoscaled group's max_replicas: what it can grow to
  ResourceShape offers;
  std::vector<std::string> unknown;  // CPU and/or memory when Ray counts them
};

/// The head's and every group's shape, in the spec's order.
std::vector<NodeShape> node_shapes(const ClusterSpec& spec);

/// Whether a node of `node` can hold `asks`.
bool fits(const ResourceShape& asks, const NodeShape& node);

/// `shape` as messages write it: {"CPU": 1, "GPU": 1}.
std::string format_shape(const ResourceShape& shape);

/// Serve's replicas against the nodes: throws SpecError (at the deployment's
/// ray_actor_options) when no node can hold one replica; adds a warning when
/// max_replicas of them ask more than all the groups' nodes have together.
void check_serve_fit(const ClusterSpec& spec, std::vector<Diagnostic>& warnings);

/// The plan's Serve part; nullopt without `serve:`.
std::optional<PlannedServe> plan_serve(const ClusterSpec& spec, std::vector<Diagnostic>& warnings);

}  // namespace raylaunch
