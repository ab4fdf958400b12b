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
      {"port", K::port, false, true},
      {"node-name", K::value, false},
      {"redis-username", K::value, false},
      {"redis-password", K::value, false},
      {"redis-shard-ports", K::port_list, false, true},
      {"object-manager-port", K::port, false},
      {"node-manager-port", K::port, false},
      {"min-worker-port", K::port, false},
      {"max-worker-port", K::port, false},
      {"worker-port-list", K::port_list, false},
      {"ray-client-server-port", K::port, false},
      {"memory", K::integer, false},
      {"object-store-memory", K::integer, false},
      {"num-cpus", K::integer, false},
      {"num-gpus", K::integer, false},
      {"resources", K::value, false},
      {"head", K::flag, false},
      {"include-dashboard", K::boolean, false, true},
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
      {"temp-dir", K::path, false},
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
      {"system-reserved-cpu", K::decimal, false},
      {"system-reserved-memory", K::integer, false},
      {"cgroup-path", K::value, false},
      {"log-style", K::choice, false, false, "auto|record|pretty"},
      {"log-color", K::choice, false, false, "auto|false|true"},
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
