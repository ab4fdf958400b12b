// The difference between the plan and Docker's state, as a list of steps; no
// I/O here, so convergence is tested without an engine (compose's reconcile).
#include <raylaunch/plan/reconcile.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace raylaunch {

std::vector<Action> reconcile(const Plan& plan, const ObservedState& observed) {
  std::vector<Action> actions;
  using Kind = Action::Kind;
  if (plan.network.mode == NetworkMode::bridge && !observed.network_exists) {
    actions.push_back({Kind::create_network, plan.network.name, "missing", nullptr, {}});
  }
  for (const std::string& volume : plan.volumes) {
    if (std::find(observed.volumes.begin(), observed.volumes.end(), volume) ==
        observed.volumes.end()) {
      actions.push_back({Kind::create_volume, volume, "missing", nullptr, {}});
    }
  }

  std::map<std::string, const PlannedContainer*> planned;
  for (const PlannedContainer& c : plan.containers) {
    planned[c.name] = &c;
  }
  std::map<std::string, const ObservedContainer*> existing;
  std::vector<const ObservedContainer*> unplanned;
  for (const ObservedContainer& c : observed.containers) {
    if (planned.count(c.name)) {
      existing[c.name] = &c;
    } else {
      unplanned.push_back(&c);
    }
  }
  // Scale down from the top, so the replicas that stay keep their numbers.
  std::sort(unplanned.begin(), unplanned.end(),
            [](const ObservedContainer* a, const ObservedContainer* b) {
              if (a->replica != b->replica) {
                return a->replica > b->replica;
              }
              return a->name > b->name;
            });
  for (const ObservedContainer* c : unplanned) {
    actions.push_back({Kind::remove, c->name, "not planned", nullptr, c->id});
  }

  for (const PlannedContainer& c : plan.containers) {
    auto found = existing.find(c.name);
    if (found == existing.end()) {
      actions.push_back({Kind::create, c.name, "missing", &c, {}});
      continue;
    }
    const ObservedContainer& seen = *found->second;
    if (seen.config_hash != c.config_hash) {
      actions.push_back({Kind::recreate, c.name, "config changed", &c, seen.id});
    } else if (seen.state == "running" || seen.state == "restarting") {
      actions.push_back({Kind::keep, c.name, seen.state, &c, seen.id});
    } else if (seen.state == "exited" || seen.state == "created") {
      actions.push_back({Kind::start, c.name, seen.state, &c, seen.id});
    } else {
      // paused, dead, removing: a fresh container is the dependable way back.
      actions.push_back({Kind::recreate, c.name, seen.state, &c, seen.id});
    }
  }
  return actions;
}

std::string actions_to_text(const std::vector<Action>& actions) {
  static const char* k_names[] = {"create network", "create volume", "remove", "create",
                                  "recreate",       "start",         "keep"};
  std::string out;
  for (const Action& action : actions) {
    out += fmt::format("{} {} ({})\n", k_names[static_cast<int>(action.kind)], action.target,
                       action.reason);
  }
  return out;
}

}  // namespace raylaunch
