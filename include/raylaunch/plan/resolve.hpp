#pragma once

#include <raylaunch/spec/model.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// A node's fields after inheritance: its own, else `defaults`, else the top level.
struct ResolvedNode {
  std::string image;
  PullPolicy pull = PullPolicy::missing;
  std::optional<int64_t> num_cpus;
  int64_t gpus = 0;
  std::optional<SourceLocation> gpus_where;
  std::optional<int64_t> memory;
  std::optional<double> cpus;
  std::optional<Located<int64_t>> shm_size;
  std::map<std::string, std::string> env;
  std::map<std::string, SourceLocation> env_where;  // where each entry was written
  std::map<std::string, bool> env_secret;
  std::vector<VolumeSpec> volumes;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> ray_labels;
  std::map<std::string, double> resources;
  std::vector<RayArg> ray_args;
  RestartPolicy restart;
  int64_t stop_grace = 10;  // seconds
};

/// Resolves `node` (the head's or a worker group's) against `spec.defaults`
/// and the spec's top level. Maps merge key by key, mounts by target and
/// `ray_args` by key, the node's own entry winning. Throws SpecError at `where`
/// when no level names an image; `who` names the node in that message, e.g.
/// `the head` or `worker group "gpu"`.
ResolvedNode resolve_node(const ClusterSpec& spec, const NodeSpec& node,
                          const SourceLocation& where, const std::string& who);

}  // namespace raylaunch
