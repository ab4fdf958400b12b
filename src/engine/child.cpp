// Processes that share this terminal (see child.hpp).
#include "child.hpp"

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace raylaunch::child {

namespace {

constexpr int k_tick_ms = 100;

// A pipe whose ends are closed in every child but where they are dup2'ed.
std::array<int, 2> make_pipe() {
  std::array<int, 2> ends{-1, -1};
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) {
    throw ExecError(fmt::format("cannot make a pipe: {}", std::strerror(errno)),
                    "too many open files? close some programs and try again");
  }
  return ends;
}

// The child's file actions: the write ends as its stdout and stderr.
void plan_files(posix_spawn_file_actions_t& actions, int out, int err, Piped piped) {
  posix_spawn_file_actions_init(&actions);
  if (piped == Piped::together) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (out >= 0) {
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  }
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
}

// Signals raylaunch catches or ignores get their default action back, and none is blocked.
void plan_signals(posix_spawnattr_t& attributes) {
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    sigaddset(&defaults, signal);
  }
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

}  // namespace

Child spawn(const std::vector<std::string>& argv, Piped piped) {
  std::array<int, 2> out = piped == Piped::errors ? std::array<int, 2>{-1, -1} : make_pipe();
  std::array<int, 2> err = piped == Piped::together ? out : make_pipe();
  std::vector<std::string> copy = argv;
  std::vector<char*> pointers;
  for (std::string& arg : copy) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  plan_files(actions, out[1], err[1], piped);
  plan_signals(attributes);
  Child child;
  int error = ::posix_spawnp(&child.pid, pointers[0], &actions, &attributes, pointers.data(),
                             environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  for (int end : {out[1], piped == Piped::together ? -1 : err[1]}) {
    if (end >= 0) {
      ::close(end);
    }
  }
  child.out = out[0];
  child.err = piped == Piped::together ? -1 : err[0];
  if (error != 0) {
    for (int end : {child.out, child.err}) {
      if (end >= 0) {
        ::close(end);
      }
    }
    throw ExecError(fmt::format("cannot run {}: {}", argv.at(0), std::strerror(error)),
                    "pass --docker PATH");
  }
  return child;
}

SigpipeIgnored::SigpipeIgnored() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &m_before);
}

SigpipeIgnored::~SigpipeIgnored() { ::sigaction(SIGPIPE, &m_before, nullptr); }

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 1;
    }
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void read_all(const std::vector<int>& fds,
              const std::function<bool(size_t, std::string_view)>& on_data,
              const std::function<bool()>& tick) {
  std::vector<pollfd> polled;
  for (int fd : fds) {
    polled.push_back({fd, POLLIN, 0});
  }
  size_t open = fds.size();
  char buffer[65536];
  while (open > 0 && tick()) {
    if (::poll(polled.data(), polled.size(), k_tick_ms) < 0) {
      if (errno == EINTR) {
        continue;  // a signal: `tick` looks at it
      }
      break;
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      if (polled[i].fd < 0 || polled[i].revents == 0) {
        continue;
      }
      ssize_t got = ::read(polled[i].fd, buffer, sizeof(buffer));
      bool keep = got < 0 && errno == EINTR;
      if (got > 0) {
        keep = on_data(i, std::string_view(buffer, static_cast<size_t>(got)));
      }
      if (!keep) {
        ::close(polled[i].fd);
        polled[i].fd = -1;
        --open;
      }
    }
  }
  for (const pollfd& each : polled) {
    if (each.fd >= 0) {
      ::close(each.fd);
    }
  }
}

}  // namespace raylaunch::child
