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
const std::chrono::milliseconds k_quick_timeout = [] {
  const char* seconds = std::getenv("RAYLAUNCH_ENGINE_TIMEOUT");
  int value = seconds != nullptr ? std::atoi(seconds) : 0;
  return std::chrono::milliseconds(value > 0 ? value * 1000 : 30000);
}();

const char* k_ps_format =
    "{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label \"io.raylaunch.role\"}}\t"
    "{{.Label \"io.raylaunch.group\"}}\t{{.Label \"io.raylaunch.replica\"}}\t"
    "{{.Label \"io.raylaunch.config-hash\"}}\t{{.Label \"io.raylaunch.cpus\"}}\t"
    "{{.Label \"io.raylaunch.gpus\"}}\t{{.Label \"io.raylaunch.dashboard\"}}\t"
    "{{.Label \"io.raylaunch.hosts\"}}";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) {
    parts.push_back(part);
  }
  if (!text.empty() && text.back() == separator) {
    parts.emplace_back();
  }
  return parts;
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

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) {
    trimmed.pop_back();
  }
  size_t newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

std::vector<std::string> DockerEndpoint::argv(std::vector<std::string> args) const {
  std::vector<std::string> out = {program};
  if (!host.empty()) {
    out.push_back("--host");
    out.push_back(host);
  } else if (!context.empty()) {
    out.push_back("--context");
    out.push_back(context);
  }
  out.insert(out.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  return out;
}

std::string DockerEndpoint::describe() const {
  return name.empty() ? address() : fmt::format("host \"{}\" ({})", name, address());
}

std::string DockerEndpoint::address() const {
  if (!host.empty()) {
    return host;
  }
  if (!context.empty()) {
    return fmt::format("context \"{}\"", context);
  }
  if (const char* docker_host = std::getenv("DOCKER_HOST");
      docker_host != nullptr && *docker_host != '\0') {
    return docker_host;
  }
  if (const char* docker_context = std::getenv("DOCKER_CONTEXT");
      docker_context != nullptr && *docker_context != '\0') {
    return fmt::format("context \"{}\"", docker_context);
  }
  return "unix:///var/run/docker.sock";
}

DockerEndpoint DockerEndpoint::for_host(const PlannedHost& machine) const {
  DockerEndpoint out = *this;
  if (!machine.docker.empty()) {
    out.host = machine.docker;
    out.context.clear();
  } else if (!machine.context.empty()) {
    out.host.clear();
    out.context = machine.context;
  }
  out.name = machine.name;
  return out;
}

bool DockerEndpoint::is_local() const { return address().rfind("unix://", 0) == 0; }

DockerEngine::DockerEngine(CommandRunner& runner, DockerEndpoint endpoint)
    : m_runner(runner), m_endpoint(std::move(endpoint)) {}

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

void DockerEngine::engine_failed(const CommandResult& result) const {
  std::string where = m_endpoint.describe();
  if (result.timed_out) {
    throw ExecError(
        fmt::format("the Docker engine at {} does not answer (no reply in {} s)", where,
                    k_quick_timeout.count() / 1000),
        m_endpoint.is_local()
            ? "check that dockerd runs and is not stuck: `docker info`"
            : "check that its dockerd runs and that this machine reaches it: `docker info`");
  }
  std::string said = docker_message(result.err);
  switch (engine_trouble(said)) {
    case EngineTrouble::no_context:
      throw ExecError(fmt::format("the Docker {} does not exist: {}",
                                  where.rfind("context", 0) == 0 ? where : "context in use",
                                  said),
                      "`docker context ls` lists the contexts: pass one with --context, or "
                      "unset DOCKER_CONTEXT for the default engine");
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
  throw ExecError(fmt::format("docker ps failed: {}", said.empty() ? "no message" : said),
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

std::vector<std::string> DockerEngine::networks(const std::string& project) {
  return lines_of(docker(network_ls_args(project), k_quick_timeout).out);
}

std::vector<std::string> DockerEngine::volumes(const std::string& project) {
  return lines_of(docker(volume_ls_args(project), k_quick_timeout).out);
}

ImageFacts DockerEngine::inspect_images(const std::vector<std::string>& images) {
  CommandResult inspected = docker(image_inspect_args(images), k_quick_timeout);
  ImageFacts facts;
  facts.missing = parse_missing_images(inspected.err, images);
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

bool DockerEngine::host_port_taken(const std::string& ip, int port) const {
  if (!m_endpoint.is_local()) {
    return false;
  }
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

std::string DockerEngine::environment_value(const std::string& container,
                                            const std::string& name) {
  std::istringstream lines(
      docker({"inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container}, 10s)
          .out);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == '=') {
      return line.substr(name.size() + 1);
    }
  }
  return {};
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

std::string DockerEngine::container_ip(const std::string& container) {
  CommandResult inspected = docker(
      {"inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container},
      k_quick_timeout);
  std::istringstream addresses(inspected.out);
  std::string first;
  addresses >> first;
  return inspected.exit_code == 0 ? first : std::string();
}

std::string DockerEngine::log_tail(const std::string& container, int lines) {
  CommandResult logs = docker({"logs", "--tail", std::to_string(lines), container}, k_quick_timeout);
  return logs.out + logs.err;
}

ExecOutput DockerEngine::exec(const std::string& container,
                              const std::vector<std::string>& command) {
  CommandResult result = docker(with({"exec", container}, command), k_quick_timeout);
  return {result.exit_code, result.out};
}

Outcome DockerEngine::load_from(DockerEngine& source, const std::string& image,
                                const std::function<void(uint64_t)>& on_bytes) {
  m_commands += 2;
  Command save{source.endpoint().argv({"save", image}), std::nullopt, {}};
  Command load{m_endpoint.argv({"load", "--quiet"}), std::nullopt, {}};
  log_debug(fmt::format("{} | {}", quote_for_display(save.argv), quote_for_display(load.argv)));
  PipeResult piped = m_runner.pipe(save, load, on_bytes);
  if (piped.from.exit_code != 0) {
    return {false,
            fmt::format("docker save on {}: {}", source.endpoint().describe(),
                        docker_message(piped.from.err)),
            ""};
  }
  if (piped.to.exit_code != 0) {
    return {false, fmt::format("docker load: {}", docker_message(piped.to.err)), ""};
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

Outcome DockerEngine::remove(const std::string& id) { return change({"rm", "--force", id}); }

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

std::vector<std::string> ps_args(const std::string& project) {
  return {"ps", "-a", "--no-trunc", "--filter", "label=io.raylaunch.project=" + project, "--format",
          k_ps_format};
}

std::vector<ObservedContainer> parse_ps(const std::string& out) {
  std::vector<ObservedContainer> containers;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      continue;
    }
    std::vector<std::string> fields = split(line, '\t');
    fields.resize(11);
    ObservedContainer c;
    c.id = fields[0];
    c.name = fields[1];
    c.state = fields[2];
    c.role = fields[3];
    c.group = fields[4];
    c.replica = std::atoi(fields[5].c_str());
    c.config_hash = fields[6];
    c.cpus = fields[7];
    c.gpus = fields[8];
    c.dashboard = fields[9];
    c.spec_hosts = fields[10];
    containers.push_back(std::move(c));
  }
  return containers;
}

std::vector<std::string> network_ls_args(const std::string& project) {
  return {"network", "ls", "--filter", "label=io.raylaunch.project=" + project, "--format",
          "{{.Name}}"};
}

std::vector<std::string> network_create_args(const PlannedNetwork& network) {
  std::vector<std::string> args = {"network", "create", "--driver", "bridge"};
  for (const auto& [key, value] : network.labels) {
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  if (network.subnet) {
    args.push_back("--subnet");
    args.push_back(*network.subnet);
  }
  args.push_back(network.name);
  return args;
}

std::vector<std::string> volume_ls_args(const std::string& project) {
  return {"volume", "ls", "--filter", "label=io.raylaunch.project=" + project, "--format",
          "{{.Name}}"};
}

std::vector<std::string> volume_create_args(const std::string& project, const std::string& name) {
  return {"volume", "create", "--label", "io.raylaunch.project=" + project, name};
}

std::vector<std::string> run_args(const Plan& plan, const PlannedContainer& c) {
  std::vector<std::string> args = {"run", "--detach", "--init", "--name", c.name};
  if (plan.network.mode == NetworkMode::host) {
    args.insert(args.end(), {"--network", "host"});
  } else {
    args.insert(args.end(), {"--hostname", c.name, "--network", plan.network.name});
  }
  for (const auto& [key, value] : c.labels) {
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  for (const auto& [key, value] : c.env) {
    args.push_back("--env");
    // A secret's value comes from docker's own environment (run_env).
    args.push_back(c.secret_env.count(key) ? key : key + "=" + value);
  }
  args.push_back("--shm-size");
  args.push_back(std::to_string(c.shm_size));
  if (c.memory) {
    args.push_back("--memory");
    args.push_back(std::to_string(*c.memory));
  }
  if (c.cpus) {
    args.push_back("--cpus");
    args.push_back(fmt::format("{}", *c.cpus));
  }
  if (!c.gpus.empty()) {
    // The quotes are part of the value: the CLI reads `--gpus` as CSV, and
    // without them the comma in "device=0,2" would end the device list.
    std::string devices;
    for (const std::string& gpu : c.gpus) {
      devices += (devices.empty() ? "" : ",") + gpu;
    }
    args.push_back("--gpus");
    args.push_back("\"device=" + devices + "\"");
  }
  args.push_back("--restart");
  args.push_back(restart_to_string(c.restart));
  for (const PortBinding& port : c.ports) {
    args.push_back("--publish");
    args.push_back(port.count > 1 ? fmt::format("{}:{}-{}:{}-{}", port.host_ip, port.host_port,
                                                port.host_port + port.count - 1,
                                                port.container_port,
                                                port.container_port + port.count - 1)
                                  : fmt::format("{}:{}:{}", port.host_ip, port.host_port,
                                                port.container_port));
  }
  for (const Mount& mount : c.mounts) {
    args.push_back("--volume");
    args.push_back(mount.source + ":" + mount.target + (mount.read_only ? ":ro" : ""));
  }
  args.push_back(c.image);
  args.insert(args.end(), c.command.begin(), c.command.end());
  return args;
}

std::map<std::string, std::string> run_env(const PlannedContainer& c) {
  std::map<std::string, std::string> env;
  for (const std::string& key : c.secret_env) {
    env[key] = c.env.at(key);
  }
  return env;
}

std::vector<std::string> image_inspect_args(const std::vector<std::string>& images) {
  std::vector<std::string> args = {"image", "inspect", "--format",
                                   "{{.Id}}\t{{json .Config.User}}"};
  args.insert(args.end(), images.begin(), images.end());
  return args;
}

std::vector<std::string> parse_missing_images(const std::string& err,
                                              const std::vector<std::string>& images) {
  std::vector<std::string> missing;
  for (const std::string& image : images) {
    if (err.find("No such image: " + image) != std::string::npos) {
      missing.push_back(image);
    }
  }
  return missing;
}

}  // namespace raylaunch
