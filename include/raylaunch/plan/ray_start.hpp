#pragma once

#include <raylaunch/plan/placement.hpp>
#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/spec/model.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// `ray start`'s options by name, without the dashes; no value is a bare flag.
using RayStartOptions = std::map<std::string, std::optional<std::string>>;

/// Every `ray start` option of the node named `name` with `gpus` devices,
/// placed at `place` (src/plan/placement.cpp): raylaunch's own, then the
/// node's `ray_args` on top. Workers join `gcs_address`. Throws SpecError when
/// `ray_args` sets an option raylaunch pins (ports, the node's address).
RayStartOptions ray_start_options(const ClusterSpec& spec, const ResolvedNode& node,
                                  const std::string& name, size_t gpus, bool is_head,
                                  const NodePlace& place, const std::string& gcs_address);

/// The `ray start` argv of `options`: `--key=value` sorted by key, `--key`
/// for a bare flag.
std::vector<std::string> render_ray_start(const RayStartOptions& options);

/// `value` as raylaunch writes numbers into `ray start` and the config hash:
/// a whole number without a decimal point.
std::string format_number(double value);

}  // namespace raylaunch
