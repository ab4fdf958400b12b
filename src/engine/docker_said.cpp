// Docker's CLI ends most of its errors with usage boilerplate ("Run 'docker
// run --help' for more information"), which is the line a naive reader keeps.
// This file keeps the daemon's own words instead, and reads the few facts in
// them that raylaunch turns into hints.
#include <raylaunch/engine/docker_said.hpp>

#include <regex>
#include <sstream>

namespace raylaunch {

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string trimmed(std::string line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  size_t start = line.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : line.substr(start);
}

// `See 'docker run --help'.` and `Run 'docker run --help' for more information`.
bool is_help_pointer(const std::string& line) {
  return (starts_with(line, "See 'docker") || starts_with(line, "Run 'docker")) &&
         contains(line, "--help'");
}

}  // namespace

std::string docker_message(const std::string& err) {
  std::istringstream lines(err);
  std::string message;
  bool in_usage = false;
  for (std::string raw; std::getline(lines, raw);) {
    std::string line = trimmed(raw);
    if (line.empty()) {
      in_usage = false;  // a usage block ends at a blank line
      continue;
    }
    if (starts_with(line, "Usage:")) {
      in_usage = true;
    }
    if (in_usage || is_help_pointer(line)) {
      continue;
    }
    if (starts_with(line, "docker: ")) {
      line = line.substr(8);
    }
    message += (message.empty() ? "" : "; ") + line;
  }
  return message;
}

std::string docker_verb(const std::vector<std::string>& args) {
  std::string verb = "docker";
  for (const std::string& arg : args) {
    verb += " " + arg;
    if (arg != "network" && arg != "volume" && arg != "image" && arg != "container") {
      break;
    }
  }
  return verb;
}

std::string conflicting_container(const std::string& said) {
  static const std::regex k_conflict(
      R"re(The container name "[^"]*" is already in use by container "([0-9a-f]+)")re");
  std::smatch match;
  return std::regex_search(said, match, k_conflict) ? match[1].str() : std::string();
}

EngineTrouble engine_trouble(const std::string& said) {
  if (contains(said, "context not found") ||
      (contains(said, "context \"") && contains(said, "does not exist"))) {
    return EngineTrouble::no_context;
  }
  if (contains(said, "permission denied while trying to connect")) {
    return EngineTrouble::permission;
  }
  if (!contains(said, "Cannot connect to the Docker daemon") &&
      !contains(said, "error during connect") && !contains(said, "connection refused")) {
    return EngineTrouble::other;
  }
  bool remote = contains(said, "tcp://") || contains(said, "ssh://") ||
                contains(said, "dial tcp") || contains(said, "ssh:");
  return remote ? EngineTrouble::down_remote : EngineTrouble::down_local;
}

int exec_exit_code(int code, const std::string& out, const std::string& err) {
  std::string said = trimmed(err.substr(0, err.find('\n')));
  if (code == 1 && starts_with(said, "Error response from daemon:")) {
    return 125;
  }
  // The engine was not reached (no daemon, no context, no permission): the
  // command never ran. Only docker's own first words count, so a command
  // that prints "connection refused" keeps its code.
  bool docker_said_it = starts_with(said, "Cannot connect to the Docker daemon") ||
                        starts_with(said, "error during connect") ||
                        starts_with(said, "context \"") ||
                        starts_with(said, "permission denied while trying to connect");
  if (code == 1 && docker_said_it && engine_trouble(said) != EngineTrouble::other) {
    return 125;
  }
  // `OCI runtime exec failed: exec failed: unable to start container process:
  // exec: "nosuch": executable file not found in $PATH: unknown` (on stdout,
  // from engines before 23); a missing path says `exec: "/no/such": stat
  // /no/such: no such file or directory`.
  for (const std::string& first : {said, trimmed(out.substr(0, out.find('\n')))}) {
    bool not_found = contains(first, "executable file not found") ||
                     contains(first, "no such file or directory");
    if (code == 126 && starts_with(first, "OCI runtime exec failed") &&
        contains(first, "exec: \"") && not_found) {
      return 127;
    }
  }
  return code;
}

}  // namespace raylaunch
