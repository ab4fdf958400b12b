// Serve on the running cluster through Serve's REST API on the head's
// dashboard: the config sent only when it differs from what Serve runs (so a
// second `up` sends nothing), then watched until every app runs, and failed
// at once when Serve says DEPLOY_FAILED. Serve shuts down through the same
// API; no container is touched.
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/ray/package.hpp>

#include <algorithm>
#include <thread>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;
constexpr std::chrono::milliseconds k_serve_poll = 200ms;
constexpr std::chrono::milliseconds k_serve_request = 10000ms;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.substr(0, 4000);
}

[[noreturn]] void serve_failed(const std::string& what, const HttpResponse& answer) {
  throw ExecError(
      fmt::format("{}: {}", what,
                  answer.status == 0
                      ? answer.error
                      : fmt::format("HTTP {}: {}", answer.status, trimmed(answer.body))),
      answer.status == 501   ? "the head's image needs Ray Serve: pip install \"ray[serve]\""
      : answer.status == 404 ? "this Ray's dashboard has no Serve API (Ray 2.9 or later has it)"
                             : "`raylaunch status` shows whether the cluster is up");
}

// The app names of the config, in its order.
std::vector<std::string> app_names(const std::string& config_json) {
  std::vector<std::string> names;
  nlohmann::json config = nlohmann::json::parse(config_json);
  for (const nlohmann::json& app : config.value("applications", nlohmann::json::array())) {
    names.push_back(app.value("name", std::string("default")));
  }
  return names;
}

// The deployed config of each app as the PUT body writes it, by name.
std::map<std::string, nlohmann::json> config_by_app(const std::string& config_json) {
  std::map<std::string, nlohmann::json> apps;
  nlohmann::json config = nlohmann::json::parse(config_json);
  for (const nlohmann::json& app : config.value("applications", nlohmann::json::array())) {
    apps[app.value("name", std::string("default"))] = app;
  }
  return apps;
}

// One deployment's state for messages: `LLM UPDATING 0/2 replicas: <message>`.
// Replicas short of their target name what each asks, the usual reason they wait.
std::string deployment_line(const ServeDeploymentStatus& d) {
  std::string asks = d.running < d.target && d.required_resources_json != "{}"
                         ? fmt::format(", each asking {}", d.required_resources_json)
                         : "";
  return fmt::format("deployment \"{}\" {} ({} of {} replicas running{}){}", d.name, d.status,
                     d.running, d.target, asks, d.message.empty() ? "" : ": " + trimmed(d.message));
}

}  // namespace

ServeInstance Executor::serve_instance(JobApi& api) {
  HttpResponse answer = call(api, "GET", k_serve_target, "", k_serve_request);
  std::string error;
  std::optional<ServeInstance> instance =
      answer.ok() ? parse_serve_instance(answer.body, error) : std::nullopt;
  if (!instance) {
    serve_failed("cannot read Serve's applications",
                 answer.ok() ? HttpResponse{0, "", error} : answer);
  }
  return *instance;
}

std::string Executor::serve_body(JobApi& api, const PlannedServe& serve) {
  std::vector<std::pair<std::string, std::string>> uris;
  for (const ServeAppSpec& app : serve.apps) {
    if (app.local_working_dir) {
      Package package = make_package(app.local_working_dir->value);
      uris.emplace_back(app.name.value, upload_package(api, app.local_working_dir->value, package));
    }
  }
  return uris.empty() ? serve.config_json : with_working_dirs(serve.config_json, uris);
}

void Executor::apply_serve(JobApi& api, const PlannedServe& serve, const ServeApply& how) {
  std::string body = serve_body(api, serve);
  ServeDecision decision = decide_serve(body, serve_instance(api));
  std::string reasons;
  for (const std::string& reason : decision.reasons) {
    reasons += (reasons.empty() ? "" : ", ") + reason;
  }
  if (decision.change == ServeDecision::Change::none) {
    m_progress.event("Serve", "Unchanged", EventState::done, "");
  } else {
    if (decision.change == ServeDecision::Change::restart) {
      m_progress.message(format_diagnostic(
          {Severity::warning,
           fmt::format("Serve keeps the options it started with ({}): shutting Serve down and "
                       "deploying again; its apps answer no traffic meanwhile",
                       reasons),
           "", std::nullopt},
          ""));
      shutdown_serve(api, how.shutdown_timeout);
    }
    m_progress.event("Serve", "Deploying", EventState::working, reasons);
    HttpResponse put = call(api, "PUT", k_serve_target, body, k_serve_request);
    if (!put.ok()) {
      m_progress.event("Serve", "Error", EventState::error, fmt::format("HTTP {}", put.status));
      serve_failed(fmt::format("Serve refused the config of {}", serve.file), put);
    }
    m_progress.event("Serve", "Deployed", EventState::done, reasons);
  }
  if (how.wait) {
    wait_for_serve(api, body, how.deadline, how.timeout);
  }
}

