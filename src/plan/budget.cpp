// The whole plan's size, added up group by group before any container is
// planned: one resolved node a group, times its replicas.
#include <raylaunch/plan/budget.hpp>

#include <raylaunch/plan/resolve.hpp>

#include <fmt/format.h>

namespace raylaunch {

namespace {

struct NodeSize {
  int64_t settings = 0;
  int64_t bytes = 0;
};

NodeSize size_of(const ResolvedNode& node) {
  NodeSize size;
  size.settings = static_cast<int64_t>(node.env.size() + node.labels.size() +
                                       node.ray_labels.size() + node.resources.size() +
                                       node.ray_args.size() + node.volumes.size());
  for (const auto* map : {&node.env, &node.labels, &node.ray_labels}) {
    for (const auto& [key, value] : *map) {
      size.bytes += static_cast<int64_t>(key.size() + 1 + value.size());
    }
  }
  return size;
}

// Each limit: what it counts, its bound, and what the message and hint say.
struct Limit {
  int64_t NodeSize::*field;
  int64_t max;
  const char* what;
  const char* hint;
};

constexpr Limit k_limits[] = {
    {&NodeSize::settings, k_max_plan_settings,
     "the cluster's nodes to {} settings (env entries, labels, resources, ray_args, volumes)",
     "each replica repeats its group's settings: lower replicas, or move what many nodes share "
     "into a file mounted with volumes:"},
    {&NodeSize::bytes, k_max_plan_bytes, "the env and labels of the cluster's nodes to {} bytes",
     "each replica repeats its group's env and labels: lower replicas, or move long values into "
     "a file mounted with volumes:"},
};

}  // namespace

void check_plan_budget(const ClusterSpec& spec) {
  NodeSize total;
  // `at` is the node's place (for resolve's own errors), `where` the budget's.
  auto add = [&](const NodeSpec& node, int64_t replicas, const std::string& who,
                 const SourceLocation& at, const SourceLocation& where) {
    NodeSize one = size_of(resolve_node(spec, node, at, who));
    total.settings += one.settings * replicas;
    total.bytes += one.bytes * replicas;
    for (const Limit& limit : k_limits) {
      if (total.*limit.field > limit.max) {
        throw SpecError(fmt::format("{} brings {} in all, more than the {} allowed", who,
                                    fmt::format(fmt::runtime(limit.what), total.*limit.field),
                                    limit.max),
                        limit.hint, where);
      }
    }
  };
  add(spec.head.node, 1, "the head", spec.head.where, spec.head.where);
  for (const WorkerGroupSpec& group : spec.workers) {
    add(group.node, group.planned_replicas(), fmt::format("worker group \"{}\"", group.group.value),
        group.where, group.replicas.where);
  }
}

}  // namespace raylaunch
