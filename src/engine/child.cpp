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
#include <initializer_list>
#include <string_view>

extern char** environ;

namespace raylaunch::child {

namespace {

constexpr int k_tick_ms = 100;

// The child's file actions: each of its stdin, stdout and stderr as asked,
// then every other fd closed, so that it holds no end of another child's
// pipes (nor the project's lock, nor a socket of ours), even one a library
// opened without close-on-exec.
void plan_files(posix_spawn_file_actions_t& actions, const Stdio& stdio) {
  posix_spawn_file_actions_init(&actions);
  const std::array<int, 3> fds = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target < 3; ++target) {
    int fd = fds[static_cast<size_t>(target)];
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, fd, target);
    } else if (fd == k_null) {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                       target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
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

// This process's environment with `env` added (replacing what it names).
std::vector<std::string> environment_with(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (char** each = environ; *each != nullptr; ++each) {
    std::string_view entry = *each;
    std::string name(entry.substr(0, entry.find('=')));
    if (env.find(name) == env.end()) {
      out.emplace_back(entry);
    }
  }
  for (const auto& [name, value] : env) {
    out.push_back(name + "=" + value);
  }
  return out;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& each : strings) {
    pointers.push_back(each.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

}  // namespace

std::array<int, 2> make_pipe() {
  std::array<int, 2> ends{-1, -1};
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) {
    throw ExecError(fmt::format("cannot make a pipe: {}", std::strerror(errno)),
                    "too many open files? close some programs and try again");
  }
  return ends;
}

int exit_code_of(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

pid_t start(const std::vector<std::string>& argv, const Stdio& stdio,
            const std::map<std::string, std::string>& env, int& error) {
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers = pointers_to(args);
  std::vector<std::string> variables = environment_with(env);
  std::vector<char*> env_pointers = pointers_to(variables);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  plan_files(actions, stdio);
  plan_signals(attributes);
  // A process group of its own: a terminal's Ctrl-C reaches raylaunch, which
  // decides when docker stops, and a child past its bound goes with all it
  // started (a --docker wrapper's own children too).
  short flags = 0;
  posix_spawnattr_getflags(&attributes, &flags);
  posix_spawnattr_setflags(&attributes, static_cast<short>(flags | POSIX_SPAWN_SETPGROUP));
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  error = ::posix_spawnp(&pid, arg_pointers[0], &actions, &attributes, arg_pointers.data(),
                         env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error == 0 ? pid : -1;
}

Child spawn(const std::vector<std::string>& argv, Piped piped) {
  std::array<int, 2> out = piped == Piped::errors ? std::array<int, 2>{-1, -1} : make_pipe();
  std::array<int, 2> err = piped == Piped::together ? out : make_pipe();
  Stdio stdio{piped == Piped::together ? k_null : k_inherit,
              piped == Piped::errors ? k_inherit : out[1], err[1]};
  int error = 0;
  Child child;
  child.pid = start(argv, stdio, {}, error);
  close_all({out[1], piped == Piped::together ? -1 : err[1]});
  child.out = out[0];
  child.err = piped == Piped::together ? -1 : err[0];
  if (error != 0) {
    close_all({child.out, child.err});
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
  return exit_code_of(status);
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
