// Ray puts its object store in /dev/shm and falls back to slow disk when it
// is smaller (Docker's default is 64 MiB), so every container gets a size
// from Ray's own rule for containers: 30% of the memory, with a 10% margin.
#include <raylaunch/plan/shm.hpp>

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/numbers.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace raylaunch {

namespace {

int64_t round_up_mib(int64_t bytes) {
  const int64_t mib = 1024 * 1024;
  return (bytes + mib - 1) / mib * mib;
}

std::string format_bytes(int64_t bytes) {
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (bytes >= gib) {
    return fmt::format("{:.2f}GiB", bytes / gib);
  }
  return fmt::format("{:.0f}MiB", bytes / (1024.0 * 1024.0));
}

// A number by the spec's one rule; one past any machine is out of range, not "no number".
int64_t object_store_bytes(const ResolvedNode& node, const std::string& text) {
  constexpr int64_t k_max_object_store = int64_t(1) << 50;  // 1 PiB, past any machine
  std::optional<double> bytes = read_decimal(text, false);
  auto arg = std::find_if(node.ray_args.begin(), node.ray_args.end(),
                          [](const RayArg& a) { return a.key == "object-store-memory"; });
  SourceLocation where = arg == node.ray_args.end() ? SourceLocation{} : arg->where;
  const char* hint = "Ray takes bytes here, e.g. object-store-memory: \"2000000000\"";
  if (!bytes) {
    throw SpecError(fmt::format("object-store-memory must be a number of bytes, got \"{}\"", text),
                    hint, where);
  }
  if (*bytes < 1 || *bytes > static_cast<double>(k_max_object_store)) {
    throw SpecError(fmt::format("object-store-memory must be between 1 and {} bytes, got {}",
                                k_max_object_store, text),
                    hint, where);
  }
  return static_cast<int64_t>(*bytes);
}

}  // namespace

ShmDecision plan_shm(const ResolvedNode& node, const RayStartOptions& options,
                     const std::string& who) {
  std::optional<int64_t> wanted;
  std::string reason;
  auto object_store = options.find("object-store-memory");
  if (object_store != options.end() && object_store->second) {
    wanted = object_store_bytes(node, *object_store->second);
    reason = "the object-store-memory in ray_args";
  } else if (node.memory) {
    wanted = static_cast<int64_t>(std::llround(*node.memory * k_object_store_share));
    reason = fmt::format("30% of memory {}", format_bytes(*node.memory));
  }
  int64_t sized = wanted ? round_up_mib(static_cast<int64_t>(std::llround(*wanted * k_shm_margin)))
                         : k_default_shm_size;
  if (!node.shm_size) {
    return {sized, std::nullopt};
  }
  int64_t shm = node.shm_size->value;
  if (!wanted || shm >= *wanted) {
    return {shm, std::nullopt};
  }
  // Ray falls back to disk for an object store up to 10 GB that /dev/shm
  // cannot hold, and refuses a larger one unless told to allow slow storage
  // (REQUIRE_SHM_SIZE_THRESHOLD in Ray's ray_constants.py).
  constexpr double k_require_shm = 1e10;
  auto allow = node.env.find("RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE");
  bool allowed = allow != node.env.end() && (allow->second == "1" || allow->second == "true" ||
                                             allow->second == "True");
  if (object_store != options.end() && object_store->second && *wanted > k_require_shm &&
      !allowed) {
    throw SpecError(
        fmt::format("the object store of {} ({:.2f} GB) is larger than its /dev/shm ({:.2f} GB, "
                    "shm_size), and ray start refuses one over 10 GB that does not fit there",
                    who, *wanted / 1e9, shm / 1e9),
        fmt::format("raise shm_size to at least {}, leave shm_size out and raylaunch sizes it, or "
                    "set env RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE: \"1\" to accept a slow store",
                    format_bytes(sized)),
        node.shm_size->where);
  }
  return {shm, Diagnostic{Severity::warning,
                          fmt::format("shm_size {} of {} is below the {} Ray's object store "
                                      "will want ({})",
                                      format_bytes(shm), who, format_bytes(*wanted), reason),
                          fmt::format("Ray would fall back to /tmp and run slowly; raise shm_size "
                                      "to at least {}, or leave it out and raylaunch sizes it",
                                      format_bytes(sized)),
                          node.shm_size->where}};
}

}  // namespace raylaunch
