#pragma once

// A container as `docker ps` would report the planned one, for tests of
// reconcile and of what the autoscaler keeps.
#include <raylaunch/plan/reconcile.hpp>

#include <string>

namespace raylaunch::test {

inline ObservedContainer seen(const PlannedContainer& c, const std::string& state = "running") {
  ObservedContainer o;
  o.id = "id-" + c.name;
  o.name = c.name;
  o.host = c.host;
  o.state = state;
  o.role = c.role;
  o.group = c.group;
  o.replica = c.replica;
  o.config_hash = c.config_hash;
  return o;
}

}  // namespace raylaunch::test
