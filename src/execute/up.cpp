// `up`: observe, pull, preflight, apply the actions reconcile() chose, wait
// for Ray, report. Decisions live in the planner and in reconcile(); this
// file orders the engine's calls and runs independent ones in parallel under
// one bound.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/docker_said.hpp>
#include <raylaunch/execute/decisions.hpp>
#include <raylaunch/execute/observed.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <mutex>

namespace raylaunch {

/// The first container step that failed; later failures are only shown.
struct Executor::FirstFailure {
  std::mutex mutex;
  std::optional<ExecError> error;
};

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Whose container holds a name we planned: `label` is its io.raylaunch.project
// (nullopt: gone by now).
std::string name_holder_hint(const std::string& id, const std::optional<std::string>& label) {
  std::string shown = id.substr(0, 12);
  if (!label) {
    return fmt::format("container {} held the name and is gone now: run `raylaunch up` again",
                       shown);
  }
  if (label->empty()) {
    return fmt::format("container {} is not raylaunch's (it has no io.raylaunch.project label), "
                       "so raylaunch leaves it alone: remove or rename it (`docker rm -f {}`), "
                       "or give this project another name with -p",
                       shown, shown);
  }
  return fmt::format("container {} belongs to raylaunch project \"{}\", whose names overlap "
                     "this one's: take it down (`raylaunch down -p {}`), or give this project "
                     "another name with -p",
                     shown, *label, *label);
}

// What to do after a failed container step: advice for what raylaunch
// recognises, else to converge from here.
std::string failure_hint(DockerEngine& engine, const Outcome& outcome) {
  if (!outcome.hint.empty()) {
    return outcome.hint;
  }
  if (std::string holder = conflicting_container(outcome.said); !holder.empty()) {
    return name_holder_hint(holder, engine.project_label(holder));
  }
  if (outcome.said.find("cannot assign requested address") != std::string::npos) {
    return "head.bind must be an address of the engine's host (127.0.0.1, 0.0.0.0 or one of "
           "its interfaces'); the container is left created: fix bind, then `raylaunch up`";
  }
  return "fix the cause and run `raylaunch up` again; it converges from here";
}

// The containers this `up` creates or starts: Docker counts their restarts
// from 0.
std::map<std::string, int> started_afresh(const std::vector<Action>& actions) {
  std::map<std::string, int> restarts;
  for (const Action& action : actions) {
    if (action.kind == Action::Kind::create || action.kind == Action::Kind::recreate ||
        action.kind == Action::Kind::start) {
      restarts[action.target] = 0;
    }
  }
  return restarts;
}

// Whether Ray's per-node ports are pinned to blocks on the hosts: host
// networking, or bridge networks across hosts.
bool plan_pins_ports(const Plan& plan) {
  return plan.network.mode == NetworkMode::host || plan.hosts.size() > 1;
}

}  // namespace

Executor::Executor(CommandRunner& runner, DockerEndpoint endpoint, Progress& progress,
                   std::ostream& out, const std::atomic<bool>* cancel, HttpClient* http,
                   PortProbe port_taken)
    : m_runner(runner),
      m_engine(runner, std::move(endpoint), std::move(port_taken)),
      m_http(http),
      m_progress(progress),
      m_out(out),
      m_cancel(cancel) {}

int Executor::up(const Plan& plan, const UpOptions& options) {
  auto started = std::chrono::steady_clock::now();
  Observation seen = observe(plan);
  pull_images(plan, seen);
  check_gpu_runtime(plan, options);
  std::vector<Action> actions = reconcile(plan, seen.state, options.recreate);
  log_decisions(actions, seen.state);
  check_host_ports(actions, options);
  check_names_and_sizes(plan, actions);
  prepare_host_folders(actions, seen, options);
  create_networks_and_volumes(plan, actions);
  apply_containers(plan, actions, options);
  // Autoscaled replicas that neither exist nor were made are not waited for.
  Plan made = in_play(plan, actions);
  remove_networks_left(made, seen.state);
  if (options.after_apply && !options.dry_run) {
    options.after_apply();
  }
  int alive = -1;
  if (options.wait && !options.dry_run) {
    alive = wait_for_ray(made, started + options.timeout, options.timeout, started_afresh(actions));
    if (plan.serve) {
      JobApi api = job_api(plan.project, &plan);
      apply_serve(api, *plan.serve,
                  {.wait = true, .deadline = started + options.timeout, .timeout = options.timeout});
    }
  } else if (plan.serve && !options.dry_run) {
    m_progress.message(format_diagnostic(
        {Severity::warning, "serve: is not deployed without waiting for the nodes",
         "deploy it once the cluster is up: raylaunch serve deploy", std::nullopt},
        ""));
  }
  m_progress.finish();
  if (!options.dry_run && options.report) {
    report_up(made, alive, options.spec_file);
  }
  return 0;
}

