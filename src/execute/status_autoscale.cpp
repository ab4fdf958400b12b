// What `status` shows of autoscaling: each autoscaled group's replicas now,
// min and max (from Docker and the plan), and what the controller last read
// and decided (its state file, autoscaler.cpp).
#include <raylaunch/execute/autoscaler.hpp>
#include <raylaunch/execute/status_autoscale.hpp>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace raylaunch {

namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json controller_state(const std::string& project) {
  std::ifstream in(autoscale_state_file(project));
  if (!in) {
    return nullptr;
  }
  std::stringstream text;
  text << in.rdbuf();
  ordered_json doc = ordered_json::parse(text.str(), nullptr, false);
  return doc.is_object() ? doc : ordered_json(nullptr);
}

std::vector<std::string> strings_of(const ordered_json& doc, const char* key) {
  std::vector<std::string> out;
  if (doc.is_object() && doc.contains(key) && doc[key].is_array()) {
    for (const ordered_json& item : doc[key]) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

std::string string_or(const ordered_json& doc, const char* key, const std::string& fallback) {
  return doc.is_object() && doc.contains(key) && doc[key].is_string()
             ? doc[key].get<std::string>()
             : fallback;
}

}  // namespace

ordered_json autoscale_status(const Plan& plan, const std::map<std::string, int>& replicas) {
  if (plan.scaling.empty()) {
    return nullptr;
  }
  ordered_json groups = ordered_json::object();
  for (const auto& [name, scaling] : plan.scaling) {
    auto now = replicas.find(name);
    groups[name] = {{"replicas", now == replicas.end() ? 0 : now->second},
                    {"min_replicas", scaling.min},
                    {"max_replicas", scaling.max},
                    {"idle_timeout_s", scaling.idle_timeout.count() / 1000.0}};
  }
  ordered_json state = controller_state(plan.project);
  auto field = [&](const char* key) {
    return state.is_object() && state.contains(key) ? state[key] : ordered_json(nullptr);
  };
  return {{"groups", groups},
          {"controller_updated", field("updated")},
          {"controller_error", field("error")},
          {"pending", strings_of(state, "pending")},
          {"infeasible", strings_of(state, "infeasible")},
          {"waiting", strings_of(state, "waiting")},
          {"last_decision", field("last_decision")},
          {"last_decision_at", field("last_decision_at")}};
}

void print_autoscale_status(std::ostream& out, const ordered_json& status) {
  if (status.is_null()) {
    return;
  }
  out << "\nAutoscaling:\n";
  for (const auto& [name, group] : status["groups"].items()) {
    out << fmt::format("  {}: {} replicas (min {}, max {})\n", name,
                       group["replicas"].get<int>(), group["min_replicas"].get<int64_t>(),
                       group["max_replicas"].get<int64_t>());
  }
  if (status["controller_updated"].is_null()) {
    out << "  no controller has run: raylaunch autoscale -f FILE\n";
    return;
  }
  for (const char* key : {"pending", "infeasible", "waiting"}) {
    for (const ordered_json& line : status[key]) {
      out << fmt::format("  {}: {}\n", key, line.get<std::string>());
    }
  }
  if (!status["controller_error"].is_null()) {
    out << fmt::format("  controller: {}\n", status["controller_error"].get<std::string>());
  }
  std::string decision = string_or(status, "last_decision", "");
  out << fmt::format("  last round: {}\n", status["controller_updated"].get<std::string>());
  if (!decision.empty()) {
    out << fmt::format("  last decision ({}): {}\n",
                       status["last_decision_at"].get<std::string>(), decision);
  }
}

}  // namespace raylaunch
