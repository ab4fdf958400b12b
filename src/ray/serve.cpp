// Serve's answers read as Serve gives them (ServeInstanceDetails, schema.py),
// and the one decision `up` makes about Serve: send the config or not.
#include <raylaunch/ray/serve.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace raylaunch {

namespace {

using nlohmann::json;

std::string text_at(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

ServeDeploymentStatus read_deployment(const std::string& name, const json& details) {
  ServeDeploymentStatus out{name, text_at(details, "status"), text_at(details, "message"), 0, 0,
                            "{}"};
  if (auto target = details.find("target_num_replicas");
      target != details.end() && target->is_number()) {
    out.target = target->get<int>();
  }
  if (auto replicas = details.find("replicas"); replicas != details.end() && replicas->is_array()) {
    for (const json& replica : *replicas) {
      out.running += replica.is_object() && text_at(replica, "state") == "RUNNING" ? 1 : 0;
    }
  }
  if (auto asks = details.find("required_resources"); asks != details.end() && asks->is_object()) {
    out.required_resources_json = asks->dump();
  }
  return out;
}

// The apps of the config, by name ("default" when it names none).
std::map<std::string, json> config_apps(const json& config) {
  std::map<std::string, json> apps;
  if (auto list = config.find("applications"); list != config.end() && list->is_array()) {
    for (const json& app : *list) {
      apps[app.value("name", std::string("default"))] = app;
    }
  }
  return apps;
}

// The keys `wanted` writes that `running` has otherwise. A key Serve does
// not report is taken as running with the value written.
std::vector<std::string> differing(const json& wanted, const json& running) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : wanted.items()) {
    auto found = running.find(key);
    if (found != running.end() && *found != value) {
      keys.push_back(key);
    }
  }
  return keys;
}

}  // namespace

const ServeAppStatus* ServeInstance::app(const std::string& name) const {
  for (const ServeAppStatus& a : apps) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

std::optional<ServeInstance> parse_serve_instance(const std::string& body, std::string& error) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("applications") ||
      !doc.at("applications").is_object()) {
    error = "the answer is not Serve's ServeInstanceDetails (no applications object)";
    return std::nullopt;
  }
  ServeInstance out;
  auto controller = doc.find("controller_info");
  out.started = controller != doc.end() && controller->is_object() && !controller->empty();
  out.proxy_location = text_at(doc, "proxy_location");
  out.http_options_json = doc.contains("http_options") ? doc.at("http_options").dump() : "{}";
  out.grpc_options_json = doc.contains("grpc_options") ? doc.at("grpc_options").dump() : "{}";
  if (auto capacity = doc.find("target_capacity"); capacity != doc.end() && capacity->is_number()) {
    out.target_capacity = capacity->get<double>();
  }
  for (const auto& [name, details] : doc.at("applications").items()) {
    if (!details.is_object()) {
      continue;
    }
    ServeAppStatus app{
        name, text_at(details, "status"), text_at(details, "message"), {}, "null", {}, false};
    if (auto route = details.find("route_prefix"); route != details.end() && route->is_string()) {
      app.route_prefix = route->get<std::string>();
    }
    app.imperative = text_at(details, "source") == "imperative";
    if (auto config = details.find("deployed_app_config"); config != details.end()) {
      app.deployed_config_json = config->dump();
    }
    if (auto deployments = details.find("deployments");
        deployments != details.end() && deployments->is_object()) {
      for (const auto& [dep_name, dep] : deployments->items()) {
        if (dep.is_object()) {
          app.deployments.push_back(read_deployment(dep_name, dep));
        }
      }
    }
    out.apps.push_back(std::move(app));
  }
  return out;
}

ServeDecision decide_serve(const std::string& config_json, const ServeInstance& running) {
  json config = json::parse(config_json);
  ServeDecision decision;
  auto say = [&](ServeDecision::Change change, std::string reason) {
    decision.change = std::max(decision.change, change);
    decision.reasons.push_back(std::move(reason));
  };
  if (running.started) {
    const std::pair<const char*, std::string> fixed[] = {
        {"http_options", running.http_options_json}, {"grpc_options", running.grpc_options_json}};
    for (const auto& [key, seen] : fixed) {
      if (config.contains(key) && config.at(key).is_object()) {
        for (const std::string& field : differing(config.at(key), json::parse(seen))) {
          say(ServeDecision::Change::restart, fmt::format("{}.{} changed", key, field));
        }
      }
    }
    if (config.contains("proxy_location") && !running.proxy_location.empty() &&
        config.at("proxy_location") != running.proxy_location) {
      say(ServeDecision::Change::restart, "proxy_location changed");
    }
  }
  std::map<std::string, json> wanted = config_apps(config);
  std::set<std::string> seen;
  for (const ServeAppStatus& app : running.apps) {
    if (app.imperative) {
      continue;  // not the config's to change: Serve's PUT leaves it as it is
    }
    seen.insert(app.name);
    auto want = wanted.find(app.name);
    if (want == wanted.end()) {
      say(ServeDecision::Change::deploy, fmt::format("application \"{}\" is removed", app.name));
    } else if (json::parse(app.deployed_config_json, nullptr, false) != want->second) {
      say(ServeDecision::Change::deploy, fmt::format("application \"{}\" changed", app.name));
    }
  }
  for (const auto& [name, app] : wanted) {
    if (seen.count(name) == 0) {
      say(ServeDecision::Change::deploy, fmt::format("application \"{}\" is new", name));
    }
  }
  json capacity = config.value("target_capacity", json());
  json running_capacity = running.target_capacity ? json(*running.target_capacity) : json();
  if (capacity != running_capacity) {
    say(ServeDecision::Change::deploy, "target_capacity changed");
  }
  return decision;
}

std::string with_working_dirs(const std::string& config_json,
                              const std::vector<std::pair<std::string, std::string>>& uris) {
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(config_json);
  for (auto& app : config["applications"]) {
    std::string name = app.value("name", std::string("default"));
    for (const auto& [app_name, uri] : uris) {
      if (app_name == name) {
        app["runtime_env"]["working_dir"] = uri;
      }
    }
  }
  return config.dump();
}

}  // namespace raylaunch
