#pragma once

#include <raylaunch/plan/planner.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace raylaunch {

/// A container of the project as `docker ps` shows it.
struct ObservedContainer {
  std::string id;
  std::string name;
  std::string host;  // the host of `hosts:` whose engine listed it; "" without hosts:
  std::string state;  // running, exited, created, restarting, paused, dead
  std::string role;
  std::string group;
  int replica = 0;
  std::string config_hash;
  std::string cpus;  // planned, from the io.raylaunch.cpus label
  std::string gpus;
  std::string dashboard;  // the head's dashboard URL, from its label
  /// The io.raylaunch.hosts label: every host of a cluster that spans several, by
  /// the spec's names, comma-separated; "" otherwise.
  std::string spec_hosts;
  /// The io.raylaunch.host label: the spec's name of the host it was made
  /// for; "" without hosts:.
  std::string host_label;
  /// What `docker inspect` added (when `inspected`): the ID of the image it
  /// was created from, and the networks it is attached to, by name, each with
  /// the ID of the network its endpoint refers to.
  bool inspected = false;
  std::string image_id;
  std::map<std::string, std::string> networks;
};

/// What `up` finds before it acts.
struct ObservedState {
  std::vector<ObservedContainer> containers;
  /// The hosts whose engine has the project's network ("" without hosts:),
  /// each with the network's ID.
  std::map<std::string, std::string> network_ids;
  /// Each host's project volumes.
  std::map<std::string, std::vector<std::string>> volumes;
  /// Per host, the ID each planned image's name stands for there now (the
  /// images present).
  std::map<std::string, std::map<std::string, std::string>> image_ids;
};

/// When `up` re-creates an existing container.
enum class Recreate {
  changed,  // when its config, host, network or image changed, or it is paused or dead
  always,   // every one (--force-recreate)
  never,    // none: only missing ones are created (--no-recreate)
};

/// One step towards the plan; each maps to one docker command (recreate to two).
struct Action {
  enum class Kind { create_network, create_volume, remove, create, recreate, start, keep };
  Kind kind = Kind::keep;
  std::string target;  // a container, network or volume name
  std::string reason;
  const PlannedContainer* container = nullptr;  // create, recreate, start, keep
  std::string container_id;  // remove, recreate, start, keep
  /// The host it acts on: where a network or volume is made, where the
  /// container to remove, start or keep is (for recreate, the old one's; the
  /// new one goes to container->host). "" without hosts:.
  std::string host;
  /// remove, recreate: how long the old container may take to stop.
  std::chrono::seconds stop_grace{0};
};

/// Compares the plan with what exists and returns the steps, in order: the
/// network and volumes on each host that gets nodes, removals (highest
/// replica first), then the head, then the workers. Pure: `up` twice in a row
/// yields only `keep`s the second time.
std::vector<Action> reconcile(const Plan& plan, const ObservedState& observed,
                              Recreate recreate = Recreate::changed);

/// The plan without the optional containers (autoscaled replicas) that the
/// actions neither make nor keep: the nodes `up` waits for and reports.
Plan in_play(const Plan& plan, const std::vector<Action>& actions);

/// One line per action, for golden tests and `--dry-run`.
std::string actions_to_text(const std::vector<Action>& actions);

}  // namespace raylaunch
