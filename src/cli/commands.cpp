// The commands behind the command line: load and plan the spec, find the
// engine, take the project's lock, and hand over to the executor. No
// decisions about the cluster are made here.
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/base/redact.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/export/export.hpp>
#include <raylaunch/plan/output.hpp>
#include <raylaunch/spec/loader.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

namespace raylaunch::cli {

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

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
    DockerEngine engine(*runner, *endpoint);
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

namespace {

// A node as the user names it (`head`, `cpu-2`, or a container name) to its container.
std::string container_of(const std::string& project, const std::string& node) {
  if (node == "head") {
    return project + "-head";
  }
  return node.rfind(project + "-", 0) == 0 ? node : project + "-" + node;
}

}  // namespace

Session::Session(const CommonOptions& common, const EngineOptions& engine, bool dry_run,
                 const std::atomic<bool>& interrupted)
    : endpoint(endpoint_of(common)),
      real(make_process_runner()),
      printing(make_printing_runner(std::cout, real.get())),
      http(make_http_client()),
      progress(std::cerr, progress_mode_from(engine.progress, STDERR_FILENO)),
      executor(dry_run ? *printing : *real, endpoint, progress, std::cout, &interrupted,
               http.get()) {}

std::function<void(const std::string&)> Session::on_lock_wait() {
  return [this](const std::string& path) {
    progress.message(
        fmt::format("waiting for another raylaunch working on this project (lock: {})", path));
  };
}

void print_diagnostic(const Diagnostic& diagnostic) {
  std::string source;
  if (diagnostic.where && !diagnostic.where->file.empty()) {
    std::shared_ptr<const std::string> spec = remembered_source(diagnostic.where->file);
    source = spec ? *spec : read_text(diagnostic.where->file);
  }
  Diagnostic safe = diagnostic;
  safe.message = redact(diagnostic.message);
  safe.hint = redact(diagnostic.hint);
  std::cerr << format_diagnostic(safe, redact(source));
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
  ClusterSpec spec;
  Plan plan = load_and_plan(common, nullptr, false, &spec);
  ExportResult result = options.target == "kuberay"
                            ? export_kuberay(spec, plan, {options.kube_namespace})
                            : export_compose(spec, plan);
  for (const Diagnostic& warning : result.warnings) {
    print_diagnostic(warning);
  }
  if (options.output.empty()) {
    std::cout << result.text;
    return 0;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  if (!(out << result.text) || !out.flush()) {
    throw ExecError(fmt::format("cannot write \"{}\": {}", options.output, std::strerror(errno)),
                    "check that its folder exists and is writable");
  }
  return 0;
}

int run_logs(const CommonOptions& common, const LogsOptions& options) {
  std::string project = project_of(common, "logs");
  DockerEndpoint endpoint = endpoint_of(common);
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  DockerEngine engine(*runner, endpoint);
  if (!options.node.empty()) {
    engine.attach_logs(container_of(project, options.node), options.follow, options.tail);
  }
  if (options.follow) {
    throw UsageError("logs --follow needs a node", "e.g. raylaunch logs head -f");
  }
  std::vector<ObservedContainer> containers = engine.containers(project);
  if (containers.empty()) {
    throw ExecError(fmt::format("project \"{}\" has no containers", project),
                    "`docker ps --filter label=io.raylaunch.project` lists raylaunch's containers");
  }
  std::sort(containers.begin(), containers.end(),
            [](const ObservedContainer& a, const ObservedContainer& b) { return a.name < b.name; });
  engine.print_logs(containers, options.tail, std::cout);
  return 0;
}

int run_exec(const CommonOptions& common, const ExecOptions& options) {
  std::string project = project_of(common, "exec");
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  DockerEngine engine(*runner, endpoint_of(common));
  engine.attach_exec(container_of(project, options.node), options.command);
}

int run_up(const CommonOptions& common, const EngineOptions& engine, const UpCommand& options,
           const std::atomic<bool>& interrupted) {
  Session session(common, engine, options.dry_run, interrupted);
  Plan plan = load_and_plan(common, &session.endpoint, true);
  UpOptions up{!options.no_wait, std::chrono::seconds(options.timeout), options.parallel,
               options.dry_run};
  std::optional<ProjectLock> lock;
  if (!options.dry_run) {
    lock.emplace(plan.project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  }
  return session.executor.up(plan, up);
}

int run_down(const CommonOptions& common, const EngineOptions& engine,
             const DownCommand& options, const std::atomic<bool>& interrupted) {
  Session session(common, engine, false, interrupted);
  std::string project = project_of(common, "down");
  ProjectLock lock(project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  return session.executor.down(project, {std::chrono::seconds(options.timeout), options.volumes});
}

int run_status(const CommonOptions& common, const EngineOptions& engine,
               const std::atomic<bool>& interrupted) {
  Session session(common, engine, false, interrupted);
  std::optional<Plan> plan;
  std::string project;
  if (!common.file.empty() || (common.project_name.empty() && default_spec().has_value())) {
    try {
      plan = load_and_plan(common, &session.endpoint, false);
      project = plan->project;
    } catch (const SpecError& e) {
      // Without the plan, status shows what runs, not what should.
      project = name_despite(common, e, "status");
    } catch (const UsageError& e) {
      throw UsageError(e.message(), with_p_hint(e.hint(), "status"), e.where());
    }
  } else {
    project = project_of(common, "status");
  }
  return session.executor.status(project, plan ? &*plan : nullptr, {engine.json});
}

}  // namespace raylaunch::cli
