// One round of `raylaunch autoscale`: read Ray (the GCS autoscaler service
// and the Jobs API), decide, act. Acting is a drain through the GCS, then
// `up`'s own reconcile-and-apply under the project lock, with the plan's
// autoscaled replicas set as the decision says.
#include <raylaunch/execute/autoscaler.hpp>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/execute/ray_view.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

namespace raylaunch {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string utc_text(ScaleClock::time_point at) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(at));
}

}  // namespace

std::string gcs_target(const Plan& plan) {
  const PlannedContainer& head = plan.containers.front();
  std::string host = "127.0.0.1";
  int dashboard_port = 0;
  auto dashboard = head.labels.find("io.raylaunch.dashboard");
  if (dashboard != head.labels.end()) {
    split_dashboard_url(dashboard->second, host, dashboard_port);
  }
  for (const PortBinding& port : head.ports) {
    if (port.name == "gcs") {
      return fmt::format("{}:{}", host, port.host_port);
    }
  }
  // Host networking: the head's --port, on the host's address.
  for (const std::string& arg : head.command) {
    if (arg.rfind("--port=", 0) == 0) {
      return fmt::format("{}:{}", host, arg.substr(7));
    }
  }
  return host + ":6379";
}

std::string autoscale_state_file(const std::string& project) {
  return lock_dir() + "/" + project + ".autoscale.json";
}

Autoscaler::Autoscaler(Executor& executor, HttpClient& http, Progress& progress, const Plan& plan,
                       AutoscaleSettings settings, std::function<std::shared_ptr<void>()> lock)
    : m_executor(executor),
      m_http(http),
      m_progress(progress),
      m_plan(plan),
      m_settings(std::move(settings)),
      m_lock(std::move(lock)) {
  const PlannedContainer& head = plan.containers.front();
  auto token = head.env.find("RAY_AUTH_TOKEN");
  m_gcs = std::make_unique<GcsAutoscalerClient>(
      gcs_target(plan), token == head.env.end() ? "" : token->second,
      std::chrono::milliseconds(3000));
}

std::optional<GcsState> Autoscaler::read_ray(std::string& error) {
  std::optional<GcsState> state = m_gcs->state(error);
  if (state && !m_session.empty() && state->session != m_session) {
    // The head restarted: Ray's counters and idle times began again.
    log_info(fmt::format("autoscale: the head's session changed ({} -> {}); starting afresh",
                         m_session, state->session));
    m_memory = {};
    m_containers.reset();
  }
  if (state) {
    m_session = state->session;
  }
  return state;
}

// Docker is asked only when Ray and the last look disagree: a container
// not in Ray, or a Ray node of an autoscaled group that is not known.
bool Autoscaler::refresh_containers(const GcsState& ray, std::string& error) {
  std::set<std::string> alive;
  for (const GcsNode& node : ray.nodes) {
    if (node.status != RayNodeStatus::dead && m_plan.scaling.count(node.type_name) != 0) {
      alive.insert(node.instance_id);
    }
  }
  if (m_containers) {
    std::set<std::string> known;
    bool agree = true;
    for (const ScaledContainer& c : *m_containers) {
      known.insert(c.name);
      agree = agree && c.running && alive.count(c.name) != 0;
    }
    if (agree && known == alive) {
      return true;
    }
  }
  std::vector<std::string> unreachable;
  std::vector<ObservedContainer> found;
  try {
    found = m_executor.project_containers(m_plan.project, unreachable);
  } catch (const ExecError& e) {
    error = e.message();
    return false;
  }
  std::vector<ScaledContainer> containers;
  for (const ObservedContainer& o : found) {
    if (o.role == "worker" && m_plan.scaling.count(o.group) != 0) {
      containers.push_back({o.name, o.group, o.replica, o.state == "running"});
    }
  }
  // A host that does not answer: its containers are unknown, not gone; the
  // decision counts what it last saw of them.
  if (m_containers) {
    for (const ScaledContainer& c : *m_containers) {
      for (const PlannedContainer& p : m_plan.containers) {
        if (p.name == c.name &&
            std::find(unreachable.begin(), unreachable.end(), p.host) != unreachable.end()) {
          containers.push_back(c);
        }
      }
    }
  }
  m_unreachable = {unreachable.begin(), unreachable.end()};
  for (const std::string& host : unreachable) {
    log_info(fmt::format("autoscale: host {} does not answer; its replicas count as they were",
                         host));
  }
  m_containers = std::move(containers);
  return true;
}

