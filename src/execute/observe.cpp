// `up`'s first phases: what exists on every host (containers, with what
// `docker inspect` adds, the network, volumes, images), asked all at once,
// then the pulls. A host whose engine does not answer stops `up` here,
// before anything is made.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/observed.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace raylaunch {

namespace {

// The images of the nodes on `host`, in plan order.
std::vector<std::string> images_of(const Plan& plan, const std::string& host) {
  std::vector<std::string> images;
  for (const PlannedContainer& c : plan.containers) {
    if (c.host == host && std::find(images.begin(), images.end(), c.image) == images.end()) {
      images.push_back(c.image);
    }
  }
  return images;
}

// The project's containers on one engine, each with the image it was created
// from and the networks its endpoints refer to (one `docker inspect` for all).
std::vector<ObservedContainer> containers_on(DockerEngine& engine, const std::string& project) {
  std::vector<ObservedContainer> found = engine.containers(project);
  std::unordered_map<std::string, ObservedContainer*> by_id;
  std::vector<std::string> ids;
  for (ObservedContainer& c : found) {
    by_id[c.id] = &c;
    ids.push_back(c.id);
  }
  for (ContainerFacts& facts : engine.inspect_containers(ids)) {
    if (auto at = by_id.find(facts.id); at != by_id.end()) {
      at->second->inspected = true;
      at->second->image_id = std::move(facts.image_id);
      at->second->networks = std::move(facts.networks);
    }
  }
  return found;
}

// Two hosts that reach one engine would each run, find and remove the
// other's containers: refused by who the engine is (its ID, name and root
// folder), however the endpoints are spelled (unix:///var/run/docker.sock,
// the default, a context, tcp://...).
void refuse_one_engine_twice(const std::map<std::string, std::string>& engine_ids) {
  std::map<std::string, std::string> first_with;
  for (const auto& [host, id] : engine_ids) {
    if (id.empty()) {
      continue;
    }
    auto [at, fresh] = first_with.emplace(id, host);
    if (!fresh) {
      throw SpecError(fmt::format("hosts \"{}\" and \"{}\" reach one Docker engine (ID {})",
                                  at->second, host, id.substr(0, id.find('\t'))),
                      "give each machine its own docker: endpoint or context: (these two spell "
                      "one engine two ways)");
    }
  }
}

// An image ID as docker shows it: the first 12 hex digits.
std::string short_id(const std::string& id) {
  std::string hex = id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
  return hex.substr(0, 12);
}

}  // namespace

bool Executor::ships_to(const std::string& host) {
  if (engine(host).endpoint().address() == m_engine.endpoint().address()) {
    return false;
  }
  auto there = m_engine_ids.find(host);
  if (there == m_engine_ids.end() || there->second.empty()) {
    return true;
  }
  if (!m_local_engine_id) {
    try {
      m_local_engine_id = m_engine.engine_id();
    } catch (const ExecError&) {
      m_local_engine_id = "";
    }
  }
  return m_local_engine_id->empty() || *m_local_engine_id != there->second;
}

std::string Executor::local_image_id(const std::string& image) {
  ImageFacts facts = m_engine.inspect_images({image});
  auto found = facts.ids.find(image);
  return found == facts.ids.end() ? std::string() : found->second;
}