// GPUs need the NVIDIA runtime; without it `docker run --gpus` fails late
// with "could not select device driver".
void Executor::check_gpu_runtime(const Plan& plan, const UpOptions& options) {
  std::vector<std::string> hosts;
  for (const PlannedContainer& c : plan.containers) {
    if (!c.gpus.empty() && !contains(hosts, c.host)) {
      hosts.push_back(c.host);
    }
  }
  for (const std::string& host : hosts) {
    if (!engine(host).has_nvidia_runtime() && !options.dry_run) {
      throw ExecError(fmt::format("the plan gives containers GPUs, but the Docker engine at {} "
                                  "has no NVIDIA runtime",
                                  engine(host).endpoint().describe()),
                      "install nvidia-container-toolkit and restart dockerd, or set gpus: 0");
    }
  }
}

// A listener already on a host port makes `docker run` fail half way; say
// which port, and which of our containers holds it if one does.
void Executor::check_host_ports(const std::vector<Action>& actions, const UpOptions& options) {
  if (options.dry_run) {
    return;
  }
  // A port held by a container this `up` removes or re-creates is free by
  // the time anything starts (apply_containers removes first).
  std::set<std::string> leaving;
  for (const Action& action : actions) {
    if (action.kind == Action::Kind::remove || action.kind == Action::Kind::recreate) {
      leaving.insert(action.target);
    }
  }
  for (const Action& action : actions) {
    if (action.kind != Action::Kind::create && action.kind != Action::Kind::start) {
      continue;
    }
    DockerEngine& on = engine(action.container->host);
    for (const PortBinding& port : action.container->ports) {
      int taken = 0;
      for (int p = port.host_port; p < port.host_port + port.count && taken == 0; ++p) {
        taken = on.host_port_taken(port.host_ip, p) ? p : 0;
      }
      if (taken == 0) {
        continue;
      }
      std::string name = on.container_publishing(taken);
      if (leaving.count(name) != 0) {
        continue;
      }
      throw ExecError(
          fmt::format("host port {}:{} ({} of {}) is already taken{}", port.host_ip, taken,
                      port.name, action.container->name,
                      name.empty() ? "" : fmt::format(" by container {}", name)),
          "stop what listens there, or publish another port under head.ports");
    }
  }
}

// A host of hosts: that no node is planned on any more keeps nothing of the
// project: its network goes once its containers have (they went among the
// removals). One that something outside the project still uses stays, with
// a warning.
void Executor::remove_networks_left(const Plan& plan, const ObservedState& observed) {
  for (const auto& [host, id] : observed.network_ids) {
    bool used = std::any_of(plan.containers.begin(), plan.containers.end(),
                            [&](const PlannedContainer& c) { return c.host == host; });
    if (used) {
      continue;
    }
    std::string event = "Network " + plan.network.name + (host.empty() ? "" : " on " + host);
    Outcome removed = engine(host).remove_networks({plan.network.name});
    if (removed.ok) {
      m_progress.event(event, "Removed", EventState::done);
    } else {
      m_progress.event(
          event, "Kept", EventState::warning,
          fmt::format("no node of the project is left on host \"{}\", but {}", host, removed.said));
    }
  }
}

