#pragma once

// Ray's own list of nodes, from the head's State API (`GET /api/v0/nodes`),
// and what it says about each node by name. Pure, so readiness and status
// are decided without Docker or Ray.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// The request `status` and `up --wait` send: every node, with start times so
/// the newest entry of a name is known.
inline constexpr const char* k_nodes_target = "/api/v0/nodes?limit=10000&timeout=5&detail=true";

/// One entry of Ray's node list. A node restarted in a new container is a
/// new entry (a new node_id) under the same node_name; the old one stays DEAD.
struct RayNode {
  std::string node_id;
  std::string node_ip;
  std::string node_name;
  bool is_head = false;
  bool alive = false;  // state ALIVE; else DEAD
  std::string state_message;  // Ray's reason for a DEAD node
  std::map<std::string, double> resources;  // resources_total, as Ray counts them
  int64_t start_time_ms = 0;
};

/// Reads the body of `GET /api/v0/nodes`. nullopt, with `error` set, when it
/// is not Ray's answer (not JSON, `result: false`, fields missing).
std::optional<std::vector<RayNode>> parse_ray_nodes(const std::string& body, std::string& error);

/// Ray's view of each node name: an ALIVE entry wins; otherwise the DEAD entry
/// that started last. So an old DEAD entry of a node that came back is ignored.
std::map<std::string, RayNode> ray_nodes_by_name(const std::vector<RayNode>& nodes);

}  // namespace raylaunch