Executor::Observation Executor::observe(const Plan& plan) {
  Observation seen;
  std::vector<std::string> hosts = host_names();
  std::vector<std::vector<ObservedContainer>> containers(hosts.size());
  std::mutex mutex;
  std::vector<std::function<void()>> probes;
  for (size_t i = 0; i < hosts.size(); ++i) {
    DockerEngine* on = &engine(hosts[i]);
    std::string host = hosts[i];
    probes.emplace_back([&, on, i] { containers[i] = containers_on(*on, plan.project); });
    if (std::vector<std::string> images = images_of(plan, host); !images.empty()) {
      probes.emplace_back([&, on, host, images] {
        ImageFacts facts = on->inspect_images(images);
        std::lock_guard<std::mutex> lock(mutex);
        seen.state.image_ids[host] = facts.ids;
        seen.images[host] = std::move(facts);
      });
    }
    if (m_hosts.size() > 1) {
      probes.emplace_back([&, on, host] {
        std::string id = on->engine_id();
        std::lock_guard<std::mutex> lock(mutex);
        seen.engine_ids[host] = id;
        m_engine_ids[host] = id;
      });
    }
    if (plan.network.mode == NetworkMode::bridge) {
      probes.emplace_back([&, on, host] {
        std::map<std::string, std::string> networks = on->network_ids(plan.project);
        std::lock_guard<std::mutex> lock(mutex);
        if (auto found = networks.find(plan.network.name); found != networks.end()) {
          seen.state.network_ids[host] = found->second;
        }
      });
    }
    if (!plan.volumes.empty()) {
      probes.emplace_back([&, on, host] {
        std::vector<std::string> volumes = on->volumes(plan.project);
        std::lock_guard<std::mutex> lock(mutex);
        seen.state.volumes[host] = std::move(volumes);
      });
    }
  }
  run_concurrently(probes);
  refuse_one_engine_twice(seen.engine_ids);
  for (std::vector<ObservedContainer>& found : containers) {
    seen.state.containers.insert(seen.state.containers.end(), found.begin(), found.end());
  }
  return seen;
}

// Pulls (or ships) what the policy asks for, host by host; says clearly what
// cannot be had.
// A pulled image may stand for a new ID: reconcile compares it with the one
// each container was created from.
void Executor::pull_images(const Plan& plan, Observation& seen) {
  std::map<std::string, std::string> local_ids;  // this machine's, asked once per image
  for (const auto& [host, facts] : seen.images) {
    for (const std::string& image : images_of(plan, host)) {
      bool always = false;
      bool never = true;
      bool ship = false;
      for (const PlannedContainer& c : plan.containers) {
        if (c.image == image && c.host == host) {
          always = always || c.pull == PullPolicy::always;
          never = never && c.pull == PullPolicy::never;
          ship = ship || c.pull == PullPolicy::ship;
        }
      }
      bool absent =
          std::find(facts.missing.begin(), facts.missing.end(), image) != facts.missing.end();
      if (absent && never) {
        throw ExecError(fmt::format("image {} is not present{} and the spec says pull: never",
                                    image, host.empty() ? "" : " on host \"" + host + "\""),
                        "build or load it first (docker build, docker load, docker import), or "
                        "set pull: missing");
      }
      bool stale = false;
      if (ship && !absent && ships_to(host)) {
        // An image rebuilt here under the same tag: the host gets the new one.
        auto there = facts.ids.find(image);
        std::string here =
            local_ids.count(image) ? local_ids[image] : (local_ids[image] = local_image_id(image));
        stale = !here.empty() && (there == facts.ids.end() || there->second != here);
        if (stale) {
          m_progress.message(fmt::format(
              "host \"{}\" has image {} as {}, this machine as {}: shipping this machine's", host,
              image, there == facts.ids.end() ? "?" : short_id(there->second), short_id(here)));
        }
      }
      if (absent || always || stale) {
        pull_image(image, host, absent || stale, ship);
        std::map<std::string, std::string> ids = engine(host).inspect_images({image}).ids;
        seen.state.image_ids[host].erase(image);
        seen.state.image_ids[host].insert(ids.begin(), ids.end());
      }
    }
  }
}

void Executor::pull_image(const std::string& image, const std::string& host, bool absent,
                          bool ship) {
  if (ship && absent && ships_to(host)) {
    ship_image(image, host);
    return;
  }
  std::string id = "Image " + image + (host.empty() ? "" : " on " + host);
  m_progress.event(id, "Pulling");
  Outcome pulled = engine(host).pull(image);
  if (!pulled.ok) {
    m_progress.event(id, "Error", EventState::error, pulled.said);
    if (!absent) {
      return;  // pull: always, and a copy is here: use it
    }
    throw ExecError(
        fmt::format("image {} is not {} and cannot be pulled: {}", image,
                    host.empty() ? "here" : "on host \"" + host + "\"", pulled.said),
        host.empty() ? "check the name, log in to its registry, or build or load it locally"
                     : "check the name and the host's registry, or set pull: ship to copy it "
                       "from this machine");
  }
  m_progress.event(id, "Pulled", EventState::done);
}

}  // namespace raylaunch
