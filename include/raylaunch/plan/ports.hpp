#pragma once

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/spec/model.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// Throws SpecError when two of the head's published ports are one number.
/// Returns the warning for a `bind: 0.0.0.0` written in the spec, if any.
std::optional<Diagnostic> check_head_ports(const ClusterSpec& spec);

/// Throws SpecError at a `ray_args` option of `node` that sets the same port
/// as another of its options, or, for the head, as one of the head's ports.
void check_ray_arg_ports(const ClusterSpec& spec, const ResolvedNode& node, bool is_head);

/// Where ports are pinned (host networking, or across hosts), throws
/// SpecError unless the blocks of pinned ports of `nodes` nodes on one host
/// fit below 65536 and miss the head's own ports.
void check_host_port_room(const ClusterSpec& spec, size_t nodes);

/// What the head publishes on a bridge network: gcs, dashboard, client and
/// serve when set, each on `bind` at the port it has in the container.
std::vector<PortBinding> head_port_bindings(const HeadSpec& head, const std::string& bind);

/// The `ray start` options, without the dashes, that pin the ports of node
/// `index` (0 is the head) in host networking: a block of its own from
/// `network.port_base`.
std::map<std::string, std::string> pinned_node_ports(const NetworkSpec& network, size_t index);

}  // namespace raylaunch
