#pragma once

// What Ray says about a cluster, as `status` and `up --wait` use it: Ray's
// node list by name from the head's dashboard, or, when the dashboard does not
// answer, the count `ray status` prints in the head.

#include <raylaunch/ray/nodes.hpp>
#include <raylaunch/ray/ray_status.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace raylaunch {

/// How to reach the head: what the plan (or the head's labels) say.
struct HeadAccess {
  std::string container;      // <project>-head
  std::string host;           // the host of `hosts:` it runs on; "" without hosts:
  std::string dashboard;      // http://HOST:PORT, the io.raylaunch.dashboard label
  std::string token;          // Ray's token when auth is on and known; else read on a 401
  bool token_sought = false;  // the head was asked for its token (at most once)
  bool bridge = true;         // on a project network, so the container has an IP of its own
  /// The head container's IP once looked up (one `docker inspect`, at most once).
  std::optional<std::string> container_ip;
  /// When the answer is due (`up --timeout`): each request waits at most its
  /// own bound or the time left, whichever is less. None: its own bound.
  std::optional<std::chrono::steady_clock::time_point> deadline;

  /// The time left before the deadline, at least 100 ms so one last try still
  /// goes out; none without a deadline.
  std::optional<std::chrono::milliseconds> time_left() const;
  /// `own`, or the time left when that is less.
  std::chrono::milliseconds bound(std::chrono::milliseconds own) const;
};

struct RayView {
  enum class Source { none, dashboard, cli };
  Source source = Source::none;
  /// Source::dashboard: every node Ray lists, by name (ray_nodes_by_name).
  std::map<std::string, RayNode> by_name;
  /// Source::cli: Ray's count of live nodes, which names none (and counts a
  /// node joined by hand too).
  RayStatus counted;
  /// Source::cli: the nodes taken as alive by name (alive_by_count), filled
  /// in by the caller, who knows which nodes to look at.
  std::set<std::string> alive_by_log;
  /// Where the dashboard answered, or why it did not.
  std::string dashboard_note;
  /// Source::dashboard: where it answered, for the Jobs API.
  std::string api_host;
  int api_port = 0;

  /// Ray's entry for `name`, when Ray lists it (dashboard only).
  const RayNode* find(const std::string& name) const {
    auto found = by_name.find(name);
    return found == by_name.end() ? nullptr : &found->second;
  }
  /// Whether `name` is alive as far as this view can tell: Ray lists it
  /// ALIVE, or (without the dashboard) alive_by_log has it.
  bool alive(const std::string& name) const {
    if (source == Source::dashboard) {
      const RayNode* node = find(name);
      return node != nullptr && node->alive;
    }
    return source == Source::cli && alive_by_log.count(name) != 0;
  }
};

/// Which nodes the fallback may call alive by name. `ray status` only counts
/// nodes, and a node joined by hand counts too, so a node is taken as alive
/// only when its own log says Ray started in it (`started`, see
/// Executor::started_by_log) and Ray's count (`counted`) covers every such
/// node. When the count is smaller, none is: which one Ray lost cannot be told.
std::set<std::string> alive_by_count(const std::set<std::string>& started, int counted);

struct Plan;
/// How the planned head is reached: its name, dashboard label and token.
HeadAccess head_access_of(const Plan& plan);
/// Without a plan: the head's dashboard label as `docker ps` read it (the
/// token, if auth is on, is read from the head on a 401).
struct ObservedContainer;
HeadAccess head_access_of(const std::string& project,
                          const std::vector<ObservedContainer>& observed);

/// "host:port" of a dashboard URL (`http://127.0.0.1:8265`); false when it is
/// not one. A dashboard published on every interface is asked on 127.0.0.1.
bool split_dashboard_url(const std::string& url, std::string& host, int& port);

}  // namespace raylaunch
