#pragma once

// What `status` and `serve status` show of Serve (serve_status.cpp).

#include <raylaunch/ray/serve.hpp>

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace raylaunch {

/// Serve as status saw it.
struct ServeView {
  bool reached = false;
  std::string error;  // why Serve could not be read
  ServeInstance instance;
  std::vector<std::string> expected;  // the apps the spec deploys (none without the spec)

  /// Every app expected and every app Serve has is RUNNING.
  bool healthy() const;
};

/// Each column's width in a table of `cells` (the header first): its widest cell.
std::vector<size_t> column_widths(const std::vector<std::vector<std::string>>& cells);

/// Two tables: the apps (status, route, message), then their deployments
/// (status, replicas running of target).
void print_serve(std::ostream& out, const ServeView& view);

/// `"serve"` of status --json.
nlohmann::ordered_json serve_json(const ServeView& view);

}  // namespace raylaunch
