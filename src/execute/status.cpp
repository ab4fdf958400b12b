// `status`: each node's container next to Ray's own view of that very node
// (by name, from the dashboard), as a table or one JSON document; exit 0 only
// when every planned node runs and Ray has it alive.
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/execute/status_autoscale.hpp>
#include <raylaunch/execute/observed.hpp>

#include "serve_view.hpp"

#include <raylaunch/base/error.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace raylaunch {

namespace {

struct Row {
  std::string name, role, group, state, cpus, gpus;
  std::string host;  // "" without hosts:
  int replica = 0;
  bool running = false;
  bool planned = true;     // false: a container the plan lacks, or a Ray node without one
  const RayNode* ray = nullptr;  // Ray's entry of this name (dashboard only)
};

std::string label_or_empty(const PlannedContainer& c, const std::string& key) {
  auto found = c.labels.find(key);
  return found == c.labels.end() ? "" : found->second;
}

// The planned containers in plan order, then any of the project's that the
// plan does not have.
// A node on a host that did not answer is "unknown".
std::vector<Row> rows_of_plan(const Plan& plan, const std::vector<ObservedContainer>& observed,
                              const std::set<std::string>& unreachable) {
  std::vector<Row> rows;
  for (const PlannedContainer& c : plan.containers) {
    auto seen = std::find_if(observed.begin(), observed.end(), [&](const ObservedContainer& o) {
      return o.name == c.name && o.host == c.host;
    });
    if (seen == observed.end() && c.optional) {
      continue;  // an autoscaled replica the group does not have now
    }
    std::string state = seen == observed.end() ? "missing" : seen->state;
    if (seen == observed.end() && unreachable.count(c.host)) {
      state = "unknown";
    }
    rows.push_back({c.name, c.role, c.group, state, label_or_empty(c, "io.raylaunch.cpus"),
                    label_or_empty(c, "io.raylaunch.gpus"), c.host, c.replica,
                    seen != observed.end() && seen->state == "running"});
  }
  for (const ObservedContainer& o : observed) {
    if (std::none_of(plan.containers.begin(), plan.containers.end(),
                     [&](const PlannedContainer& c) { return c.name == o.name && c.host == o.host; })) {
      rows.push_back({o.name, o.role, o.group, o.state + " (not planned)", o.cpus, o.gpus, o.host,
                      o.replica, false, false});
    }
  }
  return rows;
}

// Without a plan the project's containers are the planned set: the head,
// then each group's replicas in order.
std::vector<Row> rows_of_labels(std::vector<ObservedContainer> observed) {
  std::sort(observed.begin(), observed.end(),
            [](const ObservedContainer& a, const ObservedContainer& b) {
              if ((a.role == "head") != (b.role == "head")) {
                return a.role == "head";
              }
              return a.group != b.group ? a.group < b.group : a.replica < b.replica;
            });
  std::vector<Row> rows;
  for (const ObservedContainer& o : observed) {
    rows.push_back({o.name, o.role, o.group, o.state, o.cpus, o.gpus,
                    o.host.empty() ? o.host_label : o.host, o.replica, o.state == "running"});
  }
  return rows;
}

// Ray's entry for each row, and a row for each live Ray node that no
// container explains (one someone joined by hand). DEAD entries without a
// container are old replicas, not news.
void add_ray_view(std::vector<Row>& rows, const RayView& ray) {
  for (Row& row : rows) {
    row.ray = ray.find(row.name);
  }
  for (const auto& [name, node] : ray.by_name) {
    bool explained = std::any_of(rows.begin(), rows.end(),
                                 [&](const Row& row) { return row.name == name; });
    if (!explained && node.alive) {
      auto cpus = node.resources.find("CPU");
      std::string count = cpus == node.resources.end() ? "" : fmt::format("{}", cpus->second);
      rows.push_back({name, "-", "-", "no container", count, "", "", 0, false, false, &node});
    }
  }
}

struct Summary {
  std::string project;
  std::string dashboard;
  /// Hosts whose engine did not answer, and why.
  std::vector<std::pair<std::string, std::string>> unreachable;
  RayView::Source source = RayView::Source::none;
  int planned = 0;
  int running = 0;
  int alive = 0;
  bool healthy = false;
  int counted = 0;  // Source::cli: Ray's count of live nodes, which names none
  std::set<std::string> alive_by_log;  // Source::cli: the nodes taken as alive
  /// What kept status from seeing the whole cluster; "" when nothing did.
  std::string error;

