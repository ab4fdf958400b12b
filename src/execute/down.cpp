// `down`: everything with the project's label goes, on every host: one
// `docker stop` of every node at once (workers outlive their head for Ray's
// reconnect window, so none restarts by policy meanwhile), then one rm for
// all containers of a host, then the network (and volumes). Nothing without the label is ever touched, because every look-up
// is by label. A host that does not answer is named, and a second `down`
// once it is back removes the rest.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/observed.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <mutex>

namespace raylaunch {

namespace {

// What one host has of the project.
struct HostShare {
  std::string host;
  std::vector<ObservedContainer> containers;
  std::vector<std::string> networks;
  std::vector<std::string> volumes;
  std::string unreachable;  // why its engine did not answer
};

bool is_running(const ObservedContainer& c) {
  return c.state == "running" || c.state == "restarting" || c.state == "paused";
}

// The hosts a cluster across several spans, as its containers' labels say;
// "" for a cluster on one host.
std::string other_hosts(const std::vector<HostShare>& shares) {
  for (const HostShare& share : shares) {
    for (const ObservedContainer& c : share.containers) {
      if (!c.spec_hosts.empty()) {
        std::string names = c.spec_hosts;
        for (size_t at = names.find(','); at != std::string::npos; at = names.find(',', at + 2)) {
          names.replace(at, 1, ", ");
        }
        return names;
      }
    }
  }
  return "";
}

}  // namespace

int Executor::down(const std::string& project, const DownOptions& options) {
  std::vector<std::string> hosts = host_names();
  std::vector<HostShare> shares(hosts.size());
  std::vector<std::function<void()>> probes;
  for (size_t i = 0; i < hosts.size(); ++i) {
    shares[i].host = hosts[i];
    DockerEngine* on = &engine(hosts[i]);
    probes.emplace_back([&, on, i] {
      try {
        shares[i].containers = on->containers(project);
        shares[i].networks = on->networks(project);
        if (options.volumes) {
          shares[i].volumes = on->volumes(project);
        }
      } catch (const ExecError& error) {
        if (m_hosts.empty()) {
          throw;  // one engine: its error, with its hint, is the whole answer
        }
        shares[i].unreachable = error.message();
      }
    });
  }
  run_concurrently(probes);

  bool anything = false;
  std::string unreachable;
  for (const HostShare& share : shares) {
    anything = anything || !share.containers.empty() || !share.networks.empty() ||
               !share.volumes.empty();
    if (!share.unreachable.empty()) {
      unreachable += (unreachable.empty() ? "" : "\n") + share.unreachable;
    }
  }
  if (!anything && unreachable.empty()) {
    m_progress.message(fmt::format("nothing to remove for project \"{}\"", project));
    m_progress.finish();
    return 0;
  }
  for (const HostShare& share : shares) {
    for (const ObservedContainer& c : share.containers) {
      m_progress.event("Container " + c.name, "Stopping");
    }
  }
  // Every node of every host stops at once, each within the grace period. A
  // worker outlives its head for Ray's reconnect window (60 s), so none
  // exits and restarts by its policy while the head goes first.
  std::vector<std::function<void()>> stops;
  for (const HostShare& share : shares) {
    std::vector<std::string> running;
    for (const ObservedContainer& c : share.containers) {
      if (is_running(c)) {
        running.push_back(c.id);
      }
    }
    if (!running.empty()) {
      DockerEngine* on = &engine(share.host);
      stops.emplace_back([on, running, &options] { on->stop(running, options.timeout); });
    }
  }
  run_concurrently(stops);
  std::vector<std::function<void()>> removals;
  for (const HostShare& share : shares) {
    removals.emplace_back([&, share] {
      remove_containers(project, share.host, share.containers);
      remove_networks(share.host, share.networks);
      remove_volumes(share.host, share.volumes);
    });
  }
  run_concurrently(removals);
  m_progress.finish();
  if (std::string others = other_hosts(shares); !others.empty() && m_hosts.empty()) {
    throw ExecError(fmt::format("project \"{}\" has nodes on several hosts ({}); without its "
                                "spec only this engine's were removed",
                                project, others),
                    "pass the spec with -f, or each other engine with --host ENDPOINT");
  }
  if (!unreachable.empty()) {
    throw ExecError(fmt::format("some hosts did not answer; what they run of project \"{}\" is "
                                "still there:\n{}",
                                project, unreachable),
                    "run `raylaunch down` again once they answer");
  }
  return 0;
}

void Executor::remove_containers(const std::string& project, const std::string& host,
                                 const std::vector<ObservedContainer>& found) {
  if (found.empty()) {
    return;
  }
  std::vector<std::string> all;
  for (const ObservedContainer& c : found) {
    all.push_back(c.id);
  }
  DockerEngine& on = engine(host);
  Outcome removed = on.remove_all(all);
  if (!removed.ok) {
    std::vector<ObservedContainer> left = on.containers(project);
    if (!left.empty()) {
      throw ExecError(fmt::format("{} containers of project \"{}\" could not be removed{}: {}",
                                  left.size(), project,
                                  host.empty() ? "" : " on host \"" + host + "\"", removed.said),
                      "run `raylaunch down` again; `docker ps -a --filter "
                      "label=io.raylaunch.project=" + project + "` lists them");
    }
  }
  for (const ObservedContainer& c : found) {
    m_progress.event("Container " + c.name, "Removed", EventState::done);
  }
}

void Executor::remove_networks(const std::string& host, const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  Outcome removed = engine(host).remove_networks(names);
  std::string on = host.empty() ? "" : " on " + host;
  for (const std::string& name : names) {
    if (!removed.ok) {
      m_progress.event("Network " + name + on, "Error", EventState::error, removed.said);
    } else {
      m_progress.event("Network " + name + on, "Removed", EventState::done);
    }
  }
  if (!removed.ok) {
    throw ExecError(fmt::format("cannot remove network {}{}: {}", names.front(), on, removed.said),
                    "a container outside the project may still be attached: `docker network "
                    "inspect " + names.front() + "`");
  }
}

void Executor::remove_volumes(const std::string& host, const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  Outcome removed = engine(host).remove_volumes(names);
  if (!removed.ok) {
    throw ExecError(fmt::format("cannot remove volumes{}: {}",
                                host.empty() ? "" : " on host \"" + host + "\"", removed.said),
                    "a container outside the project may still use them");
  }
  for (const std::string& name : names) {
    m_progress.event("Volume " + name + (host.empty() ? "" : " on " + host), "Removed",
                     EventState::done);
  }
}

}  // namespace raylaunch
