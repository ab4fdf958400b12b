#pragma once

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/ray_start.hpp>
#include <raylaunch/plan/resolve.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace raylaunch {

/// A node's `/dev/shm` size, and the warning when the spec's `shm_size` is
/// below what Ray's object store will want.
struct ShmDecision {
  int64_t size = 0;
  std::optional<Diagnostic> warning;
};

/// Sizes `/dev/shm` for `node` started with `options`: the spec's `shm_size`
/// if set, else what `object-store-memory` or 30% of `memory` needs with
/// Ray's 10% margin, else k_default_shm_size. `who` names the node in the
/// warning, e.g. `the head` or `group "gpu"`. Throws SpecError when
/// `object-store-memory` is not a number of bytes.
ShmDecision plan_shm(const ResolvedNode& node, const RayStartOptions& options,
                     const std::string& who);

}  // namespace raylaunch
