#pragma once

// `raylaunch autoscale`'s rounds: read Ray's state from the GCS, decide
// (autoscale/decide.hpp), act: drain through the GCS, then the same
// reconcile-and-apply path `up` takes. Nothing here knows it runs in a loop.

#include <raylaunch/autoscale/decide.hpp>
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/ray/gcs_autoscaler.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace raylaunch {

struct AutoscaleSettings {
  double upscaling_speed = 1.0;
  std::optional<std::chrono::milliseconds> idle_down;
  std::chrono::milliseconds register_timeout{180000};
  std::chrono::seconds up_timeout{180};
  /// Where the last round is written for `status` ("" for nowhere).
  std::string state_file;
  /// Set by a signal: waits end early.
  const std::atomic<bool>* cancel = nullptr;
};

/// What one round found and did.
struct RoundOutcome {
  bool ray_answered = false;
  std::string error;  // why Ray or Docker could not be read
  ScaleDecision decision;
  int drained = 0;
  int launched = 0;
  int removed = 0;
  bool went_down = false;
  int docker_calls = 0;
};

class Autoscaler {
 public:
  /// `lock` takes the project lock for the span of its result (while the
  /// round changes containers).
  Autoscaler(Executor& executor, HttpClient& http, Progress& progress, const Plan& plan,
             AutoscaleSettings settings, std::function<std::shared_ptr<void>()> lock);

  RoundOutcome round();

 private:
  std::optional<GcsState> read_ray(std::string& error);
  bool jobs_running();
  bool refresh_containers(const GcsState& ray, std::string& error);
  void act(const ScaleDecision& decision, RoundOutcome& outcome);
  void wait_for_dead(const std::set<std::string>& node_ids, std::chrono::seconds bound);
  void write_state(const RoundOutcome& outcome) const;

  Executor& m_executor;
  HttpClient& m_http;
  Progress& m_progress;
  const Plan& m_plan;
  AutoscaleSettings m_settings;
  std::function<std::shared_ptr<void>()> m_lock;
  std::unique_ptr<GcsAutoscalerClient> m_gcs;
  std::string m_session;
  ScaleMemory m_memory;
  /// The group containers as last seen; a round asks Docker again only when
  /// Ray and this disagree.
  std::optional<std::vector<ScaledContainer>> m_containers;
  /// Hosts whose engine did not answer the last `docker ps`.
  std::set<std::string> m_unreachable;
  /// The last round's lines: a line said again (still waiting, still
  /// infeasible) is not logged again.
  std::set<std::string> m_said;
  std::string m_last_decision;
  ScaleClock::time_point m_last_decision_at{};
};

/// The GCS's host:port for a planned cluster: the dashboard's host and the
/// head's published gcs port.
std::string gcs_target(const Plan& plan);

/// The state file of `project`'s controller, in the lock folder.
std::string autoscale_state_file(const std::string& project);

}  // namespace raylaunch
