#pragma once

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/ray_start.hpp>
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
/// SpecError unless `blocks` blocks of pinned ports on one host (for its
/// `nodes` nodes) fit below 65536 and miss the head's own ports.
void check_host_port_room(const ClusterSpec& spec, size_t blocks, size_t nodes);

/// One of the head's own ports: where the spec publishes it on the host, and
/// where Ray listens for it inside the container.
struct HeadPort {
  const char* name;  // gcs, dashboard, client, serve
  int host = 0;
  int container = 0;
};

/// The head's ports, gcs, dashboard, client and serve (when set). Where Ray's
/// ports are pinned (`pinned`: host networking, or across hosts) each is the
/// same number inside and out. On one bridge network the host side is free:
/// inside, Ray listens on the same number when Ray takes it there (outside the
/// head's worker port range and its other reserved ports, the client at least
/// 1024), else on Ray's default (6379, 8265, 10001); Serve's proxy on 8000.
/// Throws SpecError at the port when neither is free.
std::vector<HeadPort> head_ports_inside(const ClusterSpec& spec, bool pinned);

/// The port of head port `name` inside its container.
int head_port_inside(const ClusterSpec& spec, bool pinned, const std::string& name);

/// What the head publishes on a bridge network: gcs, dashboard, client and
/// serve when set, each on `bind`, from its host port to its container port.
std::vector<PortBinding> head_port_bindings(const ClusterSpec& spec, const std::string& bind,
                                            bool pinned);

/// Checks the ports `ray start` reserves for one node as Ray does
/// (parameter.py): each named port once, none inside the worker port range
/// (Ray's default 10002-19999 unless set), the range's ends in order, the
/// client and runtime-env agent ports at least 1024. Throws SpecError at the
/// key that collides, naming both. `options` is the node's final `ray start`.
void check_reserved_ports(const ClusterSpec& spec, const ResolvedNode& node,
                          const RayStartOptions& options, bool is_head, bool pinned,
                          const std::string& who);

/// The `ray start` options, without the dashes, that pin the ports of node
/// `index` (0 is the head) in host networking: a block of its own from
/// `network.port_base`.
std::map<std::string, std::string> pinned_node_ports(const NetworkSpec& network, size_t index);

}  // namespace raylaunch
