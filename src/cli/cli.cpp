// Turns the command line into options and calls the core; the only file that
// includes CLI11, and the one place that catches Error and picks exit codes.
#include <raylaunch/cli/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_engine.hpp>
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/plan/output.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/execute/progress.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/spec/loader.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

struct CommonOptions {
  std::string file;
  std::string project_name;
  std::string docker;
  std::string context;
};

// Set by SIGINT and SIGTERM: work under way finishes, no new work starts,
// and the command exits 130.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

struct ConfigOptions {
  std::string format = "yaml";
  bool quiet = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void print_diagnostic(const Diagnostic& diagnostic) {
  std::string source;
  if (diagnostic.where && !diagnostic.where->file.empty()) {
    source = read_text(diagnostic.where->file);
  }
  Diagnostic safe = diagnostic;
  safe.message = redact(diagnostic.message);
  safe.hint = redact(diagnostic.hint);
  std::cerr << format_diagnostic(safe, redact(source));
}

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

LoadResult load(const CommonOptions& common) {
  LoadOptions options;
  options.on_warning = print_diagnostic;
  if (!common.project_name.empty()) {
    options.project_name = common.project_name;
  }
  return load_spec(spec_path(common), options);
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
    std::unique_ptr<CommandRunner> runner = make_process_runner();
    CommandResult seen = runner->run(
        {endpoint->argv({"inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}",
                         spec.name.value + "-head"}),
         std::chrono::seconds(10),
         {}});
    std::istringstream lines(seen.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("RAY_AUTH_TOKEN=", 0) == 0 && line.size() > 15) {
        return line.substr(15);
      }
    }
  }
  if (!generate) {
    return {};
  }
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

// `endpoint` lets the Ray token be read back from a running head; `generate`
// makes a new one when there is none (up does, config does not).
Plan load_and_plan(const CommonOptions& common, const DockerEndpoint* endpoint = nullptr,
                   bool generate = false) {
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
  return plan;
}

int run_config(const CommonOptions& common, const ConfigOptions& options) {
  Plan plan = load_and_plan(common);
  if (!options.quiet) {
    std::cout << (options.format == "json" ? plan_to_json(plan) : plan_to_yaml(plan));
  }
  return 0;
}

struct LogsOptions {
  std::string node;
  bool follow = false;
  std::string tail;
};

struct ExecOptions {
  std::string node;
  std::vector<std::string> command;
};

// `-p` when given, else the spec's name (from -f or raylaunch.yml here).
std::string project_of(const CommonOptions& common) {
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
  return load(common).spec.name.value;
}

DockerEndpoint endpoint_of(const CommonOptions& common) {
  DockerEndpoint endpoint;
  if (!common.docker.empty()) {
    endpoint.program = common.docker;
  } else if (const char* program = std::getenv("RAYLAUNCH_DOCKER"); program && *program) {
    endpoint.program = program;
  }
  endpoint.context = common.context;
  // Find the program now, so a missing one is one clear message, not a failure per command.
  bool found = false;
  if (endpoint.program.find('/') != std::string::npos) {
    found = ::access(endpoint.program.c_str(), X_OK) == 0;
  } else if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':') && !found;) {
      found = ::access((fs::path(dir.empty() ? "." : dir) / endpoint.program).c_str(), X_OK) == 0;
    }
  }
  if (!found) {
    throw ExecError(fmt::format("docker program \"{}\" not found", endpoint.program),
                    "install Docker (Debian: apt-get install docker.io), or pass --docker PATH");
  }
  return endpoint;
}

