#pragma once

// What the executor found on the hosts before it acts: shared by the files
// of `up`, `down` and `status`.

#include <raylaunch/execute/executor.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raylaunch {

/// What `up` found before it acts.
struct Executor::Observation {
  ObservedState state;
  /// Per host: which of its nodes' images are missing, and whom the others run as.
  std::map<std::string, ImageFacts> images;
  /// With several hosts: each host's engine ID (`docker info`).
  std::map<std::string, std::string> engine_ids;
};

/// What `docker ps` of a project found on every host.
struct Executor::Found {
  std::vector<ObservedContainer> containers;  // the hosts' in the spec's order
  /// Each host whose engine did not answer, with the error that says why.
  std::vector<std::pair<std::string, std::string>> unreachable;

  bool unreachable_host(const std::string& host) const {
    for (const auto& [name, why] : unreachable) {
      if (name == host) {
        return true;
      }
    }
    return false;
  }
};

/// Without the spec: the hosts a cluster across several spans, as its
/// containers' io.raylaunch.hosts labels say, and of those the ones no
/// container found says it is on (io.raylaunch.host): the hosts the engines
/// asked did not show. Both empty for a cluster on one host.
struct HostsSeen {
  std::vector<std::string> spanned;
  std::vector<std::string> unseen;
};
HostsSeen hosts_seen(const std::vector<ObservedContainer>& found);

}  // namespace raylaunch