  // Ray's view of the row's node: alive, dead, absent (running but not in
  // Ray's list), "-" (not running, nothing alive in Ray) or unknown (only a
  // count from `ray status`, and the node's log does not vouch for it, see
  // alive_by_count).
  std::string ray_word(const Row& row) const {
    if (source == RayView::Source::dashboard) {
      if (row.ray != nullptr) {
        return row.ray->alive ? "alive" : "dead";
      }
      return row.running ? "absent" : "-";
    }
    if (!row.running || source == RayView::Source::none) {
      return "-";
    }
    return alive_by_log.count(row.name) != 0 ? "alive" : "unknown";
  }
};

// CPUs as a number, as Ray counts them; null when the plan sets none.
nlohmann::ordered_json cpus_json(const std::string& cpus) {
  char* end = nullptr;
  double value = std::strtod(cpus.c_str(), &end);
  if (cpus.empty() || end == nullptr || *end != '\0') {
    return nullptr;
  }
  return value == static_cast<double>(static_cast<int64_t>(value))
             ? nlohmann::ordered_json(static_cast<int64_t>(value))
             : nlohmann::ordered_json(value);
}

nlohmann::ordered_json node_json(const Summary& summary, const Row& row) {
  using json = nlohmann::ordered_json;
  std::string word = summary.ray_word(row);
  json alive = word == "alive" ? json(true) : word == "unknown" ? json(nullptr) : json(false);
  json node = {{"name", row.name},   {"host", row.host.empty() ? json(nullptr) : json(row.host)},
               {"role", row.role},   {"group", row.group},
               {"replica", row.replica}, {"state", row.state}, {"ray_alive", alive},
               {"ray_state", nullptr}, {"ray_message", nullptr}, {"node_id", nullptr},
               {"node_ip", nullptr}, {"resources", nullptr}, {"cpus", cpus_json(row.cpus)},
               {"gpus", row.gpus}};
  if (row.ray != nullptr) {
    node["ray_state"] = row.ray->alive ? "ALIVE" : "DEAD";
    if (!row.ray->state_message.empty()) {
      node["ray_message"] = row.ray->state_message;
    }
    node["node_id"] = row.ray->node_id;
    node["node_ip"] = row.ray->node_ip;
    node["resources"] = row.ray->resources;
  }
  return node;
}

void print_json(std::ostream& out, const Summary& summary, const std::vector<Row>& rows,
                const std::optional<ServeView>& serve,
                const nlohmann::ordered_json& autoscale = nullptr) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const Row& row : rows) {
    nodes.push_back(node_json(summary, row));
  }
  nlohmann::ordered_json unreachable = nlohmann::ordered_json::array();
  for (const auto& [host, why] : summary.unreachable) {
    unreachable.push_back({{"host", host}, {"error", why}});
  }
  const char* source = summary.source == RayView::Source::dashboard ? "dashboard"
                       : summary.source == RayView::Source::cli     ? "ray status"
                                                                    : nullptr;
  nlohmann::ordered_json doc = {
      {"schema_version", 3},
      {"project", summary.project.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(summary.project)},
      {"healthy", summary.healthy},
      {"error", summary.error.empty() ? nlohmann::ordered_json(nullptr)
                                      : nlohmann::ordered_json(summary.error)},
      {"nodes_planned", summary.planned},
      {"nodes_running", summary.running},
      {"nodes_alive", summary.alive},
      {"ray_reachable", summary.source != RayView::Source::none},
      {"ray_source", source != nullptr ? nlohmann::ordered_json(source) : nullptr},
      {"dashboard", summary.dashboard},
      {"hosts_unreachable", unreachable},
      {"nodes", nodes}};
  if (serve) {
    doc["serve"] = serve_json(*serve);
  }
  if (!autoscale.is_null()) {
    doc["autoscale"] = autoscale;  // only for a spec with autoscaled groups
  }
  out << doc.dump(2) << '\n';
}

