#pragma once

// Why `up` keeps, creates, re-creates, starts or removes each container: one
// info line per action reconcile() chose, written where `up` applies them, so
// `--log-level info` (or `--verbose`) explains what `up` did and why.

#include <raylaunch/plan/reconcile.hpp>
#include <string>
#include <vector>

namespace raylaunch {

/// The line that explains `action`, given what `up` found (`observed`).
std::string decision_line(const Action& action, const ObservedState& observed);

/// Logs every action's line at info level (nothing when the log is quieter).
void log_decisions(const std::vector<Action>& actions, const ObservedState& observed);

}  // namespace raylaunch
