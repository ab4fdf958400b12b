// One round of the autoscaler, decided: bin-pack Ray's pending demand onto
// the nodes there are and the replicas the groups may add, drain what has
// been idle long enough, replace what never joined. No I/O.
#include "round.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace raylaunch {

namespace scaling {

ScaleDecision Round::decide() {
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

void Round::read_groups() {
  for (const auto& [name, bounds] : m_in.plan->scaling) {
    Group g;
    g.name = name;
    g.bounds = bounds;
    g.shape = bounds.shape;
    if (g.shape.count("CPU") == 0) {
      g.shape["CPU"] = m_in.machine_cpus;
    }
    if (g.shape.count("memory") == 0 && m_in.machine_memory > 0) {
      g.shape["memory"] = m_in.machine_memory;
    }
    auto after = m_in.memory.launch_after.find(name);
    g.backing_off = after != m_in.memory.launch_after.end() && m_in.now < after->second;
    m_groups.push_back(std::move(g));
  }
}

Bin Round::new_bin(const std::string& container, const Group& g) {
  Bin bin;
  bin.container = container;
  bin.group = g.name;
  bin.free = g.shape;
  bin.total = g.shape;
  return bin;
}

Group* Round::group(const std::string& name) {
  for (Group& g : m_groups) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

// Ray's alive nodes become bins; containers Ray lacks are starting (bins
// of their group's shape) until they join or time out.
void Round::read_nodes() {
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

int64_t Round::count(const Group& g) const {
  int64_t removed = 0;
  for (const ScaleRemoval& r : m_out.removals) {
    removed += r.group == g.name ? 1 : 0;
  }
  return static_cast<int64_t>(g.existing.size()) + g.launched - removed;
}

void Round::enforce_min() {
  for (Group& g : m_groups) {
    while (count(g) < g.bounds.min &&
           launch(g, true, fmt::format("below min_replicas {}", g.bounds.min))) {
    }
  }
}

// Nodes Ray reports IDLE past their group's idle_timeout, above min, never
// the head, not needed by this round's demand: the highest replica first.
void Round::drain_idle() {
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

void Round::check_idle_down() {
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

}  // namespace scaling

ScaleDecision decide_scaling(const ScaleInput& input) {
  return scaling::Round(input).decide();
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