// Every column as wide as its widest cell; HOST only when the nodes have hosts.
void print_table(std::ostream& out, const Summary& summary, const std::vector<Row>& rows) {
  bool hosts = std::any_of(rows.begin(), rows.end(), [](const Row& row) { return !row.host.empty(); });
  std::vector<std::vector<std::string>> cells = {
      {"NAME", "HOST", "ROLE", "GROUP", "STATE", "RAY", "CPUS", "GPUS"}};
  std::string notes;
  for (const Row& row : rows) {
    cells.push_back({row.name, row.host.empty() ? "-" : row.host, row.role, row.group, row.state,
                     summary.ray_word(row), row.cpus.empty() ? "-" : row.cpus,
                     row.gpus.empty() ? "-" : row.gpus});
    if (row.ray != nullptr && !row.ray->alive) {
      notes += fmt::format("{}: dead in Ray: {}\n", row.name,
                           row.ray->state_message.empty() ? "no reason given"
                                                          : row.ray->state_message);
    }
  }
  std::vector<size_t> width = column_widths(cells);
  for (const std::vector<std::string>& line : cells) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i == 1 && !hosts) {
        continue;
      }
      bool last = i + 1 == line.size();
      text += i == 6 ? fmt::format("{:>{}}", line[i], width[i])  // CPUS, right-aligned
                     : last ? line[i] : fmt::format("{:<{}}", line[i], width[i]);
      text += last ? "\n" : "  ";
    }
    out << text;
  }
  out << (notes.empty() ? "" : "\n" + notes);
  std::string how =
      summary.source == RayView::Source::none
          ? " (neither Ray's dashboard nor ray status on the head answered)"
      : summary.source == RayView::Source::cli
          ? fmt::format(" by their logs; ray status in the head counts {} and names none",
                        summary.counted)
          : "";
  out << fmt::format("\nRay: {} of {} nodes alive{}\n", summary.alive, summary.planned, how);
  if (!summary.dashboard.empty()) {
    out << fmt::format("dashboard: {}\n", summary.dashboard);
  }
}

Summary summarize(const std::string& project, const std::vector<Row>& rows, const RayView& ray,
                  const std::string& dashboard) {
  Summary summary;
  summary.project = project;
  summary.dashboard = dashboard;
  summary.source = ray.source;
  summary.counted = ray.source == RayView::Source::cli ? ray.counted.alive : 0;
  summary.alive_by_log = ray.alive_by_log;
  for (const Row& row : rows) {
    if (row.planned) {
      ++summary.planned;
      summary.running += row.running ? 1 : 0;
      summary.alive += row.running && ray.alive(row.name) ? 1 : 0;
    }
  }
  // A container the plan lacks means the cluster is not what the spec says.
  bool strays = std::any_of(rows.begin(), rows.end(), [](const Row& row) {
    return !row.planned && row.state.ends_with("(not planned)");
  });
  summary.healthy = summary.planned > 0 && summary.running == summary.planned &&
                    summary.alive >= summary.planned && !strays;
  return summary;
}

// Why the document cannot tell the whole cluster: no containers, a host
// that did not answer, or Ray silent while nodes run; "" when it can.
std::string status_error(const Summary& summary, const std::vector<Row>& rows,
                         const HeadAccess& head, const RayView& ray) {
  if (rows.empty()) {
    return fmt::format("project \"{}\" has no containers", summary.project);
  }
  if (!summary.unreachable.empty()) {
    const auto& [host, why] = summary.unreachable.front();
    if (why.rfind("not asked", 0) == 0) {
      return fmt::format("host \"{}\" of the cluster was not seen: {}", host, why);
    }
    return fmt::format("host \"{}\" did not answer: {}", host, why);
  }
  if (summary.source == RayView::Source::none && summary.running > 0) {
    return fmt::format("neither Ray's dashboard{} nor `ray status` in {} answered",
                       head.dashboard.empty()
                           ? std::string()
                           : fmt::format(" at {} ({})", head.dashboard, ray.dashboard_note),
                       head.container);
  }
  return "";
}

}  // namespace

