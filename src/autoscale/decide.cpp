// One round of the autoscaler, decided: bin-pack Ray's pending demand onto
// the nodes there are and the replicas the groups may add, drain what has
// been idle long enough, replace what never joined. No I/O.
#include <raylaunch/autoscale/decide.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <deque>

namespace raylaunch {

namespace {

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

  ScaleDecision decide() {
    enforce_min();
    place_constraint();
    place_gangs();
    place_requests();
    drain_idle();
    check_idle_down();
    for (const Group& g : m_groups) {
      GroupCount& count = m_out.groups[g.name];
      count.now = static_cast<int64_t>(g.existing.size());
      count.min = g.bounds.min;
      count.max = g.bounds.max;
      count.target = count.now + g.launched;
    }
    for (const ScaleDrain& drain : m_out.drains) {
      --m_out.groups[drain.group].target;
    }
    for (const ScaleRemoval& removal : m_out.removals) {
      --m_out.groups[removal.group].target;
    }
    return std::move(m_out);
  }

 private:
  void read_groups() {
    for (const auto& [name, bounds] : m_in.plan->scaling) {
      Group g;
      g.name = name;
      g.bounds = bounds;
      g.shape = bounds.shape;
      if (g.shape.count("CPU") == 0) {
        g.shape["CPU"] = m_in.machine_cpus;
      }
      auto after = m_in.memory.launch_after.find(name);
      g.backing_off = after != m_in.memory.launch_after.end() && m_in.now < after->second;
      m_groups.push_back(std::move(g));
    }
  }

  static Bin new_bin(const std::string& container, const Group& g) {
    Bin bin;
    bin.container = container;
    bin.group = g.name;
    bin.free = g.shape;
    bin.total = g.shape;
    return bin;
  }

  Group* group(const std::string& name) {
    for (Group& g : m_groups) {
      if (g.name == name) {
        return &g;
      }
    }
    return nullptr;
  }

  // Ray's alive nodes become bins; containers Ray lacks are starting (bins
  // of their group's shape) until they join or time out.
  void read_nodes() {
    std::map<std::string, const GcsNode*> in_ray;
    for (const GcsNode& node : m_in.ray.nodes) {
      if (node.status == RayNodeStatus::dead) {
        continue;
      }
      if (!node.instance_id.empty()) {
        in_ray[node.instance_id] = &node;
      }
      if (node.status == RayNodeStatus::draining) {
        continue;
      }
      Group* g = group(node.type_name);
      if (g != nullptr && !node.total.empty()) {
        g->shape = without_markers(node.total);  // Ray's word beats the spec's
      }
      Bin bin;
      bin.container = node.instance_id;
      bin.group = node.type_name;
      bin.free = without_markers(node.available);
      bin.total = without_markers(node.total);
      bin.labels = {node.placement_groups.begin(), node.placement_groups.end()};
      m_bins.push_back(std::move(bin));
      m_nodes[node.instance_id] = &node;
    }
    ScaleMemory& memory = m_out.memory;
    std::map<std::string, ScaleClock::time_point> still;
    for (const ScaledContainer& c : m_in.containers) {
      Group* g = group(c.group);
      if (g == nullptr) {
        continue;
      }
      g->existing.insert(c.replica);
      if (!c.running) {
        m_out.removals.push_back(ScaleRemoval{c.name, c.group, "its container is not running"});
        continue;
      }
      auto node = in_ray.find(c.name);
      if (node != in_ray.end()) {
        if (node->second->status != RayNodeStatus::draining) {
          ++g->alive;
        }
        continue;
      }
      auto since = memory.unregistered_since.find(c.name);
      ScaleClock::time_point first =
          since == memory.unregistered_since.end() ? m_in.now : since->second;
      if (m_in.now - first >= m_in.register_timeout) {
        int failures = ++memory.failures[c.group];
        auto backoff = std::chrono::seconds(std::min(300, 10 << std::min(failures - 1, 5)));
        memory.launch_after[c.group] = m_in.now + backoff;
        g->backing_off = true;
        m_out.removals.push_back(
            {c.name, c.group,
             fmt::format("it has not joined Ray in {}s; the group waits {}s before it launches "
                         "again",
                         std::chrono::duration_cast<std::chrono::seconds>(m_in.now - first)
                             .count(),
                         backoff.count())});
        continue;
      }
      still[c.name] = first;
      ++g->starting;
    }
    memory.unregistered_since = std::move(still);
    for (const ScaledContainer& c : m_in.containers) {
      if (memory.unregistered_since.count(c.name) != 0) {
        Group* g = group(c.group);
        m_bins.push_back(new_bin(c.name, *g));
      }
    }
    for (Group& g : m_groups) {
      // Ray's upscaling_speed: pending and new launches at most
      // max(5, speed x the group's nodes) per round.
      double cap = std::max(5.0, m_in.upscaling_speed *
                                     static_cast<double>(std::max<int64_t>(g.alive, 1)));
      g.rate_left = std::max<int64_t>(static_cast<int64_t>(cap) - g.starting, 0);
    }
  }

