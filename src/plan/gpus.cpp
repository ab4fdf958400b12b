// GPUs are handed out from the spec's pool in order, the head first; these
// checks say up front, at the YAML, when the pool cannot cover a node.
#include <raylaunch/plan/gpus.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace raylaunch {

void check_head_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                     const SourceLocation& where) {
  if (node.gpus > static_cast<int64_t>(spec.gpu_pool.size())) {
    throw SpecError(fmt::format("the head asks for {} GPU{}, but the pool has {}", node.gpus,
                                node.gpus == 1 ? "" : "s", spec.gpu_pool.size()),
                    "add devices to the top-level gpus: list, or lower gpus",
                    node.gpus_where ? *node.gpus_where : where);
  }
}

void check_group_gpus(const ClusterSpec& spec, const ResolvedNode& node,
                      const WorkerGroupSpec& group, size_t next_gpu) {
  int64_t needed = node.gpus * group.planned_replicas();
  int64_t left = static_cast<int64_t>(spec.gpu_pool.size()) - static_cast<int64_t>(next_gpu);
  if (needed <= left) {
    return;
  }
  SourceLocation where = node.gpus_where ? *node.gpus_where : group.where;
  if (spec.gpu_pool.empty()) {
    throw SpecError(
        fmt::format("worker group \"{}\" asks for {} GPU{} a replica, but the spec lists no GPUs",
                    group.group.value, node.gpus, node.gpus == 1 ? "" : "s"),
        "list the devices this host may hand out at the top level, e.g. gpus: [0, 1]", where);
  }
  throw SpecError(
      fmt::format("worker group \"{}\" needs {} GPUs ({} {} x {}), but only {} of the {} "
                  "in the pool are left",
                  group.group.value, needed, group.planned_replicas(),
                  group.scaling ? "max_replicas" : "replicas", node.gpus,
                  std::max<int64_t>(left, 0), spec.gpu_pool.size()),
      fmt::format("add devices to the top-level gpus: list, or lower {} or gpus",
                  group.scaling ? "max_replicas" : "replicas"),
      group.scaling ? group.scaling->max.where : where);
}

const std::vector<Located<std::string>>& gpu_pool_of(const ClusterSpec& spec,
                                                     const std::string& host) {
  for (const HostSpec& h : spec.hosts) {
    if (h.name.value == host && !h.gpu_pool.empty()) {
      return h.gpu_pool;
    }
  }
  return spec.gpu_pool;
}

void check_host_gpus(const ClusterSpec& spec, const ResolvedNode& node, const PlannedContainer& c,
                     size_t next_gpu, const SourceLocation& where) {
  const std::vector<Located<std::string>>& pool = gpu_pool_of(spec, c.host);
  int64_t left = static_cast<int64_t>(pool.size()) - static_cast<int64_t>(next_gpu);
  if (node.gpus <= left) {
    return;
  }
  std::string who = c.role == "head" ? "the head" : fmt::format("worker group \"{}\"", c.group);
  SourceLocation at = node.gpus_where ? *node.gpus_where : where;
  std::string plural = node.gpus == 1 ? "" : "s";
  if (pool.empty()) {
    throw SpecError(fmt::format("{} asks for {} GPU{} a replica, but host \"{}\" has no GPU pool",
                                who, node.gpus, plural, c.host),
                    fmt::format("list the host's devices, e.g. hosts: {{{}: {{gpus: [0, 1]}}}}, "
                                "or a top-level gpus:",
                                c.host),
                    at);
  }
  bool own = &pool != &spec.gpu_pool;
  std::string pool_name = own ? fmt::format("hosts.{}.gpus", c.host) : "the top-level gpus";
  throw SpecError(
      fmt::format("{} needs {} GPU{} for {} on host \"{}\", but only {} of the {} in {} are left",
                  who, node.gpus, plural, c.name, c.host, std::max<int64_t>(left, 0), pool.size(),
                  pool_name),
      fmt::format("add devices to {}, or lower replicas or gpus", pool_name), at);
}

}  // namespace raylaunch
