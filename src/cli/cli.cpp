// Turns the command line into options and calls the commands; the only file
// that includes CLI11, and the one place that catches Error and picks exit
// codes.
#include <raylaunch/cli/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

#include "commands.hpp"

#include <csignal>
#include <iostream>
#include <string_view>

namespace raylaunch {

namespace {

using namespace cli;

// Set by SIGINT and SIGTERM: work under way finishes, no new work starts,
// and the command exits 130.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted = true; }

// Everything the command line can say, filled in by the parser.
struct Options {
  CommonOptions common;
  ConfigOptions config;
  UpCommand up;
  DownCommand down;
  EngineOptions engine;
  LogsOptions logs;
  ExecOptions exec;
};

struct Commands {
  CLI::App* config = nullptr;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  CLI::App* status = nullptr;
  CLI::App* logs = nullptr;
  CLI::App* exec = nullptr;
};

// `logs` keeps `-f` for --follow, as docker and compose do; there the spec is --file only.
void add_common(CLI::App& command, CommonOptions& common, bool docker, bool short_file = true) {
  command.add_option(short_file ? "-f,--file" : "--file", common.file,
                     "The cluster spec (default: raylaunch.yml here)");
  command.add_option("-p,--project-name", common.project_name,
                     "The project's name (default: the spec's name:)");
  command.add_flag("--verbose", common.verbose,
                   "Log every docker command with its exit status and time on stderr");
  if (docker) {
    command.add_option("--docker", common.docker,
                       "The docker program (default: $RAYLAUNCH_DOCKER or docker)");
    command.add_option("--context", common.context, "The Docker context to use");
  }
}

// A subcommand with the options every command takes.
CLI::App* subcommand(CLI::App& app, Options& o, const char* name, const char* help,
                     bool docker = true) {
  CLI::App* command = app.add_subcommand(name, help);
  add_common(*command, o.common, docker, std::string_view(name) != "logs");
  return command;
}

// The commands that change the cluster show progress and take the project's lock.
void add_progress_and_lock(CLI::App& command, EngineOptions& engine) {
  command.add_option("--progress", engine.progress, "auto, tty, plain or json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));
  command.add_option("--lock-timeout", engine.lock_timeout,
                     "Seconds to wait for another raylaunch on this project (default 300)");
}

CLI::App* define_config(CLI::App& app, Options& o) {
  CLI::App* config = subcommand(app, o, "config", "Print the resolved plan of the spec", false);
  config->add_option("--format", o.config.format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}));
  config->add_flag("-q,--quiet", o.config.quiet, "Only validate; print nothing");
  return config;
}

CLI::App* define_up(CLI::App& app, Options& o) {
  CLI::App* up =
      subcommand(app, o, "up", "Create or converge the cluster, wait until Ray has every node");
  up->add_flag("--dry-run", o.up.dry_run, "Print the docker commands, run none");
  up->add_flag("--no-wait", o.up.no_wait,
               "Return when the containers run, before Ray has every node");
  up->add_flag("--wait", o.up.wait, "Wait until Ray has every node (the default)");
  up->add_option("--timeout", o.up.timeout, "Seconds to wait for every node to join (default 180)");
  up->add_option("--parallel", o.up.parallel, "Docker commands at once (default 8)")
      ->check(CLI::Range(1, 64));
  add_progress_and_lock(*up, o.engine);
  return up;
}

CLI::App* define_down(CLI::App& app, Options& o) {
  CLI::App* down = subcommand(app, o, "down", "Remove the cluster's containers and network");
  down->add_option("-t,--timeout", o.down.timeout, "Seconds to wait for Ray to stop (default 10)");
  down->add_flag("-v,--volumes", o.down.volumes, "Also remove the project's volumes");
  add_progress_and_lock(*down, o.engine);
  return down;
}

CLI::App* define_status(CLI::App& app, Options& o) {
  CLI::App* status = subcommand(app, o, "status", "Show the containers and Ray's view of them");
  status->add_flag("--json", o.engine.json, "Print a JSON document");
  return status;
}

CLI::App* define_logs(CLI::App& app, Options& o) {
  CLI::App* logs = subcommand(app, o, "logs", "Show a node's log (every node's without NODE)");
  logs->add_option("node", o.logs.node, "The node: head, GROUP-N, or a container name");
  logs->add_flag("-f,--follow", o.logs.follow, "Keep printing new lines");
  logs->add_option("--tail", o.logs.tail, "Only the last N lines");
  return logs;
}

CLI::App* define_exec(CLI::App& app, Options& o) {
  CLI::App* exec = subcommand(app, o, "exec", "Run a command in a node: exec NODE -- CMD...");
  exec->add_option("node", o.exec.node, "The node: head, GROUP-N, or a container name")
      ->required();
  exec->add_option("command", o.exec.command, "The command and its arguments")->required();
  return exec;
}

int dispatch(const Commands& commands, const Options& o) {
  if (commands.config->parsed()) {
    return run_config(o.common, o.config);
  }
  if (commands.logs->parsed()) {
    return run_logs(o.common, o.logs);
  }
  if (commands.exec->parsed()) {
    return run_exec(o.common, o.exec);
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  int code = 0;
  if (commands.up->parsed()) {
    code = run_up(o.common, o.engine, o.up, g_interrupted);
  } else if (commands.down->parsed()) {
    code = run_down(o.common, o.engine, o.down, g_interrupted);
  } else {
    code = run_status(o.common, o.engine, g_interrupted);
  }
  return g_interrupted ? 130 : code;
}

// The one place errors become exit codes: 1 failed, 2 bad spec or usage, 130
// interrupted, 70 a bug.
int run_catching(const Commands& commands, const Options& o) {
  auto say = [](const Error& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
  };
  try {
    init_log(o.common.verbose ? "debug" : "");
    return dispatch(commands, o);
  } catch (const ExecError& e) {
    say(e);
    return g_interrupted ? 130 : 1;
  } catch (const SpecError& e) {
    say(e);
    return 2;
  } catch (const UsageError& e) {
    say(e);
    return 2;
  } catch (const Error& e) {
    say(e);
    return 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("raylaunch: internal error: {}\n", e.what());
    return 70;
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"raylaunch: one YAML file to a Ray cluster in Docker", "raylaunch"};
  app.set_version_flag("--version", fmt::format("raylaunch {}", k_version));
  app.require_subcommand(1);
  app.fallthrough();
  Options options;
  Commands commands{define_config(app, options), define_up(app, options),
                    define_down(app, options),   define_status(app, options),
                    define_logs(app, options),   define_exec(app, options)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    std::cerr << fmt::format("raylaunch: error: {}\nhint: see raylaunch --help\n", e.what());
    return 2;
  }
  return run_catching(commands, options);
}

}  // namespace raylaunch
