// How one round of the autoscaler packs Ray's demand: onto free room on the
// nodes there are, else onto new replicas of the group that fits it best,
// within the limits; placement groups all or nothing.
#include "round.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace raylaunch::scaling {

constexpr double k_epsilon = 1e-9;
// Ray expands at most this many single requests in one round.
constexpr int64_t k_max_requests = 1000;

bool fits(const ResourceShape& free, const ResourceShape& request) {
  for (const auto& [name, amount] : request) {
    if (amount <= 0) {
      continue;
    }
    auto have = free.find(name);
    if (have == free.end() || have->second + k_epsilon < amount) {
      return false;
    }
  }
  return true;
}

void take(ResourceShape& free, const ResourceShape& request) {
  for (const auto& [name, amount] : request) {
    free[name] -= amount;
  }
}

bool asks_gpu(const ResourceShape& request) {
  auto gpu = request.find("GPU");
  return gpu != request.end() && gpu->second > 0;
}

// How much of `shape` a request leaves unused: lower packs tighter.
double waste(const ResourceShape& shape, const ResourceShape& request) {
  double left = 0;
  for (const auto& [name, amount] : shape) {
    if (amount <= 0) {
      continue;
    }
    auto asked = request.find(name);
    left += (amount - (asked == request.end() ? 0.0 : asked->second)) / amount;
  }
  return left;
}

// Ray's resources without the per-node markers (node:IP, node:__internal_head__).
ResourceShape without_markers(const ResourceShape& shape) {
  ResourceShape out;
  for (const auto& [name, amount] : shape) {
    if (!name.starts_with("node:")) {
      out[name] = amount;
    }
  }
  return out;
}

// A new replica of `g`, its bin added; false past max or the rate limit.
bool Round::launch(Group& g, bool bypass_rate, const std::string& why) {
  if (count(g) >= g.bounds.max || g.backing_off) {
    return false;
  }
  if (!bypass_rate && g.rate_left <= 0) {
    return false;
  }
  int replica = free_replica(g);
  if (replica == 0) {
    return false;
  }
  m_taken[g.name].insert(replica);
  ++g.launched;
  if (!bypass_rate) {
    --g.rate_left;
  }
  std::string name = worker_name(m_in.plan->project, g.name, replica);
  m_bins.push_back(new_bin(name, g));
  auto at = std::find_if(m_out.launches.begin(), m_out.launches.end(),
                         [&](const ScaleLaunch& l) { return l.group == g.name; });
  if (at == m_out.launches.end()) {
    m_out.launches.push_back({g.name, {replica}, why});
  } else {
    at->replicas.push_back(replica);
  }
  return true;
}

// The lowest free replica number whose host answers, as `up` would place
// it; 0 when there is none.
int Round::free_replica(const Group& g) const {
  auto taken = m_taken.find(g.name);
  for (int replica = 1; replica <= g.bounds.max; ++replica) {
    if (g.existing.count(replica) == 0 &&
        (taken == m_taken.end() || taken->second.count(replica) == 0) &&
        m_in.unreachable_hosts.count(host_of(g.name, replica)) == 0) {
      return replica;
    }
  }
  return 0;
}

std::string Round::host_of(const std::string& group, int replica) const {
  std::string name = worker_name(m_in.plan->project, group, replica);
  for (const PlannedContainer& c : m_in.plan->containers) {
    if (c.name == name) {
      return c.host;
    }
  }
  return "";
}

// The groups whose replica could hold `request`, best fit first; never a
// GPU group for a request without GPUs.
std::vector<Group*> Round::groups_for(const ResourceShape& request) {
  std::vector<Group*> out;
  for (Group& g : m_groups) {
    if (fits(g.shape, request) && (asks_gpu(request) || !asks_gpu(g.shape))) {
      out.push_back(&g);
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const Group* a, const Group* b) {
    return waste(a->shape, request) < waste(b->shape, request);
  });
  return out;
}

