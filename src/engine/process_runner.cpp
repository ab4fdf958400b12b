// Where raylaunch runs the commands whose output it reads whole. (Those that
// share the terminal, `exec` and `logs -f`, are started in child.cpp; both
// start every process through child::start, which gives a child its own
// pipe ends and no other fd.) stdout and stderr are read together with
// poll(), so a child that fills one pipe while we read the other cannot
// deadlock us, and a bound or a signal is seen within a tick.
#include <raylaunch/engine/command_runner.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "child.hpp"

namespace raylaunch {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often a wait looks at the cancel flag and at children that ended
// while something else holds their pipes.
constexpr milliseconds k_tick{50};

[[noreturn]] void failed_to_start(const Command& command, int error) {
  if (error == E2BIG) {
    size_t per_value = 32 * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    throw ExecError(fmt::format("the kernel refuses so long a command line (E2BIG): {}",
                                too_long_reason(command, per_value)),
                    "shorten that value; give a node big data in a file through volumes:");
  }
  if (error == ENOENT) {
    throw ExecError(fmt::format("program \"{}\" not found", command.argv.at(0)),
                    "install it or pass its path");
  }
  throw ExecError(fmt::format("cannot run \"{}\": {}", command.argv.at(0), std::strerror(error)),
                  "check that the program exists and may be executed");
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A started child: its pid, and an fd that becomes readable when it ends
// (pidfd; -1 where the kernel has none, then it is looked at every tick).
struct Process {
  pid_t pid = -1;
  int pidfd = -1;
  bool ended = false;
  int code = 0;

  // Reaps it if it ended; true once it has.
  bool reaped() {
    if (ended) {
      return true;
    }
    int status = 0;
    pid_t got = 0;
    do {
      got = ::waitpid(pid, &status, WNOHANG);
    } while (got < 0 && errno == EINTR);
    if (got == pid || got < 0) {
      ended = true;
      code = got == pid ? child::exit_code_of(status) : 1;
      close_fd(pidfd);
    }
    return ended;
  }
  // Kills it with its whole process group (SIGKILL: docker's CLI holds
  // nothing a clean exit would save) and reaps it.
  void kill() {
    if (!ended) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ended = true;
      code = child::exit_code_of(status);
      close_fd(pidfd);
    }
  }
  void wait() {
    if (!ended) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ended = true;
      code = child::exit_code_of(status);
      close_fd(pidfd);
    }
  }
};

Process start(const Command& command, const child::Stdio& stdio) {
  int error = 0;
  Process process;
  process.pid = child::start(command.argv, stdio, command.env, error);
  if (process.pid < 0) {
    failed_to_start(command, error);
  }
#ifdef SYS_pidfd_open
  process.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, process.pid, 0));
#endif
  return process;
}

// An fd we read to its end into `text`.
struct Output {
  int fd = -1;
  std::string* text = nullptr;

  // Reads what is there now; closes the fd at its end.
  void read_now() {
    char buffer[65536];
    while (fd >= 0) {
      ssize_t got = ::read(fd, buffer, sizeof(buffer));
      if (got > 0) {
        text->append(buffer, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0 && errno == EAGAIN) {
        return;
      }
      close_fd(fd);
    }
  }
};

// Waits for `process`, reading `outputs` meanwhile, until it has ended and
// left nothing more to read, or until `deadline`, when it is killed (true).
// A child that ended while one of its own children still holds a pipe (a
// --docker wrapper) is done: what is in the pipe by then is read.
bool wait_reading(Process& process, std::vector<Output>& outputs,
                  std::optional<Clock::time_point> deadline) {
  for (Output& each : outputs) {
    set_nonblocking(each.fd);
  }
  for (;;) {
    std::vector<pollfd> polled;
    for (const Output& each : outputs) {
      if (each.fd >= 0) {
        polled.push_back({each.fd, POLLIN, 0});
      }
    }
    if (process.pidfd >= 0) {
      polled.push_back({process.pidfd, POLLIN, 0});
    }
    bool open = std::any_of(outputs.begin(), outputs.end(),
                            [](const Output& each) { return each.fd >= 0; });
    if (!open && process.reaped()) {
      return false;
    }
    milliseconds wait = process.pidfd >= 0 ? milliseconds(-1) : k_tick;
    if (deadline) {
      auto left = std::chrono::duration_cast<milliseconds>(*deadline - Clock::now());
      if (left <= milliseconds(0)) {
        process.kill();
        for (Output& each : outputs) {
          each.read_now();
          close_fd(each.fd);
        }
        return true;
      }
      wait = wait < milliseconds(0) ? left : std::min(wait, left);
    }
    int ready = ::poll(polled.data(), polled.size(), static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) {
      process.wait();
      return false;
    }
    for (Output& each : outputs) {
      each.read_now();
    }
    if (process.reaped()) {
      // Whatever it (or a child of its that ended before it) wrote is in
      // the pipes by now.
      for (Output& each : outputs) {
        each.read_now();
        close_fd(each.fd);
      }
      return false;
    }
  }
}

// A thread that writes into a pipe whose reader may be gone gets EPIPE, not
// a SIGPIPE that would end raylaunch; one raised meanwhile is discarded.
class PipeSignalBlocked {
 public:
  PipeSignalBlocked() {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &m_before);
  }
  ~PipeSignalBlocked() {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    timespec zero{0, 0};
    while (::sigtimedwait(&pipe_signal, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &m_before, nullptr);
  }
  PipeSignalBlocked(const PipeSignalBlocked&) = delete;
  PipeSignalBlocked& operator=(const PipeSignalBlocked&) = delete;

 private:
  sigset_t m_before{};
};

class ProcessRunner final : public CommandRunner {
 public:
  explicit ProcessRunner(const std::atomic<bool>* cancel) : m_cancel(cancel) {}

