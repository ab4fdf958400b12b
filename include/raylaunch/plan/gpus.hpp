#pragma once

#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/spec/model.hpp>

#include <cstddef>

namespace raylaunch {

/// Throws SpecError when the head, resolved as `node`, asks for more GPUs
/// than the pool holds; at its `gpus:` if written, else at `where`.
void check_head_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                     const SourceLocation& where);

/// Throws SpecError when the replicas of `group`, resolved as `node`, need
/// more GPUs than the pool has left after the first `next_gpu`.
void check_group_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                      const WorkerGroupSpec& group, size_t next_gpu);

}  // namespace raylaunch