// The bin with room for `request` that it fills best; `avoid` names a
// placement group whose bundles must be on other nodes.
Bin* Round::best_bin(const ResourceShape& request, const std::string& avoid,
              const std::set<Bin*>& taken) {
  Bin* best = nullptr;
  for (Bin& bin : m_bins) {
    if (!fits(bin.free, request) || taken.count(&bin) != 0 ||
        (!avoid.empty() && bin.labels.count(avoid) != 0)) {
      continue;
    }
    if (!asks_gpu(request) && asks_gpu(bin.total) && bin.group != "") {
      continue;  // keep GPU workers for GPU work
    }
    if (best == nullptr || waste(bin.free, request) < waste(best->free, request)) {
      best = &bin;
    }
  }
  return best;
}

Placement Round::launch_for(const ResourceShape& request, const std::string& why, Bin*& bin) {
  std::vector<Group*> candidates = groups_for(request);
  if (candidates.empty()) {
    return {Placement::Kind::infeasible, ""};
  }
  for (Group* g : candidates) {
    if (launch(*g, false, why)) {
      bin = &m_bins.back();
      return {};
    }
  }
  return {Placement::Kind::waiting, limit_of(*candidates.front())};
}

// Places one request: on a bin with room, else on a new replica of the
// best group.
Placement Round::place(const ResourceShape& request, const std::string& why) {
  Bin* bin = best_bin(request);
  if (bin == nullptr) {
    if (Placement got = launch_for(request, why, bin); got.kind != Placement::Kind::placed) {
      return got;
    }
  }
  take(bin->free, request);
  bin->used = true;
  return {};
}

std::string Round::limit_of(const Group& g) const {
  if (g.backing_off) {
    return fmt::format("group {} backs off after replicas that never joined Ray", g.name);
  }
  if (count(g) >= g.bounds.max) {
    return fmt::format("group {} is at max_replicas {}", g.name, g.bounds.max);
  }
  if (free_replica(g) == 0) {
    return fmt::format("group {} has no replica left on a host that answers", g.name);
  }
  return fmt::format("group {} launches at most {} at once (upscaling_speed)", g.name,
                     std::max(5.0, m_in.upscaling_speed));
}

void Round::note(const std::string& what, const ResourceShape& shape, int64_t count,
                 const Placement& outcome) {
  std::string line = fmt::format("{} x {}{}", count, shape_text(shape),
                                 what.empty() ? "" : " " + what);
  if (outcome.kind == Placement::Kind::infeasible) {
    m_out.infeasible.push_back(line + ": no worker group's replica can hold it");
  } else if (outcome.kind == Placement::Kind::waiting) {
    m_out.waiting.push_back(line + ": " + outcome.limit);
  }
}

// request_resources: the cluster's total, as if empty, must hold it.
void Round::place_constraint() {
  if (m_in.ray.constraint.empty()) {
    return;
  }
  std::deque<Bin> saved = m_bins;
  for (Bin& bin : m_bins) {
    bin.free = bin.total;
  }
  for (const ResourceDemand& d : m_in.ray.constraint) {
    m_out.pending.push_back(fmt::format("{} x {} (request_resources)", d.count,
                                        shape_text(d.shape)));
    int64_t unplaced = 0;
    Placement outcome;
    for (int64_t i = 0; i < std::min(d.count, k_max_requests); ++i) {
      Placement got = place(d.shape, "request_resources asks for more than the cluster has");
      if (got.kind != Placement::Kind::placed) {
        ++unplaced;
        outcome = got;
      }
    }
    if (unplaced > 0) {
      note("(request_resources)", d.shape, unplaced, outcome);
    }
  }
  // Demand is placed against what is free, the constraint's new replicas
  // included as empty ones.
  for (size_t i = 0; i < saved.size(); ++i) {
    m_bins[i].free = saved[i].free;
    m_bins[i].used = saved[i].used;
  }
  for (size_t i = saved.size(); i < m_bins.size(); ++i) {
    m_bins[i].free = m_bins[i].total;
  }
}

