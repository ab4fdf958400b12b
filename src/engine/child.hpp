#pragma once

// Processes that share this terminal (`exec`, `logs -f`): started from an
// argv (never a shell) with posix_spawn, their output read through a pipe as
// it comes. Commands whose output is read whole go through CommandRunner.

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch::child {

/// Which of the child's streams come to us through pipes; the others are
/// this process's own.
enum class Piped {
  apart,     // stdout through `out`, stderr through `err` (exec without a tty)
  errors,    // stderr through `err` (exec with a tty: the terminal is docker's)
  together,  // stdout and stderr both through `out`, stdin from /dev/null (logs -f)
};

struct Child {
  pid_t pid = -1;
  int out = -1;  // read ends, -1 when not piped
  int err = -1;
};

/// Starts `argv` (argv[0] found on PATH) with the default action for SIGINT,
/// SIGTERM, SIGHUP and SIGPIPE. Throws ExecError when it cannot start.
Child spawn(const std::vector<std::string>& argv, Piped piped);

/// While it lives, a write to a pipe whose reader went away (`| head`) fails
/// with EPIPE instead of killing raylaunch with SIGPIPE.
class SigpipeIgnored {
 public:
  SigpipeIgnored();
  ~SigpipeIgnored();
  SigpipeIgnored(const SigpipeIgnored&) = delete;
  SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

 private:
  struct sigaction m_before {};
};

/// Waits for `pid` to end: its exit code, or 128 + the signal that ended it.
int wait_for(pid_t pid);

/// Reads every fd until each ends (and closes it), calling `on_data` with
/// its index and the bytes read; when that returns false the fd is closed
/// (its writer gets EPIPE). `tick` is called before each wait, at least
/// every 100 ms; reading stops early when it returns false.
void read_all(const std::vector<int>& fds,
              const std::function<bool(size_t, std::string_view)>& on_data,
              const std::function<bool()>& tick);

}  // namespace raylaunch::child
