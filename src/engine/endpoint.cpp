// How to reach a Docker engine: the docker program and the endpoint or
// context it is given, and how messages name it.
#include <raylaunch/engine/docker_engine.hpp>

#include <fmt/format.h>

#include <cstdlib>

namespace raylaunch {

std::vector<std::string> DockerEndpoint::argv(std::vector<std::string> args) const {
  std::vector<std::string> out = {program};
  if (!host.empty()) {
    out.push_back("--host");
    out.push_back(host);
  } else if (!context.empty()) {
    out.push_back("--context");
    out.push_back(context);
  }
  out.insert(out.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  return out;
}

std::string DockerEndpoint::describe() const {
  return name.empty() ? address() : fmt::format("host \"{}\" ({})", name, address());
}

std::string DockerEndpoint::address() const {
  if (!host.empty()) {
    return host;
  }
  if (!context.empty()) {
    return fmt::format("context \"{}\"", context);
  }
  if (const char* docker_host = std::getenv("DOCKER_HOST");
      docker_host != nullptr && *docker_host != '\0') {
    return docker_host;
  }
  if (const char* docker_context = std::getenv("DOCKER_CONTEXT");
      docker_context != nullptr && *docker_context != '\0') {
    return fmt::format("context \"{}\"", docker_context);
  }
  return "unix:///var/run/docker.sock";
}

DockerEndpoint DockerEndpoint::for_host(const PlannedHost& machine) const {
  DockerEndpoint out = *this;
  if (!machine.docker.empty()) {
    out.host = machine.docker;
    out.context.clear();
  } else if (!machine.context.empty()) {
    out.host.clear();
    out.context = machine.context;
  }
  out.name = machine.name;
  return out;
}

bool DockerEndpoint::is_local() const { return address().rfind("unix://", 0) == 0; }

}  // namespace raylaunch
