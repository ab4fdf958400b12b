#pragma once

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

/// Every `ray start` option of the node `index` (0 is the head) named `name`
/// with `gpus` devices: raylaunch's own, then the node's `ray_args` on top.
/// Workers join `gcs_address`. Throws SpecError when host networking pins an
/// option that `ray_args` also sets.
RayStartOptions ray_start_options(const ClusterSpec& spec, const ResolvedNode& node,
                                  const std::string& name, size_t gpus, size_t index,
                                  const std::string& gcs_address);

/// The `ray start` argv of `options`: `--key=value` sorted by key, `--key`
/// for a bare flag.
std::vector<std::string> render_ray_start(const RayStartOptions& options);

/// `value` as raylaunch writes numbers into `ray start` and the config hash:
/// a whole number without a decimal point.
std::string format_number(double value);

}  // namespace raylaunch
