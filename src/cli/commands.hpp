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

struct DownCommand {
  int timeout = 10;
  bool volumes = false;
};

struct LogsOptions {
  std::string node;
  bool follow = false;
  std::string tail;
};

struct ExecOptions {
  std::string node;
  std::vector<std::string> command;
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

/// Prints a diagnostic on stderr with its source line, secrets masked.
void print_diagnostic(const Diagnostic& diagnostic);

int run_config(const CommonOptions& common, const ConfigOptions& options);
/// Loads and plans the spec as `config` does, then writes it for KubeRay or
/// compose; what the target cannot express is a warning on stderr.
int run_export(const CommonOptions& common, const ExportCommand& options);
/// `logs` and `exec` hand the terminal to docker itself (streaming, a tty for
/// exec), so raylaunch replaces itself with the docker process.
int run_logs(const CommonOptions& common, const LogsOptions& options);
int run_exec(const CommonOptions& common, const ExecOptions& options);
/// `up`, `down` and `status`; `interrupted` is set by SIGINT and SIGTERM.
int run_up(const CommonOptions& common, const EngineOptions& engine, const UpCommand& options,
           const std::atomic<bool>& interrupted);
int run_down(const CommonOptions& common, const EngineOptions& engine,
             const DownCommand& options, const std::atomic<bool>& interrupted);
int run_status(const CommonOptions& common, const EngineOptions& engine,
               const std::atomic<bool>& interrupted);
/// `submit`, `job` and `run` (src/cli/jobs.cpp).
int run_submit(const CommonOptions& common, const SubmitOptions& options,
               const std::atomic<bool>& interrupted);
int run_job(const CommonOptions& common, const JobOptions& options,
            const std::atomic<bool>& interrupted);
int run_run(const CommonOptions& common, const EngineOptions& engine, const RunOptions& options,
            const std::atomic<bool>& interrupted);

}  // namespace raylaunch::cli
