// The reconcile decisions, explained in the log (execute/decisions.hpp).
#include <raylaunch/execute/decisions.hpp>

#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

#include <algorithm>

namespace raylaunch {

namespace {

const ObservedContainer* observed_named(const ObservedState& observed, const std::string& name) {
  auto found = std::find_if(observed.containers.begin(), observed.containers.end(),
                            [&name](const ObservedContainer& c) { return c.name == name; });
  return found == observed.containers.end() ? nullptr : &*found;
}

// A config hash as the log shows it: its first 12 characters, or "none".
std::string short_hash(const std::string& hash) {
  return hash.empty() ? std::string("none") : hash.substr(0, 12);
}

std::string container_reason(const Action& action, const ObservedContainer* seen) {
  using Kind = Action::Kind;
  std::string planned =
      action.container != nullptr ? short_hash(action.container->config_hash) : std::string("none");
  std::string state = seen != nullptr ? seen->state : action.reason;
  switch (action.kind) {
    case Kind::create:
      return "no container of that name exists";
    case Kind::remove:
      return seen != nullptr && !seen->group.empty()
                 ? fmt::format("not in the plan (group {}, replica {}, {})", seen->group,
                               seen->replica, seen->state)
                 : "not in the plan";
    case Kind::keep:
      return fmt::format("{} with the planned config hash {}", state, planned);
    case Kind::start:
      return fmt::format("{} with the planned config hash {}: started again", state, planned);
    case Kind::recreate:
      if (action.reason == "config changed") {
        return fmt::format("its config hash {} differs from the plan's {}",
                           short_hash(seen != nullptr ? seen->config_hash : std::string()),
                           planned);
      }
      return fmt::format("it is {}: a fresh container is the dependable way back", state);
    default:
      return action.reason;
  }
}

}  // namespace

std::string decision_line(const Action& action, const ObservedState& observed) {
  using Kind = Action::Kind;
  switch (action.kind) {
    case Kind::create_network:
      return fmt::format("reconcile: create network {}: it does not exist", action.target);
    case Kind::create_volume:
      return fmt::format("reconcile: create volume {}: it does not exist", action.target);
    default:
      break;
  }
  static const char* k_verbs[] = {"", "", "remove", "create", "re-create", "start", "keep"};
  return fmt::format("reconcile: {} {}: {}", k_verbs[static_cast<int>(action.kind)], action.target,
                     container_reason(action, observed_named(observed, action.target)));
}

void log_decisions(const std::vector<Action>& actions, const ObservedState& observed) {
  for (const Action& action : actions) {
    log_info(decision_line(action, observed));
  }
}

}  // namespace raylaunch
