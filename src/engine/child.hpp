#pragma once

// Processes that share this terminal (`exec`, `logs -f`): started from an
// argv (never a shell) with posix_spawn, their output read through a pipe as
// it comes. Commands whose output is read whole go through CommandRunner.

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <functional>
#include <map>
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

/// What a started process gets as its stdin, stdout and stderr: an fd of
/// ours (dup2'ed), /dev/null, or this process's own.
constexpr int k_null = -1;
constexpr int k_inherit = -2;
struct Stdio {
  int in = k_null;
  int out = k_null;
  int err = k_null;
};

/// Starts `argv` (argv[0] found on PATH) with `stdio` and no other fd of this
/// process, close-on-exec or not: a child never holds an end of a pipe meant
/// for another child, so a hung one cannot keep another's reader from its end.
/// `env` is added to this process's environment. Signals as spawn(), in a
/// process group of its own (led by the child: kill(-pid) ends what it
/// started too). Returns the pid, or -1 with `error` set to the errno of the
/// failure.
pid_t start(const std::vector<std::string>& argv, const Stdio& stdio,
            const std::map<std::string, std::string>& env, int& error);

/// A pipe whose ends are close-on-exec (read end [0], write end [1]). Throws
/// ExecError when the process has no fds left.
std::array<int, 2> make_pipe();

/// Its exit code, or 128 + the signal that ended it, from a waitpid status.
int exit_code_of(int status);

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
