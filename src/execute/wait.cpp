// `up --wait`: the cluster is up when Ray on the head counts every planned
// node alive, not when the containers run.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/ray/ray_status.hpp>

#include <algorithm>
#include <sstream>
#include <thread>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;
constexpr std::chrono::milliseconds k_wait_poll = 250ms;

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

}  // namespace

// Polls `ray status` in the head until Ray counts every node; returns that count.
int Executor::wait_for_ray(const Plan& plan, std::chrono::steady_clock::time_point deadline,
                           std::chrono::seconds timeout) {
  size_t planned = plan.containers.size();
  std::string id = "Ray cluster " + plan.project;
  m_progress.event(id, "Waiting", EventState::working, fmt::format("0/{} nodes alive", planned));
  std::string head_name = plan.project + "-head";
  int last_alive = 0;
  for (;;) {
    ExecOutput status = m_engine.exec(head_name, {"ray", "status"});
    RayStatus parsed = parse_ray_status(status.out);
    if (status.exit_code == 0 && parsed.has_status) {
      if (parsed.alive != last_alive) {
        last_alive = parsed.alive;
        m_progress.event(id, "Waiting", EventState::working,
                         fmt::format("{}/{} nodes alive", parsed.alive, planned));
      }
      if (parsed.alive >= static_cast<int>(planned)) {
        m_progress.event(id, "Ready", EventState::done,
                         fmt::format("{}/{} nodes alive", parsed.alive, planned));
        return parsed.alive;
      }
    }
    if (cancelled()) {
      throw ExecError("interrupted while waiting for Ray",
                      "the containers are up; `raylaunch status` shows whether Ray has them");
    }
    if (std::chrono::steady_clock::now() + k_wait_poll >= deadline) {
      m_progress.event(id, "Error", EventState::error,
                       fmt::format("{}/{} nodes alive", last_alive, planned));
      throw ExecError(fmt::format("Ray counts {} of {} nodes alive after {} s\n{}", last_alive,
                                  planned, timeout.count(), nodes_not_joined(plan)),
                      "`raylaunch logs NODE` shows a node's whole log; raise --timeout if the "
                      "nodes are only slow");
    }
    std::this_thread::sleep_for(k_wait_poll);
  }
}

// Each node that did not join, with the end of its log: a node joined when
// its container runs and its log has Ray's "Ray runtime started".
std::string Executor::nodes_not_joined(const Plan& plan) {
  std::vector<ObservedContainer> now = m_engine.containers(plan.project);
  std::string report;
  for (const PlannedContainer& c : plan.containers) {
    auto seen = std::find_if(now.begin(), now.end(),
                             [&](const ObservedContainer& o) { return o.name == c.name; });
    std::string state = seen == now.end() ? "missing" : seen->state;
    std::string log = m_engine.log_tail(c.name, 20);
    bool joined = state == "running" && log.find("Ray runtime started") != std::string::npos;
    if (joined) {
      continue;
    }
    report += fmt::format("  {} ({}) has not joined; the end of its log:\n{}", c.name, state,
                          tail_lines(log, 5));
  }
  return report;
}

}  // namespace raylaunch
