// `up --wait`: the cluster is up when Ray lists every planned node ALIVE by
// name, not when the containers run. Ray's dashboard is polled (milliseconds
// a call); `ray status` in the head, a Python program that costs the starting
// head seconds of CPU, only while the dashboard has not answered for a while.
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/execute/observed.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <mutex>
#include <sstream>
#include <thread>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds k_dashboard_poll = 100ms;
constexpr std::chrono::milliseconds k_cli_poll = 250ms;
// How long the dashboard may stay silent before `ray status` is asked, and
// then how often.
constexpr std::chrono::seconds k_cli_after = 10s;
constexpr std::chrono::seconds k_cli_every = 5s;
// How often the containers are looked at for crashes while Ray is asked.
constexpr std::chrono::milliseconds k_container_check = 500ms;
// A node whose container Docker restarted this often since it started is in
// a crash loop (one restart is a worker whose head was re-created: it
// rejoins the new one).
constexpr int k_crash_restarts = 2;

std::string tail_lines(const std::string& text, int count) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  std::string out;
  size_t from = lines.size() > static_cast<size_t>(count) ? lines.size() - count : 0;
  for (size_t i = from; i < lines.size(); ++i) {
    out += "    | " + lines[i] + "\n";
  }
  return out;
}

// How many planned nodes Ray has alive, and the names of those it has not
// (or, from `ray status`'s count, those not known to be alive).
int count_alive(const Plan& plan, const RayView& view, std::vector<std::string>& waiting) {
  int alive = 0;
  for (const PlannedContainer& c : plan.containers) {
    if (view.alive(c.name)) {
      ++alive;
    } else {
      waiting.push_back(c.name);
    }
  }
  return alive;
}

// Each planned node as (host, name).
std::vector<std::pair<std::string, std::string>> nodes_of(const Plan& plan) {
  std::vector<std::pair<std::string, std::string>> nodes;
  for (const PlannedContainer& c : plan.containers) {
    nodes.emplace_back(c.host, c.name);
  }
  return nodes;
}

std::string progress_text(int alive, size_t planned, const std::vector<std::string>& waiting) {
  std::string text = fmt::format("{}/{} nodes alive", alive, planned);
  if (!waiting.empty() && waiting.size() <= 3) {
    std::string names;
    for (const std::string& name : waiting) {
      names += (names.empty() ? "" : ", ") + name;
    }
    text += fmt::format(" (waiting for {})", names);
  } else if (!waiting.empty()) {
    text += fmt::format(" (waiting for {} and {} more)", waiting.front(), waiting.size() - 1);
  }
  return text;
}

}  // namespace

/// When the dashboard last answered (or the wait began) and `ray status` was
/// last asked (long ago, so the first fallback is not held back); and which
/// node's run was seen starting Ray in its log (started_by_log).
struct Executor::RayPolling {
  Clock::time_point heard = Clock::now();
  Clock::time_point cli_asked = heard - k_cli_every;
  std::map<std::string, std::string> started;
};

HeadAccess head_access_of(const Plan& plan) {
  const PlannedContainer& c = plan.containers.front();
  auto dashboard = c.labels.find("io.raylaunch.dashboard");
  auto token = c.env.find("RAY_AUTH_TOKEN");
  HeadAccess head;
  head.container = c.name;
  head.host = c.host;
  head.dashboard = dashboard == c.labels.end() ? "" : dashboard->second;
  head.token = token == c.env.end() ? "" : token->second;
  head.bridge = plan.network.mode == NetworkMode::bridge;
  return head;
}

// Polls Ray until it has every planned node alive; returns that count. Each
// request waits at most the time left. A node whose container exits or keeps
// restarting ends the wait at once: Ray will not have it, however long up
// waits. `restarts` holds each container's restart count when it started
// (0 for those this `up` started); the others' is taken at the first look.
int Executor::wait_for_ray(const Plan& plan, Clock::time_point deadline,
                           std::chrono::seconds timeout, std::map<std::string, int> restarts) {
  size_t planned = plan.containers.size();
  std::string id = "Ray cluster " + plan.project;
  m_progress.event(id, "Waiting", EventState::working, fmt::format("0/{} nodes alive", planned));
  HeadAccess head = head_access_of(plan);
  head.deadline = deadline;
  RayPolling polling;
  Clock::time_point checked = Clock::now() - k_container_check;
  std::string shown;
  for (;;) {
    RayView view = poll_ray(head, polling);
    if (view.source == RayView::Source::cli) {
      view.alive_by_log = alive_by_count(
          started_by_log(nodes_of(plan), polling.started, head.time_left()), view.counted.alive);
    }
    std::vector<std::string> waiting;
    int alive = view.source == RayView::Source::none ? -1 : count_alive(plan, view, waiting);
    std::string text = progress_text(std::max(alive, 0), planned, waiting);
    if (alive >= 0 && text != shown) {
      shown = text;
      m_progress.event(id, "Waiting", EventState::working, text);
    }
    if (alive >= static_cast<int>(planned)) {
      m_progress.event(id, "Ready", EventState::done,
                       fmt::format("{}/{} nodes alive", alive, planned));
      return alive;
    }
    if (cancelled()) {
      throw ExecError("interrupted while waiting for Ray",
                      "the containers are up; `raylaunch status` shows whether Ray has them");
    }
    std::string crashed;
    if (Clock::now() - checked >= k_container_check) {
      checked = Clock::now();
      crashed = crashed_nodes(plan, view.source == RayView::Source::none ? nullptr : &waiting,
                              restarts, head.time_left());
    }
    auto poll = view.source == RayView::Source::cli || m_http == nullptr ? k_cli_poll
                                                                          : k_dashboard_poll;
    if (!crashed.empty() || Clock::now() + poll >= deadline) {
      int last = std::max(alive, 0);
      m_progress.event(id, "Error", EventState::error,
                       fmt::format("{}/{} nodes alive", last, planned));
      if (!crashed.empty()) {
        throw ExecError(crashed, "fix what its log says, then `raylaunch up` again; "
                                 "`raylaunch logs NODE` shows a node's whole log");
      }
      std::string counted =
          view.source == RayView::Source::cli
              ? fmt::format(" (by their logs; ray status in the head counts {} and names none)",
                            view.counted.alive)
              : "";
      throw ExecError(fmt::format("Ray counts {} of {} nodes alive after {} s{}\n{}", last, planned,
                                  timeout.count(), counted, nodes_not_joined(plan, view)),
                      "`raylaunch logs NODE` shows a node's whole log; raise --timeout if the "
                      "nodes are only slow");
    }
    std::this_thread::sleep_for(poll);
  }
}