  PipeResult pipe(const Command& from, const Command& to,
                  const std::function<void(uint64_t)>& on_bytes,
                  const PipeLimits& limits) override {
    PipeSignalBlocked blocked;
    std::array<int, 2> source = child::make_pipe();  // from's stdout, to us
    std::array<int, 2> sink = child::make_pipe();    // us, to to's stdin
    std::array<int, 2> from_err = child::make_pipe();
    std::array<int, 2> to_out = child::make_pipe();
    std::array<int, 2> to_err = child::make_pipe();
    auto close_ours = [&] {
      for (std::array<int, 2>* each : {&source, &sink, &from_err, &to_out, &to_err}) {
        close_fd((*each)[0]);
        close_fd((*each)[1]);
      }
    };
    Process reader;
    Process writer;
    try {
      reader = start(to, {sink[0], to_out[1], to_err[1]});
    } catch (const ExecError&) {
      close_ours();
      throw;
    }
    close_fd(sink[0]);
    close_fd(to_out[1]);
    close_fd(to_err[1]);
    try {
      writer = start(from, {child::k_null, source[1], from_err[1]});
    } catch (const ExecError&) {
      close_ours();
      reader.kill();
      throw;
    }
    close_fd(source[1]);
    close_fd(from_err[1]);
    PipeResult result;
    std::vector<Output> errors = {
        {from_err[0], &result.from.err}, {to_out[0], &result.to.out}, {to_err[0], &result.to.err}};
    for (int fd : {source[0], sink[1], from_err[0], to_out[0], to_err[0]}) {
      set_nonblocking(fd);
    }
    std::string pending;  // read from `from`, not yet taken by `to`
    size_t offset = 0;
    Clock::time_point moved = Clock::now();  // when a byte last went through
    Clock::time_point sent = Clock::now();   // when `to` got the end
    auto stop_both = [&] {
      writer.kill();
      reader.kill();
    };
    for (;;) {
      if (m_cancel != nullptr && m_cancel->load()) {
        stop_both();
        result.interrupted = true;
        break;
      }
      Clock::time_point now = Clock::now();
      if (sink[1] >= 0 && now - moved > limits.stall) {
        stop_both();
        result.stalled = true;
        break;
      }
      if (sink[1] < 0 && source[0] < 0 && !reader.ended && now - sent > limits.finish) {
        stop_both();
        result.stalled = true;
        result.stalled_after_end = true;
        break;
      }
      if (writer.reaped() && reader.reaped()) {
        break;
      }
      std::vector<pollfd> polled;
      if (source[0] >= 0 && pending.size() - offset < (1u << 20)) {
        polled.push_back({source[0], POLLIN, 0});
      }
      if (sink[1] >= 0 && offset < pending.size()) {
        polled.push_back({sink[1], POLLOUT, 0});
      }
      for (const Output& each : errors) {
        if (each.fd >= 0) {
          polled.push_back({each.fd, POLLIN, 0});
        }
      }
      if (::poll(polled.data(), polled.size(), static_cast<int>(k_tick.count())) < 0 &&
          errno != EINTR) {
        stop_both();
        break;
      }
      for (Output& each : errors) {
        each.read_now();
      }
      if (source[0] >= 0) {
        char buffer[65536];
        for (;;) {
          ssize_t got = ::read(source[0], buffer, sizeof(buffer));
          if (got > 0) {
            pending.append(buffer, static_cast<size_t>(got));
            if (pending.size() - offset >= (1u << 20)) {
              break;
            }
            continue;
          }
          if (got < 0 && (errno == EINTR)) {
            continue;
          }
          if (got == 0 || errno != EAGAIN) {
            close_fd(source[0]);  // the end of `from`'s output
          }
          break;
        }
      }
      while (sink[1] >= 0 && offset < pending.size()) {
        ssize_t put = ::write(sink[1], pending.data() + offset, pending.size() - offset);
        if (put > 0) {
          offset += static_cast<size_t>(put);
          result.bytes += static_cast<uint64_t>(put);
          moved = Clock::now();
          on_bytes(result.bytes);
          continue;
        }
        if (put < 0 && errno == EINTR) {
          continue;
        }
        if (put < 0 && errno != EAGAIN) {
          // `to` is gone: `from` gets EPIPE in turn, not a hang.
          close_fd(sink[1]);
          close_fd(source[0]);
        }
        break;
      }
      if (offset == pending.size()) {
        pending.clear();
        offset = 0;
      } else if (offset >= (1u << 20)) {
        pending.erase(0, offset);
        offset = 0;
      }
      if (sink[1] < 0 && !writer.ended && reader.reaped()) {
        writer.kill();  // `to` is gone: what `from` still makes has nowhere to go
      }
      if (sink[1] >= 0 && source[0] < 0 && pending.empty()) {
        close_fd(sink[1]);  // `to` sees the end
        sent = Clock::now();
      }
      if (source[0] < 0 && sink[1] < 0 && writer.reaped() && reader.reaped()) {
        break;
      }
    }
    for (Output& each : errors) {
      each.read_now();
    }
    close_ours();
    writer.wait();
    reader.wait();
    result.from.exit_code = writer.code;
    result.to.exit_code = reader.code;
    if (m_cancel != nullptr && m_cancel->load()) {
      // A terminal's Ctrl-C reaches the children too: they ended by the
      // user's signal, not by a failure of theirs.
      result.interrupted = true;
    }
    return result;
  }

