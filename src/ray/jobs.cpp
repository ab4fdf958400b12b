// The Jobs API's bodies: what `ray job submit` sends and what the head
// answers (shared/reference/ray-dashboard-api.md, section 4). No envelope
// here, unlike the State API.
#include <raylaunch/ray/jobs.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

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

namespace {

// One job of the Jobs API, from its JSON (an answer, or an item of the list).
std::optional<JobInfo> job_info_of(const json& doc, std::string& error) {
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
  if (doc.contains("end_time") && doc["end_time"].is_number()) {
    info.end_time_ms = doc["end_time"].get<int64_t>();
  }
  return info;
}

}  // namespace

std::optional<JobInfo> parse_job_info(const std::string& body, std::string& error) {
  return job_info_of(object_or_fail(body, error), error);
}

std::optional<std::vector<JobInfo>> parse_job_list(const std::string& body, std::string& error) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_array()) {
    error = "the answer is not a list of jobs";
    return std::nullopt;
  }
  std::vector<JobInfo> jobs;
  for (const json& item : doc) {
    std::string one_error;
    if (std::optional<JobInfo> info = job_info_of(item, one_error)) {
      jobs.push_back(std::move(*info));
    }
  }
  return jobs;
}

std::optional<std::string> parse_submission_id(const std::string& body, std::string& error) {
  return string_field(body, "submission_id", error);
}

namespace {

// Ray's note before the end of a log larger than its limit
// (dashboard/modules/job/job_log_storage_client.py, get_logs).
constexpr std::string_view k_note_start = "[LOG TRUNCATED \xe2\x80\x94 ";
constexpr std::string_view k_note_end = " total]";

// Splits Ray's note off `logs`: the note's words, and where the log starts.
std::pair<std::string, size_t> ray_note_of(const std::string& logs) {
  size_t newline = logs.find('\n');
  if (logs.rfind(k_note_start, 0) != 0 || newline == std::string::npos) {
    return {"", 0};
  }
  std::string_view line(logs.data(), newline);
  if (!line.ends_with(k_note_end)) {
    return {"", 0};
  }
  line.remove_prefix(k_note_start.size());
  line.remove_suffix(1);  // the bracket
  return {std::string(line), newline + 1};
}

// How many candidate alignments printed_overlap() checks before it gives up:
// a log of one line repeated could otherwise cost each answer's size squared.
constexpr int k_overlap_tries = 64;

}  // namespace

size_t printed_overlap(const std::string& printed, const std::string& text) {
  size_t most = std::min(printed.size(), text.size());
  if (most == 0) {
    return 0;
  }
  // An overlap of `k` bytes at least as long as the anchor (the last bytes
  // printed) has the anchor end at `k` in `text`: try those from the longest.
  size_t anchor = std::min<size_t>(most, 64);
  std::string_view wanted(printed.data() + printed.size() - anchor, anchor);
  std::string_view within(text);
  int tries = 0;
  for (size_t at = within.rfind(wanted, most - anchor); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : within.rfind(wanted, at - 1)) {
    size_t k = at + anchor;
    if (printed.compare(printed.size() - k, k, text, 0, k) == 0) {
      return k;
    }
    if (++tries == k_overlap_tries) {
      return 0;
    }
  }
  for (size_t k = anchor - 1; k > 0; --k) {
    if (printed.compare(printed.size() - k, k, text, 0, k) == 0) {
      return k;
    }
  }
  return 0;
}

JobLogFollower::Step JobLogFollower::next(const std::string& logs) {
  auto [note, start] = ray_note_of(logs);
  std::string text = logs.substr(start);
  Step step;
  step.ray_note = note;
  bool whole = note.empty();
  size_t from = 0;
  if (whole && m_aligned && text.size() >= m_printed &&
      text.compare(m_printed - m_window.size(), m_window.size(), m_window) == 0) {
    from = m_printed;  // the whole log again, longer: the usual case
  } else if (!text.empty()) {
    m_aligned = false;
    from = printed_overlap(m_window, text);
    step.cut = from == 0 && (m_printed > 0 || !whole);
  }
  step.text = text.substr(from);
  m_printed += step.text.size();
  m_keep = std::max(m_keep, text.size());
  m_window += step.text;
  if (m_window.size() > m_keep) {
    m_window.erase(0, m_window.size() - m_keep);
  }
  return step;
}

std::optional<std::string> parse_job_logs(const std::string& body, std::string& error) {
  return string_field(body, "logs", error);
}

}  // namespace raylaunch
