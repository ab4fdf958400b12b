#pragma once

// What `raylaunch autoscale` does in one round, decided without Docker or
// Ray: the autoscaled groups' shapes and limits, Ray's nodes and pending
// demand, the containers that exist and what the controller remembers ->
// which replicas to start, which idle nodes to drain, what to remove, each
// with its reason. Pure, like reconcile(): the loop and the acting are in
// execute/ and cli/.

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/ray/gcs_autoscaler.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace raylaunch {

using ScaleClock = std::chrono::system_clock;

/// A container of an autoscaled group, as Docker last showed it.
struct ScaledContainer {
  std::string name;
  std::string group;
  int replica = 0;
  bool running = false;  // else exited, created, dead: Ray cannot have it
};

/// What the controller keeps from round to round.
struct ScaleMemory {
  /// When each container was first seen without a Ray node (or launched).
  std::map<std::string, ScaleClock::time_point> unregistered_since;
  /// Per group: containers replaced for never joining Ray, and when the group
  /// may launch again (backoff).
  std::map<std::string, int> failures;
  std::map<std::string, ScaleClock::time_point> launch_after;
};

struct ScaleInput {
  const Plan* plan = nullptr;
  GcsState ray;
  std::vector<ScaledContainer> containers;
  ScaleMemory memory;
  ScaleClock::time_point now;
  double upscaling_speed = 1.0;
  /// How long a started container may take to join Ray before it is replaced.
  std::chrono::milliseconds register_timeout{180000};
  /// Jobs running or pending (the Jobs API says so), or unknown.
  bool work_outside_ray = false;
  /// When the last job ended: the cluster has been idle at most since then.
  std::optional<ScaleClock::time_point> last_job_end;
  std::optional<std::chrono::milliseconds> idle_down;
  /// The CPUs a replica gets when the spec sets neither num_cpus nor cpus.
  double machine_cpus = 1;
  /// The memory (bytes) a replica may have when the spec sets no limit.
  double machine_memory = 0;
  /// Hosts whose engine did not answer: no replica is launched there.
  std::set<std::string> unreachable_hosts;
};

struct ScaleLaunch {
  std::string group;
  std::vector<int> replicas;
  std::string why;
};

struct ScaleDrain {
  std::string container;
  std::string group;
  int replica = 0;
  std::string node_id;  // Ray's 28 bytes
  int64_t idle_ms = 0;
  std::string why;
};

struct ScaleRemoval {
  std::string container;
  std::string group;
  std::string why;
};

struct GroupCount {
  int64_t now = 0;  // containers of the group that exist
  int64_t target = 0;  // after this round
  int64_t min = 0;
  int64_t max = 0;
};

struct ScaleDecision {
  std::vector<ScaleLaunch> launches;
  std::vector<ScaleDrain> drains;
  std::vector<ScaleRemoval> removals;
  /// Demand no group can ever hold, and demand waiting for max_replicas or
  /// the rate limit, as readable lines.
  std::vector<std::string> infeasible;
  std::vector<std::string> waiting;
  std::vector<std::string> pending;  // every pending request, as read
  std::map<std::string, GroupCount> groups;
  bool idle_down = false;
  std::string idle_down_why;
  ScaleMemory memory;  // to keep for the next round
  /// One line per decision, with its reason; empty: nothing to do.
  std::vector<std::string> lines() const;
  bool acts() const { return !launches.empty() || !drains.empty() || !removals.empty(); }
};

ScaleDecision decide_scaling(const ScaleInput& input);

/// A shape as Ray's status prints one: {"CPU": 2, "GPU": 1}.
std::string shape_text(const ResourceShape& shape);

}  // namespace raylaunch
