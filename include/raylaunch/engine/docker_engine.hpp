#pragma once

// One Docker engine, in the executor's terms. Each method runs its docker
// command through the CommandRunner and reads the answer in
// src/engine/docker_engine.cpp; the argv builders and the readers of longer
// answers are the free functions below (src/engine/docker_args.cpp,
// image_users.cpp), public so unit tests can assert exact commands and parse
// Docker's real output. How an engine is reached: src/engine/endpoint.cpp.

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace raylaunch {

/// How to reach Docker: the program (`--docker`, $RAYLAUNCH_DOCKER) and an
/// optional context (`--context`) or endpoint (a host's `docker:`).
/// DOCKER_HOST and DOCKER_CONTEXT reach the CLI through the environment it
/// inherits.
struct DockerEndpoint {
  std::string program = "docker";
  std::string context;
  std::string host;  // docker --host ENDPOINT: ssh://, tcp://, unix://
  std::string name;  // the spec's name for the machine, for messages; "" without hosts:

  /// `program [--host ENDPOINT | --context NAME] args...`
  std::vector<std::string> argv(std::vector<std::string> args) const;
  /// The engine's address: the endpoint, the context, DOCKER_HOST, or the local socket.
  std::string address() const;
  /// The engine for messages: its address, after the host's name when it has one.
  std::string describe() const;
  /// Whether the engine runs on this machine (a unix socket), so its host
  /// ports can be probed from here.
  bool is_local() const;
  /// The endpoint of a machine of `hosts:`: its docker: or context:, else
  /// this one, named after it.
  DockerEndpoint for_host(const PlannedHost& machine) const;
};

/// How a docker command that changes something ended. On failure `said` is
/// the command and docker's whole message (docker_message), e.g. `docker run:
/// Error response from daemon: ...`, and `hint` what to do when raylaunch
/// knows better than the generic advice.
struct Outcome {
  bool ok = true;
  std::string said;
  std::string hint;
  bool interrupted = false;  // a signal stopped it, not docker
};

/// A command run in a container (`docker exec`), and what it printed.
struct ExecOutput {
  int exit_code = 0;
  std::string out;
};

/// What `docker logs` is asked for (`logs`, `logs -f`).
struct LogOptions {
  bool follow = false;
  std::string tail;        // --tail: a number of lines or "all"; "" for all
  bool timestamps = false;  // --timestamps: docker's RFC 3339 time before each line
  std::string since;       // --since, in docker's own syntax (passed on as is)
};

/// One container's log: the name its lines are prefixed with and the
/// `docker logs` argv, for the engine that has the container.
struct LogSource {
  std::string name;
  std::vector<std::string> argv;
  /// `docker inspect` printing the container's status and start time, and
  /// the argv that follows its log again from a time (appended); empty: the
  /// log is not followed across restarts.
  std::vector<std::string> state_argv{};
  std::vector<std::string> resume_argv{};
};

/// What `exec` runs in a node, as `docker exec` takes it.
struct ExecRequest {
  std::vector<std::string> command;
  std::vector<std::string> env;  // --env KEY=VALUE (or KEY: the value of this environment)
  std::string workdir;           // --workdir, "" for the image's
  std::string user;              // --user, "" for the image's
  bool tty = false;              // --tty; stdin is always passed on (--interactive)
};

/// A user as numbers, as a container process runs as it.
struct UserIds {
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool operator==(const UserIds&) const = default;
};

/// What `docker image inspect` says of the planned images.
struct ImageFacts {
  std::vector<std::string> missing;
  /// Each present image's ID (sha256:...).
  std::map<std::string, std::string> ids;
  /// Each present image's `Config.User` as written ("" means root).
  std::map<std::string, std::string> users;
};

/// A container whose name starts with a project's prefix, whoever made it.
struct NamedContainer {
  std::string id;
  std::string name;
  std::string project;  // its io.raylaunch.project label; "" when it has none
};

/// What the engine's machine has (`docker info`); 0 when it does not say.
struct EngineSize {
  int cpus = 0;
  int64_t memory = 0;  // bytes
};

/// What `docker inspect` says of a container.
struct ContainerFacts {
  std::string id;
  std::string name;  // without Docker's leading "/"
  std::string image_id;  // the image it was created from: sha256:...
  /// Each network it is attached to, by name, with the ID of the network its
  /// endpoint refers to (a network removed and made again has a new ID).
  std::map<std::string, std::string> networks;
  std::string state;  // running, restarting, exited, ...
  int restart_count = 0;  // how often Docker restarted it by its policy
  int exit_code = 0;  // its main process's last exit code
  std::string started_at;  // when its main process last started: RFC 3339, UTC
};

/// The uid and gid an image's containers run as, or docker's words on why not.
struct UserLookup {
  std::optional<UserIds> ids;
  std::string said;
};

/// Whether something listens on host port `ip:port` already (`up` asks before
/// it creates anything). Unit tests give the engine a fake, so they never
/// probe the machine they run on.
using PortProbe = std::function<bool(const std::string& ip, int port)>;

/// The real probe: a bind() of `ip:port` on this machine that fails with
/// EADDRINUSE. False when `ip` is no IPv4 address or no socket can be made.
bool port_listened_here(const std::string& ip, int port);

/// The bound on docker look-ups that must answer at once:
/// RAYLAUNCH_ENGINE_TIMEOUT seconds (fractions too, e.g. 0.5), else 30 s.
std::chrono::milliseconds engine_timeout();

/// One Docker engine (one host): its endpoint and the runner that reaches it.
/// Every method may be called from several threads at once. Look-ups that
/// must answer at once are bounded (RAYLAUNCH_ENGINE_TIMEOUT seconds, 30 by
/// default), so an engine that hangs gives an error instead of a hang.
class DockerEngine {
 public:
  /// `port_taken` answers host_port_taken() for a local engine.
  DockerEngine(CommandRunner& runner, DockerEndpoint endpoint,
               PortProbe port_taken = port_listened_here);

  const DockerEndpoint& endpoint() const { return m_endpoint; }
  /// How many docker commands ran (for the benchmark and tests).
  int commands_run() const { return m_commands.load(); }

  // Look-ups.

  /// The project's containers (`docker ps -a` by label). Throws ExecError
  /// naming the endpoint when the engine does not answer.
  std::vector<ObservedContainer> containers(const std::string& project);
  /// Who the engine is, however its endpoint is spelled: `docker info`'s ID,
  /// name and root folder, tab-separated (the ID first). Throws ExecError
  /// naming the endpoint when the engine does not answer.
  std::string engine_id();
  /// The project's networks and volumes, by label; empty when docker fails.
  std::vector<std::string> networks(const std::string& project);
  std::vector<std::string> volumes(const std::string& project);
  /// Which of `images` are not on the engine, and whom each present one runs as.
  ImageFacts inspect_images(const std::vector<std::string>& images);
  /// The uid and gid a container of `image` runs as by default: `id` in a
  /// throwaway container without network (a user name needs the image's
  /// /etc/passwd). Empty `ids` when it cannot run there.
  UserLookup user_ids_of(const std::string& image);
  /// Every container whose name starts with `prefix`, with or without a
  /// project label (src/engine/probes.cpp); for preflight only, never acted on.
  std::vector<NamedContainer> containers_named(const std::string& prefix);
  /// The engine's CPUs and memory.
  EngineSize size();
  /// The io.raylaunch.project label of an existing container ("" when it has
  /// none); nullopt when docker cannot say (no such container).
  std::optional<std::string> owner_of(const std::string& container);
  /// Whether the engine has the NVIDIA runtime that `--gpus` needs.
  bool has_nvidia_runtime();
  /// The container that publishes host port `port`, or "".
  std::string container_publishing(int port);
  /// Whether something on this machine listens on `ip:port` already (the
  /// engine's PortProbe); false for a remote engine, whose ports cannot be
  /// probed from here.
  bool host_port_taken(const std::string& ip, int port) const;
  /// The probe given to the constructor, for engines made alongside this one.
  const PortProbe& port_probe() const { return m_port_taken; }
  /// The environment a container was created with (`Config.Env`), by name;
  /// empty when the container does not exist.
  std::map<std::string, std::string> environment(const std::string& container);
  /// The value of `name` in that environment; "" when it has none.
  std::string environment_value(const std::string& container, const std::string& name);
  /// The io.raylaunch.project label of any container (by name or id): "" when
  /// it has none, nullopt when docker cannot inspect it.
  std::optional<std::string> project_label(const std::string& container);
  /// The container's IP address on its network ("" with host networking);
  /// `within` shortens the engine's bound (a deadline of the caller's).
  std::string container_ip(const std::string& container,
                           std::optional<std::chrono::milliseconds> within = std::nullopt);
  /// What `docker inspect` says of containers (by id or name) that `docker ps`
  /// does not: image ID, networks, restarts. One call for all; a container
  /// that is gone by now is left out.
  std::vector<ContainerFacts> inspect_containers(
      const std::vector<std::string>& containers,
      std::optional<std::chrono::milliseconds> within = std::nullopt);
  /// The project's networks by name, each with its ID; empty when docker fails.
  std::map<std::string, std::string> network_ids(const std::string& project);
  /// The end of a container's log (stdout and stderr together).
  std::string log_tail(const std::string& container, int lines);
  /// A container's log (stdout and stderr together) from `since`, in docker's
  /// syntax (log_since_of); the whole log when `since` is "".
  std::string log_since(const std::string& container, const std::string& since,
                        std::optional<std::chrono::milliseconds> within = std::nullopt);
  /// Runs `command` in `container` and returns what it printed.
  ExecOutput exec(const std::string& container, const std::vector<std::string>& command,
                  std::optional<std::chrono::milliseconds> within = std::nullopt);

  // Changes.

  Outcome pull(const std::string& image);
  /// `source`'s `docker save IMAGE` streamed into this engine's `docker load`
  /// (pull: ship); `on_bytes` sees the running total. Both are stopped when
  /// no byte goes through for RAYLAUNCH_SHIP_TIMEOUT seconds (60), when load
  /// does not end within ten times that of the last byte, and on a signal
  /// (`interrupted`): docker load keeps nothing of an image it did not get whole.
  Outcome load_from(DockerEngine& source, const std::string& image,
                    const std::function<void(uint64_t)>& on_bytes);
  Outcome create_network(const PlannedNetwork& network);
  Outcome create_volume(const std::string& project, const std::string& name);
  /// `docker run` of `container` exactly as planned; secrets travel through
  /// docker's environment, never its argv.
  Outcome run(const Plan& plan, const PlannedContainer& container);
  Outcome start(const std::string& id);
  /// Stops a container within `grace` (SIGTERM, then SIGKILL), then removes
  /// it (a step of `up`: scale-down and re-create).
  Outcome remove(const std::string& id, std::chrono::seconds grace);
  /// Removes containers in one call (`down`, after stop()).
  Outcome remove_all(const std::vector<std::string>& ids);
  /// Stops containers in one call: the engine stops them in parallel with one
  /// grace period.
  Outcome stop(const std::vector<std::string>& ids, std::chrono::seconds grace);
  Outcome remove_networks(const std::vector<std::string>& names);
  Outcome remove_volumes(const std::vector<std::string>& names);

  // Handing the terminal to docker (`logs`, `exec`; src/engine/attach.cpp).

  /// `docker logs` of `container` on this engine, for follow_logs().
  LogSource log_source(const std::string& container, const LogOptions& options) const;
  /// Prints `container`'s log (not followed), each line after log_prefix();
  /// false when docker failed (what it said is among the lines).
  bool print_log(const std::string& container, const LogOptions& options, size_t width,
                 std::ostream& out);
  /// Replaces this process with `docker logs`, so streaming works as with docker.
  [[noreturn]] void attach_logs(const std::string& container, const LogOptions& options);
  /// Runs `docker exec` on this terminal (stdin and stdout are docker's) and
  /// returns its exit code as exec_exit_code() tells it; docker's stderr is
  /// passed on as it comes. A signal set in `signal` is passed on to docker.
  int attach_exec(const std::string& container, const ExecRequest& request,
                  const std::atomic<int>& signal);

 private:
  CommandResult docker(std::vector<std::string> args,
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                       std::map<std::string, std::string> env = {});
  Outcome change(std::vector<std::string> args,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                 std::map<std::string, std::string> env = {});
  [[noreturn]] void engine_failed(const CommandResult& result,
                                  const std::string& verb = "ps") const;

  CommandRunner& m_runner;
  DockerEndpoint m_endpoint;
  PortProbe m_port_taken;
  std::atomic<int> m_commands{0};
};

// The argv of each docker call, for the engine and for tests.

/// `docker ps -a` of every container with the project's label.
std::vector<std::string> ps_args(const std::string& project);
std::vector<ObservedContainer> parse_ps(const std::string& out);

/// `docker network ls` of the project's networks (by label), `NAME<tab>ID` a
/// line; parse_network_ids reads it.
std::vector<std::string> network_ls_args(const std::string& project);
std::map<std::string, std::string> parse_network_ids(const std::string& out);

/// `docker inspect` of containers, one line each; parse_container_facts reads it.
std::vector<std::string> container_inspect_args(const std::vector<std::string>& containers);
std::vector<ContainerFacts> parse_container_facts(const std::string& out);
/// `docker logs --since` for the log of a container's run that started at
/// `started_at` (ContainerFacts): a Unix time one second earlier, since Docker
/// stamps the first lines when it reads them, which can be before it records
/// StartedAt. "" when `started_at` is not Docker's RFC 3339 UTC time.
std::string log_since_of(const std::string& started_at);
std::vector<std::string> network_create_args(const PlannedNetwork& network);

/// `docker volume ls` / `create` of the project's volumes (by label).
std::vector<std::string> volume_ls_args(const std::string& project);
std::vector<std::string> volume_create_args(const std::string& project, const std::string& name);

/// `docker run -d ...` creating `container` exactly as planned. Secret env
/// values are not in it: run_env() gives them, for docker's environment.
std::vector<std::string> run_args(const Plan& plan, const PlannedContainer& container);
std::map<std::string, std::string> run_env(const PlannedContainer& container);

/// `docker image inspect` of `images`, one `ID<tab>"USER"` line per present
/// image; parse_missing_images reads which are absent, parse_image_ids and
/// parse_image_users the present ones' ID and `Config.User`, in order.
std::vector<std::string> image_inspect_args(const std::vector<std::string>& images);
std::vector<std::string> parse_missing_images(const std::string& err,
                                              const std::vector<std::string>& images);
std::map<std::string, std::string> parse_image_users(const std::string& out,
                                                     const std::vector<std::string>& images,
                                                     const std::vector<std::string>& missing);
std::map<std::string, std::string> parse_image_ids(const std::string& out,
                                                   const std::vector<std::string>& images,
                                                   const std::vector<std::string>& missing);

/// `docker run --rm --network none --entrypoint id IMAGE`; parse_id reads
/// `uid=1000(ray) gid=100(users) ...`.
std::vector<std::string> user_probe_args(const std::string& image);
std::optional<UserIds> parse_id(const std::string& out);

/// `docker logs [--follow] [--tail N] [--timestamps] [--since S] CONTAINER`.
std::vector<std::string> logs_args(const std::string& container, const LogOptions& options);
/// `docker exec --interactive [--tty] [--env E]... [--workdir D] [--user U] CONTAINER CMD...`.
std::vector<std::string> exec_args(const std::string& container, const ExecRequest& request);

/// The last line of `text`, without its line ending: what docker said last.
std::string last_line(const std::string& text);

}  // namespace raylaunch
