// `raylaunch serve deploy [FILE]|status|shutdown`: Serve on the running
// cluster through the head's dashboard, as `up` deploys it; no container is
// created, changed or removed.
#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/spec/loader.hpp>

#include "commands.hpp"

namespace raylaunch::cli {

int run_serve(const CommonOptions& common, const ServeCommand& options,
              const std::atomic<bool>& interrupted) {
  Session session(common, EngineOptions{}, false, interrupted);
  std::optional<ServeSpec> file;
  if (options.action == "deploy" && !options.file.empty()) {
    file = load_serve_file(options.file);  // a bad file is refused before anything is asked
  }
  Target target = session.aim(common, "serve");
  const Plan* plan = target.plan ? &*target.plan : nullptr;
  if (options.action == "status") {
    return session.executor.serve_status(target.project, plan, options.json);
  }
  if (options.action == "shutdown") {
    return session.executor.serve_shutdown(target.project, plan,
                                           std::chrono::seconds(options.shutdown_timeout));
  }
  PlannedServe serve;
  if (file) {
    serve = {file->config_json, file->file, file->http_port, file->apps};
  } else if (plan != nullptr && plan->serve) {
    serve = *plan->serve;
  } else {
    throw UsageError("there is no Serve config to deploy: the spec has no serve:",
                     "name a Serve config file (raylaunch serve deploy FILE), or add serve: to "
                     "the spec");
  }
  auto timeout = std::chrono::seconds(options.timeout);
  return session.executor.serve_deploy(target.project, plan, serve,
                                       {.wait = !options.no_wait,
                                        .deadline = std::chrono::steady_clock::now() + timeout,
                                        .timeout = timeout});
}

}  // namespace raylaunch::cli
