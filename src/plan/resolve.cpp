// A spec says most things once, in `defaults` or at the top level, and a node
// overrides what differs; this file applies that inheritance so the rest of the
// planner sees each node complete.
#include <raylaunch/plan/resolve.hpp>

#include <fmt/format.h>

namespace raylaunch {

namespace {

template <class T>
const std::optional<Located<T>>& pick(const std::optional<Located<T>>& own,
                                      const std::optional<Located<T>>& inherited) {
  return own ? own : inherited;
}

template <class T>
std::map<std::string, T> merge(const std::map<std::string, Located<T>>& inherited,
                               const std::map<std::string, Located<T>>& own) {
  std::map<std::string, T> out;
  for (const auto& [key, value] : inherited) {
    out[key] = value.value;
  }
  for (const auto& [key, value] : own) {
    out[key] = value.value;
  }
  return out;
}

}  // namespace

ResolvedNode resolve_node(const ClusterSpec& spec, const NodeSpec& node,
                          const SourceLocation& where, const std::string& who) {
  const NodeSpec& defaults = spec.defaults;
  ResolvedNode out;
  if (const auto& image = pick(node.image, defaults.image)) {
    out.image = image->value;
  } else if (spec.image) {
    out.image = spec.image->value;
  } else {
    throw SpecError(fmt::format("{} has no image", who),
                    "set image: at the top of the spec, e.g. image: rayproject/ray:2.52.1", where);
  }
  if (const auto& pull = pick(node.pull, defaults.pull)) {
    out.pull = pull->value;
  }
  if (const auto& num_cpus = pick(node.num_cpus, defaults.num_cpus)) {
    out.num_cpus = num_cpus->value;
  }
  if (const auto& gpus = pick(node.gpus, defaults.gpus)) {
    out.gpus = gpus->value;
    out.gpus_where = gpus->where;
  }
  if (const auto& memory = pick(node.memory, defaults.memory)) {
    out.memory = memory->value;
  }
  if (const auto& cpus = pick(node.cpus, defaults.cpus)) {
    out.cpus = cpus->value;
  }
  out.shm_size = pick(node.shm_size, defaults.shm_size);
  out.env = merge(defaults.env, node.env);
  for (const auto* level : {&defaults.env, &node.env}) {
    for (const auto& [key, value] : *level) {
      out.env_where[key] = value.where;
    }
  }
  out.env_secret = defaults.env_secret;
  for (const auto& [key, secret] : node.env_secret) {
    out.env_secret[key] = secret;
  }
  out.volumes = defaults.volumes;
  for (const VolumeSpec& volume : node.volumes) {
    // A node's mount replaces the inherited one on the same target.
    std::erase_if(out.volumes, [&](const VolumeSpec& v) { return v.target == volume.target; });
    out.volumes.push_back(volume);
  }
  out.labels = merge(defaults.labels, node.labels);
  out.ray_labels = merge(defaults.ray_labels, node.ray_labels);
  out.resources = merge(defaults.resources, node.resources);
  out.ray_args = defaults.ray_args;
  for (const RayArg& arg : node.ray_args) {
    std::erase_if(out.ray_args, [&](const RayArg& a) { return a.key == arg.key; });
    out.ray_args.push_back(arg);
  }
  if (const auto& restart = pick(node.restart, defaults.restart)) {
    out.restart = restart->value;
  }
  if (const auto& grace = pick(node.stop_grace, defaults.stop_grace)) {
    out.stop_grace = grace->value;
  }
  return out;
}

}  // namespace raylaunch
