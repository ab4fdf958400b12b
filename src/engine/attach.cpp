// `logs` and `exec` hand the terminal to docker itself: streaming, a tty for
// exec and docker's own exit code, so raylaunch replaces itself with the
// docker CLI (after one look-up when every node's log is wanted).
#include <raylaunch/engine/docker_engine.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

namespace raylaunch {

void DockerEngine::print_logs(const std::vector<ObservedContainer>& containers,
                              const std::string& tail, std::ostream& out) {
  for (const ObservedContainer& c : containers) {
    std::vector<std::string> args = {"logs"};
    if (!tail.empty()) {
      args.insert(args.end(), {"--tail", tail});
    }
    args.push_back(c.id);
    CommandResult result = docker(args);
    std::istringstream lines(result.out + result.err);
    for (std::string line; std::getline(lines, line);) {
      out << c.name << " | " << line << '\n';
    }
  }
}

void DockerEngine::attach_logs(const std::string& container, bool follow,
                               const std::string& tail) {
  std::vector<std::string> args = {"logs"};
  if (follow) {
    args.push_back("--follow");
  }
  if (!tail.empty()) {
    args.insert(args.end(), {"--tail", tail});
  }
  args.push_back(container);
  replace_process(std::move(args));
}

void DockerEngine::attach_exec(const std::string& container,
                               const std::vector<std::string>& command) {
  // stdin always reaches the command, as with `docker compose exec`
  // (`echo hi | raylaunch exec head -- wc -c` counts 3); a tty only when
  // both ends are terminals.
  std::vector<std::string> args = {"exec", "--interactive"};
  if (::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)) {
    args.push_back("--tty");
  }
  args.push_back(container);
  args.insert(args.end(), command.begin(), command.end());
  replace_process(std::move(args));
}

void DockerEngine::replace_process(std::vector<std::string> args) const {
  std::vector<std::string> argv = m_endpoint.argv(std::move(args));
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

}  // namespace raylaunch
