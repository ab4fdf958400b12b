// Carries out `up`, `down` and `status` through the Docker CLI. Decisions
// live in the planner and in reconcile(); this file orders the docker
// commands, runs independent ones in parallel under one bound, and waits for
// Ray rather than for containers.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <raylaunch/base/error.hpp>
#include <raylaunch/ray/ray_status.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A docker CLI call that should answer at once: bounded, so an engine that
// stops answering gives an error instead of a hang. RAYLAUNCH_ENGINE_TIMEOUT
// (seconds) changes the bound.
const std::chrono::milliseconds k_quick_timeout = [] {
  const char* seconds = std::getenv("RAYLAUNCH_ENGINE_TIMEOUT");
  int value = seconds != nullptr ? std::atoi(seconds) : 0;
  return std::chrono::milliseconds(value > 0 ? value * 1000 : 30000);
}();
constexpr std::chrono::milliseconds k_wait_poll = 250ms;

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) {
    trimmed.pop_back();
  }
  size_t newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

std::string tail_lines(const std::string& text, int count) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  std::string out;
  size_t from = lines.size() > static_cast<size_t>(count) ? lines.size() - count : 0;
  for (size_t i = from; i < lines.size(); ++i) {
    out += "    | " + lines[i] + "\n";
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

// Runs `count` tasks on at most `parallel` threads. After a task returns
// false, or `stop` says so, no new task starts; the ones under way finish.
void run_bounded(size_t count, int parallel, const std::function<bool(size_t)>& task,
                 const std::function<bool()>& stop) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (;;) {
      if (failed.load() || stop()) {
        return;
      }
      size_t index = next.fetch_add(1);
      if (index >= count) {
        return;
      }
      if (!task(index)) {
        failed = true;
      }
    }
  };
  size_t threads = std::min(count, static_cast<size_t>(std::max(parallel, 1)));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) {
    pool.emplace_back(worker);
  }
  if (threads > 0) {
    worker();
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
}

// Runs independent look-ups at once: each is one docker CLI call, whose
// start-up and round trip, not its work, is what it costs.
void run_concurrently(const std::vector<std::function<void()>>& calls) {
  run_bounded(calls.size(), static_cast<int>(calls.size()),
              [&](size_t i) {
                calls[i]();
                return true;
              },
              [] { return false; });
}

// Whether something on this machine already listens on `ip:port`. Only
// meaningful for a local engine; callers skip it for remote ones.
bool port_taken(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    return false;
  }
  bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
               errno == EADDRINUSE;
  ::close(fd);
  return taken;
}

bool engine_is_local(const DockerEndpoint& endpoint) {
  std::string where = endpoint.describe();
  return where.rfind("unix://", 0) == 0;
}

[[noreturn]] void engine_failed(const DockerEndpoint& endpoint, const CommandResult& result) {
  if (result.timed_out) {
    throw ExecError(fmt::format("the Docker engine at {} does not answer (no reply in {} s)",
                                endpoint.describe(), k_quick_timeout.count() / 1000),
                    "check that dockerd runs and is not stuck: `docker info`");
  }
  std::string said = last_line(result.err);
  if (said.find("Cannot connect") != std::string::npos ||
      said.find("connection refused") != std::string::npos ||
      said.find("no such file") != std::string::npos ||
      said.find("error during connect") != std::string::npos) {
    throw ExecError(fmt::format("the Docker engine at {} does not answer: {}", endpoint.describe(),
                                said),
                    "start it (as root: `dockerd &`, or `systemctl start docker`), or point "
                    "DOCKER_HOST or --context at one that runs");
  }
  throw ExecError(fmt::format("docker failed: {}", said.empty() ? "no message" : said),
                  "run the command shown by --dry-run by hand to see more");
}

}  // namespace

Executor::Executor(CommandRunner& runner, DockerEndpoint endpoint, Progress& progress,
                   std::ostream& out, const std::atomic<bool>* cancel)
    : m_runner(runner),
      m_endpoint(std::move(endpoint)),
      m_progress(progress),
      m_out(out),
      m_cancel(cancel) {}

CommandResult Executor::docker(std::vector<std::string> args,
                               std::optional<std::chrono::milliseconds> timeout,
                               std::map<std::string, std::string> env) {
  ++m_commands;
  return m_runner.run({m_endpoint.argv(std::move(args)), timeout, std::move(env)});
}

