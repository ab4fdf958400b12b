#pragma once

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_engine.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/execute/progress.hpp>
#include <raylaunch/execute/ray_view.hpp>
#include <raylaunch/ray/http.hpp>
#include <raylaunch/ray/jobs.hpp>
#include <raylaunch/ray/package.hpp>
#include <raylaunch/ray/serve.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>
#include <ostream>
#include <string>

namespace raylaunch {

struct ServeView;  // src/execute/serve_view.hpp

struct UpOptions {
  bool wait = true;
  std::chrono::seconds timeout{180};
  int parallel = 8;
  bool dry_run = false;
  /// Print the cluster's addresses on `out` at the end (`run` does not: its
  /// stdout is the job's log).
  bool report = true;
  /// --force-recreate, --no-recreate; by default what changed.
  Recreate recreate = Recreate::changed;
  /// The spec's path as given (-f), for the next steps of a cluster across
  /// hosts; "" for raylaunch.yml in the current folder.
  std::string spec_file = {};
  /// Called once the containers are made, before waiting for Ray (`up` of an
  /// autoscaled cluster lets go of the project lock there: its Serve apps
  /// may wait for workers the autoscaler makes).
  std::function<void()> after_apply = {};
};

struct DownOptions {
  std::chrono::seconds timeout{10};
  bool volumes = false;
  /// Whether the hosts come from the spec; without it, hosts of a cluster
  /// across several that no engine asked shows are named, also by the next
  /// `down` (kept in the lock folder) until one reaches them.
  bool from_spec = false;
};

struct StatusOptions {
  bool json = false;
  /// With `json`: told the document's `error` (what kept status from seeing
  /// the whole cluster), when it has one.
  std::function<void(const std::string&)> on_error;
};

/// The `status --json` document when status could not run (the engine did
/// not answer, the spec is wrong): `error` is the message, `healthy` false,
/// the counts 0 but `nodes_planned` (the plan's, when there is one), `nodes` [].
void write_status_error(std::ostream& out, const std::string& project, const Plan* plan,
                        const std::string& error);

/// `submit`: a job for Ray's Jobs API, and what to do while it runs.
struct SubmitRequest {
  JobRequest job;
  std::string working_dir;  // a local folder shipped as the job's working folder
  std::optional<Package> package;  // working_dir already packaged (else submit packages it)
  bool wait = true;         // follow the log until the job ends
};

/// How `up` and `serve deploy` apply the spec's Serve config.
struct ServeApply {
  bool wait = true;  // until every app is RUNNING; DEPLOY_FAILED fails at once
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now();
  std::chrono::seconds timeout{180};  // what the deadline came from, for messages
  std::chrono::seconds shutdown_timeout{60};  // a restart's DELETE (Serve takes up to 30 s)
};

/// How a submitted job ended (or that it was only submitted).
struct JobOutcome {
  std::string submission_id;
  std::string status;   // Ray's final status; empty with wait = false
  std::string message;  // Ray's message about it
  std::string log;      // when followed, the end of the log as printed (JobLogFollower)
  bool interrupted = false;  // Ctrl-C stopped it (or, with no submission_id, came first)
};

/// Runs the plan against Docker through one DockerEngine per host. It decides
/// only the order of the steps reconcile() chose and whether to stop after a
/// failure; it never builds a docker argv.
class Executor {
 public:
  /// `out` gets results (summaries, tables); `progress` gets what happens.
  /// `cancel`, when set from a signal handler, stops new work from starting.
  /// `http` reaches Ray's dashboard; without it Ray is asked with `ray status`
  /// in the head only. `port_taken` tells whether a host port is taken on
  /// this machine (every engine of the executor asks it).
  Executor(CommandRunner& runner, DockerEndpoint endpoint, Progress& progress, std::ostream& out,
           const std::atomic<bool>* cancel = nullptr, HttpClient* http = nullptr,
           PortProbe port_taken = port_listened_here);

  /// The machines of `hosts:` (or named with --host), each with an engine of
  /// its own; a host without docker: or context: uses the endpoint given to
  /// the constructor. Without a call, one host: that endpoint.
  void use_hosts(const std::vector<PlannedHost>& hosts);

  /// Creates or converges the cluster; with `wait`, returns when Ray on the
  /// head reports every planned node alive. Throws ExecError naming what
  /// failed; returns the exit code otherwise.
  int up(const Plan& plan, const UpOptions& options);

