// One Docker engine, in the executor's terms: each method below builds its
// docker argv, runs it and reads the answer. Docker has no idea of a
// "cluster"; this file turns planned containers into the commands that create
// them and reads back what `docker ps` says.
#include <raylaunch/engine/docker_engine.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/engine/docker_said.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;

// A docker CLI call that should answer at once: bounded, so an engine that
// stops answering gives an error instead of a hang. RAYLAUNCH_ENGINE_TIMEOUT
// (seconds) changes the bound.
const std::chrono::milliseconds k_quick_timeout = engine_timeout();

// pull: ship fails when no byte goes through for this long (and docker
// load gets ten times as long after the last byte to finish):
// RAYLAUNCH_SHIP_TIMEOUT seconds, 60 by default.
const std::chrono::milliseconds k_ship_stall = [] {
  const char* seconds = std::getenv("RAYLAUNCH_SHIP_TIMEOUT");
  int value = seconds != nullptr ? std::atoi(seconds) : 0;
  return std::chrono::milliseconds(value > 0 ? value * 1000 : 60000);
}();

// The engine's bound, or `within` when that is less.
std::chrono::milliseconds quick(std::optional<std::chrono::milliseconds> within) {
  return within ? std::min(*within, k_quick_timeout) : k_quick_timeout;
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

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

std::chrono::milliseconds engine_timeout() {
  const char* text = std::getenv("RAYLAUNCH_ENGINE_TIMEOUT");
  char* end = nullptr;
  double seconds = text != nullptr ? std::strtod(text, &end) : 0;
  bool valid = text != nullptr && end != text && *end == '\0' && seconds > 0 && seconds < 1e6;
  return std::chrono::milliseconds(valid ? static_cast<long long>(seconds * 1000) : 30000);
}

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) {
    trimmed.pop_back();
  }
  size_t newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

DockerEngine::DockerEngine(CommandRunner& runner, DockerEndpoint endpoint, PortProbe port_taken)
    : m_runner(runner), m_endpoint(std::move(endpoint)), m_port_taken(std::move(port_taken)) {}

CommandResult DockerEngine::docker(std::vector<std::string> args,
                                   std::optional<std::chrono::milliseconds> timeout,
                                   std::map<std::string, std::string> env) {
  ++m_commands;
  Command command{m_endpoint.argv(std::move(args)), timeout, std::move(env)};
  auto started = std::chrono::steady_clock::now();
  CommandResult result = m_runner.run(command);
  if (debug_log_enabled()) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    log_debug(fmt::format("{} (exit {}{}, {:.3f} s)", quote_for_display(command.argv),
                          result.exit_code, result.timed_out ? ", timed out" : "", took.count()));
  }
  return result;
}

Outcome DockerEngine::change(std::vector<std::string> args,
                             std::optional<std::chrono::milliseconds> timeout,
                             std::map<std::string, std::string> env) {
  std::string verb = docker_verb(args);
  try {
    CommandResult result = docker(std::move(args), timeout, std::move(env));
    if (result.exit_code == 0) {
      return {};
    }
    std::string said = docker_message(result.err);
    if (said.empty()) {
      said = result.timed_out ? "no answer in time"
                              : fmt::format("exit {} and no message", result.exit_code);
    }
    return {false, fmt::format("{}: {}", verb, said), ""};
  } catch (const ExecError& e) {
    // docker itself could not start (e.g. an argument too long for the kernel).
    return {false, fmt::format("{}: {}", verb, e.message()), e.hint()};
  }
}

void DockerEngine::engine_failed(const CommandResult& result, const std::string& verb) const {
  std::string where = m_endpoint.describe();
  if (result.timed_out) {
    throw ExecError(
        fmt::format("the Docker engine at {} does not answer (no reply in {:g} s)", where,
                    static_cast<double>((result.bound.count() > 0 ? result.bound
                                                                  : k_quick_timeout)
                                            .count()) /
                        1000),
        m_endpoint.is_local()
            ? "check that dockerd runs and is not stuck: `docker info`"
            : "check that its dockerd runs and that this machine reaches it: `docker info`");
  }
  std::string said = docker_message(result.err);
  switch (engine_trouble(said)) {
    case EngineTrouble::no_context: {
      std::string context =
          m_endpoint.address().rfind("context", 0) == 0 ? m_endpoint.address() : "context in use";
      throw ExecError(
          fmt::format(
              "the Docker {}{} does not exist: {}", context,
              m_endpoint.name.empty() ? "" : fmt::format(" of host \"{}\"", m_endpoint.name), said),
          "`docker context ls` lists the contexts: pass one with --context, or "
          "unset DOCKER_CONTEXT for the default engine");
    }
    case EngineTrouble::permission:
      throw ExecError(fmt::format("the Docker engine at {} refuses this user: {}", where, said),
                      "run as a member of the docker group (or root), or use rootless Docker");
    case EngineTrouble::down_local:
      throw ExecError(fmt::format("the Docker engine at {} does not answer: {}", where, said),
                      "start it (as root: `dockerd &`, or `systemctl start docker`), or point "
                      "DOCKER_HOST or --context at one that runs");
    case EngineTrouble::down_remote:
      throw ExecError(fmt::format("the remote Docker engine at {} does not answer: {}", where,
                                  said),
                      "check on that machine that dockerd runs and listens there, and that "
                      "this one reaches it (address, port, firewall, TLS settings)");
    case EngineTrouble::other:
      break;
  }
  throw ExecError(
      fmt::format("docker {} failed{}: {}", verb, m_endpoint.name.empty() ? "" : " on " + where,
                  said.empty() ? "no message" : said),
      "run the command shown by --verbose by hand to see more");
}

