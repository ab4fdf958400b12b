#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace raylaunch {

/// One process to run: argv[0] is the program. Never a shell string, so no
/// value from a spec is ever interpreted by a shell.
struct Command {
  std::vector<std::string> argv;
  /// Killed after this long; nullopt waits for ever.
  std::optional<std::chrono::milliseconds> timeout;
  /// Variables added to the child's environment. Secrets travel here, with
  /// `docker run --env NAME` (no value) in argv, so they are never in an argv
  /// that `ps` or `--dry-run` could show.
  std::map<std::string, std::string> env;
};

struct CommandResult {
  int exit_code = 0;
  std::string out;
  std::string err;
  bool timed_out = false;
  /// With `timed_out`: the bound that applied (the command's timeout).
  std::chrono::milliseconds bound{0};
};

/// How a pipe of two commands ended (`docker save | docker load`).
struct PipeResult {
  CommandResult from;
  CommandResult to;
  uint64_t bytes = 0;  // what went through
  /// Both were killed: no byte went through for PipeLimits::stall, or `to`
  /// did not end within PipeLimits::finish of the last byte.
  bool stalled = false;
  bool stalled_after_end = false;  // stalled, with every byte already through
  /// The runner's cancel flag was set (a signal): both were killed, or had
  /// ended by the same signal.
  bool interrupted = false;
};

/// How long a pipe may go without progress before both commands are killed.
struct PipeLimits {
  std::chrono::milliseconds stall{60000};    // no byte through
  std::chrono::milliseconds finish{600000};  // after the last byte, for `to` to end
};

/// CommandRunner is how raylaunch runs a command whose output it reads (the
/// terminal's commands, `exec` and `logs -f`, go through src/engine/child.cpp,
/// also from an argv, never a shell). The executor
/// depends on it so unit tests can record commands instead of running Docker,
/// and `--dry-run` can print them. Implementations must allow run() from
/// several threads at once.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs `command` to completion. A non-zero exit is returned, not thrown;
  /// throws ExecError only if the program cannot be started.
  virtual CommandResult run(const Command& command) = 0;
  /// Runs `from` and `to` at once, `from`'s stdout streamed into `to`'s stdin
  /// through this process, calling `on_bytes` with the running total; both
  /// are killed past `limits` or when the runner's cancel flag is set.
  /// Runners that cannot stream throw ExecError.
  virtual PipeResult pipe(const Command& from, const Command& to,
                          const std::function<void(uint64_t)>& on_bytes, const PipeLimits& limits);
};

/// Runs processes for real, keeping stdout and stderr apart. Each child gets
/// its own pipe ends and no other fd of raylaunch's. `cancel`, when given and
/// set (by a signal), kills a pipe() under way; run() finishes what it started.
std::unique_ptr<CommandRunner> make_process_runner(const std::atomic<bool>* cancel = nullptr);

/// `--dry-run`: prints each command that would change something, shell-quoted
/// for reading, to `out`, and runs none of them (each "succeeds" with empty
/// output). Commands that only look (docker ps, ls, inspect, info) go to
/// `reader` when given, so the printed commands are the ones `up` would run
/// against the engine as it is now.
std::unique_ptr<CommandRunner> make_printing_runner(std::ostream& out,
                                                    CommandRunner* reader = nullptr);

/// Whether `argv` (a docker command line) only reads the engine's state.
bool is_read_only_docker_command(const std::vector<std::string>& argv);

/// Why the kernel refused to start `command` with E2BIG, naming the longest
/// value by where it goes (`--env BIG`, `--label k`, `--temp-dir`, or an
/// environment variable), never by its text, which may be secret or huge:
/// past `per_value_limit` (Linux takes at most 32 pages in one argument or
/// variable), or else the longest of a command line too long in all.
std::string too_long_reason(const Command& command, size_t per_value_limit);

/// `argv` quoted so a reader could paste it into a shell (display only).
std::string quote_for_display(const std::vector<std::string>& argv);

}  // namespace raylaunch