  /// Stops and removes everything with the project's label, then its
  /// network (and volumes). Never touches anything without the label.
  int down(const std::string& project, const DownOptions& options);

  /// Prints each node's container state and Ray's view. Exit 0 when every
  /// planned node runs and Ray has it alive (by name from the dashboard; from
  /// `ray status`'s count only as alive_by_count allows), 1 otherwise. `plan`
  /// may be null: then the project's containers are the planned set.
  int status(const std::string& project, const Plan* plan, const StatusOptions& options);

  /// Submits a job to the running cluster through the head's Jobs API and,
  /// with `wait`, prints its log on `out` until it ends; Ctrl-C (the cancel
  /// flag) stops it. Ctrl-C before the job is submitted submits nothing:
  /// the outcome is `interrupted` with no submission id. `plan` may be null: the head is then found by label.
  JobOutcome submit(const std::string& project, const Plan* plan, const SubmitRequest& request);
  /// `job status|logs|stop ID`; exit codes as the commands document. `job
  /// logs -f` ends on the cancel flag (the job goes on).
  int job_status(const std::string& project, const std::string& id);
  int job_logs(const std::string& project, const std::string& id, bool follow);
  int job_stop(const std::string& project, const std::string& id);

  /// `serve deploy`: the config applied as `up` does, the containers
  /// untouched; `serve status` (exit 1 when an app is not RUNNING);
  /// `serve shutdown`: Serve's DELETE, bounded by `timeout`.
  int serve_deploy(const std::string& project, const Plan* plan, const PlannedServe& serve,
                   const ServeApply& how);
  int serve_status(const std::string& project, const Plan* plan, bool json);
  int serve_shutdown(const std::string& project, const Plan* plan, std::chrono::seconds timeout);

  /// How many docker commands ran (for the benchmark and tests).
  int commands_run() const;

  /// The project's containers on every host that answers; the others are
  /// named in `unreachable`.
  std::vector<ObservedContainer> project_containers(const std::string& project,
                                                    std::vector<std::string>& unreachable);
  /// What the head's Jobs API says of work: jobs PENDING or RUNNING, and when
  /// the last one ended (ms since the epoch, 0 for none); nullopt when it
  /// does not answer.
  struct JobsSummary {
    int in_flight = 0;
    int64_t last_end_ms = 0;
  };
  std::optional<JobsSummary> jobs_summary(const Plan& plan);

  /// How many of the plan's containers run now, on every host that answers
  /// (an interrupted `up` says so); nullopt when the one engine does not.
  std::optional<size_t> running_planned(const Plan& plan);

 private:
  struct Observation;
  struct FirstFailure;
  struct Found;

  // The hosts (src/execute/hosts.cpp).
  DockerEngine& engine(const std::string& host);
  /// Every host's name, in the spec's order; {""} without hosts.
  std::vector<std::string> host_names() const;
  /// `docker ps` of the project on every host at once; a host whose engine
  /// does not answer is named in `unreachable` with docker's words (without
  /// hosts, the one engine's error is thrown).
  Found find_everywhere(const std::string& project);
  /// Copies `image` from the local engine to `host`'s (pull: ship).
  void ship_image(const std::string& image, const std::string& host);
  /// Whether `host`'s engine is another than this machine's (by endpoint,
  /// then by engine ID), so pull: ship copies images to it.
  bool ships_to(const std::string& host);
  /// This machine's engine's ID of `image`; "" when it has none.
  std::string local_image_id(const std::string& image);