// The dashboard every round; `ray status` in the head, which costs it seconds
// of CPU, only once the dashboard has been silent for a while, and then
// seldom (always without an HTTP client).
RayView Executor::poll_ray(HeadAccess& head, RayPolling& polling) {
  Clock::time_point now = Clock::now();
  bool cli_due = m_http == nullptr || (now - polling.heard >= k_cli_after &&
                                       now - polling.cli_asked >= k_cli_every);
  RayView view = ask_ray(head, cli_due);
  if (view.source == RayView::Source::dashboard) {
    polling.heard = Clock::now();
  } else if (cli_due) {
    polling.cli_asked = Clock::now();
  }
  return view;
}

// The planned nodes (those in `names`, else all) whose container exited or
// restarted k_crash_restarts times since it started, each with the end of
// its log; "" when none did. One `docker inspect` per host, hosts at once.
std::string Executor::crashed_nodes(const Plan& plan, const std::vector<std::string>* names,
                                    std::map<std::string, int>& restarts,
                                    std::optional<std::chrono::milliseconds> within) {
  std::map<std::string, std::vector<std::string>> by_host;
  for (const PlannedContainer& c : plan.containers) {
    if (names == nullptr || std::find(names->begin(), names->end(), c.name) != names->end()) {
      by_host[c.host].push_back(c.name);
    }
  }
  std::map<std::string, std::vector<ContainerFacts>> facts;
  std::mutex mutex;
  std::vector<std::function<void()>> inspections;
  for (const auto& [host, containers] : by_host) {
    inspections.emplace_back([&, host = host, containers = containers] {
      std::vector<ContainerFacts> found = engine(host).inspect_containers(containers, within);
      std::lock_guard<std::mutex> lock(mutex);
      facts[host] = std::move(found);
    });
  }
  run_concurrently(inspections);
  std::string report;
  int count = 0;
  for (const auto& [host, found] : facts) {
    for (const ContainerFacts& c : found) {
      int since = c.restart_count - restarts.emplace(c.name, c.restart_count).first->second;
      bool stopped = c.state == "exited" || c.state == "dead";
      if (!stopped && since < k_crash_restarts) {
        continue;
      }
      ++count;
      report += fmt::format(
          "  {}{} {}; the end of its log:\n{}", c.name,
          host.empty() ? "" : fmt::format(" on host \"{}\"", host),
          stopped ? fmt::format("exited with code {}", c.exit_code)
          : c.state == "running"
              ? fmt::format("restarted {} times", since)
              : fmt::format("restarted {} times ({}, exit code {})", since, c.state, c.exit_code),
          tail_lines(engine(host).log_tail(c.name, 20), 5));
    }
  }
  return count == 0 ? "" : fmt::format("{} of {} nodes crashed while up waited for Ray\n{}",
                                       count, plan.containers.size(), report);
}

// Each node that did not join, with Ray's word on it and the end of its log.
// From `ray status`'s count, a node joined when the view takes it as alive;
// without any answer from Ray, when its container runs and its log has Ray's
// "Ray runtime started".
std::string Executor::nodes_not_joined(const Plan& plan, const RayView& view) {
  std::vector<ObservedContainer> now = find_everywhere(plan.project).containers;
  std::string report;
  for (const PlannedContainer& c : plan.containers) {
    auto seen = std::find_if(now.begin(), now.end(), [&](const ObservedContainer& o) {
      return o.name == c.name && o.host == c.host;
    });
    std::string state = seen == now.end() ? "missing" : seen->state;
    std::string log = engine(c.host).log_tail(c.name, 20);
    const RayNode* node = view.find(c.name);
    bool joined = view.source == RayView::Source::none
                      ? state == "running" && log.find("Ray runtime started") != std::string::npos
                      : state == "running" && view.alive(c.name);
    if (joined) {
      continue;
    }
    std::string ray;
    if (view.source == RayView::Source::dashboard) {
      ray = node == nullptr ? "; Ray: not registered"
                            : fmt::format("; Ray: dead: {}", node->state_message.empty()
                                                                 ? "no reason given"
                                                                 : node->state_message);
    }
    std::string host = c.host.empty() ? "" : fmt::format(" on host \"{}\"", c.host);
    report += fmt::format("  {}{} ({}{}) has not joined; the end of its log:\n{}", c.name, host,
                          state, ray, tail_lines(log, 5));
  }
  return report;
}

}  // namespace raylaunch