void write_status_error(std::ostream& out, const std::string& project, const Plan* plan,
                        const std::string& error) {
  Summary summary;
  summary.project = project;
  summary.dashboard = plan != nullptr ? head_access_of(*plan).dashboard : "";
  summary.planned = plan != nullptr ? static_cast<int>(plan->containers.size()) : 0;
  summary.error = error;
  print_json(out, summary, {}, std::nullopt);
}

int Executor::status(const std::string& project, const Plan* plan, const StatusOptions& options) {
  Found found = find_everywhere(project);
  const std::vector<ObservedContainer>& observed = found.containers;
  std::set<std::string> unreachable;
  for (const auto& [host, why] : found.unreachable) {
    unreachable.insert(host);
  }
  HeadAccess head = plan != nullptr ? head_access_of(*plan) : head_access_of(project, observed);
  RayView ray = ask_ray(head, true);
  std::vector<Row> rows =
      plan != nullptr ? rows_of_plan(*plan, observed, unreachable) : rows_of_labels(observed);
  if (ray.source == RayView::Source::cli) {
    // `ray status` names no node: each running one's own log has to vouch.
    std::vector<std::pair<std::string, std::string>> running;
    for (const Row& row : rows) {
      if (row.planned && row.running) {
        running.emplace_back(row.host, row.name);
      }
    }
    std::map<std::string, std::string> seen;
    ray.alive_by_log = alive_by_count(started_by_log(running, seen, std::nullopt),
                                      ray.counted.alive);
  }
  add_ray_view(rows, ray);
  Summary summary = summarize(project, rows, ray, head.dashboard);
  summary.unreachable = found.unreachable;
  if (plan == nullptr && (m_hosts.empty() || !found.unreachable.empty())) {
    // Without the spec, only the engines asked are seen: the cluster's other
    // hosts are named, and it is not called healthy. (With --host for each
    // and all answering, the user has named every engine.)
    for (const std::string& host : hosts_seen(observed).unseen) {
      summary.unreachable.emplace_back(
          host,
          "not asked: without the spec raylaunch does not know its engine (pass -f FILE, "
          "or --host ENDPOINT for it)");
    }
  }
  summary.healthy = summary.healthy && summary.unreachable.empty();
  nlohmann::ordered_json autoscale;
  if (plan != nullptr) {
    std::map<std::string, int> replicas;
    for (const Row& row : rows) {
      replicas[row.group] += row.state != "missing" ? 1 : 0;
    }
    autoscale = autoscale_status(*plan, replicas);
  }
  std::optional<ServeView> serve;
  if (plan != nullptr && plan->serve) {
    serve = view_serve(head, ray, *plan->serve);
    summary.healthy = summary.healthy && serve->healthy();
  }
  if (options.json) {
    summary.error = status_error(summary, rows, head, ray);
    print_json(m_out, summary, rows, serve, autoscale);
    if (!summary.error.empty() && options.on_error) {
      options.on_error(summary.error);
    }
    return summary.healthy ? 0 : 1;
  }
  if (rows.empty()) {
    m_out << fmt::format("project \"{}\" has no containers\n", project);
    return 1;
  }
  print_table(m_out, summary, rows);
  if (serve) {
    print_serve(m_out, *serve);
  }
  print_autoscale_status(m_out, autoscale);
  for (const auto& [host, why] : found.unreachable) {
    m_out << fmt::format("host \"{}\" did not answer: {}\n", host, why);
  }
  for (size_t i = found.unreachable.size(); i < summary.unreachable.size(); ++i) {
    m_out << fmt::format("host \"{}\" of the cluster was not seen: {}\n",
                         summary.unreachable[i].first, summary.unreachable[i].second);
  }
  return summary.healthy ? 0 : 1;
}

}  // namespace raylaunch
