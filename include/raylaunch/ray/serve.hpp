#pragma once

// Ray Serve's REST API on the head's dashboard (`/api/serve/applications/`):
// its answer read, and whether a config differs from what Serve runs. Pure:
// the executor sends the requests.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace raylaunch {

/// The path of Serve's applications, with the slash Serve's routes need.
inline constexpr const char* k_serve_target = "/api/serve/applications/";

/// One deployment as GET says it.
struct ServeDeploymentStatus {
  std::string name;
  std::string status;  // UPDATING, HEALTHY, UNHEALTHY, DEPLOY_FAILED, UPSCALING, DOWNSCALING
  std::string message;
  int running = 0;                      // replicas RUNNING
  int target = 0;                       // target_num_replicas
  std::string required_resources_json;  // per replica, e.g. {"CPU":1.0}
};

/// One application as GET says it.
struct ServeAppStatus {
  std::string name;
  std::string status;  // NOT_STARTED, DEPLOYING, DEPLOY_FAILED, RUNNING, UNHEALTHY, DELETING
  std::string message;
  std::optional<std::string> route_prefix;  // null while it builds, or no route
  std::string deployed_config_json;         // deployed_app_config; "null" for imperative apps
  std::vector<ServeDeploymentStatus> deployments;
  bool imperative = false;  // deployed by serve.run, not by a config: a PUT leaves it alone
};

/// `GET /api/serve/applications/`: ServeInstanceDetails.
struct ServeInstance {
  bool started = false;  // a controller runs (controller_info is not empty)
  std::string proxy_location;
  std::string http_options_json;  // "{}" before Serve starts
  std::string grpc_options_json;
  std::optional<double> target_capacity;
  std::vector<ServeAppStatus> apps;

  const ServeAppStatus* app(const std::string& name) const;
};

/// nullopt (with `error`) when `body` is not Serve's answer.
std::optional<ServeInstance> parse_serve_instance(const std::string& body, std::string& error);

/// What `up` must do so Serve runs `config_json` (the PUT body).
struct ServeDecision {
  enum class Change {
    none,     // Serve runs it already: no request
    deploy,   // PUT the config
    restart,  // http_options, grpc_options or proxy_location differ: Serve keeps the ones
              // it started with whatever a PUT says, so shut it down, then PUT
  };
  Change change = Change::none;
  /// Why, for the log and the warning: e.g. `application "llm" changed`.
  std::vector<std::string> reasons;
};

/// Compares the config with what Serve runs: each app's deployed_app_config
/// with the config's app (as JSON values), the set of apps, target_capacity,
/// and what Serve fixes when it starts (http_options, grpc_options,
/// proxy_location, by the keys the config writes).
ServeDecision decide_serve(const std::string& config_json, const ServeInstance& running);

/// The config with every app's runtime_env.working_dir that `uris` maps
/// (app name to gcs:// URI) replaced.
std::string with_working_dirs(const std::string& config_json,
                              const std::vector<std::pair<std::string, std::string>>& uris);

}  // namespace raylaunch
