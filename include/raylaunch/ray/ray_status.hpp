#pragma once

#include <string>
#include <vector>

namespace raylaunch {

/// What `ray status` says about the cluster. Ray's text is meant for people;
/// this reads both layouts (v2 `Active:`/`Idle:`, v1 `Healthy:`), counting a
/// node under any of them as alive.
struct RayStatus {
  bool has_status = false;  // the autoscaler header was there
  int alive = 0;
  int pending = 0;
  int failed = 0;
  double cpus_total = 0;
  double gpus_total = 0;
};

RayStatus parse_ray_status(const std::string& text);

}  // namespace raylaunch
