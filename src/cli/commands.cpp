// The commands behind the command line: load and plan the spec, find the
// engine, take the project's lock, and hand over to the executor. No
// decisions about the cluster are made here.
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/base/redact.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/export/export.hpp>
#include <raylaunch/plan/output.hpp>
#include <raylaunch/plan/placement.hpp>
#include <raylaunch/spec/loader.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <iostream>
#include <sstream>
#include <string_view>

namespace raylaunch::cli {

namespace {

namespace fs = std::filesystem;

}  // namespace

// raylaunch.yml (or .yaml) in the current folder, when there is one.
std::optional<std::string> default_spec() {
  for (const char* name : {"raylaunch.yml", "raylaunch.yaml"}) {
    if (fs::exists(name)) {
      return name;
    }
  }
  return std::nullopt;
}

// `-f` when given, else the default spec in the current folder.
std::string spec_path(const CommonOptions& common) {
  if (!common.file.empty()) {
    return common.file;
  }
  if (std::optional<std::string> found = default_spec()) {
    return *found;
  }
  throw UsageError("no spec: raylaunch.yml is not in the current folder",
                   "pass the spec with -f FILE");
}

namespace {

LoadOptions load_options(const CommonOptions& common) {
  LoadOptions options;
  options.on_warning = print_diagnostic;
  if (!common.project_name.empty()) {
    options.project_name = common.project_name;
  }
  return options;
}

LoadResult load(const CommonOptions& common) {
  return load_spec(spec_path(common), load_options(common));
}

// `hint`, then that `command` can do without the spec.
std::string with_p_hint(const std::string& hint, std::string_view command) {
  std::string p = fmt::format("or pass -p NAME: {} needs only the project's name", command);
  return hint.empty() ? p : hint + "; " + p;
}

std::string random_token() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[32];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof(bytes))) {
    throw ExecError("cannot read /dev/urandom to make a token", "set auth.token_env");
  }
  std::string token;
  for (unsigned char byte : bytes) {
    token += fmt::format("{:02x}", byte);
  }
  return token;
}

// The token of `auth: {mode: token}`: from the variable token_env names,
// else the one the running head already has (so `up` again re-creates
// nothing), else, when `generate`, a new random one.
std::string resolve_token(const ClusterSpec& spec, const DockerEndpoint* endpoint, bool generate) {
  if (!spec.auth.token_env.empty()) {
    const char* value = std::getenv(spec.auth.token_env.c_str());
    if (value == nullptr || *value == '\0') {
      throw SpecError(fmt::format("auth.token_env names {}, which is not set", spec.auth.token_env),
                      "export it, or leave token_env out and raylaunch generates a token",
                      spec.auth.where);
    }
    return value;
  }
  if (endpoint != nullptr) {
    // Always the real runner: reading the token is a look-up, also under --dry-run.
    std::unique_ptr<CommandRunner> runner = make_process_runner();
    DockerEndpoint head = *endpoint;
    for (const PlannedHost& host : planned_hosts(spec)) {
      if (spec.head.host && host.name == spec.head.host->value) {
        head = endpoint->for_host(host);
      }
    }
    DockerEngine engine(*runner, head);
    if (std::string token = engine.environment_value(spec.name.value + "-head", "RAY_AUTH_TOKEN");
        !token.empty()) {
      return token;
    }
  }
  return generate ? random_token() : std::string();
}

}  // namespace

Plan load_and_plan(const CommonOptions& common, const DockerEndpoint* endpoint, bool generate,
                   ClusterSpec* spec) {
  LoadResult loaded = load(common);
  if (loaded.spec.auth.token) {
    loaded.spec.auth.resolved_token = resolve_token(loaded.spec, endpoint, generate);
    remember_secret(loaded.spec.auth.resolved_token);
  }
  Plan plan = plan_cluster(loaded.spec);
  for (const PlannedContainer& c : plan.containers) {
    for (const std::string& key : c.secret_env) {
      remember_secret(c.env.at(key));
    }
  }
  for (const Diagnostic& warning : plan.warnings) {
    print_diagnostic(warning);
  }
  if (spec != nullptr) {
    *spec = std::move(loaded.spec);
  }
  return plan;
}