void Executor::create_networks_and_volumes(const Plan& plan, const std::vector<Action>& actions) {
  for (const Action& action : actions) {
    if (action.kind == Action::Kind::create_network) {
      std::string id =
          "Network " + action.target + (action.host.empty() ? "" : " on " + action.host);
      m_progress.event(id, "Creating");
      Outcome made = engine(action.host).create_network(plan.network);
      if (!made.ok) {
        m_progress.event(id, "Error", EventState::error, made.said);
        throw ExecError(fmt::format("cannot create network {}: {}", action.target, made.said),
                        made.said.find("already exists") != std::string::npos
                            ? "a network of that name exists without this project's label; "
                              "raylaunch does not touch it: remove or rename it"
                            : "check network.subnet against the host's other networks");
      }
      m_progress.event(id, "Created", EventState::done);
    } else if (action.kind == Action::Kind::create_volume) {
      Outcome made = engine(action.host).create_volume(plan.project, action.target);
      if (!made.ok) {
        throw ExecError(fmt::format("cannot create volume {}: {}", action.target, made.said),
                        "a volume of that name may exist without this project's label");
      }
      m_progress.event(
          "Volume " + action.target + (action.host.empty() ? "" : " on " + action.host),
          "Created", EventState::done);
    }
  }
}

// Removals first, then the head (workers join it by name, and fail fast
// while it is missing), then the workers, each group under one bound. New
// work stops after the first failure or an interrupt.
void Executor::apply_containers(const Plan& plan, const std::vector<Action>& actions,
                                const UpOptions& options) {
  std::vector<const Action*> removals;
  const Action* head = nullptr;
  std::vector<const Action*> workers;
  for (const Action& action : actions) {
    if (action.kind == Action::Kind::remove) {
      removals.push_back(&action);
    } else if (action.container != nullptr && action.container->role == "head") {
      head = &action;
    } else if (action.container != nullptr) {
      workers.push_back(&action);
    }
  }
  FirstFailure failure;
  auto stop = [this] { return cancelled(); };
  // Where Ray's ports are pinned, a block can change hands (a group moved, a
  // spec edited): every container that goes, re-created ones included, is
  // gone before any node starts, so none starts on a block still held.
  std::vector<const Action*> leaving = removals;
  if (plan_pins_ports(plan)) {
    for (const Action* worker : workers) {
      if (worker->kind == Action::Kind::recreate) {
        leaving.push_back(worker);
      }
    }
    if (head != nullptr && head->kind == Action::Kind::recreate) {
      leaving.push_back(head);
    }
  }
  run_bounded(leaving.size(), options.parallel,
              [&](size_t i) {
                return leaving[i]->kind == Action::Kind::remove
                           ? apply_step(plan, *leaving[i], failure)
                           : remove_for_recreate(*leaving[i], failure);
              },
              stop);
  if (!failure.error && head != nullptr && !cancelled()) {
    apply_step(plan, *head, failure);
  }
  if (!failure.error) {
    run_bounded(workers.size(), options.parallel,
                [&](size_t i) { return apply_step(plan, *workers[i], failure); }, stop);
  }
  if (cancelled()) {
    throw ExecError("interrupted", "run `raylaunch up` again to converge, or `raylaunch down`");
  }
  if (failure.error) {
    throw *failure.error;
  }
}