RoundOutcome Autoscaler::round() {
  RoundOutcome outcome;
  int calls_before = m_executor.commands_run();
  std::string error;
  std::optional<GcsState> ray = read_ray(error);
  if (!ray) {
    outcome.error = "Ray's GCS at " + gcs_target(m_plan) + " does not answer: " + error;
    write_state(outcome);
    return outcome;
  }
  outcome.ray_answered = true;
  if (!refresh_containers(*ray, error)) {
    outcome.error = error;
    write_state(outcome);
    return outcome;
  }
  ScaleInput input;
  input.plan = &m_plan;
  input.ray = std::move(*ray);
  input.containers = *m_containers;
  input.memory = m_memory;
  input.now = ScaleClock::now();
  input.upscaling_speed = m_settings.upscaling_speed;
  input.register_timeout = m_settings.register_timeout;
  input.idle_down = m_settings.idle_down;
  input.machine_cpus = std::max(1u, std::thread::hardware_concurrency());
  input.machine_memory =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  input.unreachable_hosts = m_unreachable;
  if (m_settings.idle_down) {
    std::optional<Executor::JobsSummary> jobs = m_executor.jobs_summary(m_plan);
    input.work_outside_ray = !jobs || jobs->in_flight > 0;  // unknown counts as busy
    if (jobs && jobs->last_end_ms > 0) {
      input.last_job_end = ScaleClock::time_point(std::chrono::milliseconds(jobs->last_end_ms));
    }
  }
  outcome.decision = decide_scaling(input);
  m_memory = outcome.decision.memory;
  for (const ScaleLaunch& launch : outcome.decision.launches) {
    for (int replica : launch.replicas) {
      m_memory.unregistered_since[worker_name(m_plan.project, launch.group, replica)] = input.now;
    }
  }
  std::set<std::string> said;
  for (const std::string& line : outcome.decision.lines()) {
    said.insert(line);
    if (m_said.count(line) == 0) {
      m_progress.event("Autoscale", "Decided", EventState::done, line);
      m_last_decision = line;
      m_last_decision_at = input.now;
    }
  }
  m_said = std::move(said);
  try {
    act(outcome.decision, outcome);
  } catch (const ExecError& e) {
    // The next round starts again from what Ray and Docker say.
    outcome.error = e.message();
  }
  outcome.docker_calls = m_executor.commands_run() - calls_before;
  write_state(outcome);
  return outcome;
}

