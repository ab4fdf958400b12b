// The difference between the plan and Docker's state, as a list of steps; no
// I/O here, so convergence is tested without an engine (compose's reconcile).
#include <raylaunch/plan/reconcile.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace raylaunch {

namespace {

using Kind = Action::Kind;

// The project's network and volumes on each host that gets a node, in plan
// order; `made` holds the containers that will exist.
void add_networks_and_volumes(const Plan& plan, const ObservedState& observed,
                              const std::set<const PlannedContainer*>& made,
                              std::vector<Action>& actions) {
  std::vector<std::string> hosts;
  std::map<std::string, std::set<std::string>> volumes;
  for (const PlannedContainer& c : plan.containers) {
    if (made.count(&c) == 0) {
      continue;
    }
    if (std::find(hosts.begin(), hosts.end(), c.host) == hosts.end()) {
      hosts.push_back(c.host);
    }
    for (const Mount& mount : c.mounts) {
      if (mount.volume) {
        volumes[c.host].insert(mount.source);
      }
    }
  }
  for (const std::string& host : hosts) {
    if (plan.network.mode == NetworkMode::bridge && !observed.network_ids.count(host)) {
      actions.push_back({Kind::create_network, plan.network.name, "missing", nullptr, {}, host});
    }
    auto seen = observed.volumes.find(host);
    for (const std::string& volume : volumes[host]) {
      if (seen == observed.volumes.end() ||
          std::find(seen->second.begin(), seen->second.end(), volume) == seen->second.end()) {
        actions.push_back({Kind::create_volume, volume, "missing", nullptr, {}, host});
      }
    }
  }
}

// Why the container `seen` cannot stay as `c` plans it; "" when it can.
// Docker can break what the hash does not see: a network removed (and maybe
// made again, with a new ID) or detached, an image rebuilt under its tag.
std::string change_of(const Plan& plan, const PlannedContainer& c, const ObservedContainer& seen,
                      const ObservedState& observed) {
  if (seen.config_hash != c.config_hash) {
    return seen.host != c.host ? "moved from " + seen.host : "config changed";
  }
  if (!seen.inspected) {
    return "";
  }
  if (plan.network.mode == NetworkMode::bridge) {
    auto endpoint = seen.networks.find(plan.network.name);
    if (endpoint == seen.networks.end()) {
      return "network detached";
    }
    auto network = observed.network_ids.find(seen.host);
    if (network == observed.network_ids.end() || network->second != endpoint->second) {
      return "network gone";
    }
  }
  auto images = observed.image_ids.find(seen.host);
  if (images != observed.image_ids.end()) {
    auto image = images->second.find(c.image);
    if (image != images->second.end() && !seen.image_id.empty() &&
        image->second != seen.image_id) {
      return "image changed";
    }
  }
  return "";
}

// The step for a planned container that exists.
Action step_for(const Plan& plan, const PlannedContainer& c, const ObservedContainer& seen,
                const ObservedState& observed, Recreate recreate) {
  std::string change = change_of(plan, c, seen, observed);
  if (recreate == Recreate::always || (recreate == Recreate::changed && !change.empty())) {
    std::string why = change.empty() ? "--force-recreate" : change;
    return {Kind::recreate, c.name, why, &c, seen.id, seen.host, c.stop_grace};
  }
  std::string note = change.empty() ? "" : "; " + change + ", not re-created: --no-recreate";
  if (seen.state == "exited" || seen.state == "created") {
    return {Kind::start, c.name, seen.state + note, &c, seen.id, seen.host};
  }
  if (seen.state == "running" || seen.state == "restarting" || recreate == Recreate::never) {
    return {Kind::keep, c.name, seen.state + note, &c, seen.id, seen.host};
  }
  // paused, dead, removing: a fresh container is the dependable way back.
  return {Kind::recreate, c.name, seen.state, &c, seen.id, seen.host, c.stop_grace};
}

// How long an unplanned container may take to stop: its group's grace while
// the group is planned, else the plan's.
std::chrono::seconds grace_of(const Plan& plan, const ObservedContainer& seen) {
  for (const PlannedContainer& c : plan.containers) {
    if (c.group == seen.group) {
      return c.stop_grace;
    }
  }
  return plan.stop_grace;
}

// How many missing replicas of each autoscaled group to make: when the
// cluster is new, `replicas` (start); else what runs, raised to min (a
// replica the autoscaler removed stays removed).
std::map<std::string, int64_t> replicas_to_add(
    const Plan& plan, const ObservedState& observed,
    const std::map<std::string, const ObservedContainer*>& existing) {
  // Per group: its containers that exist, and those the plan requires that
  // do not (the autoscaler's launches), which are made anyway.
  std::map<std::string, int64_t> have;
  std::map<std::string, int64_t> required;
  for (const PlannedContainer& c : plan.containers) {
    if (plan.scaling.count(c.group) == 0) {
      continue;
    }
    if (existing.count(c.name) != 0) {
      ++have[c.group];
    } else if (!c.optional) {
      ++required[c.group];
    }
  }
  std::map<std::string, int64_t> add;
  for (const auto& [group, scaling] : plan.scaling) {
    int64_t want = observed.containers.empty() ? scaling.start
                                               : std::max(have[group], scaling.min);
    add[group] = std::max<int64_t>(want - have[group] - required[group], 0);
  }
  return add;
}

}  // namespace