  CommandResult run(const Command& command) override {
    std::array<int, 2> out = child::make_pipe();
    std::array<int, 2> err = child::make_pipe();
    Process process;
    try {
      process = start(command, {child::k_null, out[1], err[1]});
    } catch (const ExecError&) {
      for (int fd : {out[0], out[1], err[0], err[1]}) {
        ::close(fd);
      }
      throw;
    }
    close_fd(out[1]);
    close_fd(err[1]);
    CommandResult result;
    std::vector<Output> outputs = {{out[0], &result.out}, {err[0], &result.err}};
    std::optional<Clock::time_point> deadline;
    if (command.timeout) {
      deadline = Clock::now() + *command.timeout;
    }
    result.timed_out = wait_reading(process, outputs, deadline);
    if (result.timed_out) {
      result.bound = *command.timeout;  // the message names the bound that applied
    }
    process.wait();
    result.exit_code = result.timed_out ? 124 : process.code;
    return result;
  }

 private:
  const std::atomic<bool>* m_cancel;
};

class PrintingRunner final : public CommandRunner {
 public:
  PrintingRunner(std::ostream& out, CommandRunner* reader) : m_out(out), m_reader(reader) {}

  PipeResult pipe(const Command& from, const Command& to, const std::function<void(uint64_t)>&,
                  const PipeLimits&) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << quote_for_display(from.argv) << " | " << quote_for_display(to.argv) << '\n';
    return {};
  }

  CommandResult run(const Command& command) override {
    if (m_reader != nullptr && is_read_only_docker_command(command.argv)) {
      return m_reader->run(command);
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << quote_for_display(command.argv) << '\n';
    return {};
  }

 private:
  std::ostream& m_out;
  CommandRunner* m_reader;
  std::mutex m_mutex;
};

}  // namespace

PipeResult CommandRunner::pipe(const Command& from, const Command&,
                               const std::function<void(uint64_t)>&, const PipeLimits&) {
  throw ExecError(fmt::format("cannot stream the output of \"{}\" here", from.argv.at(0)),
                  "this runner runs single commands only");
}

std::unique_ptr<CommandRunner> make_process_runner(const std::atomic<bool>* cancel) {
  return std::make_unique<ProcessRunner>(cancel);
}

std::unique_ptr<CommandRunner> make_printing_runner(std::ostream& out, CommandRunner* reader) {
  return std::make_unique<PrintingRunner>(out, reader);
}

}  // namespace raylaunch