std::vector<ObservedContainer> DockerEngine::containers(const std::string& project) {
  CommandResult ps = docker(ps_args(project), k_quick_timeout);
  if (ps.exit_code != 0) {
    engine_failed(ps);
  }
  std::vector<ObservedContainer> found = parse_ps(ps.out);
  for (ObservedContainer& c : found) {
    c.host = m_endpoint.name;
  }
  return found;
}

std::string DockerEngine::engine_id() {
  // The ID alone is not enough: a 20.10 engine derives it from
  // /etc/docker/key.json, which two engines of one machine (or machines
  // cloned from one image) share. One engine has one name and root folder.
  CommandResult info =
      docker({"info", "--format", "{{.ID}}\t{{.Name}}\t{{.DockerRootDir}}"}, k_quick_timeout);
  if (info.exit_code != 0) {
    engine_failed(info, "info");
  }
  return last_line(info.out);
}

std::vector<std::string> DockerEngine::networks(const std::string& project) {
  std::vector<std::string> names;
  for (const auto& [name, id] : network_ids(project)) {
    names.push_back(name);
  }
  return names;
}

std::map<std::string, std::string> DockerEngine::network_ids(const std::string& project) {
  return parse_network_ids(docker(network_ls_args(project), k_quick_timeout).out);
}

std::vector<std::string> DockerEngine::volumes(const std::string& project) {
  return lines_of(docker(volume_ls_args(project), k_quick_timeout).out);
}

ImageFacts DockerEngine::inspect_images(const std::vector<std::string>& images) {
  CommandResult inspected = docker(image_inspect_args(images), k_quick_timeout);
  ImageFacts facts;
  facts.missing = parse_missing_images(inspected.err, images);
  facts.ids = parse_image_ids(inspected.out, images, facts.missing);
  facts.users = parse_image_users(inspected.out, images, facts.missing);
  return facts;
}

UserLookup DockerEngine::user_ids_of(const std::string& image) {
  CommandResult probe = docker(user_probe_args(image), k_quick_timeout);
  std::optional<UserIds> ids = probe.exit_code == 0 ? parse_id(probe.out) : std::nullopt;
  std::string said = docker_message(probe.err);
  if (!ids && said.empty()) {
    said = fmt::format("`id` printed \"{}\"", last_line(probe.out));
  }
  return {ids, ids ? std::string() : said};
}

bool DockerEngine::has_nvidia_runtime() {
  CommandResult info = docker({"info", "--format", "{{json .Runtimes}}"}, k_quick_timeout);
  return info.out.find("nvidia") != std::string::npos;
}

std::string DockerEngine::container_publishing(int port) {
  CommandResult holder = docker(
      {"ps", "--filter", fmt::format("publish={}", port), "--format", "{{.Names}}"},
      k_quick_timeout);
  return last_line(holder.out);
}

bool port_listened_here(const std::string& ip, int port) {
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
  // A connection of ours that just closed (TIME_WAIT, e.g. to the dashboard)
  // does not hold the port: only a listener does, and it still fails the bind.
  int reuse = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
               errno == EADDRINUSE;
  ::close(fd);
  return taken;
}

bool DockerEngine::host_port_taken(const std::string& ip, int port) const {
  return m_endpoint.is_local() && m_port_taken(ip, port);
}