std::vector<Action> reconcile(const Plan& plan, const ObservedState& observed,
                              Recreate recreate) {
  std::vector<Action> actions;

  std::map<std::string, const PlannedContainer*> planned;
  for (const PlannedContainer& c : plan.containers) {
    planned[c.name] = &c;
  }
  // A name seen on two hosts (a node that moved, interrupted half way): the
  // copy on the planned host is the one kept, the other goes.
  std::map<std::string, const ObservedContainer*> existing;
  std::vector<const ObservedContainer*> unplanned;
  for (const ObservedContainer& c : observed.containers) {
    auto wanted = planned.find(c.name);
    if (wanted == planned.end()) {
      unplanned.push_back(&c);
      continue;
    }
    auto [at, fresh] = existing.emplace(c.name, &c);
    if (!fresh) {
      bool better = c.host == wanted->second->host && at->second->host != c.host;
      unplanned.push_back(better ? at->second : &c);
      at->second = better ? &c : at->second;
    }
  }
  // Scale down from the top, so the replicas that stay keep their numbers.
  std::sort(unplanned.begin(), unplanned.end(),
            [](const ObservedContainer* a, const ObservedContainer* b) {
              if (a->replica != b->replica) {
                return a->replica > b->replica;
              }
              return a->name != b->name ? a->name > b->name : a->host > b->host;
            });
  for (const ObservedContainer* c : unplanned) {
    actions.push_back(
        {Kind::remove, c->name, "not planned", nullptr, c->id, c->host, grace_of(plan, *c)});
  }

  std::map<std::string, int64_t> to_add = replicas_to_add(plan, observed, existing);
  std::set<const PlannedContainer*> made;
  for (const PlannedContainer& c : plan.containers) {
    auto found = existing.find(c.name);
    if (found == existing.end()) {
      if (c.optional) {
        if (to_add[c.group] == 0) {
          continue;
        }
        --to_add[c.group];
      }
      made.insert(&c);
      // On a new cluster an autoscaled replica is one of `replicas`, as
      // missing as any other container; later only min_replicas adds one.
      bool to_min = c.optional && !observed.containers.empty();
      actions.push_back(
          {Kind::create, c.name, to_min ? "below min_replicas" : "missing", &c, {}, c.host});
      continue;
    }
    made.insert(&c);
    actions.push_back(step_for(plan, c, *found->second, observed, recreate));
  }
  std::vector<Action> all;
  add_networks_and_volumes(plan, observed, made, all);
  all.insert(all.end(), actions.begin(), actions.end());
  return all;
}

Plan in_play(const Plan& plan, const std::vector<Action>& actions) {
  if (plan.scaling.empty()) {
    return plan;
  }
  std::set<std::string> acted;
  for (const Action& action : actions) {
    if (action.container != nullptr) {
      acted.insert(action.container->name);
    }
  }
  Plan out = plan;
  std::erase_if(out.containers, [&](const PlannedContainer& c) {
    return c.optional && acted.count(c.name) == 0;
  });
  return out;
}

std::string actions_to_text(const std::vector<Action>& actions) {
  static const char* k_names[] = {"create network", "create volume", "remove", "create",
                                  "recreate",       "start",         "keep"};
  std::string out;
  for (const Action& action : actions) {
    std::string host = action.host.empty() ? "" : " on " + action.host;
    if (action.kind == Kind::recreate && action.container->host != action.host) {
      host = " on " + action.container->host;
    }
    out += fmt::format("{} {}{} ({})\n", k_names[static_cast<int>(action.kind)], action.target,
                       host, action.reason);
  }
  return out;
}

}  // namespace raylaunch