int Executor::up(const Plan& plan, const UpOptions& options) {
  Clock::time_point started = Clock::now();

  // Observe and preflight at once: what exists, which images are here.
  std::vector<std::string> images;
  for (const PlannedContainer& c : plan.containers) {
    if (std::find(images.begin(), images.end(), c.image) == images.end()) {
      images.push_back(c.image);
    }
  }
  bool bridge = plan.network.mode == NetworkMode::bridge;
  CommandResult ps;
  CommandResult inspect;
  CommandResult networks;
  CommandResult volumes;
  {
    std::vector<std::function<void()>> probes = {
        [&] { ps = docker(ps_args(plan.project), k_quick_timeout); },
        [&] { inspect = docker(image_inspect_args(images), k_quick_timeout); }};
    if (bridge) {
      probes.emplace_back([&] { networks = docker(network_ls_args(plan.project), k_quick_timeout); });
    }
    if (!plan.volumes.empty()) {
      probes.emplace_back([&] { volumes = docker(volume_ls_args(plan.project), k_quick_timeout); });
    }
    run_concurrently(probes);
  }
  if (ps.exit_code != 0) {
    engine_failed(m_endpoint, ps);
  }
  ObservedState observed;
  observed.containers = parse_ps(ps.out);
  std::vector<std::string> network_names = lines_of(networks.out);
  observed.network_exists = std::find(network_names.begin(), network_names.end(),
                                      plan.network.name) != network_names.end();
  observed.volumes = lines_of(volumes.out);

  // Images: pull what the policy asks for; say clearly what cannot be had.
  std::vector<std::string> missing = parse_missing_images(inspect.err, images);
  for (const std::string& image : images) {
    bool always = false;
    bool never = true;
    for (const PlannedContainer& c : plan.containers) {
      if (c.image == image) {
        always = always || c.pull == PullPolicy::always;
        never = never && c.pull == PullPolicy::never;
      }
    }
    bool absent = std::find(missing.begin(), missing.end(), image) != missing.end();
    if (absent && never) {
      throw ExecError(fmt::format("image {} is not present and the spec says pull: never", image),
                      "build or load it first (docker build, docker load, docker import), or set "
                      "pull: missing");
    }
    if (!absent && !always) {
      continue;
    }
    std::string id = "Image " + image;
    m_progress.event(id, "Pulling");
    CommandResult pulled = docker({"pull", image});
    if (pulled.exit_code != 0) {
      m_progress.event(id, "Error", EventState::error, last_line(pulled.err));
      if (!absent) {
        continue;  // pull: always, and a copy is here: use it
      }
      throw ExecError(fmt::format("image {} is not here and cannot be pulled: {}", image,
                                  last_line(pulled.err)),
                      "check the name, log in to its registry, or build or load it locally");
    }
    m_progress.event(id, "Pulled", EventState::done);
  }

  // GPUs need the NVIDIA runtime; without it `docker run --gpus` fails late
  // with "could not select device driver".
  bool wants_gpus = std::any_of(plan.containers.begin(), plan.containers.end(),
                                [](const PlannedContainer& c) { return !c.gpus.empty(); });
  if (wants_gpus) {
    CommandResult info = docker({"info", "--format", "{{json .Runtimes}}"}, k_quick_timeout);
    if (!options.dry_run && info.out.find("nvidia") == std::string::npos) {
      throw ExecError(fmt::format("the plan gives containers GPUs, but the Docker engine at {} "
                                  "has no NVIDIA runtime",
                                  m_endpoint.describe()),
                      "install nvidia-container-toolkit and restart dockerd, or set gpus: 0");
    }
  }

  std::vector<Action> actions = reconcile(plan, observed);

  // Host ports: a listener already there makes `docker run` fail half way;
  // say which port, and which of our containers holds it if one does.
  if (!options.dry_run && engine_is_local(m_endpoint)) {
    for (const Action& action : actions) {
      if (action.kind != Action::Kind::create && action.kind != Action::Kind::start) {
        continue;
      }
      for (const PortBinding& port : action.container->ports) {
        if (!port_taken(port.host_ip, port.host_port)) {
          continue;
        }
        CommandResult holder =
            docker({"ps", "--filter", fmt::format("publish={}", port.host_port), "--format",
                    "{{.Names}}"},
                   k_quick_timeout);
        std::string name = last_line(holder.out);
        throw ExecError(
            fmt::format("host port {}:{} ({} of {}) is already taken{}", port.host_ip,
                        port.host_port, port.name, action.container->name,
                        name.empty() ? "" : fmt::format(" by container {}", name)),
            "stop what listens there, or publish another port under head.ports");
      }
    }
  }

  for (const Action& action : actions) {
    if (action.kind == Action::Kind::create_network) {
      std::string id = "Network " + action.target;
      m_progress.event(id, "Creating");
      CommandResult made = docker(network_create_args(plan.network), k_quick_timeout);
      if (made.exit_code != 0) {
        m_progress.event(id, "Error", EventState::error, last_line(made.err));
        std::string said = last_line(made.err);
        throw ExecError(fmt::format("cannot create network {}: {}", action.target, said),
                        said.find("already exists") != std::string::npos
                            ? "a network of that name exists without this project's label; "
                              "raylaunch does not touch it: remove or rename it"
                            : "check network.subnet against the host's other networks");
      }
      m_progress.event(id, "Created", EventState::done);
    } else if (action.kind == Action::Kind::create_volume) {
      std::string id = "Volume " + action.target;
      CommandResult made = docker(volume_create_args(plan.project, action.target), k_quick_timeout);
      if (made.exit_code != 0) {
        throw ExecError(fmt::format("cannot create volume {}: {}", action.target, last_line(made.err)),
                        "a volume of that name may exist without this project's label");
      }
      m_progress.event(id, "Created", EventState::done);
    }
  }

  // One container step; false on failure, with the first failure kept.
  std::mutex failure_mutex;
  std::optional<ExecError> failure;
  auto step = [&](const Action& action) -> bool {
    std::string id = "Container " + action.target;
    auto fail = [&](const std::string& what, const CommandResult& result) {
      std::string said = last_line(result.err);
      m_progress.event(id, "Error", EventState::error, said);
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) {
        std::string hint = "fix the cause and run `raylaunch up` again; it converges from here";
        if (said.find("is already in use") != std::string::npos) {
          hint = "a container of that name exists without this project's label; raylaunch does "
                 "not touch it: remove or rename it";
        }
        failure.emplace(fmt::format("{} {}: {}", what, action.target, said), hint);
      }
      return false;
    };
    auto remove = [&] { return docker({"rm", "--force", action.container_id}); };
    auto run = [&] {
      return docker(run_args(plan, *action.container), std::nullopt, run_env(*action.container));
    };
    switch (action.kind) {
      case Action::Kind::remove: {
        m_progress.event(id, "Removing");
        if (CommandResult removed = remove(); removed.exit_code != 0) {
          return fail("cannot remove", removed);
        }
        m_progress.event(id, "Removed", EventState::done);
        return true;
      }
      case Action::Kind::recreate: {
        m_progress.event(id, "Recreate");
        if (CommandResult removed = remove(); removed.exit_code != 0) {
          return fail("cannot remove", removed);
        }
        if (CommandResult made = run(); made.exit_code != 0) {
          return fail("cannot start", made);
        }
        m_progress.event(id, "Recreated", EventState::done);
        return true;
      }
      case Action::Kind::create: {
        m_progress.event(id, "Creating");
        if (CommandResult made = run(); made.exit_code != 0) {
          return fail("cannot start", made);
        }
        m_progress.event(id, "Started", EventState::done);
        return true;
      }
      case Action::Kind::start: {
        m_progress.event(id, "Starting");
        CommandResult made = docker({"start", action.container_id});
        if (made.exit_code != 0) {
          return fail("cannot start", made);
        }
        m_progress.event(id, "Started", EventState::done);
        return true;
      }
      case Action::Kind::keep:
        m_progress.event(id, "Running", EventState::done);
        return true;
      default:
        return true;
    }
  };

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
  auto stop = [this] { return cancelled(); };
  run_bounded(removals.size(), options.parallel, [&](size_t i) { return step(*removals[i]); }, stop);
  // The head first: workers join it by name, and fail fast while it is missing.
  if (!failure && head != nullptr && !cancelled()) {
    step(*head);
  }
  if (!failure) {
    run_bounded(workers.size(), options.parallel, [&](size_t i) { return step(*workers[i]); }, stop);
  }
  if (cancelled()) {
    throw ExecError("interrupted", "run `raylaunch up` again to converge, or `raylaunch down`");
  }
  if (failure) {
    throw *failure;
  }

  size_t planned = plan.containers.size();
  int alive = -1;
  if (options.wait && !options.dry_run) {
    std::string id = "Ray cluster " + plan.project;
    m_progress.event(id, "Waiting", EventState::working,
                     fmt::format("0/{} nodes alive", planned));
    std::string head_name = plan.project + "-head";
    Clock::time_point deadline = started + options.timeout;
    int last_alive = 0;
    for (;;) {
      CommandResult status = docker({"exec", head_name, "ray", "status"}, k_quick_timeout);
      RayStatus parsed = parse_ray_status(status.out);
      if (status.exit_code == 0 && parsed.has_status) {
        if (parsed.alive != last_alive) {
          last_alive = parsed.alive;
          m_progress.event(id, "Waiting", EventState::working,
                           fmt::format("{}/{} nodes alive", parsed.alive, planned));
        }
        if (parsed.alive >= static_cast<int>(planned)) {
          alive = parsed.alive;
          break;
        }
      }
      if (cancelled()) {
        throw ExecError("interrupted while waiting for Ray",
                        "the containers are up; `raylaunch status` shows whether Ray has them");
      }
      if (Clock::now() + k_wait_poll >= deadline) {
        m_progress.event(id, "Error", EventState::error,
                         fmt::format("{}/{} nodes alive", last_alive, planned));
        // Name each node that did not join, with the end of its log.
        std::vector<ObservedContainer> now = parse_ps(docker(ps_args(plan.project)).out);
        std::string report;
        for (const PlannedContainer& c : plan.containers) {
          auto seen = std::find_if(now.begin(), now.end(),
                                   [&](const ObservedContainer& o) { return o.name == c.name; });
          std::string state = seen == now.end() ? "missing" : seen->state;
          CommandResult logs = docker({"logs", "--tail", "20", c.name}, k_quick_timeout);
          std::string log = logs.out + logs.err;
          bool joined = state == "running" && log.find("Ray runtime started") != std::string::npos;
          if (joined) {
            continue;
          }
          report += fmt::format("  {} ({}) has not joined; the end of its log:\n{}", c.name, state,
                                tail_lines(log, 5));
        }
        throw ExecError(fmt::format("Ray counts {} of {} nodes alive after {} s\n{}", last_alive,
                                    planned, options.timeout.count(), report),
                        "`raylaunch logs NODE` shows a node's whole log; raise --timeout if the "
                        "nodes are only slow");
      }
      std::this_thread::sleep_for(k_wait_poll);
    }
    m_progress.event(id, "Ready", EventState::done, fmt::format("{}/{} nodes alive", alive, planned));
  }
  m_progress.finish();

  if (options.dry_run) {
    return 0;
  }
  const PlannedContainer& head_container = plan.containers.front();
  std::string dashboard = head_container.labels.at("io.raylaunch.dashboard");
  std::string host = dashboard.substr(7, dashboard.rfind(':') - 7);
  std::string gcs_port = plan.gcs_address.substr(plan.gcs_address.rfind(':') + 1);
  std::string client_port;
  for (const std::string& arg : head_container.command) {
    if (arg.rfind("--ray-client-server-port=", 0) == 0) {
      client_port = arg.substr(25);
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
  m_out << fmt::format("  submit a job ray job submit --address {} -- python my_script.py\n",
                       dashboard);
  m_out << fmt::format("  status       raylaunch status -p {}\n", plan.project);
  m_out << fmt::format("  tear down    raylaunch down -p {}\n", plan.project);
  return 0;
}

int Executor::down(const std::string& project, const DownOptions& options) {
  CommandResult ps;
  CommandResult networks;
  CommandResult volumes;
  std::vector<std::function<void()>> probes = {
      [&] { ps = docker(ps_args(project), k_quick_timeout); },
      [&] { networks = docker(network_ls_args(project), k_quick_timeout); }};
  if (options.volumes) {
    probes.emplace_back([&] { volumes = docker(volume_ls_args(project), k_quick_timeout); });
  }
  run_concurrently(probes);
  if (ps.exit_code != 0) {
    engine_failed(m_endpoint, ps);
  }
  std::vector<ObservedContainer> containers = parse_ps(ps.out);
  std::vector<std::string> network_names = lines_of(networks.out);
  std::vector<std::string> volume_names = lines_of(volumes.out);
  if (containers.empty() && network_names.empty() && volume_names.empty()) {
    m_progress.message(fmt::format("nothing to remove for project \"{}\"", project));
    m_progress.finish();
    return 0;
  }

  std::vector<std::string> running;
  std::vector<std::string> all;
  for (const ObservedContainer& c : containers) {
    all.push_back(c.id);
    if (c.state == "running" || c.state == "restarting" || c.state == "paused") {
      running.push_back(c.id);
    }
    m_progress.event("Container " + c.name, "Stopping");
  }
  // One call each: the engine stops them in parallel, with one grace period.
  if (!running.empty()) {
    std::vector<std::string> args = {"stop", "--time", std::to_string(options.timeout.count())};
    args.insert(args.end(), running.begin(), running.end());
    docker(args, options.timeout + k_quick_timeout);
  }
  if (!all.empty()) {
    std::vector<std::string> args = {"rm", "--force"};
    args.insert(args.end(), all.begin(), all.end());
    CommandResult removed = docker(args, k_quick_timeout);
    if (removed.exit_code != 0) {
      std::vector<ObservedContainer> left = parse_ps(docker(ps_args(project), k_quick_timeout).out);
      if (!left.empty()) {
        throw ExecError(fmt::format("{} containers of project \"{}\" could not be removed: {}",
                                    left.size(), project, last_line(removed.err)),
                        "run `raylaunch down` again; `docker ps -a --filter "
                        "label=io.raylaunch.project=" + project + "` lists them");
      }
    }
  }
  for (const ObservedContainer& c : containers) {
    m_progress.event("Container " + c.name, "Removed", EventState::done);
  }
  if (!network_names.empty()) {
    std::vector<std::string> args = {"network", "rm"};
    args.insert(args.end(), network_names.begin(), network_names.end());
    CommandResult removed = docker(args, k_quick_timeout);
    for (const std::string& name : network_names) {
      if (removed.exit_code != 0) {
        m_progress.event("Network " + name, "Error", EventState::error, last_line(removed.err));
      } else {
        m_progress.event("Network " + name, "Removed", EventState::done);
      }
    }
    if (removed.exit_code != 0) {
      throw ExecError(fmt::format("cannot remove network {}: {}", network_names.front(),
                                  last_line(removed.err)),
                      "a container outside the project may still be attached: `docker network "
                      "inspect " + network_names.front() + "`");
    }
  }
  if (!volume_names.empty()) {
    std::vector<std::string> args = {"volume", "rm"};
    args.insert(args.end(), volume_names.begin(), volume_names.end());
    CommandResult removed = docker(args, k_quick_timeout);
    if (removed.exit_code != 0) {
      throw ExecError(fmt::format("cannot remove volumes: {}", last_line(removed.err)),
                      "a container outside the project may still use them");
    }
    for (const std::string& name : volume_names) {
      m_progress.event("Volume " + name, "Removed", EventState::done);
    }
  }
  m_progress.finish();
  return 0;
}

int Executor::status(const std::string& project, const Plan* plan, const StatusOptions& options) {
  std::string head_name = project + "-head";
  CommandResult ps;
  CommandResult ray;
  run_concurrently({[&] { ps = docker(ps_args(project), k_quick_timeout); },
                    [&] { ray = docker({"exec", head_name, "ray", "status"}, k_quick_timeout); }});
  if (ps.exit_code != 0) {
    engine_failed(m_endpoint, ps);
  }
  std::vector<ObservedContainer> observed = parse_ps(ps.out);
  RayStatus parsed = parse_ray_status(ray.out);
  bool reachable = ray.exit_code == 0 && parsed.has_status;

  struct Row {
    std::string name, role, group, state, cpus, gpus;
    int replica = 0;
    bool running = false;
  };
  std::vector<Row> rows;
  std::string dashboard;
  auto find_seen = [&](const std::string& name) {
    return std::find_if(observed.begin(), observed.end(),
                        [&](const ObservedContainer& o) { return o.name == name; });
  };
  if (plan != nullptr) {
    for (const PlannedContainer& c : plan->containers) {
      auto seen = find_seen(c.name);
      Row row{c.name, c.role, c.group, seen == observed.end() ? "missing" : seen->state,
              c.labels.count("io.raylaunch.cpus") ? c.labels.at("io.raylaunch.cpus") : "",
              c.labels.count("io.raylaunch.gpus") ? c.labels.at("io.raylaunch.gpus") : "",
              c.replica, seen != observed.end() && seen->state == "running"};
      rows.push_back(row);
      if (c.role == "head") {
        dashboard = c.labels.at("io.raylaunch.dashboard");
      }
    }
    for (const ObservedContainer& o : observed) {
      if (std::none_of(plan->containers.begin(), plan->containers.end(),
                       [&](const PlannedContainer& c) { return c.name == o.name; })) {
        rows.push_back({o.name, o.role, o.group, o.state + " (not planned)", o.cpus, o.gpus,
                        o.replica, false});
      }
    }
  } else {
    std::vector<ObservedContainer> sorted = observed;
    std::sort(sorted.begin(), sorted.end(), [](const ObservedContainer& a, const ObservedContainer& b) {
      if ((a.role == "head") != (b.role == "head")) {
        return a.role == "head";
      }
      return a.group != b.group ? a.group < b.group : a.replica < b.replica;
    });
    for (const ObservedContainer& o : sorted) {
      rows.push_back({o.name, o.role, o.group, o.state, o.cpus, o.gpus, o.replica,
                      o.state == "running"});
      if (o.role == "head") {
        dashboard = o.dashboard;
      }
    }
  }
  int planned = 0;
  int running = 0;
  for (const Row& row : rows) {
    if (row.state.find("not planned") == std::string::npos) {
      ++planned;
      running += row.running ? 1 : 0;
    }
  }
  int alive = reachable ? parsed.alive : 0;
  // Ray's text counts nodes without naming containers: when its count covers
  // every running container, each of them is alive; otherwise which ones are
  // missing cannot be told from `ray status`, and they show as unknown.
  auto alive_of = [&](const Row& row) -> std::optional<bool> {
    if (!row.running || !reachable) {
      return false;
    }
    if (alive >= running) {
      return true;
    }
    return std::nullopt;
  };
  bool healthy = planned > 0 && running == planned && reachable && alive >= planned;

  if (options.json) {
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      std::optional<bool> node_alive = alive_of(row);
      nodes.push_back({{"name", row.name},
                       {"role", row.role},
                       {"group", row.group},
                       {"replica", row.replica},
                       {"state", row.state},
                       {"ray_alive", node_alive ? nlohmann::ordered_json(*node_alive)
                                                : nlohmann::ordered_json(nullptr)},
                       {"cpus", row.cpus},
                       {"gpus", row.gpus}});
    }
    nlohmann::ordered_json doc = {{"schema_version", 1},
                                  {"project", project},
                                  {"healthy", healthy},
                                  {"nodes_planned", planned},
                                  {"nodes_running", running},
                                  {"nodes_alive", alive},
                                  {"ray_reachable", reachable},
                                  {"dashboard", dashboard},
                                  {"nodes", nodes}};
    m_out << doc.dump(2) << '\n';
    return healthy ? 0 : 1;
  }

  if (rows.empty()) {
    m_out << fmt::format("project \"{}\" has no containers\n", project);
    return 1;
  }
  size_t width = 4;
  for (const Row& row : rows) {
    width = std::max(width, row.name.size());
  }
  m_out << fmt::format("{:<{}}  {:<6}  {:<12}  {:<10}  {:<7}  {:>4}  {}\n", "NAME", width, "ROLE",
                       "GROUP", "STATE", "RAY", "CPUS", "GPUS");
  for (const Row& row : rows) {
    std::optional<bool> node_alive = alive_of(row);
    m_out << fmt::format("{:<{}}  {:<6}  {:<12}  {:<10}  {:<7}  {:>4}  {}\n", row.name, width,
                         row.role, row.group, row.state,
                         node_alive ? (*node_alive ? "alive" : "-") : "unknown",
                         row.cpus.empty() ? "-" : row.cpus, row.gpus.empty() ? "-" : row.gpus);
  }
  m_out << fmt::format("\nRay: {} of {} nodes alive{}\n", alive, planned,
                       reachable ? "" : " (ray status on the head did not answer)");
  if (!dashboard.empty()) {
    m_out << fmt::format("dashboard: {}\n", dashboard);
  }
  return healthy ? 0 : 1;
}

}  // namespace raylaunch
