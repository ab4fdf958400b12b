#pragma once

// What a plan may hold in all: each node repeats its group's env, labels and
// other settings, so 10,000 nodes of a modest spec can make gigabytes. The
// budget bounds the sum over all nodes, so that whatever the loader accepts,
// `config` stays well under a second and a gigabyte.

#include <raylaunch/spec/model.hpp>

#include <cstddef>
#include <cstdint>

namespace raylaunch {

/// Settings (env entries, labels, Ray labels, resources, ray_args, volumes)
/// summed over every node of the cluster.
inline constexpr int64_t k_max_plan_settings = 1'000'000;
/// Bytes of env and labels (NAME=VALUE) summed over every node.
inline constexpr int64_t k_max_plan_bytes = 64LL * 1024 * 1024;

/// Throws SpecError, at the group that passes a limit, when the cluster's
/// nodes together hold more than the budget.
void check_plan_budget(const ClusterSpec& spec);

}  // namespace raylaunch
