// `status`: each node's container next to Ray's count of live nodes, as a
// table or one JSON document; exit 0 only when every planned node runs and
// Ray counts it alive.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <raylaunch/execute/parallel.hpp>
#include <raylaunch/ray/ray_status.hpp>

#include <algorithm>

namespace raylaunch {

namespace {

struct Row {
  std::string name, role, group, state, cpus, gpus;
  int replica = 0;
  bool running = false;
};

std::string label_or_empty(const PlannedContainer& c, const std::string& key) {
  auto found = c.labels.find(key);
  return found == c.labels.end() ? "" : found->second;
}

// The planned containers in plan order, then any of the project's that the
// plan does not have.
std::vector<Row> rows_of_plan(const Plan& plan, const std::vector<ObservedContainer>& observed,
                              std::string& dashboard) {
  std::vector<Row> rows;
  for (const PlannedContainer& c : plan.containers) {
    auto seen = std::find_if(observed.begin(), observed.end(),
                             [&](const ObservedContainer& o) { return o.name == c.name; });
    rows.push_back({c.name, c.role, c.group, seen == observed.end() ? "missing" : seen->state,
                    label_or_empty(c, "io.raylaunch.cpus"), label_or_empty(c, "io.raylaunch.gpus"),
                    c.replica, seen != observed.end() && seen->state == "running"});
    if (c.role == "head") {
      dashboard = c.labels.at("io.raylaunch.dashboard");
    }
  }
  for (const ObservedContainer& o : observed) {
    if (std::none_of(plan.containers.begin(), plan.containers.end(),
                     [&](const PlannedContainer& c) { return c.name == o.name; })) {
      rows.push_back({o.name, o.role, o.group, o.state + " (not planned)", o.cpus, o.gpus,
                      o.replica, false});
    }
  }
  return rows;
}

// Without a plan the project's containers are the planned set: the head,
// then each group's replicas in order.
std::vector<Row> rows_of_labels(std::vector<ObservedContainer> observed, std::string& dashboard) {
  std::sort(observed.begin(), observed.end(),
            [](const ObservedContainer& a, const ObservedContainer& b) {
              if ((a.role == "head") != (b.role == "head")) {
                return a.role == "head";
              }
              return a.group != b.group ? a.group < b.group : a.replica < b.replica;
            });
  std::vector<Row> rows;
  for (const ObservedContainer& o : observed) {
    rows.push_back(
        {o.name, o.role, o.group, o.state, o.cpus, o.gpus, o.replica, o.state == "running"});
    if (o.role == "head") {
      dashboard = o.dashboard;
    }
  }
  return rows;
}

struct Summary {
  std::string project;
  std::string dashboard;
  int planned = 0;
  int running = 0;
  int alive = 0;
  bool reachable = false;
  bool healthy = false;

  // Ray's text counts nodes without naming containers: when its count covers
  // every running container, each of them is alive; otherwise which ones are
  // missing cannot be told from `ray status`, and they show as unknown.
  std::optional<bool> alive_of(const Row& row) const {
    if (!row.running || !reachable) {
      return false;
    }
    if (alive >= running) {
      return true;
    }
    return std::nullopt;
  }
};

void print_json(std::ostream& out, const Summary& summary, const std::vector<Row>& rows) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const Row& row : rows) {
    std::optional<bool> node_alive = summary.alive_of(row);
    nodes.push_back({{"name", row.name},
                     {"role", row.role},
                     {"group", row.group},
                     {"replica", row.replica},
                     {"state", row.state},
                     {"ray_alive", node_alive ? nlohmann::ordered_json(*node_alive)
                                              : nlohmann::ordered_json(nullptr)},
                     {"cpus", row.cpus},
                     {"gpus", row.gpus}});
  }
  nlohmann::ordered_json doc = {{"schema_version", 1},
                                {"project", summary.project},
                                {"healthy", summary.healthy},
                                {"nodes_planned", summary.planned},
                                {"nodes_running", summary.running},
                                {"nodes_alive", summary.alive},
                                {"ray_reachable", summary.reachable},
                                {"dashboard", summary.dashboard},
                                {"nodes", nodes}};
  out << doc.dump(2) << '\n';
}

void print_table(std::ostream& out, const Summary& summary, const std::vector<Row>& rows) {
  size_t width = 4;
  for (const Row& row : rows) {
    width = std::max(width, row.name.size());
  }
  out << fmt::format("{:<{}}  {:<6}  {:<12}  {:<10}  {:<7}  {:>4}  {}\n", "NAME", width, "ROLE",
                     "GROUP", "STATE", "RAY", "CPUS", "GPUS");
  for (const Row& row : rows) {
    std::optional<bool> node_alive = summary.alive_of(row);
    out << fmt::format("{:<{}}  {:<6}  {:<12}  {:<10}  {:<7}  {:>4}  {}\n", row.name, width,
                       row.role, row.group, row.state,
                       node_alive ? (*node_alive ? "alive" : "-") : "unknown",
                       row.cpus.empty() ? "-" : row.cpus, row.gpus.empty() ? "-" : row.gpus);
  }
  out << fmt::format("\nRay: {} of {} nodes alive{}\n", summary.alive, summary.planned,
                     summary.reachable ? "" : " (ray status on the head did not answer)");
  if (!summary.dashboard.empty()) {
    out << fmt::format("dashboard: {}\n", summary.dashboard);
  }
}

}  // namespace

int Executor::status(const std::string& project, const Plan* plan, const StatusOptions& options) {
  std::vector<ObservedContainer> observed;
  ExecOutput ray;
  run_concurrently({[&] { observed = m_engine.containers(project); },
                    [&] { ray = m_engine.exec(project + "-head", {"ray", "status"}); }});
  RayStatus parsed = parse_ray_status(ray.out);

  Summary summary;
  summary.project = project;
  std::vector<Row> rows = plan != nullptr ? rows_of_plan(*plan, observed, summary.dashboard)
                                          : rows_of_labels(observed, summary.dashboard);
  for (const Row& row : rows) {
    if (row.state.find("not planned") == std::string::npos) {
      ++summary.planned;
      summary.running += row.running ? 1 : 0;
    }
  }
  summary.reachable = ray.exit_code == 0 && parsed.has_status;
  summary.alive = summary.reachable ? parsed.alive : 0;
  summary.healthy = summary.planned > 0 && summary.running == summary.planned &&
                    summary.reachable && summary.alive >= summary.planned;

  if (options.json) {
    print_json(m_out, summary, rows);
    return summary.healthy ? 0 : 1;
  }
  if (rows.empty()) {
    m_out << fmt::format("project \"{}\" has no containers\n", project);
    return 1;
  }
  print_table(m_out, summary, rows);
  return summary.healthy ? 0 : 1;
}

}  // namespace raylaunch
