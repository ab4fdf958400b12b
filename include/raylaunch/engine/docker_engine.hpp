#pragma once

// What raylaunch says to the Docker CLI, as argv vectors, and how it reads
// the answers. Pure functions, so the exact commands are unit-tested.

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include <map>
#include <string>
#include <vector>

namespace raylaunch {

/// How to reach Docker: the program (`--docker`, $RAYLAUNCH_DOCKER) and an
/// optional context (`--context`). DOCKER_HOST and DOCKER_CONTEXT reach the
/// CLI through the environment it inherits.
struct DockerEndpoint {
  std::string program = "docker";
  std::string context;

  /// `program [--context NAME] args...`
  std::vector<std::string> argv(std::vector<std::string> args) const;
  /// The engine's address for messages: the context, DOCKER_HOST, or the local socket.
  std::string describe() const;
};


/// `docker ps -a` of every container with the project's label.
std::vector<std::string> ps_args(const std::string& project);
std::vector<ObservedContainer> parse_ps(const std::string& out);

/// `docker network ls` of the project's networks (by label), one name a line.
std::vector<std::string> network_ls_args(const std::string& project);
std::vector<std::string> network_create_args(const PlannedNetwork& network);

/// `docker volume ls` / `create` of the project's volumes (by label).
std::vector<std::string> volume_ls_args(const std::string& project);
std::vector<std::string> volume_create_args(const std::string& project, const std::string& name);

/// `docker run -d ...` creating `container` exactly as planned. Secret env
/// values are not in it: run_env() gives them, for docker's environment.
std::vector<std::string> run_args(const Plan& plan, const PlannedContainer& container);
std::map<std::string, std::string> run_env(const PlannedContainer& container);

/// `docker image inspect` of `images`; parse_missing_images reads which are absent.
std::vector<std::string> image_inspect_args(const std::vector<std::string>& images);
std::vector<std::string> parse_missing_images(const std::string& err,
                                              const std::vector<std::string>& images);

}  // namespace raylaunch
