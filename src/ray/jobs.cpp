// The Jobs API's bodies: what `ray job submit` sends and what the head
// answers (shared/reference/ray-dashboard-api.md, section 4). No envelope
// here, unlike the State API.
#include <raylaunch/ray/jobs.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <raylaunch/base/error.hpp>

namespace raylaunch {

namespace {

using json = nlohmann::json;

json object_or_fail(const std::string& body, std::string& error) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = body.empty() ? "an empty answer" : "the answer is not a JSON object: " + body.substr(0, 200);
    return json();
  }
  return doc;
}

// The string `key` of the JSON object `body`.
std::optional<std::string> string_field(const std::string& body, const char* key,
                                        std::string& error) {
  json doc = object_or_fail(body, error);
  if (doc.is_object() && doc.contains(key) && doc[key].is_string()) {
    return doc[key].get<std::string>();
  }
  if (error.empty()) {
    error = std::string("the answer has no ") + key;
  }
  return std::nullopt;
}

}  // namespace

std::string job_target(const std::string& id, const std::string& tail) {
  std::string path = "/api/jobs/";
  for (char c : id) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    path += unreserved ? std::string(1, c) : fmt::format("%{:02X}", byte);
  }
  return path + tail;
}

void check_job_id(const std::string& id, const std::string& what) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos) {
    throw UsageError(fmt::format("{} \"{}\" cannot name a job: Ray's Jobs API has no path for it",
                                 what, id),
                     "a job id is one non-empty name without \"/\" (and not \".\" or \"..\")");
  }
}

namespace {

json runtime_env_of(const std::string& text) {
  json runtime_env = json::object();
  if (!text.empty()) {
    runtime_env = json::parse(text, nullptr, false);
    if (runtime_env.is_discarded() || !runtime_env.is_object()) {
      throw UsageError("--runtime-env-json is not a JSON object",
                       R"(e.g. --runtime-env-json '{"env_vars": {"A": "1"}}')");
    }
  }
  return runtime_env;
}

}  // namespace

bool runtime_env_names_working_dir(const std::string& runtime_env_json) {
  return runtime_env_of(runtime_env_json).contains("working_dir");
}

std::string job_request_body(const JobRequest& request) {
  json runtime_env = runtime_env_of(request.runtime_env_json);
  if (!request.working_dir_uri.empty()) {
    runtime_env["working_dir"] = request.working_dir_uri;
  }
  json body = {{"entrypoint", request.entrypoint}, {"runtime_env", runtime_env}};
  body["submission_id"] = request.submission_id.empty() ? json(nullptr) : json(request.submission_id);
  body["metadata"] = request.metadata;
  if (request.entrypoint_num_cpus) {
    body["entrypoint_num_cpus"] = *request.entrypoint_num_cpus;
  }
  if (request.entrypoint_num_gpus) {
    body["entrypoint_num_gpus"] = *request.entrypoint_num_gpus;
  }
  return body.dump();
}

std::optional<JobInfo> parse_job_info(const std::string& body, std::string& error) {
  json doc = object_or_fail(body, error);
  if (!doc.is_object() || !doc.contains("status") || !doc["status"].is_string()) {
    if (error.empty()) {
      error = "the answer has no job status";
    }
    return std::nullopt;
  }
  JobInfo info;
  info.submission_id = doc.value("submission_id", json()).is_string()
                           ? doc["submission_id"].get<std::string>()
                           : std::string();
  info.status = doc["status"].get<std::string>();
  info.message = doc.contains("message") && doc["message"].is_string()
                     ? doc["message"].get<std::string>()
                     : std::string();
  if (doc.contains("driver_exit_code") && doc["driver_exit_code"].is_number_integer()) {
    info.driver_exit_code = doc["driver_exit_code"].get<int>();
  }
  return info;
}

std::optional<std::string> parse_submission_id(const std::string& body, std::string& error) {
  return string_field(body, "submission_id", error);
}

std::optional<std::string> parse_job_logs(const std::string& body, std::string& error) {
  return string_field(body, "logs", error);
}

}  // namespace raylaunch