std::map<std::string, std::string> DockerEngine::environment(const std::string& container) {
  std::istringstream lines(
      docker({"inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container}, 10s)
          .out);
  std::map<std::string, std::string> found;
  for (std::string line; std::getline(lines, line);) {
    size_t equals = line.find('=');
    if (equals != std::string::npos && equals > 0) {
      found.emplace(line.substr(0, equals), line.substr(equals + 1));
    }
  }
  return found;
}

std::string DockerEngine::environment_value(const std::string& container,
                                            const std::string& name) {
  std::map<std::string, std::string> found = environment(container);
  auto value = found.find(name);
  return value == found.end() ? std::string() : value->second;
}

std::optional<std::string> DockerEngine::project_label(const std::string& container) {
  CommandResult inspected = docker(
      {"inspect", "--type", "container", "--format",
       "{{index .Config.Labels \"io.raylaunch.project\"}}", container},
      k_quick_timeout);
  if (inspected.exit_code != 0) {
    return std::nullopt;
  }
  return last_line(inspected.out);
}

std::string DockerEngine::container_ip(const std::string& container,
                                       std::optional<std::chrono::milliseconds> within) {
  CommandResult inspected = docker(
      {"inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container},
      quick(within));
  std::istringstream addresses(inspected.out);
  std::string first;
  addresses >> first;
  return inspected.exit_code == 0 ? first : std::string();
}

std::vector<ContainerFacts> DockerEngine::inspect_containers(
    const std::vector<std::string>& containers, std::optional<std::chrono::milliseconds> within) {
  if (containers.empty()) {
    return {};
  }
  // Exit 1 when one is gone by now; the others are still printed.
  return parse_container_facts(docker(container_inspect_args(containers), quick(within)).out);
}

std::string DockerEngine::log_tail(const std::string& container, int lines) {
  CommandResult logs = docker({"logs", "--tail", std::to_string(lines), container}, k_quick_timeout);
  return logs.out + logs.err;
}

std::string DockerEngine::log_since(const std::string& container, const std::string& since,
                                    std::optional<std::chrono::milliseconds> within) {
  std::vector<std::string> args = {"logs"};
  if (!since.empty()) {
    args.insert(args.end(), {"--since", since});
  }
  args.push_back(container);
  CommandResult logs = docker(std::move(args), quick(within));
  return logs.out + logs.err;
}

ExecOutput DockerEngine::exec(const std::string& container,
                              const std::vector<std::string>& command,
                              std::optional<std::chrono::milliseconds> within) {
  CommandResult result = docker(with({"exec", container}, command), quick(within));
  return {result.exit_code, result.out};
}

Outcome DockerEngine::load_from(DockerEngine& source, const std::string& image,
                                const std::function<void(uint64_t)>& on_bytes) {
  m_commands += 2;
  Command save{source.endpoint().argv({"save", image}), std::nullopt, {}};
  Command load{m_endpoint.argv({"load", "--quiet"}), std::nullopt, {}};
  log_debug(fmt::format("{} | {}", quote_for_display(save.argv), quote_for_display(load.argv)));
  PipeResult piped = m_runner.pipe(save, load, on_bytes, {k_ship_stall, 10 * k_ship_stall});
  Outcome outcome{false, "", ""};
  if (piped.interrupted) {
    outcome.interrupted = true;
    outcome.said = "interrupted; docker save and docker load were stopped";
    return outcome;
  }
  long stall = static_cast<long>(k_ship_stall.count() / 1000);
  if (piped.stalled_after_end) {
    outcome.said = fmt::format(
        "docker load on {} did not finish within {} s of the last byte "
        "({} MiB sent); it was stopped",
        m_endpoint.describe(), 10 * stall, piped.bytes >> 20);
    outcome.hint = "check that engine (`docker info`); RAYLAUNCH_SHIP_TIMEOUT sets the bound";
    return outcome;
  }
  if (piped.stalled) {
    outcome.said = fmt::format(
        "no byte went through to {} for {} s ({} MiB sent); docker save "
        "and docker load were stopped",
        m_endpoint.describe(), stall, piped.bytes >> 20);
    outcome.hint =
        "check the link to that host and its engine (`docker info`); "
        "RAYLAUNCH_SHIP_TIMEOUT sets the bound, in seconds";
    return outcome;
  }
  // save failed by itself (not killed because load had ended): its words first.
  if (piped.from.exit_code != 0 && (piped.to.exit_code == 0 || piped.from.exit_code != 137)) {
    outcome.said = fmt::format("docker save on {}: {}", source.endpoint().describe(),
                               docker_message(piped.from.err));
    return outcome;
  }
  if (piped.to.exit_code != 0) {
    outcome.said =
        fmt::format("docker load on {}: {}", m_endpoint.describe(), docker_message(piped.to.err));
    return outcome;
  }
  return {true, "", ""};
}

Outcome DockerEngine::pull(const std::string& image) { return change({"pull", image}); }

Outcome DockerEngine::create_network(const PlannedNetwork& network) {
  return change(network_create_args(network), k_quick_timeout);
}

Outcome DockerEngine::create_volume(const std::string& project, const std::string& name) {
  return change(volume_create_args(project, name), k_quick_timeout);
}

Outcome DockerEngine::run(const Plan& plan, const PlannedContainer& container) {
  return change(run_args(plan, container), std::nullopt, run_env(container));
}

Outcome DockerEngine::start(const std::string& id) { return change({"start", id}); }

Outcome DockerEngine::remove(const std::string& id, std::chrono::seconds grace) {
  if (Outcome stopped = stop({id}, grace); !stopped.ok) {
    return stopped;
  }
  return change({"rm", id}, k_quick_timeout);
}

Outcome DockerEngine::remove_all(const std::vector<std::string>& ids) {
  return change(with({"rm", "--force"}, ids), k_quick_timeout);
}

Outcome DockerEngine::stop(const std::vector<std::string>& ids, std::chrono::seconds grace) {
  return change(with({"stop", "--time", std::to_string(grace.count())}, ids),
                grace + k_quick_timeout);
}

Outcome DockerEngine::remove_networks(const std::vector<std::string>& names) {
  return change(with({"network", "rm"}, names), k_quick_timeout);
}

Outcome DockerEngine::remove_volumes(const std::vector<std::string>& names) {
  return change(with({"volume", "rm"}, names), k_quick_timeout);
}

}  // namespace raylaunch
