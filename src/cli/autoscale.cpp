// `raylaunch autoscale`: the controller in the foreground. Each round reads
// Ray and Docker afresh, so an `up` or `down` by hand is never lost; it
// holds the project lock only while a round changes containers.
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/engine/lock.hpp>
#include <raylaunch/execute/autoscaler.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "../engine/child.hpp"

namespace raylaunch::cli {

int run_autoscale(const CommonOptions& common, const EngineOptions& engine,
                  const AutoscaleCommand& options, const std::atomic<bool>& interrupted) {
  Session session(common, engine, false, interrupted);
  ClusterSpec spec;
  Plan plan = load_and_plan(common, &session.endpoint, false, &spec);
  if (plan.scaling.empty()) {
    throw UsageError(fmt::format("no worker group of project \"{}\" has max_replicas",
                                 plan.project),
                     "add max_replicas: N (and min_replicas, idle_timeout) to the groups that "
                     "should follow Ray's demand");
  }
  session.executor.use_hosts(plan.hosts);
  check_lock_dir(lock_dir());
  AutoscaleSettings settings;
  settings.upscaling_speed = spec.autoscale.upscaling_speed.value;
  if (spec.autoscale.idle_down_ms) {
    settings.idle_down = std::chrono::milliseconds(spec.autoscale.idle_down_ms->value);
  }
  settings.state_file = autoscale_state_file(plan.project);
  settings.cancel = &interrupted;
  int lock_timeout = engine.lock_timeout;
  std::string project = plan.project;
  auto lock = [&session, project, lock_timeout]() -> std::shared_ptr<void> {
    return std::make_shared<ProjectLock>(project, std::chrono::seconds(lock_timeout),
                                         session.on_lock_wait());
  };
  Autoscaler scaler(session.executor, *session.http, session.progress, plan, settings, lock);
  const auto interval = std::chrono::milliseconds(spec.autoscale.interval_ms.value);
  while (!interrupted) {
    auto started = std::chrono::steady_clock::now();
    RoundOutcome outcome = scaler.round();
    if (!outcome.error.empty()) {
      session.progress.event("Autoscale", "Waiting", EventState::warning, outcome.error);
    }
    if (outcome.went_down) {
      session.progress.finish();
      session.progress.message(fmt::format("raylaunch autoscale: project \"{}\" went down: {}",
                                           plan.project, outcome.decision.idle_down_why));
      return 0;
    }
    if (options.once) {
      return outcome.error.empty() ? 0 : 1;
    }
    while (!interrupted && std::chrono::steady_clock::now() - started < interval) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return 0;
}

namespace {

// `raylaunch autoscale` as a child of `run`, its output on run's stderr
// (run's stdout is the job's log); SIGTERM ends it, as it ends the service.
class ControllerBeside {
 public:
  ControllerBeside(const CommonOptions& common, const std::string& project) {
    char self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (length <= 0) {
      say_not_started(errno);
      return;
    }
    std::vector<std::string> argv = {std::string(self, static_cast<size_t>(length)),
                                     "autoscale", "--progress", "plain", "-p", project};
    if (!common.file.empty()) {
      argv.insert(argv.end(), {"-f", common.file});
    }
    if (!common.docker.empty()) {
      argv.insert(argv.end(), {"--docker", common.docker});
    }
    if (!common.context.empty()) {
      argv.insert(argv.end(), {"--context", common.context});
    }
    if (!common.log_level.empty()) {
      argv.insert(argv.end(), {"--log-level", common.log_level});
    }
    int error = 0;
    m_pid = child::start(argv, {child::k_null, STDERR_FILENO, STDERR_FILENO}, {}, error);
    if (m_pid <= 0) {
      say_not_started(error);
    }
  }
  ~ControllerBeside() {
    if (m_pid > 0) {
      kill(-m_pid, SIGTERM);
      child::wait_for(m_pid);
    }
  }
  ControllerBeside(const ControllerBeside&) = delete;
  ControllerBeside& operator=(const ControllerBeside&) = delete;

 private:
  // Without it the job still runs, on the workers there are.
  static void say_not_started(int error) {
    print_diagnostic({Severity::warning,
                      fmt::format("the autoscaler could not start beside the job: {}",
                                  std::strerror(error)),
                      "the autoscaled groups stay as they are; run `raylaunch autoscale` "
                      "beside it by hand",
                      {}});
  }

  pid_t m_pid = -1;
};

}  // namespace

std::shared_ptr<void> autoscale_beside(const CommonOptions& common, const Plan& plan) {
  if (plan.scaling.empty()) {
    return nullptr;
  }
  return std::make_shared<ControllerBeside>(common, plan.project);
}

}  // namespace raylaunch::cli
