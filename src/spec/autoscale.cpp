// The keys of autoscaling: a worker group's min_replicas, max_replicas and
// idle_timeout, and the top-level `autoscale:` section. What they mean at run
// time is `raylaunch autoscale`'s (docs/autoscaling.md).
#include <raylaunch/spec/keys.hpp>

#include <fmt/format.h>

#include "sections.hpp"

#include <cmath>

namespace raylaunch {

namespace {

// A compose duration in milliseconds, from `min_ms` to `max_ms`.
Located<int64_t> duration_ms_of(const ValueReader& reader, const YamlNode& node,
                                const std::string& what, int64_t min_ms, int64_t max_ms,
                                const std::string& example) {
  auto ms = static_cast<int64_t>(
      std::llround(reader.duration_of(node, what, example, example) * 1000));
  auto says = [](int64_t v) {
    return v % 3600000 == 0 ? fmt::format("{}h", v / 3600000)
           : v % 1000 == 0  ? fmt::format("{}s", v / 1000)
                            : fmt::format("{}ms", v);
  };
  if (ms < min_ms || ms > max_ms) {
    reader.fail(node,
                fmt::format("{} must be from {} to {}, got \"{}\"", what, says(min_ms),
                            says(max_ms), reader.string_of(node, what).value),
                fmt::format("e.g. {}: {}", what, example));
  }
  return {ms, node.where};
}

}  // namespace

void load_group_scaling(const ValueReader& reader, const YamlNode& item, WorkerGroupSpec& group) {
  const YamlNode* max = item.find("max_replicas");
  const YamlNode* min = item.find("min_replicas");
  const YamlNode* idle = item.find("idle_timeout");
  const std::string& name = group.group.value;
  if (!max) {
    // Each value as it would be read, so a wrong type is said first.
    if (min) {
      reader.int_of(*min, "min_replicas", declared_key(KeySection::worker_group, "min_replicas"));
    }
    if (idle) {
      duration_ms_of(reader, *idle, "idle_timeout", 1000, 7 * 24 * 3600 * 1000LL, "5m");
    }
    if (const YamlNode* alone = min ? min : idle) {
      reader.fail(*alone,
                  fmt::format("worker group \"{}\" has {} but no max_replicas", name,
                              min ? "min_replicas" : "idle_timeout"),
                  "add max_replicas: N to let raylaunch autoscale scale the group, or leave "
                  "min_replicas and idle_timeout out");
    }
    return;
  }
  GroupScaling scaling;
  scaling.max = reader.int_of(*max, "max_replicas",
                              declared_key(KeySection::worker_group, "max_replicas"));
  if (min) {
    scaling.min = reader.int_of(*min, "min_replicas",
                                declared_key(KeySection::worker_group, "min_replicas"));
    if (scaling.min.value > scaling.max.value) {
      reader.fail(*min,
                  fmt::format("worker group \"{}\": min_replicas {} is above max_replicas {}",
                              name, scaling.min.value, scaling.max.value),
                  "lower min_replicas, or raise max_replicas");
    }
  } else {
    scaling.min.where = scaling.max.where;
  }
  if (idle) {
    scaling.idle_timeout_ms = duration_ms_of(reader, *idle, "idle_timeout", 1000,
                                             7 * 24 * 3600 * 1000LL, "5m");
  }
  if (const YamlNode* replicas = item.find("replicas")) {
    if (group.replicas.value < scaling.min.value || group.replicas.value > scaling.max.value) {
      reader.fail(*replicas,
                  fmt::format("worker group \"{}\": replicas {} is outside min_replicas {} and "
                              "max_replicas {}",
                              name, group.replicas.value, scaling.min.value, scaling.max.value),
                  "replicas is how many up starts; write a number from min_replicas to "
                  "max_replicas, or leave it out (it is then min_replicas)");
    }
  } else {
    group.replicas = {scaling.min.value, scaling.min.where};
  }
  group.scaling = scaling;
}

void load_autoscale(const ValueReader& reader, const YamlNode& node, AutoscaleSpec& autoscale) {
  autoscale.where = node.where;
  if (node.is_null()) {
    return;
  }
  reader.expect_map(node, "autoscale");
  reader.check_keys(node, KeySection::autoscale, "under autoscale");
  if (const YamlNode* interval = node.find("interval")) {
    autoscale.interval_ms =
        duration_ms_of(reader, *interval, "interval", 1000, 3600 * 1000, "10s");
  }
  if (const YamlNode* speed = node.find("upscaling_speed")) {
    autoscale.upscaling_speed = reader.number_of(
        *speed, "upscaling_speed", declared_key(KeySection::autoscale, "upscaling_speed"));
  }
  if (const YamlNode* idle = node.find("idle_down")) {
    autoscale.idle_down_ms =
        duration_ms_of(reader, *idle, "idle_down", 1000, 30 * 24 * 3600 * 1000LL, "30m");
  }
}

}  // namespace raylaunch
