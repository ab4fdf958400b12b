#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// How a `ray start` option takes its value (../shared/reference/ray-start-flags.tsv):
/// any text, one port number (0: Ray picks one), nothing (a flag), or true/false.
enum class RayFlagKind { value, port, flag, boolean };

struct RayFlag {
  std::string_view name;  // without the leading dashes
  RayFlagKind kind;
  bool removed;  // rejected by Ray >= 2.48
};

/// Every option real `ray start` accepts, and the four that Ray 2.48 removed.
const std::vector<RayFlag>& ray_start_flags();

/// The option called `name` (without dashes), or nullopt when Ray has none.
std::optional<RayFlag> find_ray_flag(std::string_view name);

}  // namespace raylaunch
