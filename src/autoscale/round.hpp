#pragma once

// The one round of the autoscaler decide.cpp runs, shared with placement.cpp
// (how demand is packed onto nodes and new replicas). Internal to src/autoscale.

#include <raylaunch/autoscale/decide.hpp>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace raylaunch::scaling {

bool fits(const ResourceShape& free, const ResourceShape& request);
void take(ResourceShape& free, const ResourceShape& request);
bool asks_gpu(const ResourceShape& request);
/// How much of `shape` a request leaves unused: lower packs tighter.
double waste(const ResourceShape& shape, const ResourceShape& request);
/// Ray's resources without the per-node markers (node:IP, node:__internal_head__).
ResourceShape without_markers(const ResourceShape& shape);

// A place demand can go: a node of Ray's, a container not yet in Ray, or a
// replica this round launches.
struct Bin {
  std::string container;  // "" for a node raylaunch did not start (the head)
  std::string group;
  ResourceShape free;
  ResourceShape total;
  std::set<std::string> labels;  // _PG_<hex> of the groups with bundles on it
  bool used = false;             // demand was packed onto it this round
};

// What became of one request or placement group this round: placed, held
// back by a limit (its words in `limit`), or more than any replica holds.
struct Placement {
  enum class Kind { placed, waiting, infeasible };
  Kind kind = Kind::placed;
  std::string limit;
};

struct Group {
  std::string name;
  PlannedScaling bounds;
  ResourceShape shape;
  std::set<int> existing;  // replica numbers of its containers
  int64_t starting = 0;    // containers not in Ray yet
  int64_t alive = 0;       // in Ray, not draining
  int64_t launched = 0;    // this round
  int64_t rate_left = 0;   // launches the rate limit still allows this round
  bool backing_off = false;
};

class Round {
 public:
  explicit Round(const ScaleInput& input) : m_in(input) {
    m_out.memory = input.memory;
    read_groups();
    read_nodes();
  }
  ScaleDecision decide();

 private:
  void read_groups();
  static Bin new_bin(const std::string& container, const Group& g);
  Group* group(const std::string& name);
  // Ray's alive nodes become bins; containers Ray lacks are starting (bins
  // of their group's shape) until they join or time out.
  void read_nodes();
  int64_t count(const Group& g) const;
  // A new replica of `g`, its bin added; false past max or the rate limit.
  bool launch(Group& g, bool bypass_rate, const std::string& why);
  // The lowest free replica number whose host answers, as `up` would place
  // it; 0 when there is none.
  int free_replica(const Group& g) const;
  std::string host_of(const std::string& group, int replica) const;
  void enforce_min();
  // The groups whose replica could hold `request`, best fit first; never a
  // GPU group for a request without GPUs.
  std::vector<Group*> groups_for(const ResourceShape& request);
  // The bin with room for `request` that it fills best; `avoid` names a
  // placement group whose bundles must be on other nodes.
  Bin* best_bin(const ResourceShape& request, const std::string& avoid = {},
                const std::set<Bin*>& taken = {});
  // A new replica of the best group that may still launch one, for
  // `request`; its bin in `bin` when placed.
  Placement launch_for(const ResourceShape& request, const std::string& why, Bin*& bin);
  // Places one request: on a bin with room, else on a new replica of the
  // best group.
  Placement place(const ResourceShape& request, const std::string& why);
  std::string limit_of(const Group& g) const;
  void note(const std::string& what, const ResourceShape& shape, int64_t count,
            const Placement& outcome);
  // request_resources: the cluster's total, as if empty, must hold it.
  void place_constraint();
  // Placement groups: every bundle or none.
  void place_gangs();
  Placement place_gang(const GangDemand& gang, const std::string& why);
  // Tasks, actors, job drivers, Serve replicas: the largest first.
  void place_requests();
  // Nodes Ray reports IDLE past their group's idle_timeout, above min, never
  // the head, not needed by this round's demand: the highest replica first.
  void drain_idle();
  void check_idle_down();

  const ScaleInput& m_in;
  ScaleDecision m_out;
  std::vector<Group> m_groups;
  std::deque<Bin> m_bins;  // a deque: a Bin* stays valid as bins are added
  std::map<std::string, const GcsNode*> m_nodes;
  std::map<std::string, std::set<int>> m_taken;
};

}  // namespace raylaunch::scaling