std::string name_despite(const CommonOptions& common, const SpecError& error,
                         std::string_view command) {
  LoadOptions options = load_options(common);
  options.on_warning = nullptr;  // the whole spec's load said them already
  std::string name = common.project_name;
  try {
    name = name.empty() ? load_project_name(spec_path(common), options) : name;
  } catch (const Error& e) {
    throw SpecError(e.message(), with_p_hint(e.hint(), command), e.where());
  }
  std::string goes_on = fmt::format("{} needs only the project's name and goes on", command);
  print_diagnostic({Severity::warning, error.message(),
                    error.hint().empty() ? goes_on : error.hint() + "; " + goes_on, error.where()});
  return name;
}

// `-p` when given, else the spec's name (from -f or raylaunch.yml here).
std::string project_of(const CommonOptions& common, std::string_view command) {
  if (!common.project_name.empty()) {
    if (!is_valid_project_name(common.project_name)) {
      throw UsageError(fmt::format("invalid project name \"{}\"", common.project_name),
                       "names are lowercase letters, digits, \"-\" and \"_\"");
    }
    return common.project_name;
  }
  if (common.file.empty() && !default_spec().has_value()) {
    throw UsageError("no project: pass -p NAME or -f FILE, or run where raylaunch.yml is",
                     "`docker ps --filter label=io.raylaunch.project` lists raylaunch's containers");
  }
  try {
    return load(common).spec.name.value;
  } catch (const SpecError& e) {
    return name_despite(common, e, command);
  } catch (const UsageError& e) {
    throw UsageError(e.message(), with_p_hint(e.hint(), command), e.where());
  }
}

namespace {

// A file that may be run: a folder has its x bit too, and would fail later.
bool runnable(const fs::path& path) {
  std::error_code ignored;
  return fs::is_regular_file(path, ignored) && ::access(path.c_str(), X_OK) == 0;
}

bool program_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return runnable(program);
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) {
    return false;
  }
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (runnable(fs::path(dir.empty() ? "." : dir) / program)) {
      return true;
    }
  }
  return false;
}

}  // namespace

DockerEndpoint endpoint_of(const CommonOptions& common) {
  DockerEndpoint endpoint;
  if (!common.docker.empty()) {
    endpoint.program = common.docker;
  } else if (const char* program = std::getenv("RAYLAUNCH_DOCKER"); program && *program) {
    endpoint.program = program;
  }
  endpoint.context = common.context;
  // Find the program now, so a missing one is one clear message, not a failure per command.
  if (!program_on_path(endpoint.program)) {
    throw ExecError(fmt::format("docker program \"{}\" not found", endpoint.program),
                    "install Docker (Debian: apt-get install docker.io), or pass --docker PATH");
  }
  return endpoint;
}

Target target_of(const CommonOptions& common, const DockerEndpoint& endpoint,
                 std::string_view command) {
  Target target;
  if (!common.file.empty() || (common.project_name.empty() && default_spec().has_value())) {
    try {
      target.plan = load_and_plan(common, &endpoint, false);
      target.project = target.plan->project;
      target.hosts = target.plan->hosts;
      return target;
    } catch (const SpecError& e) {
      // Without the plan, the command acts on what runs, found by the project's name.
      target.project = name_despite(common, e, command);
    } catch (const UsageError& e) {
      throw UsageError(e.message(), with_p_hint(e.hint(), command), e.where());
    }
  } else {
    target.project = project_of(common, command);
  }
  if (!common.hosts.empty()) {
    target.hosts.push_back({"local", "", "", ""});
    for (const std::string& host : common.hosts) {
      static const std::regex k_endpoint("(ssh|tcp|unix)://.+");
      if (!std::regex_match(host, k_endpoint)) {
        throw UsageError(fmt::format("--host {} is not a Docker endpoint", host),
                         "e.g. --host ssh://ray@10.0.0.2, tcp://10.0.0.2:2376 or "
                         "unix:///var/run/docker.sock");
      }
      target.hosts.push_back({host, host, "", ""});
    }
  }
  return target;
}

Session::Session(const CommonOptions& common, const EngineOptions& engine, bool dry_run,
                 const std::atomic<bool>& interrupted)
    : endpoint(endpoint_of(common)),
      real(make_process_runner(&interrupted)),
      printing(make_printing_runner(std::cout, real.get())),
      http(make_http_client()),
      progress(std::cerr, progress_mode_from(engine.progress, STDERR_FILENO)),
      executor(dry_run ? *printing : *real, endpoint, progress, std::cout, &interrupted,
               http.get()) {}

Target Session::aim(const CommonOptions& common, std::string_view command) {
  Target target = target_of(common, endpoint, command);
  executor.use_hosts(target.hosts);
  return target;
}

