#pragma once

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/spec/model.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace raylaunch {

/// Throws SpecError when the head, resolved as `node`, asks for more GPUs
/// than the pool holds; at its `gpus:` if written, else at `where`.
void check_head_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                     const SourceLocation& where);

/// Throws SpecError when the replicas of `group`, resolved as `node`, need
/// more GPUs than the pool has left after the first `next_gpu`.
void check_group_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                      const WorkerGroupSpec& group, size_t next_gpu);

/// The pool the nodes on `host` take GPUs from: the host's own `gpus:`, else
/// the top-level one.
const std::vector<Located<std::string>>& gpu_pool_of(const ClusterSpec& spec,
                                                     const std::string& host);

/// With hosts: throws SpecError when node `c`, resolved as `node`, asks for
/// more GPUs than its host's pool has left after the first `next_gpu`.
void check_host_gpus(const ClusterSpec& spec, const ResolvedNode& node, const PlannedContainer& c,
                     size_t next_gpu, const SourceLocation& where);

}  // namespace raylaunch