// `logs` and `exec` hand the terminal to docker itself (streaming, a tty for
// exec), so raylaunch replaces itself with the docker process.
int run_passthrough(const CommonOptions& common, bool is_logs, const LogsOptions& logs,
                    const ExecOptions& exec) {
  std::string project = project_of(common);
  DockerEndpoint endpoint = endpoint_of(common);
  auto container_of = [&](const std::string& node) {
    if (node == "head") {
      return project + "-head";
    }
    return node.rfind(project + "-", 0) == 0 ? node : project + "-" + node;
  };
  std::vector<std::string> args;
  if (is_logs) {
    if (logs.node.empty()) {
      if (logs.follow) {
        throw UsageError("logs --follow needs a node", "e.g. raylaunch logs head -f");
      }
      std::unique_ptr<CommandRunner> runner = make_process_runner();
      CommandResult ps = runner->run({endpoint.argv(ps_args(project)), std::nullopt, {}});
      std::vector<ObservedContainer> containers = parse_ps(ps.out);
      std::sort(containers.begin(), containers.end(),
                [](const ObservedContainer& a, const ObservedContainer& b) { return a.name < b.name; });
      for (const ObservedContainer& c : containers) {
        std::vector<std::string> logs_args = {"logs"};
        if (!logs.tail.empty()) {
          logs_args.insert(logs_args.end(), {"--tail", logs.tail});
        }
        logs_args.push_back(c.id);
        CommandResult result = runner->run({endpoint.argv(logs_args), std::nullopt, {}});
        std::istringstream lines(result.out + result.err);
        for (std::string line; std::getline(lines, line);) {
          std::cout << c.name << " | " << line << '\n';
        }
      }
      return 0;
    }
    args = {"logs"};
    if (logs.follow) {
      args.push_back("--follow");
    }
    if (!logs.tail.empty()) {
      args.insert(args.end(), {"--tail", logs.tail});
    }
    args.push_back(container_of(logs.node));
  } else {
    args = {"exec"};
    if (::isatty(STDIN_FILENO)) {
      args.push_back("--interactive");
      if (::isatty(STDOUT_FILENO)) {
        args.push_back("--tty");
      }
    }
    args.push_back(container_of(exec.node));
    args.insert(args.end(), exec.command.begin(), exec.command.end());
  }
  std::vector<std::string> argv = endpoint.argv(args);
  std::vector<char*> pointers;
  for (std::string& arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  std::cout.flush();
  ::execvp(pointers[0], pointers.data());
  throw ExecError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)),
                  "pass --docker PATH");
}

