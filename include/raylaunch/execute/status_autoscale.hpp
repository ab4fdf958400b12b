#pragma once

// `status`'s autoscaling part (src/execute/status_autoscale.cpp).

#include <raylaunch/plan/planner.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>

namespace raylaunch {

/// For each autoscaled group its replicas now (`replicas`, by group), min
/// and max, and the controller's last round; null when no group autoscales.
nlohmann::ordered_json autoscale_status(const Plan& plan, const std::map<std::string, int>& replicas);

/// The same for people, after the nodes; nothing for null.
void print_autoscale_status(std::ostream& out, const nlohmann::ordered_json& status);

}  // namespace raylaunch
