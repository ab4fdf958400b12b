#pragma once

// The commands behind the command line, one function each. The parser in
// cli.cpp fills these option structs and calls them; they return the exit
// code and throw Error for anything the user can fix.

#include <raylaunch/execute/executor.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace raylaunch::cli {

/// What every command takes: the spec, the project's name and the engine.
struct CommonOptions {
  std::string file;
  std::string project_name;
  std::string docker;
  std::string context;
  bool verbose = false;
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

/// Prints a diagnostic on stderr with its source line, secrets masked.
void print_diagnostic(const Diagnostic& diagnostic);

int run_config(const CommonOptions& common, const ConfigOptions& options);
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

}  // namespace raylaunch::cli
