// The machines of a cluster: one DockerEngine each, asked in parallel. A spec
// without `hosts:` has one, the endpoint raylaunch was given.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/observed.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>

namespace raylaunch {

void Executor::use_hosts(const std::vector<PlannedHost>& hosts) {
  m_hosts.clear();
  for (const PlannedHost& host : hosts) {
    m_hosts.emplace_back(host.name, std::make_unique<DockerEngine>(
                                        m_runner, m_engine.endpoint().for_host(host),
                                        m_engine.port_probe()));
  }
}

DockerEngine& Executor::engine(const std::string& host) {
  for (auto& [name, engine] : m_hosts) {
    if (name == host) {
      return *engine;
    }
  }
  return m_engine;
}

std::vector<std::string> Executor::host_names() const {
  if (m_hosts.empty()) {
    return {""};
  }
  std::vector<std::string> names;
  for (const auto& [name, engine] : m_hosts) {
    names.push_back(name);
  }
  return names;
}

int Executor::commands_run() const {
  int count = m_engine.commands_run();
  for (const auto& [name, engine] : m_hosts) {
    count += engine->commands_run();
  }
  return count;
}

HostsSeen hosts_seen(const std::vector<ObservedContainer>& found) {
  HostsSeen seen;
  std::set<std::string> on;
  for (const ObservedContainer& c : found) {
    on.insert(c.host_label);
    std::stringstream names(c.spec_hosts);
    for (std::string name; std::getline(names, name, ',');) {
      if (!name.empty() &&
          std::find(seen.spanned.begin(), seen.spanned.end(), name) == seen.spanned.end()) {
        seen.spanned.push_back(name);
      }
    }
  }
  for (const std::string& name : seen.spanned) {
    if (on.count(name) == 0) {
      seen.unseen.push_back(name);
    }
  }
  return seen;
}

Executor::Found Executor::find_everywhere(const std::string& project) {
  std::vector<std::string> hosts = host_names();
  std::vector<std::vector<ObservedContainer>> each(hosts.size());
  std::vector<std::string> why(hosts.size());
  std::vector<std::function<void()>> probes;
  for (size_t i = 0; i < hosts.size(); ++i) {
    probes.emplace_back([&, i] {
      try {
        each[i] = engine(hosts[i]).containers(project);
      } catch (const ExecError& error) {
        if (m_hosts.empty()) {
          throw;  // one engine: its error, with its hint, is the whole answer
        }
        why[i] = error.message();
      }
    });
  }
  run_concurrently(probes);
  Found found;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (!why[i].empty()) {
      found.unreachable.emplace_back(hosts[i], why[i]);
      continue;
    }
    found.containers.insert(found.containers.end(), each[i].begin(), each[i].end());
  }
  return found;
}

std::vector<ObservedContainer> Executor::project_containers(const std::string& project,
                                                            std::vector<std::string>& unreachable) {
  Found found = find_everywhere(project);
  for (const auto& [host, why] : found.unreachable) {
    unreachable.push_back(host);
  }
  return std::move(found.containers);
}

std::optional<size_t> Executor::running_planned(const Plan& plan) {
  try {
    Found found = find_everywhere(plan.project);
    size_t running = 0;
    for (const PlannedContainer& planned : plan.containers) {
      for (const ObservedContainer& c : found.containers) {
        running += c.name == planned.name && c.host == planned.host && c.state == "running";
      }
    }
    return running;
  } catch (const ExecError&) {
    return std::nullopt;
  }
}

// docker save on this machine's engine, streamed into docker load on the
// host's, with the bytes so far as progress.
void Executor::ship_image(const std::string& image, const std::string& host) {
  std::string id = fmt::format("Image {} to {}", image, host);
  m_progress.event(id, "Shipping");
  uint64_t shown = 0;
  Outcome shipped = engine(host).load_from(m_engine, image, [&](uint64_t bytes) {
    if (bytes - shown >= (16u << 20)) {  // a line per 16 MiB in plain output
      shown = bytes;
      m_progress.event(id, "Shipping", EventState::working,
                       fmt::format("{} MiB", bytes >> 20));
    }
  });
  if (shipped.interrupted) {
    // The user's signal, not docker's failure: nothing half-loaded is kept.
    m_progress.event(id, "Interrupted", EventState::error);
    throw ExecError(fmt::format("shipping image {} to host \"{}\" was interrupted", image, host),
                    "run `raylaunch up` again to ship it");
  }
  if (!shipped.ok) {
    m_progress.event(id, "Error", EventState::error, shipped.said);
    throw ExecError(
        fmt::format("cannot ship image {} to host \"{}\": {}", image, host, shipped.said),
        shipped.hint.empty()
            ? "pull: ship copies an image this machine's engine has; build or load "
              "it here first, or load it on the host by hand"
            : shipped.hint);
  }
  m_progress.event(id, "Shipped", EventState::done);
}

}  // namespace raylaunch