// Placement groups: every bundle or none.
void Round::place_gangs() {
  for (const GangDemand& gang : m_in.ray.gangs) {
    const char* how = gang.strategy == GangDemand::Strategy::strict_spread ? "STRICT_SPREAD"
                      : gang.strategy == GangDemand::Strategy::strict_pack ? "STRICT_PACK"
                                                                           : "PACK";
    std::string what = fmt::format("placement group {} of {} bundles", how, gang.bundles.size());
    m_out.pending.push_back(what);
    std::deque<Bin> before = m_bins;
    std::vector<ScaleLaunch> launches = m_out.launches;
    std::map<std::string, std::set<int>> taken = m_taken;
    std::vector<Group> groups = m_groups;
    Placement outcome = place_gang(gang, what);
    if (outcome.kind != Placement::Kind::placed) {
      m_bins = std::move(before);  // all or nothing: launch none of it
      m_out.launches = std::move(launches);
      m_taken = std::move(taken);
      m_groups = std::move(groups);
      bool infeasible = outcome.kind == Placement::Kind::infeasible;
      std::string line = what + (infeasible ? ": a bundle no worker group's replica can hold"
                                            : ": " + outcome.limit);
      (infeasible ? m_out.infeasible : m_out.waiting).push_back(line);
    }
  }
}

Placement Round::place_gang(const GangDemand& gang, const std::string& why) {
  if (gang.strategy == GangDemand::Strategy::strict_pack) {
    ResourceShape all;
    for (const ResourceShape& bundle : gang.bundles) {
      for (const auto& [name, amount] : bundle) {
        all[name] += amount;
      }
    }
    return place(all, why);
  }
  if (gang.strategy != GangDemand::Strategy::strict_spread) {
    for (const ResourceShape& bundle : gang.bundles) {
      if (Placement got = place(bundle, why); got.kind != Placement::Kind::placed) {
        return got;
      }
    }
    return {};
  }
  std::set<Bin*> used;
  for (const ResourceShape& bundle : gang.bundles) {
    Bin* bin = best_bin(bundle, gang.label, used);
    if (bin == nullptr) {
      if (Placement got = launch_for(bundle, why, bin); got.kind != Placement::Kind::placed) {
        return got;
      }
    }
    take(bin->free, bundle);
    bin->used = true;
    used.insert(bin);
  }
  return {};
}

// Tasks, actors, job drivers, Serve replicas: the largest first.
void Round::place_requests() {
  std::vector<const ResourceDemand*> demand;
  for (const ResourceDemand& d : m_in.ray.pending) {
    demand.push_back(&d);
    m_out.pending.push_back(fmt::format("{} x {}", d.count, shape_text(d.shape)));
  }
  auto size = [](const ResourceShape& s) {
    double total = 0;
    for (const auto& [name, amount] : s) {
      total += name == "GPU" ? amount * 1000 : amount;
    }
    return total;
  };
  std::stable_sort(demand.begin(), demand.end(),
                   [&](const ResourceDemand* a, const ResourceDemand* b) {
                     return size(a->shape) > size(b->shape);
                   });
  int64_t budget = k_max_requests;
  for (const ResourceDemand* d : demand) {
    int64_t unplaced = 0;
    Placement outcome;
    std::string why = fmt::format("pending {} x {}", d->count, shape_text(d->shape));
    for (int64_t i = 0; i < d->count && budget > 0; ++i, --budget) {
      Placement got = place(d->shape, why);
      if (got.kind != Placement::Kind::placed) {
        ++unplaced;
        outcome = got;
      }
    }
    if (unplaced > 0) {
      note("", d->shape, unplaced, outcome);
    }
  }
}

}  // namespace raylaunch::scaling