// The first half of a re-create, ahead of every start: the old container goes.
bool Executor::remove_for_recreate(const Action& action, FirstFailure& failure) {
  std::string id = "Container " + action.target;
  m_progress.event(id, "Recreate");
  Outcome removed = engine(action.host).remove(action.container_id, action.stop_grace);
  if (!removed.ok) {
    m_progress.event(id, "Error", EventState::error, removed.said);
    std::lock_guard<std::mutex> lock(failure.mutex);
    if (!failure.error) {
      failure.error.emplace(fmt::format("cannot remove {}: {}", action.target, removed.said),
                            failure_hint(engine(action.host), removed));
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(failure.mutex);
  m_removed_early.insert(action.target);
  return true;
}

// One container step; false on failure, with the first failure kept.
bool Executor::apply_step(const Plan& plan, const Action& action, FirstFailure& failure) {
  std::string id = "Container " + action.target;
  auto fail = [&](const std::string& what, const Outcome& outcome) {
    m_progress.event(id, "Error", EventState::error, outcome.said);
    std::string hint = failure_hint(
        engine(action.container != nullptr ? action.container->host : action.host), outcome);
    std::lock_guard<std::mutex> lock(failure.mutex);
    if (!failure.error) {
      std::string host = action.container != nullptr && !action.container->host.empty()
                             ? fmt::format(" on host \"{}\"", action.container->host)
                             : "";
      failure.error.emplace(fmt::format("{} {}{}: {}", what, action.target, host, outcome.said),
                            hint);
    }
    return false;
  };
  using Kind = Action::Kind;
  static const std::map<Kind, std::array<const char*, 2>> k_words = {
      {Kind::remove, {"Removing", "Removed"}},   {Kind::recreate, {"Recreate", "Recreated"}},
      {Kind::create, {"Creating", "Started"}},   {Kind::start, {"Starting", "Started"}}};
  if (action.kind == Kind::keep) {
    m_progress.event(id, "Running", EventState::done);
    return true;
  }
  auto words = k_words.find(action.kind);
  if (words == k_words.end()) {
    return true;
  }
  bool removed_early = m_removed_early.count(action.target) != 0;
  if (!removed_early) {
    m_progress.event(id, words->second[0]);
  }
  if (action.kind == Kind::remove || (action.kind == Kind::recreate && !removed_early)) {
    Outcome removed = engine(action.host).remove(action.container_id, action.stop_grace);
    if (!removed.ok) {
      return fail("cannot remove", removed);
    }
  }
  if (action.kind == Kind::create || action.kind == Kind::recreate) {
    if (Outcome made = engine(action.container->host).run(plan, *action.container); !made.ok) {
      return fail("cannot start", made);
    }
  }
  if (action.kind == Kind::start) {
    if (Outcome made = engine(action.host).start(action.container_id); !made.ok) {
      return fail("cannot start", made);
    }
  }
  m_progress.event(id, words->second[1], EventState::done);
  return true;
}

void Executor::report_up(const Plan& plan, int alive, const std::string& spec_file) const {
  size_t planned = plan.containers.size();
  const PlannedContainer& head_container = plan.containers.front();
  std::string dashboard = head_container.labels.at("io.raylaunch.dashboard");
  std::string host = dashboard.substr(7, dashboard.rfind(':') - 7);
  std::string gcs_port = plan.gcs_address.substr(plan.gcs_address.rfind(':') + 1);
  std::string client_port;
  std::string serve_port;
  for (const std::string& arg : head_container.command) {
    if (arg.rfind("--ray-client-server-port=", 0) == 0) {
      client_port = arg.substr(25);
    }
  }
  // Where they are published, when they are: the host side of the port.
  for (const PortBinding& port : head_container.ports) {
    if (port.name == "gcs") {
      gcs_port = std::to_string(port.host_port);
    } else if (port.name == "client") {
      client_port = std::to_string(port.host_port);
    } else if (port.name == "serve") {
      serve_port = std::to_string(port.host_port);
    }
  }
  if (alive >= 0) {
    m_out << fmt::format("Ray cluster \"{}\" is up: {} of {} nodes alive\n", plan.project, alive,
                         planned);
  } else {
    m_out << fmt::format("Ray cluster \"{}\": {} containers running (not waiting for Ray)\n",
                         plan.project, planned);
  }
  m_out << fmt::format("  dashboard    {}\n", dashboard);
  m_out << fmt::format("  GCS address  {}:{}\n", host, gcs_port);
  m_out << fmt::format("  Ray client   ray://{}:{}\n", host, client_port);
  if (plan.serve && alive >= 0 && !serve_port.empty()) {
    for (const ServeAppSpec& app : plan.serve->apps) {
      if (app.route_prefix) {
        m_out << fmt::format("  Serve        http://{}:{}{} ({})\n", host, serve_port,
                             *app.route_prefix, app.name.value);
      }
    }
  }
  m_out << fmt::format("  submit a job ray job submit --address {} -- python my_script.py\n",
                       dashboard);
  // Across hosts, the other engines are in the spec only: -p would see this
  // machine's share alone; Serve's apps are in the spec only too.
  std::string file = spec_file.empty()  ? "raylaunch.yml"
                     : spec_file == "-" ? "FILE"
                                        : quote_for_display({spec_file});
  std::string which = plan.hosts.size() > 1 || plan.serve ? "-f " + file : "-p " + plan.project;
  m_out << fmt::format("  status       raylaunch status {}\n", which);
  m_out << fmt::format("  tear down    raylaunch down {}\n", which);
}

}  // namespace raylaunch