std::function<void(const std::string&)> Session::on_lock_wait() {
  return [this](const std::string& path) {
    progress.message(
        fmt::format("waiting for another raylaunch working on this project (lock: {})", path));
  };
}

int run_config(const CommonOptions& common, const ConfigOptions& options) {
  Plan plan = load_and_plan(common);
  if (!options.quiet) {
    if (options.format == "json") {
      write_plan_json(plan, std::cout);
    } else {
      write_plan_yaml(plan, std::cout);
    }
  }
  return 0;
}

int run_export(const CommonOptions& common, const ExportCommand& options) {
  // A Kubernetes namespace is an RFC 1123 label; it is also pasted into the
  // header's kubectl commands, so nothing else may pass.
  static const std::regex k_namespace("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  if (!options.kube_namespace.empty() && !std::regex_match(options.kube_namespace, k_namespace)) {
    throw UsageError(fmt::format("--namespace \"{}\" is not a Kubernetes namespace name",
                                 options.kube_namespace),
                     "at most 63 lowercase letters, digits and \"-\", starting and ending with a "
                     "letter or digit");
  }
  ClusterSpec spec;
  Plan plan = load_and_plan(common, nullptr, false, &spec);
  ExportResult result = options.target == "kuberay"
                            ? export_kuberay(spec, plan, {options.kube_namespace})
                            : export_compose(spec, plan);
  for (const Diagnostic& warning : result.warnings) {
    print_diagnostic(warning);
  }
  if (options.output.empty() || options.output == "-") {
    std::cout << result.text;  // "-o -" is stdout, as for docker and kubectl
    return 0;
  }
  // A file does not pass the redactor on stdout: mask secrets here.
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  if (!(out << redact(result.text)) || !out.flush()) {
    throw ExecError(fmt::format("cannot write \"{}\": {}", options.output, std::strerror(errno)),
                    "check that its folder exists and is writable");
  }
  return 0;
}

namespace {

// What an interrupted `up` left: the planned containers that run now, as
// the engines say (not this run's events: a node it found running counts).
std::string left_by_up(Session& session, const Plan& plan) {
  session.progress.finish();
  std::optional<size_t> running = session.executor.running_planned(plan);
  if (!running) {
    return "run `raylaunch up` to converge, or `raylaunch down`";
  }
  return fmt::format(
      "{} of {} planned containers are running; run `raylaunch up` to converge, "
      "or `raylaunch down`",
      *running, plan.containers.size());
}

}  // namespace

int run_up(const CommonOptions& common, const EngineOptions& engine, const UpCommand& options,
           const std::atomic<bool>& interrupted) {
  Session session(common, engine, options.dry_run, interrupted);
  session.progress.set_dry_run(options.dry_run);
  Plan plan = load_and_plan(common, &session.endpoint, true);
  session.executor.use_hosts(plan.hosts);
  UpOptions up{!options.no_wait, std::chrono::seconds(options.timeout), options.parallel,
               options.dry_run};
  up.spec_file = common.file;
  up.recreate = options.force_recreate ? Recreate::always
                : options.no_recreate  ? Recreate::never
                                       : Recreate::changed;
  std::optional<ProjectLock> lock;
  if (!options.dry_run) {
    lock.emplace(plan.project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  }
  if (!plan.scaling.empty()) {
    // raylaunch autoscale may have to add workers before Ray has what up
    // waits for (a Serve replica that only an autoscaled group can hold).
    up.after_apply = [&lock] { lock.reset(); };
  }
  try {
    int code = session.executor.up(plan, up);
    if (options.dry_run) {
      session.progress.message(fmt::format(
          "dry run: nothing was changed; stdout has the docker commands up would run for \"{}\"",
          plan.project));
    }
    return code;
  } catch (const ExecError&) {
    if (!interrupted) {
      throw;
    }
    throw Interrupted(left_by_up(session, plan));
  }
}

int run_down(const CommonOptions& common, const EngineOptions& engine,
             const DownCommand& options, const std::atomic<bool>& interrupted) {
  Session session(common, engine, false, interrupted);
  Target target = session.aim(common, "down");
  std::string project = target.project;
  ProjectLock lock(project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  int code = session.executor.down(
      project, {std::chrono::seconds(options.timeout), options.volumes, target.plan.has_value()});
  if (interrupted && code == 0) {
    // down does not stop half way: what it started, it finished.
    throw Interrupted(fmt::format("down went on to the end; nothing of project \"{}\" is left",
                                  project));
  }
  return code;
}

}  // namespace raylaunch::cli
