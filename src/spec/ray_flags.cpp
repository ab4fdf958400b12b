// raylaunch refuses a `ray_args` key that `ray start` would refuse, so the
// mistake shows at `config` time with a line number instead of as a container
// that exits. The list is Ray's own (scripts.py, between 2.54 and 2.55).
#include <raylaunch/spec/ray_flags.hpp>

#include <algorithm>

namespace raylaunch {

const std::vector<RayFlag>& ray_start_flags() {
  using K = RayFlagKind;
  static const std::vector<RayFlag> k_flags = {
      {"node-ip-address", K::value, false},
      {"address", K::value, false},
      {"port", K::port, false},
      {"node-name", K::value, false},
      {"redis-username", K::value, false},
      {"redis-password", K::value, false},
      {"redis-shard-ports", K::value, false},
      {"object-manager-port", K::port, false},
      {"node-manager-port", K::port, false},
      {"min-worker-port", K::port, false},
      {"max-worker-port", K::port, false},
      {"worker-port-list", K::value, false},
      {"ray-client-server-port", K::port, false},
      {"memory", K::value, false},
      {"object-store-memory", K::value, false},
      {"num-cpus", K::value, false},
      {"num-gpus", K::value, false},
      {"resources", K::value, false},
      {"head", K::flag, false},
      {"include-dashboard", K::boolean, false},
      {"dashboard-host", K::value, false},
      {"dashboard-port", K::port, false},
      {"dashboard-agent-listen-port", K::port, false},
      {"dashboard-agent-grpc-port", K::port, false},
      {"runtime-env-agent-port", K::port, false},
      {"block", K::flag, false},
      {"plasma-directory", K::value, false},
      {"object-spilling-directory", K::value, false},
      {"autoscaling-config", K::value, false},
      {"no-redirect-output", K::flag, false},
      {"temp-dir", K::value, false},
      {"system-config", K::value, false},
      {"enable-object-reconstruction", K::flag, false},
      {"metrics-export-port", K::port, false},
      {"no-monitor", K::flag, false},
      {"tracing-startup-hook", K::value, false},
      {"ray-debugger-external", K::flag, false},
      {"disable-usage-stats", K::flag, false},
      {"labels", K::value, false},
      {"labels-file", K::value, false},
      {"include-log-monitor", K::boolean, false},
      {"enable-resource-isolation", K::flag, false},
      {"system-reserved-cpu", K::value, false},
      {"system-reserved-memory", K::value, false},
      {"cgroup-path", K::value, false},
      {"log-style", K::value, false},
      {"log-color", K::value, false},
      {"verbose", K::flag, false},
      {"gcs-server-port", K::port, true},
      {"dashboard-grpc-port", K::port, true},
      {"plasma-store-socket-name", K::value, true},
      {"raylet-socket-name", K::value, true},
  };
  return k_flags;
}

std::optional<RayFlag> find_ray_flag(std::string_view name) {
  const std::vector<RayFlag>& flags = ray_start_flags();
  auto found = std::find_if(flags.begin(), flags.end(),
                            [&](const RayFlag& flag) { return flag.name == name; });
  if (found == flags.end()) {
    return std::nullopt;
  }
  return *found;
}

}  // namespace raylaunch
