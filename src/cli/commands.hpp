#pragma once

// The commands behind the command line, one function each. The parser in
// cli.cpp fills these option structs and calls them; they return the exit
// code and throw Error for anything the user can fix.

#include <raylaunch/execute/executor.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch::cli {

/// What every command takes: the spec, the project's name and the engine.
struct CommonOptions {
  std::string file;
  std::string project_name;
  std::string docker;
  std::string context;
  std::vector<std::string> hosts;  // --host: engines a project may have nodes on, without a spec
  bool verbose = false;
  std::string log_level;  // --log-level: debug, info, warn or off
};

struct ConfigOptions {
  std::string format = "yaml";
  bool quiet = false;
};

struct UpCommand {
  bool dry_run = false;
  bool no_wait = false;
  bool wait = true;
  int timeout = 180;
  int parallel = 8;
  bool force_recreate = false;
  bool no_recreate = false;
};

struct AutoscaleCommand {
  bool once = false;  // one round, then exit
};

struct DownCommand {
  int timeout = 10;
  bool volumes = false;
};

struct LogsOptions {
  std::string node;
  bool follow = false;
  std::string tail;
  bool timestamps = false;  // -t, --timestamps
  std::string since;        // --since, docker's syntax
};

/// `exec`, with `docker exec`'s options.
struct ExecOptions {
  std::string node;
  std::vector<std::string> command;
  bool no_tty = false;       // -T, --no-TTY
  bool interactive = false;  // -i: stdin is always passed on; accepted as docker's habit
  std::vector<std::string> env;  // -e KEY=VALUE, repeatable
  std::string workdir;       // -w DIR
  std::string user;          // -u USER
};

/// Options of the commands that change the cluster or show it.
struct EngineOptions {
  std::string progress = "auto";
  int lock_timeout = 300;
  bool json = false;
};

/// `submit` (and the job half of `run`): a job for Ray's Jobs API.
struct SubmitOptions {
  bool no_wait = false;               // --no-wait: print the submission id and return
  std::string submission_id;          // --submission-id
  std::string working_dir;            // --working-dir DIR, shipped as a package
  std::string runtime_env_json;       // --runtime-env-json J
  double entrypoint_num_cpus = -1;    // --entrypoint-num-cpus N (-1: not given)
  double entrypoint_num_gpus = -1;    // --entrypoint-num-gpus N (-1: not given)
  std::vector<std::string> metadata;  // --metadata k=v, repeatable
  std::vector<std::string> entrypoint;  // after --
};

/// `export kuberay|compose`: the cluster as a file for another engine.
struct ExportCommand {
  std::string target;          // kuberay or compose: the subcommand given
  std::string output;          // -o FILE; empty: stdout
  std::string kube_namespace;  // kuberay's --namespace
};

/// `job status|logs|stop ID`.
struct JobOptions {
  std::string action;  // status, logs or stop
  std::string id;
  bool follow = false;  // logs -f
};

/// `serve deploy [FILE]|status|shutdown`.
struct ServeCommand {
  std::string action;  // deploy, status or shutdown: the subcommand given
  std::string file;    // deploy's Serve config; empty: the spec's serve:
  bool no_wait = false;
  int timeout = 180;
  int shutdown_timeout = 60;
  bool json = false;
};

/// `run`: up, submit with the log followed, down.
struct RunOptions {
  UpCommand up;
  SubmitOptions submit;
  bool keep = false;             // --keep: leave the cluster up
  bool keep_on_failure = false;  // --keep-on-failure: leave it when up failed
  std::string junit;             // --junit FILE
};

// What the commands share (src/cli/commands.cpp).

/// raylaunch.yml (or .yaml) in the current folder, when there is one.
std::optional<std::string> default_spec();
/// Loads and plans the spec. `endpoint` lets the Ray token be read back from
/// a running head; `generate` makes a new one when there is none (up does,
/// config does not). `spec`, when given, receives the loaded spec.
Plan load_and_plan(const CommonOptions& common, const DockerEndpoint* endpoint = nullptr,
                   bool generate = false, ClusterSpec* spec = nullptr);
/// `-p` when given, else the spec's name (from -f or raylaunch.yml here), for
/// `command`, which needs nothing else: when the spec does not load but its
/// name can be read, the spec's error is said as a warning and the name
/// serves; when not, the error's hint says to pass -p NAME.
std::string project_of(const CommonOptions& common, std::string_view command);
/// The spec's name alone, for `command` when loading the whole spec failed
/// with `error`, which is said as a warning. Throws, with a hint to pass -p,
/// when even the name cannot be read.
std::string name_despite(const CommonOptions& common, const SpecError& error,
                         std::string_view command);
