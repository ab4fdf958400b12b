#pragma once

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_engine.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/execute/progress.hpp>

#include <atomic>
#include <chrono>
#include <ostream>
#include <string>

namespace raylaunch {

struct UpOptions {
  bool wait = true;
  std::chrono::seconds timeout{180};
  int parallel = 8;
  bool dry_run = false;
};

struct DownOptions {
  std::chrono::seconds timeout{10};
  bool volumes = false;
};

struct StatusOptions {
  bool json = false;
};

/// Runs the plan against Docker through a CommandRunner. It decides only the
/// order of the steps reconcile() chose and whether to stop after a failure.
class Executor {
 public:
  /// `out` gets results (summaries, tables); `progress` gets what happens.
  /// `cancel`, when set from a signal handler, stops new work from starting.
  Executor(CommandRunner& runner, DockerEndpoint endpoint, Progress& progress, std::ostream& out,
           const std::atomic<bool>* cancel = nullptr);

  /// Creates or converges the cluster; with `wait`, returns when Ray on the
  /// head reports every planned node alive. Throws ExecError naming what
  /// failed; returns the exit code otherwise.
  int up(const Plan& plan, const UpOptions& options);

  /// Stops and removes everything with the project's label, then its
  /// network (and volumes). Never touches anything without the label.
  int down(const std::string& project, const DownOptions& options);

  /// Prints each node's container state and Ray's view. Exit 0 when every
  /// planned node runs and Ray counts it alive, 1 otherwise. `plan` may be
  /// null: then the project's containers are the planned set.
  int status(const std::string& project, const Plan* plan, const StatusOptions& options);

  /// How many docker commands ran (for the benchmark and tests).
  int commands_run() const { return m_commands.load(); }

 private:
  CommandResult docker(std::vector<std::string> args,
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                       std::map<std::string, std::string> env = {});
  bool cancelled() const { return m_cancel != nullptr && m_cancel->load(); }

  CommandRunner& m_runner;
  DockerEndpoint m_endpoint;
  Progress& m_progress;
  std::ostream& m_out;
  const std::atomic<bool>* m_cancel;
  std::atomic<int> m_commands{0};
};

}  // namespace raylaunch
