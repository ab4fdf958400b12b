#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// How a `ray start` option takes its value (../shared/reference/ray-start-flags.tsv),
/// as Click reads it in Ray's scripts.py: any text, one port number (0: Ray
/// picks one), nothing (a flag), true/false, a whole number, a number with a
/// fraction, one word of a fixed list, a comma list of ports, or an absolute path.
enum class RayFlagKind { value, port, flag, boolean, integer, decimal, choice, port_list, path };

struct RayFlag {
  std::string_view name;  // without the leading dashes
  RayFlagKind kind;
  bool removed = false;        // rejected by Ray >= 2.48
  bool head_only = false;      // `ray start` refuses it without --head
  std::string_view choices{};  // for a choice: the words, "|" between them
};

/// Every option real `ray start` accepts, and the four that Ray 2.48 removed.
const std::vector<RayFlag>& ray_start_flags();

/// The option called `name` (without dashes), or nullopt when Ray has none.
std::optional<RayFlag> find_ray_flag(std::string_view name);

}  // namespace raylaunch
