#pragma once

// The command line's shape: every command, its options and their checks,
// bound to one Options. cli.cpp parses with it and runs what was chosen.

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "tools.hpp"

namespace raylaunch::cli {

// Everything the command line can say, filled in by the parser.
struct Options {
  CommonOptions common;
  ConfigOptions config;
  UpCommand up;
  DownCommand down;
  AutoscaleCommand autoscale;
  EngineOptions engine;
  LogsOptions logs;
  ExecOptions exec;
  SubmitOptions submit;
  JobOptions job;
  RunOptions run;
  ExportCommand exporting;
  ServeCommand serve;
  ToolCommand tool;
};

struct Commands {
  CLI::App* config = nullptr;
  CLI::App* up = nullptr;
  CLI::App* down = nullptr;
  CLI::App* status = nullptr;
  CLI::App* logs = nullptr;
  CLI::App* exec = nullptr;
  CLI::App* submit = nullptr;
  CLI::App* job = nullptr;
  CLI::App* run = nullptr;
  CLI::App* autoscale = nullptr;
};

// The help's last lines, the program's and each command's.
inline constexpr const char* k_global_rule =
    "Global options go before or after the command: `raylaunch -f x.yml -p demo up`\n"
    "is `raylaunch up -f x.yml -p demo`. After `logs` and `job logs`, -f means --follow\n"
    "(as in docker): there give the spec as --file, or as -f FILE before the command.";

/// Defines the global options and every command on `app`, bound to `o`.
Commands define_commands(CLI::App& app, Options& o);

}  // namespace raylaunch::cli
