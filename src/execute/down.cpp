// `down`: everything with the project's label goes, on every host: one
// `docker stop` of every node at once (workers outlive their head for Ray's
// reconnect window, so none restarts by policy meanwhile), then one rm for
// all containers of a host, then the network (and volumes). Nothing without the label is ever touched, because every look-up
// is by label. A host that does not answer is named, and a second `down`
// once it is back removes the rest.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/execute/observed.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

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

// The hosts of a cluster across several that a `down` without the spec did
// not reach, kept in the lock folder (<project>.hosts-left: the hosts it
// spans on the first line, those not reached on the second) so that the next
// `down -p` still names them.
std::string left_file(const std::string& project) {
  return lock_dir() + "/" + project + ".hosts-left";
}

std::vector<std::string> split_names(const std::string& line) {
  std::vector<std::string> names;
  std::stringstream stream(line);
  for (std::string name; std::getline(stream, name, ',');) {
    if (!name.empty()) {
      names.push_back(name);
    }
  }
  return names;
}

std::string joined(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : separator) + name;
  }
  return out;
}

HostsSeen read_left(const std::string& project) {
  std::ifstream in(left_file(project));
  std::string spanned;
  std::string left;
  std::getline(in, spanned);
  std::getline(in, left);
  return {split_names(spanned), split_names(left)};
}

void write_left(const std::string& project, const HostsSeen& hosts) {
  std::string path = left_file(project);
  if (hosts.unseen.empty()) {
    std::remove(path.c_str());
    return;
  }
  std::ofstream out(path, std::ios::trunc);
  out << joined(hosts.spanned, ",") << '\n' << joined(hosts.unseen, ",") << '\n';
}

// "host b was" or "hosts b, c were".
std::string hosts_were(const std::vector<std::string>& names) {
  return fmt::format("{} {} {}", names.size() == 1 ? "host" : "hosts", joined(names),
                     names.size() == 1 ? "was" : "were");
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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
  // Without the spec: the hosts of a cluster across several that no engine
  // asked shows, with those an earlier `down` did not reach. With --host
  // and every engine answering, the user has named the other engines: none
  // is left unreached.
  HostsSeen left;
  if (!options.from_spec) {
    std::vector<ObservedContainer> all;
    for (const HostShare& share : shares) {
      all.insert(all.end(), share.containers.begin(), share.containers.end());
    }
    left = hosts_seen(all);
    HostsSeen before = read_left(project);
    std::set<std::string> here;
    for (const ObservedContainer& c : all) {
      here.insert(c.host_label);
    }
    for (const std::string& host : before.spanned) {
      if (!has(left.spanned, host)) {
        left.spanned.push_back(host);
      }
    }
    for (const std::string& host : before.unseen) {
      if (!has(left.unseen, host) && here.count(host) == 0) {
        left.unseen.push_back(host);
      }
    }
    if (!m_hosts.empty() && unreachable.empty()) {
      left.unseen.clear();
    }
    write_left(project, left);
  } else if (unreachable.empty()) {
    write_left(project, {});
  }
  if (!anything && unreachable.empty()) {
    m_progress.message(fmt::format("nothing to remove for project \"{}\"", project));
    m_progress.finish();
    if (!left.unseen.empty()) {
      throw ExecError(fmt::format("project \"{}\" has nodes on several hosts ({}); nothing of it "
                                  "is left on {}, but {} not reached",
                                  project, joined(left.spanned),
                                  m_hosts.empty() ? "this engine" : "the engines asked",
                                  hosts_were(left.unseen)),
                      "pass the spec with -f, or each other engine with --host ENDPOINT");
    }
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
      std::string host = share.host;
      stops.emplace_back([this, on, running, host, &options] {
        // A stop that fails or outlives its bound is said, naming the host;
        // the rm --force that follows still removes what it can.
        if (Outcome stopped = on->stop(running, options.timeout); !stopped.ok && !stopped.interrupted) {
          m_progress.message(fmt::format("not every node stopped cleanly{}: {}; removing by force",
                                         host.empty() ? "" : " on host \"" + host + "\"",
                                         stopped.said));
        }
      });
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
  if (!left.unseen.empty()) {
    throw ExecError(fmt::format("project \"{}\" has nodes on several hosts ({}); without its "
                                "spec only {} were removed, and {} not reached",
                                project, joined(left.spanned),
                                m_hosts.empty() ? "this engine's" : "those of the engines asked",
                                hosts_were(left.unseen)),
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
      throw ExecError(
          fmt::format("{} containers of project \"{}\" could not be removed{}: {}", left.size(),
                      project, host.empty() ? "" : " on " + on.endpoint().describe(), removed.said),
          "run `raylaunch down` again; `docker ps -a --filter "
          "label=io.raylaunch.project=" +
              project + "` lists them");
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
