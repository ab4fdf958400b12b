// `logs` and `exec` hand the terminal to docker itself. `logs NODE` replaces
// raylaunch with the docker CLI (streaming as docker does it); `exec` runs
// docker exec on this terminal and waits, reading only docker's stderr on the
// way, to give the exit codes `docker run` gives (exec_exit_code); every
// node's log is printed here, each line after the node's name.
#include <raylaunch/engine/docker_engine.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/engine/docker_said.hpp>
#include <raylaunch/engine/follow.hpp>

#include "child.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

namespace raylaunch {

namespace {

// Everything of `text` on `fd`; false when it cannot be written.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t wrote = ::write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<size_t>(wrote));
  }
  return true;
}

}  // namespace

std::vector<std::string> logs_args(const std::string& container, const LogOptions& options) {
  std::vector<std::string> args = {"logs"};
  if (options.follow) {
    args.push_back("--follow");
  }
  if (!options.tail.empty()) {
    args.insert(args.end(), {"--tail", options.tail});
  }
  if (options.timestamps) {
    args.push_back("--timestamps");
  }
  if (!options.since.empty()) {
    args.insert(args.end(), {"--since", options.since});
  }
  args.push_back(container);
  return args;
}

std::vector<std::string> exec_args(const std::string& container, const ExecRequest& request) {
  // stdin always reaches the command, as with `docker compose exec`
  // (`echo hi | raylaunch exec -T head -- wc -c` counts 3).
  std::vector<std::string> args = {"exec", "--interactive"};
  if (request.tty) {
    args.push_back("--tty");
  }
  for (const std::string& variable : request.env) {
    args.insert(args.end(), {"--env", variable});
  }
  if (!request.workdir.empty()) {
    args.insert(args.end(), {"--workdir", request.workdir});
  }
  if (!request.user.empty()) {
    args.insert(args.end(), {"--user", request.user});
  }
  args.push_back(container);
  args.insert(args.end(), request.command.begin(), request.command.end());
  return args;
}

LogSource DockerEngine::log_source(const std::string& container, const LogOptions& options) const {
  LogSource source{container, m_endpoint.argv(logs_args(container, options)), {}, {}};
  if (options.follow) {
    source.state_argv = m_endpoint.argv(
        {"inspect", "--type", "container", "--format",
         "{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}} {{.State.StartedAt}}",
         container});
    // After a restart, from the new start on (the engine's own clock), the
    // same options but --tail and --since: what came before was printed.
    LogOptions resume = options;
    resume.tail.clear();
    resume.since.clear();
    source.resume_argv = m_endpoint.argv(logs_args(container, resume));
    source.resume_argv.pop_back();  // follow_logs adds --since TIME and the container
  }
  return source;
}

bool DockerEngine::print_log(const std::string& container, const LogOptions& options,
                             size_t width, std::ostream& out) {
  CommandResult result = docker(logs_args(container, options));
  std::istringstream lines(result.out + result.err);
  for (std::string line; std::getline(lines, line);) {
    out << log_prefix(container, width) << line << '\n';
  }
  return result.exit_code == 0;
}

void DockerEngine::attach_logs(const std::string& container, const LogOptions& options) {
  std::vector<std::string> argv = m_endpoint.argv(logs_args(container, options));
  log_debug(quote_for_display(argv));
  std::vector<char*> pointers;
  for (std::string& arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  std::cout.flush();
  ::execvp(pointers[0], pointers.data());
  throw ExecError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)),
                  "pass --docker PATH");
}

int DockerEngine::attach_exec(const std::string& container, const ExecRequest& request,
                              const std::atomic<int>& signal) {
  std::vector<std::string> argv = m_endpoint.argv(exec_args(container, request));
  log_debug(quote_for_display(argv));
  std::cout.flush();
  // Without a tty, docker's stdout comes through here too: engines before 23
  // write "OCI runtime exec failed" there. With one, the terminal is docker's.
  child::Child docker = child::spawn(argv, request.tty ? child::Piped::errors : child::Piped::apart);
  std::vector<int> pipes = {docker.err};
  if (docker.out >= 0) {
    pipes.push_back(docker.out);
  }
  std::array<std::string, 2> said;  // the start of docker's stderr and stdout
  int passed_on = 0;
  // A reader that goes away (`| head`) closes docker's pipe, as it would docker's own stdout.
  child::SigpipeIgnored failed_writes;
  child::read_all(
      pipes,
      [&](size_t i, std::string_view data) {
        if (said[i].size() < 4096) {
          said[i].append(data.substr(0, 4096 - said[i].size()));
        }
        return write_all(i == 0 ? STDERR_FILENO : STDOUT_FILENO, data);
      },
      [&] {
        // A signal sent to raylaunch alone (kill PID) reaches docker too.
        if (int caught = signal.load(); caught != 0 && caught != passed_on) {
          ::kill(docker.pid, caught);
          passed_on = caught;
        }
        return true;
      });
  return exec_exit_code(child::wait_for(docker.pid), said[1], said[0]);
}

}  // namespace raylaunch
