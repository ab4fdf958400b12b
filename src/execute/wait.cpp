// `up --wait`: the cluster is up when Ray lists every planned node ALIVE by
// name, not when the containers run. Ray's dashboard is polled (milliseconds
// a call); `ray status` in the head, a Python program that costs the starting
// head seconds of CPU, only while the dashboard has not answered for a while.
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/execute/observed.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <algorithm>
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

// How many planned nodes Ray has alive, and the names of those it has not.
int count_alive(const Plan& plan, const RayView& view, std::vector<std::string>& waiting) {
  if (view.source == RayView::Source::cli) {
    return view.counted.alive;
  }
  int alive = 0;
  for (const PlannedContainer& c : plan.containers) {
    const RayNode* node = view.find(c.name);
    if (node != nullptr && node->alive) {
      ++alive;
    } else {
      waiting.push_back(c.name);
    }
  }
  return alive;
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

// Polls Ray until it has every planned node alive; returns that count.
int Executor::wait_for_ray(const Plan& plan, Clock::time_point deadline,
                           std::chrono::seconds timeout) {
  size_t planned = plan.containers.size();
  std::string id = "Ray cluster " + plan.project;
  m_progress.event(id, "Waiting", EventState::working, fmt::format("0/{} nodes alive", planned));
  HeadAccess head = head_access_of(plan);
  Clock::time_point heard = Clock::now();  // the dashboard last answered (or the wait began)
  Clock::time_point cli_asked = heard - k_cli_every;  // so the first fallback is not held back
  std::string shown;
  RayView view;
  for (;;) {
    Clock::time_point now = Clock::now();
    bool cli_due = m_http == nullptr || (now - heard >= k_cli_after && now - cli_asked >= k_cli_every);
    view = ask_ray(head, cli_due);
    if (view.source == RayView::Source::dashboard) {
      heard = Clock::now();
    } else if (cli_due) {
      cli_asked = Clock::now();
    }
    std::vector<std::string> waiting;
    int alive = view.source == RayView::Source::none ? -1 : count_alive(plan, view, waiting);
    if (alive >= 0) {
      std::string text = progress_text(alive, planned, waiting);
      if (text != shown) {
        shown = text;
        m_progress.event(id, "Waiting", EventState::working, text);
      }
      if (alive >= static_cast<int>(planned)) {
        m_progress.event(id, "Ready", EventState::done, fmt::format("{}/{} nodes alive", alive, planned));
        return alive;
      }
    }
    if (cancelled()) {
      throw ExecError("interrupted while waiting for Ray",
                      "the containers are up; `raylaunch status` shows whether Ray has them");
    }
    auto poll = view.source == RayView::Source::cli || m_http == nullptr ? k_cli_poll : k_dashboard_poll;
    if (Clock::now() + poll >= deadline) {
      int last = std::max(alive, 0);
      m_progress.event(id, "Error", EventState::error, fmt::format("{}/{} nodes alive", last, planned));
      throw ExecError(fmt::format("Ray counts {} of {} nodes alive after {} s\n{}", last, planned,
                                  timeout.count(), nodes_not_joined(plan, view)),
                      "`raylaunch logs NODE` shows a node's whole log; raise --timeout if the "
                      "nodes are only slow");
    }
    std::this_thread::sleep_for(poll);
  }
}

// Each node that did not join, with Ray's word on it and the end of its log.
// Without Ray's list, a node joined when its container runs and its log has
// Ray's "Ray runtime started".
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
    bool joined = view.source == RayView::Source::dashboard
                      ? state == "running" && node != nullptr && node->alive
                      : state == "running" && log.find("Ray runtime started") != std::string::npos;
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
