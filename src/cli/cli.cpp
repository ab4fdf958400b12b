// Parses the command line (defined in command_line.cpp) and calls the
// command, and is the one place that catches Error and picks exit codes.
// Parse errors are told in parse_errors.cpp.
#include <raylaunch/cli/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

#include "command_line.hpp"
#include "parse_errors.hpp"
#include "stdout_check.hpp"
#include "tools.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace raylaunch {

namespace {

using namespace cli;

// Set by SIGINT, SIGTERM and SIGHUP: work under way finishes, no new work
// starts, and the command exits 128 + the signal (130, 143, 129).
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int signal) {
  g_signal = signal;
  g_interrupted = true;
}

void catch_signals() {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(signal, on_interrupt);
  }
}

// `exec`'s exit code is the command's: raylaunch's own failures there are
// 125, as docker's own are, so that 1 and 2 stay the command's.
constexpr int k_exec_failed = 125;

int dispatch(const Commands& commands, const Options& o) {
  if (!o.tool.name.empty()) {
    return run_tool(o.tool);
  }
  if (!o.exporting.target.empty()) {
    return run_export(o.common, o.exporting);
  }
  if (commands.config->parsed()) {
    return run_config(o.common, o.config);
  }
  catch_signals();
  if (commands.logs->parsed()) {
    return run_logs(o.common, o.logs, g_signal);
  }
  if (commands.exec->parsed()) {
    return run_exec(o.common, o.exec, g_signal);
  }
  int code = 0;
  if (commands.up->parsed()) {
    code = run_up(o.common, o.engine, o.up, g_interrupted);
  } else if (commands.down->parsed()) {
    code = run_down(o.common, o.engine, o.down, g_interrupted);
  } else if (commands.submit->parsed()) {
    code = run_submit(o.common, o.submit, g_interrupted);
  } else if (commands.job->parsed()) {
    JobOptions job = o.job;
    job.action = commands.job->get_subcommands().at(0)->get_name();
    code = run_job(o.common, job, g_interrupted);
  } else if (!o.serve.action.empty()) {
    code = run_serve(o.common, o.serve, g_interrupted);
  } else if (commands.run->parsed()) {
    code = run_run(o.common, o.engine, o.run, g_interrupted);
  } else if (commands.autoscale->parsed()) {
    code = run_autoscale(o.common, o.engine, o.autoscale, g_interrupted);
  } else {
    code = run_status(o.common, o.engine, g_interrupted);
  }
  if (g_interrupted) {
    print_interrupted(g_signal, "");
    return 128 + g_signal;
  }
  return code;
}

// The one place errors become exit codes: 1 failed, 2 bad spec or usage,
// 128 + the signal when one stopped the command (130 SIGINT, 143 SIGTERM,
// 129 SIGHUP), and for `exec` 125 whatever raylaunch's own failure. Anything
// else is a bug: main's run_guarded() makes it exit 70.
int run_catching(const Commands& commands, const Options& o) {
  auto say = [](const Error& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
  };
  bool exec = commands.exec->parsed();
  try {
    init_log(o.common.verbose ? "debug" : o.common.log_level);
    return dispatch(commands, o);
  } catch (const Interrupted& e) {
    print_interrupted(g_signal, e.message());
    return 128 + g_signal;
  } catch (const Error& e) {
    say(e);
    if (g_interrupted) {
      print_interrupted(g_signal, "");
      return 128 + g_signal;
    }
    bool usage = dynamic_cast<const SpecError*>(&e) != nullptr ||
                 dynamic_cast<const UsageError*>(&e) != nullptr;
    return exec ? k_exec_failed : usage ? 2 : 1;
  }
}

// Under `--progress json` every line on stderr is JSON, a parse error's too,
// so the command line is read for it here, also when CLI11 could not parse it.
void diagnostics_as_asked(int argc, char** argv, const std::string& command) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      return;
    }
    if (arg == "--progress=json" || (arg == "--progress" && i + 1 < argc &&
                                     std::string_view(argv[i + 1]) == "json")) {
      json_diagnostics(command.empty() ? "raylaunch" : "raylaunch " + command);
      return;
    }
  }
}

int run_command_line(int argc, char** argv) {
  CLI::App app{"raylaunch: one YAML file to a Ray cluster in Docker", "raylaunch"};
  app.set_version_flag("--version", fmt::format("raylaunch {}", k_version));
  app.require_subcommand(1);
  app.fallthrough();
  Options options;
  Commands commands = define_commands(app, options);
  if (std::optional<int> code = run_hidden(app, argc, argv)) {
    return *code;
  }
  app.footer(fmt::format("Example:\n  raylaunch -f cluster.yml up\n\n{}", k_global_rule));
  std::optional<Diagnostic> wrong;
  try {
    app.parse(argc, argv);
    wrong = given_twice(app);
    if (!wrong) {
      wrong = empty_value(app);
    }
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    wrong = parse_error(app, e);
  }
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  diagnostics_as_asked(argc, argv, chosen.empty() ? "" : chosen.front()->get_name());
  if (wrong) {
    print_diagnostic(*wrong);
    return commands.exec->parsed() ? k_exec_failed : 2;
  }
  return run_catching(commands, options);
}

}  // namespace

int run_cli(int argc, char** argv) {
  StdoutCheck output;
  return output.checked(run_command_line(argc, argv));
}

}  // namespace raylaunch