void Executor::wait_for_serve(JobApi& api, const std::string& body,
                              std::chrono::steady_clock::time_point deadline,
                              std::chrono::seconds timeout) {
  std::map<std::string, nlohmann::json> wanted = config_by_app(body);
  std::vector<std::string> names = app_names(body);
  while (true) {
    ServeInstance instance = serve_instance(api);
    std::vector<std::string> waiting;
    for (const std::string& name : names) {
      const ServeAppStatus* app = instance.app(name);
      bool current = app != nullptr && nlohmann::json::parse(app->deployed_config_json, nullptr,
                                                             false) == wanted[name];
      if (current && app->status == "DEPLOY_FAILED") {
        std::string detail = trimmed(app->message);
        for (const ServeDeploymentStatus& d : app->deployments) {
          if (d.status == "DEPLOY_FAILED" || d.status == "UNHEALTHY") {
            detail += "\n" + deployment_line(d);
          }
        }
        m_progress.event("Serve app " + name, "Failed", EventState::error);
        throw ExecError(fmt::format("Serve application \"{}\" DEPLOY_FAILED: {}", name, detail),
                        "fix the app (its import_path, code or runtime_env), then `raylaunch up` "
                        "again; `raylaunch serve status` shows Serve's view");
      }
      if (!current || app->status != "RUNNING") {
        std::string line = fmt::format("application \"{}\" {}", name,
                                       app == nullptr ? "not deployed yet"
                                       : current      ? app->status
                                                      : "still on its previous config");
        if (app != nullptr && current) {
          line += app->message.empty() ? "" : ": " + trimmed(app->message);
          for (const ServeDeploymentStatus& d : app->deployments) {
            line += d.status == "HEALTHY" ? "" : "; " + deployment_line(d);
          }
        }
        waiting.push_back(line);
      }
    }
    if (waiting.empty()) {
      for (const std::string& name : names) {
        m_progress.event("Serve app " + name, "Running", EventState::done);
      }
      return;
    }
    if (cancelled()) {
      throw ExecError("interrupted while waiting for Serve's apps",
                      "Serve goes on deploying them; `raylaunch serve status` shows how far it is");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string all;
      for (const std::string& line : waiting) {
        all += "\n  " + line;
      }
      throw ExecError(
          fmt::format("Serve's apps are not RUNNING after {} s:{}", timeout.count(), all),
          "a replica no node can hold stays pending (see the deployment's ray_actor_options); "
          "`raylaunch serve status` shows Serve's view, --timeout waits longer");
    }
    pause(k_serve_poll);
  }
}

void Executor::shutdown_serve(JobApi& api, std::chrono::seconds timeout) {
  m_progress.event("Serve", "Shutting down", EventState::working);
  HttpResponse answer = call(api, "DELETE", k_serve_target, "",
                             std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (!answer.ok()) {
    m_progress.event("Serve", "Error", EventState::error);
    serve_failed(answer.status == 0
                     ? fmt::format("Serve did not shut down within {} s", timeout.count())
                     : std::string("Serve did not shut down"),
                 answer);
  }
  m_progress.event("Serve", "Shut down", EventState::done);
}

int Executor::serve_deploy(const std::string& project, const Plan* plan, const PlannedServe& serve,
                           const ServeApply& how) {
  JobApi api = job_api(project, plan);
  apply_serve(api, serve, how);
  m_progress.finish();
  return 0;
}

int Executor::serve_shutdown(const std::string& project, const Plan* plan,
                             std::chrono::seconds timeout) {
  JobApi api = job_api(project, plan);
  shutdown_serve(api, timeout);
  m_progress.finish();
  return 0;
}

}  // namespace raylaunch
