// `down`: everything with the project's label goes, in one stop and one rm
// for all containers, then the network (and volumes). Nothing without the
// label is ever touched, because every look-up is by label.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/parallel.hpp>

namespace raylaunch {

int Executor::down(const std::string& project, const DownOptions& options) {
  std::vector<ObservedContainer> containers;
  std::vector<std::string> networks;
  std::vector<std::string> volumes;
  std::vector<std::function<void()>> probes = {
      [&] { containers = m_engine.containers(project); },
      [&] { networks = m_engine.networks(project); }};
  if (options.volumes) {
    probes.emplace_back([&] { volumes = m_engine.volumes(project); });
  }
  run_concurrently(probes);
  if (containers.empty() && networks.empty() && volumes.empty()) {
    m_progress.message(fmt::format("nothing to remove for project \"{}\"", project));
    m_progress.finish();
    return 0;
  }
  remove_containers(project, containers, options);
  remove_networks(networks);
  remove_volumes(volumes);
  m_progress.finish();
  return 0;
}

void Executor::remove_containers(const std::string& project,
                                 const std::vector<ObservedContainer>& found,
                                 const DownOptions& options) {
  std::vector<std::string> running;
  std::vector<std::string> all;
  for (const ObservedContainer& c : found) {
    all.push_back(c.id);
    if (c.state == "running" || c.state == "restarting" || c.state == "paused") {
      running.push_back(c.id);
    }
    m_progress.event("Container " + c.name, "Stopping");
  }
  if (!running.empty()) {
    m_engine.stop(running, options.timeout);
  }
  if (!all.empty()) {
    Outcome removed = m_engine.remove_all(all);
    if (!removed.ok) {
      std::vector<ObservedContainer> left = m_engine.containers(project);
      if (!left.empty()) {
        throw ExecError(fmt::format("{} containers of project \"{}\" could not be removed: {}",
                                    left.size(), project, removed.said),
                        "run `raylaunch down` again; `docker ps -a --filter "
                        "label=io.raylaunch.project=" + project + "` lists them");
      }
    }
  }
  for (const ObservedContainer& c : found) {
    m_progress.event("Container " + c.name, "Removed", EventState::done);
  }
}

void Executor::remove_networks(const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  Outcome removed = m_engine.remove_networks(names);
  for (const std::string& name : names) {
    if (!removed.ok) {
      m_progress.event("Network " + name, "Error", EventState::error, removed.said);
    } else {
      m_progress.event("Network " + name, "Removed", EventState::done);
    }
  }
  if (!removed.ok) {
    throw ExecError(fmt::format("cannot remove network {}: {}", names.front(), removed.said),
                    "a container outside the project may still be attached: `docker network "
                    "inspect " + names.front() + "`");
  }
}

void Executor::remove_volumes(const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  Outcome removed = m_engine.remove_volumes(names);
  if (!removed.ok) {
    throw ExecError(fmt::format("cannot remove volumes: {}", removed.said),
                    "a container outside the project may still use them");
  }
  for (const std::string& name : names) {
    m_progress.event("Volume " + name, "Removed", EventState::done);
  }
}

}  // namespace raylaunch