/// The docker program and context, checked to exist.
DockerEndpoint endpoint_of(const CommonOptions& common);

/// The project a day-2 command acts on, and where its nodes may be: the
/// spec's hosts when a spec is at hand, else the engine given and each --host.
struct Target {
  std::string project;
  std::optional<Plan> plan;
  std::vector<PlannedHost> hosts;
};
Target target_of(const CommonOptions& common, const DockerEndpoint& endpoint,
                 std::string_view command);

/// What the commands that reach the engine share: the engine, Ray's HTTP
/// client, progress and the executor.
struct Session {
  Session(const CommonOptions& common, const EngineOptions& engine, bool dry_run,
          const std::atomic<bool>& interrupted);
  std::function<void(const std::string&)> on_lock_wait();
  /// The project of `-p`/`-f` with its hosts given to the executor.
  Target aim(const CommonOptions& common, std::string_view command);

  DockerEndpoint endpoint;
  std::unique_ptr<CommandRunner> real;
  std::unique_ptr<CommandRunner> printing;
  std::unique_ptr<HttpClient> http;
  Progress progress;
  Executor executor;
};

/// A command stopped by a signal: the message says what it left (one line
/// after "raylaunch: interrupted by SIGxxx: "); the exit code is 128 + the signal.
class Interrupted : public Error {
  using Error::Error;
};

// Messages on stderr (src/cli/diagnostics.cpp).

/// Prints a diagnostic on stderr with its source line, secrets masked; under
/// json_diagnostics() one JSON line instead.
void print_diagnostic(const Diagnostic& diagnostic);
/// From now on diagnostics are JSON lines (`--progress json`), each an event
/// of `id`: {"id", "status": "Error"|"Warning", "state", "error"|"warning",
/// "hint", "where"}.
void json_diagnostics(const std::string& id);
/// The one line of a command that `signal` stopped, and what it `left` ("" if
/// nothing to say).
void print_interrupted(int signal, const std::string& left);

int run_config(const CommonOptions& common, const ConfigOptions& options);
/// Loads and plans the spec as `config` does, then writes it for KubeRay or
/// compose; what the target cannot express is a warning on stderr.
int run_export(const CommonOptions& common, const ExportCommand& options);
// The day-2 commands (src/cli/day2.cpp): `signal` is the signal caught, 0 before.

/// A node's log through docker itself (raylaunch replaces itself with it);
/// every node's, each line after the node's name, and with -f followed.
int run_logs(const CommonOptions& common, const LogsOptions& options,
             const std::atomic<int>& signal);
/// docker exec on this terminal: the command's exit code, or docker's 125,
/// 126, 127; raylaunch's own failures before it are 125 too (cli.cpp).
int run_exec(const CommonOptions& common, const ExecOptions& options,
             const std::atomic<int>& signal);
/// `status`; with --json one document on stdout whatever fails.
int run_status(const CommonOptions& common, const EngineOptions& engine,
               const std::atomic<bool>& interrupted);

/// `up` and `down`; `interrupted` is set by SIGINT, SIGTERM and SIGHUP.
int run_up(const CommonOptions& common, const EngineOptions& engine, const UpCommand& options,
           const std::atomic<bool>& interrupted);
int run_down(const CommonOptions& common, const EngineOptions& engine,
             const DownCommand& options, const std::atomic<bool>& interrupted);
/// `autoscale` (src/cli/autoscale.cpp): rounds until a signal, or one with --once.
int run_autoscale(const CommonOptions& common, const EngineOptions& engine,
                  const AutoscaleCommand& options, const std::atomic<bool>& interrupted);
/// `run` with autoscaled groups: `raylaunch autoscale` as a child while the
/// job runs, stopped (SIGTERM) when the result goes; null without such groups.
std::shared_ptr<void> autoscale_beside(const CommonOptions& common, const Plan& plan);
/// `submit`, `job` and `run` (src/cli/jobs.cpp).
int run_submit(const CommonOptions& common, const SubmitOptions& options,
               const std::atomic<bool>& interrupted);
int run_job(const CommonOptions& common, const JobOptions& options,
            const std::atomic<bool>& interrupted);
int run_run(const CommonOptions& common, const EngineOptions& engine, const RunOptions& options,
            const std::atomic<bool>& interrupted);
/// `serve` (src/cli/serve.cpp).
int run_serve(const CommonOptions& common, const ServeCommand& options,
              const std::atomic<bool>& interrupted);

}  // namespace raylaunch::cli