  int64_t count(const Group& g) const {
    int64_t removed = 0;
    for (const ScaleRemoval& r : m_out.removals) {
      removed += r.group == g.name ? 1 : 0;
    }
    return static_cast<int64_t>(g.existing.size()) + g.launched - removed;
  }

  // A new replica of `g`, its bin added; false past max or the rate limit.
  bool launch(Group& g, bool bypass_rate, const std::string& why) {
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
    std::string name = fmt::format("{}-{}-{}", m_in.plan->project, g.name, replica);
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
  int free_replica(const Group& g) const {
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

  std::string host_of(const std::string& group, int replica) const {
    std::string name = fmt::format("{}-{}-{}", m_in.plan->project, group, replica);
    for (const PlannedContainer& c : m_in.plan->containers) {
      if (c.name == name) {
        return c.host;
      }
    }
    return "";
  }

  void enforce_min() {
    for (Group& g : m_groups) {
      while (count(g) < g.bounds.min &&
             launch(g, true, fmt::format("below min_replicas {}", g.bounds.min))) {
      }
    }
  }

  // The groups whose replica could hold `request`, best fit first; never a
  // GPU group for a request without GPUs.
  std::vector<Group*> groups_for(const ResourceShape& request) {
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
  Bin* best_bin(const ResourceShape& request, const std::string& avoid = {},
                const std::set<Bin*>& taken = {}) {
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

  // Places one request: on a bin with room, else on a new replica of the
  // best group. Returns what stopped it, "" when placed.
  std::string place(const ResourceShape& request, const std::string& why) {
    if (Bin* bin = best_bin(request)) {
      take(bin->free, request);
      bin->used = true;
      return "";
    }
    std::vector<Group*> candidates = groups_for(request);
    if (candidates.empty()) {
      return "infeasible";
    }
    for (Group* g : candidates) {
      if (launch(*g, false, why)) {
        Bin& bin = m_bins.back();
        take(bin.free, request);
        bin.used = true;
        return "";
      }
    }
    return fmt::format("waiting: {}", limit_of(*candidates.front()));
  }

  std::string limit_of(const Group& g) const {
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

  void note(const std::string& what, const ResourceShape& shape, int64_t count,
            const std::string& outcome) {
    std::string line = fmt::format("{} x {}{}", count, shape_text(shape),
                                   what.empty() ? "" : " " + what);
    if (outcome == "infeasible") {
      m_out.infeasible.push_back(line + ": no worker group's replica can hold it");
    } else if (!outcome.empty()) {
      m_out.waiting.push_back(line + ": " + outcome.substr(9));
    }
  }

  // request_resources: the cluster's total, as if empty, must hold it.
  void place_constraint() {
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
      std::string outcome;
      for (int64_t i = 0; i < std::min(d.count, k_max_requests); ++i) {
        std::string got = place(d.shape, "request_resources asks for more than the cluster has");
        if (!got.empty()) {
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
  void place_gangs() {
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
      std::string outcome = place_gang(gang, what);
      if (!outcome.empty()) {
        m_bins = std::move(before);  // all or nothing: launch none of it
        m_out.launches = std::move(launches);
        m_taken = std::move(taken);
        m_groups = std::move(groups);
        std::string line = what + (outcome == "infeasible"
                                       ? ": a bundle no worker group's replica can hold"
                                       : ": " + outcome.substr(9));
        (outcome == "infeasible" ? m_out.infeasible : m_out.waiting).push_back(line);
      }
    }
  }

  std::string place_gang(const GangDemand& gang, const std::string& why) {
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
        if (std::string got = place(bundle, why); !got.empty()) {
          return got;
        }
      }
      return "";
    }
    std::set<Bin*> used;
    for (const ResourceShape& bundle : gang.bundles) {
      Bin* bin = best_bin(bundle, gang.label, used);
      if (bin == nullptr) {
        std::vector<Group*> candidates = groups_for(bundle);
        if (candidates.empty()) {
          return "infeasible";
        }
        bool launched = false;
        for (Group* g : candidates) {
          if (launch(*g, false, why)) {
            launched = true;
            break;
          }
        }
        if (!launched) {
          return fmt::format("waiting: {}", limit_of(*candidates.front()));
        }
        bin = &m_bins.back();
      }
      take(bin->free, bundle);
      bin->used = true;
      used.insert(bin);
    }
    return "";
  }

  // Tasks, actors, job drivers, Serve replicas: the largest first.
  void place_requests() {
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
      std::string outcome;
      std::string why = fmt::format("pending {} x {}", d->count, shape_text(d->shape));
      for (int64_t i = 0; i < d->count && budget > 0; ++i, --budget) {
        std::string got = place(d->shape, why);
        if (!got.empty()) {
          ++unplaced;
          outcome = got;
        }
      }
      if (unplaced > 0) {
        note("", d->shape, unplaced, outcome);
      }
    }
  }

  // Nodes Ray reports IDLE past their group's idle_timeout, above min, never
  // the head, not needed by this round's demand: the highest replica first.
  void drain_idle() {
    for (Group& g : m_groups) {
      std::vector<std::pair<int, const GcsNode*>> idle;
      for (const ScaledContainer& c : m_in.containers) {
        if (c.group != g.name || !c.running) {
          continue;
        }
        auto node = m_nodes.find(c.name);
        if (node == m_nodes.end() || node->second->head ||
            node->second->status != RayNodeStatus::idle ||
            node->second->idle_ms < g.bounds.idle_timeout.count()) {
          continue;
        }
        auto bin = std::find_if(m_bins.begin(), m_bins.end(),
                                [&](const Bin& b) { return b.container == c.name; });
        if (bin != m_bins.end() && bin->used) {
          continue;
        }
        idle.emplace_back(c.replica, node->second);
      }
      std::sort(idle.begin(), idle.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      int64_t may_go = count(g) - g.bounds.min;
      for (const auto& [replica, node] : idle) {
        if (may_go <= 0) {
          break;
        }
        --may_go;
        int64_t seconds = node->idle_ms / 1000;
        m_out.drains.push_back(
            {node->instance_id, g.name, replica, node->node_id, node->idle_ms,
             fmt::format("idle for {}s, past idle_timeout {}s", seconds,
                         g.bounds.idle_timeout.count() / 1000)});
      }
    }
  }

  void check_idle_down() {
    if (!m_in.idle_down || m_in.work_outside_ray || !m_in.ray.pending.empty() ||
        !m_in.ray.gangs.empty() || !m_in.ray.constraint.empty() || !m_out.launches.empty()) {
      return;
    }
    int64_t idle_for = -1;
    for (const GcsNode& node : m_in.ray.nodes) {
      if (node.status == RayNodeStatus::dead) {
        continue;
      }
      if (node.status != RayNodeStatus::idle) {
        return;
      }
      idle_for = idle_for < 0 ? node.idle_ms : std::min(idle_for, node.idle_ms);
    }
    for (const Group& g : m_groups) {
      if (g.starting > 0) {
        return;
      }
    }
    if (m_in.last_job_end) {
      // A job holds no node while it runs (no resources asked), yet the
      // cluster has been idle only since it ended.
      int64_t since = std::chrono::duration_cast<std::chrono::milliseconds>(
                          m_in.now - *m_in.last_job_end)
                          .count();
      idle_for = idle_for < 0 ? since : std::min(idle_for, since);
    }
    if (idle_for >= m_in.idle_down->count()) {
      m_out.idle_down = true;
      m_out.idle_down_why =
          fmt::format("no job, driver or demand, and every node idle for {}s (idle_down {}s)",
                      idle_for / 1000, m_in.idle_down->count() / 1000);
    }
  }

  const ScaleInput& m_in;
  ScaleDecision m_out;
  std::vector<Group> m_groups;
  std::deque<Bin> m_bins;  // a deque: a Bin* stays valid as bins are added
  std::map<std::string, const GcsNode*> m_nodes;
  std::map<std::string, std::set<int>> m_taken;
};

}  // namespace

ScaleDecision decide_scaling(const ScaleInput& input) {
  return Round(input).decide();
}

std::string shape_text(const ResourceShape& shape) {
  std::string out = "{";
  for (const auto& [name, amount] : shape) {
    if (out.size() > 1) {
      out += ", ";
    }
    out += fmt::format("\"{}\": {}", name, amount);
  }
  return out + "}";
}

std::vector<std::string> ScaleDecision::lines() const {
  std::vector<std::string> out;
  for (const ScaleRemoval& r : removals) {
    out.push_back(fmt::format("remove {}: {}", r.container, r.why));
  }
  for (const ScaleLaunch& l : launches) {
    std::vector<std::string> names;
    for (int replica : l.replicas) {
      names.push_back(fmt::format("{}", replica));
    }
    out.push_back(fmt::format("launch {} x {} (replica {}): {}", l.replicas.size(), l.group,
                              fmt::join(names, ", "), l.why));
  }
  for (const ScaleDrain& d : drains) {
    out.push_back(fmt::format("drain {}: {}", d.container, d.why));
  }
  for (const std::string& line : infeasible) {
    out.push_back("infeasible: " + line);
  }
  for (const std::string& line : waiting) {
    out.push_back("waiting: " + line);
  }
  if (idle_down) {
    out.push_back("down: " + idle_down_why);
  }
  return out;
}

}  // namespace raylaunch
