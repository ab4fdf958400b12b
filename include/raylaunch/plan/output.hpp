#pragma once

#include <raylaunch/plan/planner.hpp>

#include <ostream>
#include <string>

namespace raylaunch {

/// The schema version of every JSON document raylaunch prints.
inline constexpr int k_plan_schema_version = 1;

/// The plan as a JSON document (`raylaunch config --format json`), 2-space indented.
std::string plan_to_json(const Plan& plan);

/// The same document as YAML (`raylaunch config`, the default format).
std::string plan_to_yaml(const Plan& plan);

/// Write plan_to_json's and plan_to_yaml's text to `out`, a container at a
/// time, so a plan of thousands of containers is never in memory twice.
void write_plan_json(const Plan& plan, std::ostream& out);
void write_plan_yaml(const Plan& plan, std::ostream& out);

}  // namespace raylaunch
