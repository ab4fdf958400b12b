#pragma once

// Loading specs from text in tests, with a fixed environment so no test
// depends on the machine's variables.
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/loader.hpp>

#include <map>
#include <string>

namespace raylaunch::test {

inline LoadOptions options_with(std::map<std::string, std::string> env = {}) {
  LoadOptions options;
  options.environment = [env](const std::string& name) -> std::optional<std::string> {
    auto found = env.find(name);
    return found == env.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  return options;
}

inline ClusterSpec load_text(const std::string& text, std::map<std::string, std::string> env = {}) {
  return load_spec_from_string(text, "cluster.yml", options_with(std::move(env)), "/specs").spec;
}

inline Plan plan_text(const std::string& text, std::map<std::string, std::string> env = {}) {
  return plan_cluster(load_text(text, std::move(env)));
}

/// The whole message `raylaunch config` would print for `text`, or "" if it loads and plans.
inline std::string error_of(const std::string& text, std::map<std::string, std::string> env = {}) {
  try {
    plan_text(text, std::move(env));
  } catch (const Error& e) {
    return format_error(e, text);
  }
  return "";
}

}  // namespace raylaunch::test
