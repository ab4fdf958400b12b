// What `up` checks on the engines before it creates anything, beyond images,
// GPUs and ports (up.cpp): that no name it is about to use is held by a
// container outside the project (another project whose names overlap, or a
// container made by hand), and that no node asks for more CPUs or memory
// than its engine's machine has. A `docker run` would fail half way on each.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/parallel.hpp>
#include <raylaunch/plan/ray_start.hpp>

#include <algorithm>
#include <map>

namespace raylaunch {

namespace {

struct HostFacts {
  std::vector<NamedContainer> named;
  EngineSize size;
};

void refuse_taken_name(const Plan& plan, const PlannedContainer& c, const NamedContainer& held) {
  std::string id = held.id.substr(0, 12);
  std::string on = c.host.empty() ? "" : fmt::format(" on host \"{}\"", c.host);
  if (held.project.empty()) {
    throw ExecError(fmt::format("the name {} is taken{} by container {}, which is not raylaunch's",
                                c.name, on, id),
                    fmt::format("raylaunch never touches a container without its project label: "
                                "remove or rename it (docker rm -f {}), or give this project "
                                "another name with -p",
                                id));
  }
  throw ExecError(
      fmt::format("the name {} is taken{} by container {} of raylaunch project \"{}\"", c.name, on,
                  id, held.project),
      fmt::format("the names of projects \"{}\" and \"{}\" overlap (containers are named "
                  "<project>-<group>-<replica>): take \"{}\" down (raylaunch down -p {}), or give "
                  "this project another name with -p",
                  plan.project, held.project, held.project, held.project));
}

void refuse_too_big(const PlannedContainer& c, const EngineSize& size, const std::string& engine) {
  if (c.cpus && size.cpus > 0 && *c.cpus > size.cpus) {
    throw ExecError(fmt::format("{} asks for cpus: {}, but the engine at {} has {} CPUs", c.name,
                                format_number(*c.cpus), engine, size.cpus),
                    "lower cpus: Docker refuses a limit above the machine's CPUs");
  }
  if (c.memory && size.memory > 0 && *c.memory > size.memory) {
    throw ExecError(fmt::format("{} asks for memory: {} MiB, but the machine of the engine at {} "
                                "has {} MiB",
                                c.name, *c.memory >> 20, engine, size.memory >> 20),
                    "lower memory to what the machine has");
  }
}

}  // namespace

void Executor::check_names_and_sizes(const Plan& plan, const std::vector<Action>& actions) {
  std::map<std::string, std::vector<const PlannedContainer*>> created;  // by host
  for (const Action& action : actions) {
    if (action.kind == Action::Kind::create && action.container != nullptr) {
      created[action.container->host].push_back(action.container);
    }
  }
  std::map<std::string, HostFacts> facts;
  std::vector<std::function<void()>> probes;
  for (const auto& [host, containers] : created) {
    HostFacts* into = &facts[host];
    DockerEngine* on = &engine(host);
    probes.emplace_back([into, on, &plan] { into->named = on->containers_named(plan.project + "-"); });
    bool limits = std::any_of(containers.begin(), containers.end(),
                              [](const PlannedContainer* c) { return c->cpus || c->memory; });
    if (limits) {
      probes.emplace_back([into, on] { into->size = on->size(); });
    }
  }
  run_concurrently(probes);
  for (const auto& [host, containers] : created) {
    const HostFacts& known = facts[host];
    for (const PlannedContainer* c : containers) {
      for (const NamedContainer& held : known.named) {
        if (held.name == c->name && held.project != plan.project) {
          refuse_taken_name(plan, *c, held);
        }
      }
      refuse_too_big(*c, known.size, engine(host).endpoint().describe());
    }
  }
}

}  // namespace raylaunch
