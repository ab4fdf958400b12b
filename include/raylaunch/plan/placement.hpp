#pragma once

// Where each node runs: its host, the address it is reached at, where its
// ports bind, and which block of pinned ports it takes on its host. One spec
// without `hosts:` is one host, as before.

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/model.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace raylaunch {

/// One node's place, as its `ray start` and `docker run` need it.
struct NodePlace {
  std::string host;     // "" without hosts:
  std::string node_ip;  // --node-ip-address; "" lets Ray choose
  std::string bind;     // the address its published ports (or, host networking, the dashboard) use
  size_t index = 0;     // its block of pinned ports on its host (pinned_block)
  bool pinned = false;  // Ray's per-node ports are pinned (host networking, or bridge across hosts)
  bool published = false;  // and published 1:1 from the node's container (bridge across hosts)
};

/// Whether the nodes live on several hosts' engines, so that nodes reach each
/// other through the hosts' addresses rather than one network's DNS.
bool spans_hosts(const ClusterSpec& spec);

/// The host replica `replica` (from 1) of `group` runs on: hosts[(replica-1) mod n].
std::string host_of_replica(const WorkerGroupSpec& group, int64_t replica);

/// The machines of `hosts:`, as the plan keeps them.
std::vector<PlannedHost> planned_hosts(const ClusterSpec& spec);

/// Where the workers join the head: its DNS name on one bridge network, else
/// its host's address, and the GCS port.
std::string plan_gcs_address(const ClusterSpec& spec, const std::string& project);

/// The block of pinned ports a node takes on `host` (`group` null: the head,
/// block 0 on its host). The groups that place on a host take turns there,
/// replica by replica, so a node's block depends on its group's place in the
/// spec and its replica, never on how many replicas another group has.
size_t pinned_block(const ClusterSpec& spec, const std::string& host,
                    const WorkerGroupSpec* group, int64_t replica);

/// Hands out places in planning order: the head first, then each group's replicas.
class Placer {
 public:
  explicit Placer(const ClusterSpec& spec) : m_spec(spec) {}
  NodePlace head();
  NodePlace worker(const WorkerGroupSpec& group, int64_t replica);

  /// How many nodes each host gets; throws SpecError when the pinned blocks do not fit.
  static std::map<std::string, size_t> nodes_per_host(const ClusterSpec& spec);

 private:
  NodePlace place(const std::string& host, const WorkerGroupSpec* group, int64_t replica);

  const ClusterSpec& m_spec;
};

/// The ports a node publishes: the head's own (gcs, dashboard, client,
/// serve) and, across hosts, Ray's per-node ports pinned for it.
std::vector<PortBinding> published_ports(const ClusterSpec& spec, const NodePlace& place,
                                         bool is_head);

}  // namespace raylaunch