void Autoscaler::act(const ScaleDecision& decision, RoundOutcome& outcome) {
  if (decision.idle_down) {
    std::shared_ptr<void> held = m_lock();
    m_executor.down(m_plan.project, {m_plan.stop_grace, false, true});
    outcome.went_down = true;
    return;
  }
  std::set<std::string> remove;
  std::set<std::string> drained;  // Ray's node ids
  for (const ScaleRemoval& removal : decision.removals) {
    remove.insert(removal.container);
  }
  for (const ScaleDrain& drain : decision.drains) {
    std::string message = fmt::format("Termination of node that's idle for {} seconds.",
                                      drain.idle_ms / 1000);
    DrainAnswer answer = m_gcs->drain_idle(drain.node_id, message);
    if (!answer.ok) {
      m_progress.event("Autoscale", "Drain failed", EventState::warning,
                       fmt::format("{}: {}; tried again next round", drain.container,
                                   answer.error));
    } else if (!answer.accepted) {
      m_progress.event("Autoscale", "Kept", EventState::done,
                       fmt::format("{}: Ray refused the drain: {}", drain.container,
                                   answer.rejection));
    } else {
      ++outcome.drained;
      remove.insert(drain.container);
      drained.insert(drain.node_id);
    }
  }
  // A drained raylet leaves by itself once idle, and Ray records it DEAD
  // with the drain's reason; the container is stopped after that, or after
  // its group's stop grace at the latest.
  if (!drained.empty()) {
    std::chrono::seconds grace = m_plan.stop_grace;
    for (const PlannedContainer& c : m_plan.containers) {
      if (remove.count(c.name) != 0) {
        grace = std::max(grace, c.stop_grace);
      }
    }
    wait_for_dead(drained, grace);
  }
  std::set<std::string> add;
  for (const ScaleLaunch& launch : decision.launches) {
    for (int replica : launch.replicas) {
      add.insert(worker_name(m_plan.project, launch.group, replica));
    }
  }
  if (add.empty() && remove.empty()) {
    return;
  }
  Plan plan = m_plan;
  std::erase_if(plan.containers,
                [&](const PlannedContainer& c) { return remove.count(c.name) != 0; });
  for (PlannedContainer& c : plan.containers) {
    if (add.count(c.name) != 0) {
      c.optional = false;
    }
  }
  // A host that does not answer is left as it is: its containers are
  // neither asked for nor changed, the others go on.
  if (!m_unreachable.empty()) {
    const std::string& head_host = m_plan.containers.front().host;
    if (m_unreachable.count(head_host) != 0) {
      throw ExecError(fmt::format("the head's host {} does not answer; nothing was changed",
                                  head_host),
                      "the next round tries again");
    }
    std::erase_if(plan.containers, [&](const PlannedContainer& c) {
      return m_unreachable.count(c.host) != 0;
    });
    std::erase_if(plan.hosts,
                  [&](const PlannedHost& h) { return m_unreachable.count(h.name) != 0; });
    m_executor.use_hosts(plan.hosts);
  }
  std::shared_ptr<void> held = m_lock();
  UpOptions up;
  up.wait = false;
  up.report = false;
  up.recreate = Recreate::never;
  up.timeout = m_settings.up_timeout;
  try {
    m_executor.up(plan, up);
  } catch (...) {
    m_executor.use_hosts(m_plan.hosts);
    m_containers.reset();
    throw;
  }
  m_executor.use_hosts(m_plan.hosts);
  outcome.launched = static_cast<int>(add.size());
  outcome.removed = static_cast<int>(remove.size());
  m_containers.reset();  // what Docker has now is asked next round
}

void Autoscaler::wait_for_dead(const std::set<std::string>& node_ids,
                               std::chrono::seconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline &&
         !(m_settings.cancel != nullptr && *m_settings.cancel)) {
    std::string error;
    std::optional<GcsState> state = m_gcs->state(error);
    if (state) {
      bool all_dead = std::all_of(node_ids.begin(), node_ids.end(), [&](const std::string& id) {
        return std::none_of(state->nodes.begin(), state->nodes.end(), [&](const GcsNode& node) {
          return node.node_id == id && node.status != RayNodeStatus::dead;
        });
      });
      if (all_dead) {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Autoscaler::write_state(const RoundOutcome& outcome) const {
  if (m_settings.state_file.empty()) {
    return;
  }
  ordered_json groups = ordered_json::object();
  for (const auto& [name, count] : outcome.decision.groups) {
    groups[name] = {{"replicas", count.now}, {"target", count.target},
                    {"min_replicas", count.min}, {"max_replicas", count.max}};
  }
  ordered_json doc = {
      {"project", m_plan.project},
      {"pid", static_cast<int>(getpid())},
      {"updated", utc_text(ScaleClock::now())},
      {"error", outcome.error.empty() ? ordered_json() : ordered_json(outcome.error)},
      {"groups", groups},
      {"pending", outcome.decision.pending},
      {"infeasible", outcome.decision.infeasible},
      {"waiting", outcome.decision.waiting},
      {"last_decision", m_last_decision.empty() ? ordered_json() : ordered_json(m_last_decision)},
      {"last_decision_at", m_last_decision.empty() ? ordered_json()
                                                   : ordered_json(utc_text(m_last_decision_at))},
  };
  std::string temp = m_settings.state_file + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << doc.dump(2) << "\n";
    if (!out) {
      return;
    }
  }
  std::rename(temp.c_str(), m_settings.state_file.c_str());
}

}  // namespace raylaunch