  // up's phases, in order (src/execute/observe.cpp, up.cpp, wait.cpp).
  Observation observe(const Plan& plan);
  void pull_images(const Plan& plan, Observation& seen);
  void pull_image(const std::string& image, const std::string& host, bool absent, bool ship);
  void check_gpu_runtime(const Plan& plan, const UpOptions& options);
  void check_host_ports(const std::vector<Action>& actions, const UpOptions& options);
  // src/execute/preflight.cpp: names held outside the project, CPUs and memory.
  void check_names_and_sizes(const Plan& plan, const std::vector<Action>& actions);
  // src/execute/host_folders.cpp; `users` is each image's Config.User.
  void prepare_host_folders(const std::vector<Action>& actions, const Observation& seen,
                            const UpOptions& options);
  void create_networks_and_volumes(const Plan& plan, const std::vector<Action>& actions);
  void remove_networks_left(const Plan& plan, const ObservedState& observed);
  void apply_containers(const Plan& plan, const std::vector<Action>& actions,
                        const UpOptions& options);
  bool apply_step(const Plan& plan, const Action& action, FirstFailure& failure);
  bool remove_for_recreate(const Action& action, FirstFailure& failure);
  int wait_for_ray(const Plan& plan, std::chrono::steady_clock::time_point deadline,
                   std::chrono::seconds timeout, std::map<std::string, int> restarts);
  struct RayPolling;
  RayView poll_ray(HeadAccess& head, RayPolling& polling);
  std::string crashed_nodes(const Plan& plan, const std::vector<std::string>* names,
                            std::map<std::string, int>& restarts,
                            std::optional<std::chrono::milliseconds> within);
  std::string nodes_not_joined(const Plan& plan, const RayView& view);
  void report_up(const Plan& plan, int alive, const std::string& spec_file) const;

  // Asking Ray (src/execute/ray_view.cpp): the dashboard, else `ray status`.
  RayView ask_ray(HeadAccess& head, bool cli_fallback);
  bool ask_dashboard(HeadAccess& head, RayView& view);
  std::optional<std::vector<RayNode>> nodes_at(const std::string& host, int port,
                                               HeadAccess& head, std::string& why);
  std::string head_token(const HeadAccess& head);
  /// The `nodes` (host, name) whose container runs and whose log since that
  /// run started says "Ray runtime started"; `seen` keeps, by name, the run
  /// (StartedAt) that said so, so a later call reads no log again for it.
  std::set<std::string> started_by_log(
      const std::vector<std::pair<std::string, std::string>>& nodes,
      std::map<std::string, std::string>& seen, std::optional<std::chrono::milliseconds> within);

  // The Jobs API (src/execute/jobs.cpp), Serve's too (src/execute/serve.cpp).
  struct JobApi {
    HeadAccess head;
    std::string host;
    int port = 0;
  };
  JobApi job_api(const std::string& project, const Plan* plan);
  // `body_file`, when given, is sent as the body straight from the file.
  HttpResponse call(JobApi& api, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
                    const std::string& body_file = "");
  std::string upload_package(JobApi& api, const std::string& folder, const Package& package);
  // Waits `span`, or less when the cancel flag is set.
  void pause(std::chrono::milliseconds span) const;
  JobInfo job_info(JobApi& api, const std::string& id);
  JobOutcome follow_job(JobApi& api, const std::string& id, bool stop_on_cancel);
  void print_log_step(const JobLogFollower::Step& step, const std::string& id, bool& told_cut);

  // Serve (src/execute/serve.cpp, serve_status.cpp).
  ServeInstance serve_instance(JobApi& api);
  std::string serve_body(JobApi& api, const PlannedServe& serve);
  void apply_serve(JobApi& api, const PlannedServe& serve, const ServeApply& how);
  void wait_for_serve(JobApi& api, const std::string& body,
                      std::chrono::steady_clock::time_point deadline,
                      std::chrono::seconds timeout);
  void shutdown_serve(JobApi& api, std::chrono::seconds timeout);
  ServeView view_serve(HeadAccess& head, const RayView& ray, const PlannedServe& serve);

  // down's phases (src/execute/down.cpp).
  void remove_containers(const std::string& project, const std::string& host,
                         const std::vector<ObservedContainer>& found);
  void remove_networks(const std::string& host, const std::vector<std::string>& names);
  void remove_volumes(const std::string& host, const std::vector<std::string>& names);

  bool cancelled() const { return m_cancel != nullptr && m_cancel->load(); }

  CommandRunner& m_runner;
  DockerEngine m_engine;  // the endpoint given: the local engine, and hosts without docker:
  std::vector<std::pair<std::string, std::unique_ptr<DockerEngine>>> m_hosts;
  std::map<std::string, std::string> m_engine_ids;  // each host's, as `up` found them
  std::optional<std::string> m_local_engine_id;
  HttpClient* m_http;
  Progress& m_progress;
  std::ostream& m_out;
  const std::atomic<bool>* m_cancel;
  // Re-created containers whose old container went ahead of every start.
  std::set<std::string> m_removed_early;
};

}  // namespace raylaunch
