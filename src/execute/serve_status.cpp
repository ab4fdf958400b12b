// Serve's apps and deployments as `status` and `serve status` show them.
#include "serve_view.hpp"

#include <fmt/format.h>

#include <raylaunch/execute/executor.hpp>

#include <algorithm>

namespace raylaunch {

namespace {

// The first line of `text`, at most 120 characters; "-" when empty.
std::string one_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 120) {
    line = line.substr(0, 117) + "...";
  }
  return line.empty() ? "-" : line;
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width = column_widths(cells);
  for (const std::vector<std::string>& line : cells) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      text += i + 1 == line.size() ? line[i] : fmt::format("{:<{}}  ", line[i], width[i]);
    }
    out << text << '\n';
  }
}

}  // namespace

std::vector<size_t> column_widths(const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width(cells.front().size(), 0);
  for (const std::vector<std::string>& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) {
      width[i] = std::max(width[i], line[i].size());
    }
  }
  return width;
}

bool ServeView::healthy() const {
  if (!reached) {
    return false;
  }
  for (const std::string& name : expected) {
    if (instance.app(name) == nullptr) {
      return false;
    }
  }
  return std::all_of(instance.apps.begin(), instance.apps.end(),
                     [](const ServeAppStatus& app) { return app.status == "RUNNING"; });
}

void print_serve(std::ostream& out, const ServeView& view) {
  if (!view.reached) {
    out << fmt::format("Serve: cannot read its applications: {}\n", view.error);
    return;
  }
  std::vector<std::vector<std::string>> apps = {{"APP", "STATUS", "ROUTE", "MESSAGE"}};
  std::vector<std::vector<std::string>> deployments = {
      {"DEPLOYMENT", "APP", "STATUS", "REPLICAS", "MESSAGE"}};
  for (const ServeAppStatus& app : view.instance.apps) {
    apps.push_back({app.name, app.status, app.route_prefix.value_or("-"), one_line(app.message)});
    for (const ServeDeploymentStatus& d : app.deployments) {
      deployments.push_back({d.name, app.name, d.status, fmt::format("{}/{}", d.running, d.target),
                             one_line(d.message)});
    }
  }
  for (const std::string& name : view.expected) {
    if (view.instance.app(name) == nullptr) {
      apps.push_back(
          {name, "NOT_DEPLOYED", "-", "in the spec, not in Serve: raylaunch up deploys it"});
    }
  }
  out << '\n';
  if (apps.size() == 1) {
    out << "Serve: no applications\n";
    return;
  }
  print_table(out, apps);
  if (deployments.size() > 1) {
    out << '\n';
    print_table(out, deployments);
  }
}

nlohmann::ordered_json serve_json(const ServeView& view) {
  using nlohmann::ordered_json;
  ordered_json apps = ordered_json::array();
  for (const ServeAppStatus& app : view.instance.apps) {
    ordered_json deployments = ordered_json::array();
    for (const ServeDeploymentStatus& d : app.deployments) {
      deployments.push_back({{"name", d.name},
                             {"status", d.status},
                             {"replicas_running", d.running},
                             {"replicas_target", d.target},
                             {"message", d.message}});
    }
    apps.push_back({{"name", app.name},
                    {"status", app.status},
                    {"route_prefix", app.route_prefix ? ordered_json(*app.route_prefix) : nullptr},
                    {"message", app.message},
                    {"deployments", deployments}});
  }
  for (const std::string& name : view.expected) {
    if (view.instance.app(name) == nullptr) {
      apps.push_back({{"name", name},
                      {"status", "NOT_DEPLOYED"},
                      {"route_prefix", nullptr},
                      {"message", ""},
                      {"deployments", ordered_json::array()}});
    }
  }
  return {{"reachable", view.reached},
          {"error", view.error.empty() ? ordered_json(nullptr) : ordered_json(view.error)},
          {"healthy", view.healthy()},
          {"applications", apps}};
}

ServeView Executor::view_serve(HeadAccess& head, const RayView& ray, const PlannedServe& serve) {
  ServeView view;
  for (const ServeAppSpec& app : serve.apps) {
    view.expected.push_back(app.name.value);
  }
  if (ray.source != RayView::Source::dashboard) {
    view.error = "Ray's dashboard does not answer";
    return view;
  }
  JobApi api{head, ray.api_host, ray.api_port};
  HttpResponse answer = call(api, "GET", k_serve_target);
  std::optional<ServeInstance> instance =
      answer.ok() ? parse_serve_instance(answer.body, view.error) : std::nullopt;
  if (!answer.ok()) {
    view.error = answer.status == 0 ? answer.error
                                    : fmt::format("HTTP {}: {}", answer.status,
                                                  answer.body.substr(0, answer.body.find('\n')));
  }
  if (instance) {
    view.instance = std::move(*instance);
    view.reached = true;
  }
  return view;
}

int Executor::serve_status(const std::string& project, const Plan* plan, bool json) {
  JobApi api = job_api(project, plan);
  ServeView view;
  view.instance = serve_instance(api);
  view.reached = true;
  if (plan != nullptr && plan->serve) {
    for (const ServeAppSpec& app : plan->serve->apps) {
      view.expected.push_back(app.name.value);
    }
  }
  if (json) {
    nlohmann::ordered_json doc = {{"schema_version", 1}, {"project", project}};
    doc.update(serve_json(view));
    m_out << doc.dump(2) << '\n';
  } else {
    print_serve(m_out, view);
  }
  return view.healthy() ? 0 : 1;
}

}  // namespace raylaunch