// `logs` keeps `-f` for --follow, as docker and compose do; there the spec is --file only.
void add_common(CLI::App& command, CommonOptions& common, bool docker, bool short_file = true) {
  command.add_option(short_file ? "-f,--file" : "--file", common.file,
                     "The cluster spec (default: raylaunch.yml here)");
  command.add_option("-p,--project-name", common.project_name,
                     "The project's name (default: the spec's name:)");
  if (docker) {
    command.add_option("--docker", common.docker,
                       "The docker program (default: $RAYLAUNCH_DOCKER or docker)");
    command.add_option("--context", common.context, "The Docker context to use");
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"raylaunch: one YAML file to a Ray cluster in Docker", "raylaunch"};
  app.set_version_flag("--version", fmt::format("raylaunch {}", k_version));
  app.require_subcommand(1);
  app.fallthrough();

  CommonOptions common;
  ConfigOptions config_options;
  CLI::App* config = app.add_subcommand("config", "Print the resolved plan of the spec");
  add_common(*config, common, false);
  config->add_option("--format", config_options.format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}));
  config->add_flag("-q,--quiet", config_options.quiet, "Only validate; print nothing");

  bool dry_run = false;
  bool no_wait = false;
  int timeout = 180;
  int parallel = 8;
  std::string progress_name = "auto";
  CLI::App* up = app.add_subcommand("up", "Create or converge the cluster, wait until Ray has every node");
  add_common(*up, common, true);
  up->add_flag("--dry-run", dry_run, "Print the docker commands, run none");
  up->add_flag("--no-wait", no_wait, "Return when the containers run, before Ray has every node");
  bool wait = true;
  up->add_flag("--wait", wait, "Wait until Ray has every node (the default)");
  up->add_option("--timeout", timeout, "Seconds to wait for every node to join (default 180)");
  up->add_option("--parallel", parallel, "Docker commands at once (default 8)")
      ->check(CLI::Range(1, 64));
  up->add_option("--progress", progress_name, "auto, tty, plain or json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));

  int lock_timeout = 300;
  up->add_option("--lock-timeout", lock_timeout,
                 "Seconds to wait for another raylaunch on this project (default 300)");
  int down_timeout = 10;
  bool volumes = false;
  CLI::App* down = app.add_subcommand("down", "Remove the cluster's containers and network");
  add_common(*down, common, true);
  down->add_option("-t,--timeout", down_timeout, "Seconds to wait for Ray to stop (default 10)");
  down->add_flag("-v,--volumes", volumes, "Also remove the project's volumes");
  down->add_option("--lock-timeout", lock_timeout,
                   "Seconds to wait for another raylaunch on this project (default 300)");
  down->add_option("--progress", progress_name, "auto, tty, plain or json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));

  bool json = false;
  CLI::App* status = app.add_subcommand("status", "Show the containers and Ray's view of them");
  add_common(*status, common, true);
  status->add_flag("--json", json, "Print a JSON document");

  LogsOptions logs_options;
  CLI::App* logs = app.add_subcommand("logs", "Show a node's log (every node's without NODE)");
  add_common(*logs, common, true, false);
  logs->add_option("node", logs_options.node, "The node: head, GROUP-N, or a container name");
  logs->add_flag("-f,--follow", logs_options.follow, "Keep printing new lines");
  logs->add_option("--tail", logs_options.tail, "Only the last N lines");

  ExecOptions exec_options;
  CLI::App* exec = app.add_subcommand("exec", "Run a command in a node: exec NODE -- CMD...");
  add_common(*exec, common, true);
  exec->add_option("node", exec_options.node, "The node: head, GROUP-N, or a container name")
      ->required();
  exec->add_option("command", exec_options.command, "The command and its arguments")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    std::cerr << fmt::format("raylaunch: error: {}\nhint: see raylaunch --help\n", e.what());
    return 2;
  }

  try {
    if (config->parsed()) {
      return run_config(common, config_options);
    }
    if (logs->parsed() || exec->parsed()) {
      return run_passthrough(common, logs->parsed(), logs_options, exec_options);
    }
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    DockerEndpoint endpoint = endpoint_of(common);
    std::unique_ptr<CommandRunner> real = make_process_runner();
    std::unique_ptr<CommandRunner> printing = make_printing_runner(std::cout, real.get());
    CommandRunner& runner = dry_run && up->parsed() ? *printing : *real;
    Progress progress(std::cerr, progress_mode_from(progress_name, STDERR_FILENO));
    Executor executor(runner, endpoint, progress, std::cout, &g_interrupted);
    int code = 0;
    auto wait_message = [&](const std::string& path) {
      progress.message(fmt::format("waiting for another raylaunch working on this project (lock: {})",
                                   path));
    };
    if (up->parsed()) {
      Plan plan = load_and_plan(common, &endpoint, true);
      UpOptions options{!no_wait, std::chrono::seconds(timeout), parallel, dry_run};
      std::optional<ProjectLock> lock;
      if (!dry_run) {
        lock.emplace(plan.project, std::chrono::seconds(lock_timeout), wait_message);
      }
      code = executor.up(plan, options);
    } else if (down->parsed()) {
      std::string project = project_of(common);
      ProjectLock lock(project, std::chrono::seconds(lock_timeout), wait_message);
      code = executor.down(project, {std::chrono::seconds(down_timeout), volumes});
    } else {
      std::optional<Plan> plan;
      if (!common.file.empty() || (common.project_name.empty() && default_spec().has_value())) {
        plan = load_and_plan(common, &endpoint, false);
      }
      std::string project = plan ? plan->project : project_of(common);
      code = executor.status(project, plan ? &*plan : nullptr, {json});
    }
    return g_interrupted ? 130 : code;
  } catch (const ExecError& e) {
    if (g_interrupted) {
      print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
      return 130;
    }
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 1;
  } catch (const SpecError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 2;
  } catch (const UsageError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 2;
  } catch (const Error& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("raylaunch: internal error: {}\n", e.what());
    return 70;
  }
}

}  // namespace raylaunch
