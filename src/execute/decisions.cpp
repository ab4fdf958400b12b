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

// An image ID as `docker images` shows it: 12 hex digits without "sha256:".
std::string short_id(const std::string& id) {
  return id.substr(id.rfind("sha256:", 0) == 0 ? 7 : 0, 12);
}

// Why a container is re-created for something its config hash does not cover.
std::string recreate_reason(const Action& action, const ObservedContainer* seen,
                            const ObservedState& observed) {
  const std::string& why = action.reason;
  if (why == "network gone") {
    return "the network it was created on is gone (removed, or removed and made again), so "
           "it cannot start on it";
  }
  if (why == "network detached") {
    return "it is not attached to the project's network (docker network disconnect)";
  }
  if (why == "image changed" && seen != nullptr) {
    std::string now;
    if (auto images = observed.image_ids.find(seen->host); images != observed.image_ids.end()) {
      auto image = images->second.find(action.container->image);
      now = image == images->second.end() ? std::string() : image->second;
    }
    return fmt::format("it runs image {}, but {} names {} now", short_id(seen->image_id),
                       action.container->image, short_id(now));
  }
  if (why == "--force-recreate") {
    return "--force-recreate re-creates every container";
  }
  if (why.rfind("moved from ", 0) == 0) {
    return fmt::format("it runs on host {}, the plan puts it on {}", why.substr(11),
                       action.container->host);
  }
  return "";
}

std::string container_reason(const Action& action, const ObservedContainer* seen,
                             const ObservedState& observed) {
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
      if (action.reason.find("--no-recreate") != std::string::npos) {
        return action.reason;
      }
      return fmt::format("{} with the planned config hash {}", state, planned);
    case Kind::start:
      if (action.reason.find("--no-recreate") != std::string::npos) {
        return action.reason + ": started again";
      }
      return fmt::format("{} with the planned config hash {}: started again", state, planned);
    case Kind::recreate:
      if (action.reason == "config changed") {
        return fmt::format("its config hash {} differs from the plan's {}",
                           short_hash(seen != nullptr ? seen->config_hash : std::string()),
                           planned);
      }
      if (std::string why = recreate_reason(action, seen, observed); !why.empty()) {
        return why;
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
                     container_reason(action, observed_named(observed, action.target), observed));
}

void log_decisions(const std::vector<Action>& actions, const ObservedState& observed) {
  for (const Action& action : actions) {
    log_info(decision_line(action, observed));
  }
}

}  // namespace raylaunch
