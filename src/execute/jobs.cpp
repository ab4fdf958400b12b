// Jobs on the running cluster through Ray's Jobs REST API on the head's
// dashboard, the API `ray job submit` uses: no Ray and no Python on the
// machine that runs raylaunch. The head is found as `status` finds it.
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/execute/observed.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/ray/package.hpp>

#include <algorithm>
#include <thread>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;
constexpr std::chrono::milliseconds k_job_poll = 200ms;
// After Ctrl-C, how long to wait for Ray to report the job STOPPED.
constexpr std::chrono::seconds k_stop_wait = 15s;

[[noreturn]] void api_failed(const std::string& what, const HttpResponse& answer) {
  std::string said = answer.status == 0 ? answer.error : answer.body;
  while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) {
    said.pop_back();
  }
  throw ExecError(fmt::format("{}: {}{}", what,
                              answer.status == 0 ? "" : fmt::format("HTTP {}: ", answer.status),
                              said.substr(0, 2000)),
                  answer.status == 404 ? "check the job's id: `raylaunch job status ID`"
                                       : "`raylaunch status` shows whether the cluster is up");
}

// Said once when the head returned only the end of the log and part of it
// was never printed.
std::string cut_message(const std::string& id, const std::string& ray_note) {
  return fmt::format(
      "raylaunch: the head sent only the end of job {}'s log{}, so part of it was not shown", id,
      ray_note.empty() ? "" : " (Ray: " + ray_note + ")");
}

}  // namespace

Executor::JobApi Executor::job_api(const std::string& project, const Plan* plan) {
  JobApi api;
  if (plan != nullptr) {
    api.head = head_access_of(*plan);
  } else {
    api.head = head_access_of(project, find_everywhere(project).containers);
    if (api.head.dashboard.empty()) {
      throw ExecError(fmt::format("project \"{}\" has no head container", project),
                      "bring the cluster up first: `raylaunch up`");
    }
  }
  RayView view;
  if (!ask_dashboard(api.head, view)) {
    throw ExecError(fmt::format("Ray's dashboard on {} does not answer ({})", api.head.container,
                                view.dashboard_note),
                    "jobs go through the head's dashboard: `raylaunch status` shows whether the "
                    "cluster is up");
  }
  api.host = view.api_host;
  api.port = view.api_port;
  return api;
}

std::optional<Executor::JobsSummary> Executor::jobs_summary(const Plan& plan) {
  JobApi api;
  api.head = head_access_of(plan);
  if (!split_dashboard_url(api.head.dashboard, api.host, api.port)) {
    return std::nullopt;
  }
  HttpResponse answer = call(api, "GET", "/api/jobs/", "", std::chrono::milliseconds(3000));
  if (answer.status == 401 || answer.status == 403) {
    api.head.token = head_token(api.head);
    answer = call(api, "GET", "/api/jobs/", "", std::chrono::milliseconds(3000));
  }
  std::string error;
  std::optional<std::vector<JobInfo>> jobs =
      answer.ok() ? parse_job_list(answer.body, error) : std::nullopt;
  if (!jobs) {
    return std::nullopt;
  }
  JobsSummary summary;
  for (const JobInfo& job : *jobs) {
    summary.in_flight += job.finished() ? 0 : 1;
    summary.last_end_ms = std::max(summary.last_end_ms, job.end_time_ms);
  }
  return summary;
}

HttpResponse Executor::call(JobApi& api, const std::string& method, const std::string& target,
                            const std::string& body, std::chrono::milliseconds timeout,
                            const std::string& body_file) {
  HttpRequest request{method, api.host, api.port, target, {}, body, timeout, body_file};
  if (!api.head.token.empty()) {
    request.headers["Authorization"] = "Bearer " + api.head.token;
  }
  if (!body.empty() || !body_file.empty()) {
    request.headers["Content-Type"] =
        target.rfind("/api/packages/", 0) == 0 ? "application/octet-stream" : "application/json";
  }
  return m_http->send(request);
}

// Ships `folder` once: its name is its content's hash, so a package the head
// already has is not sent again.
std::string Executor::upload_package(JobApi& api, const std::string& folder,
                                     const Package& package) {
  std::string target = "/api/packages/gcs/" + package.name + ".zip";
  std::string id = "Package " + package.name;
  HttpResponse found = call(api, "GET", target);
  if (found.ok()) {
    m_progress.event(id, "Present", EventState::done,
                     fmt::format("{} files, {} bytes", package.files, package.content_bytes));
    return package.uri();
  }
  m_progress.event(id, "Uploading", EventState::working,
                   fmt::format("{} files, {} bytes zipped", package.files, package.zip_bytes));
  auto timeout = std::chrono::milliseconds(30000 + package.zip_bytes / 10000);
  // Sent from the temporary file: memory does not grow with the package.
  HttpResponse put = call(api, "PUT", target, "", timeout, package.zip_path);
  if (!put.ok()) {
    m_progress.event(id, "Error", EventState::error, fmt::format("HTTP {}", put.status));
    api_failed(fmt::format("cannot upload --working-dir {}", folder), put);
  }
  m_progress.event(id, "Uploaded", EventState::done);
  return package.uri();
}

JobInfo Executor::job_info(JobApi& api, const std::string& id) {
  HttpResponse answer = call(api, "GET", job_target(id));
  std::string error;
  std::optional<JobInfo> info = answer.ok() ? parse_job_info(answer.body, error) : std::nullopt;
  if (!info) {
    api_failed(fmt::format("cannot read job {}", id), answer.ok() ? HttpResponse{0, "", error} : answer);
  }
  return *info;
}

void Executor::pause(std::chrono::milliseconds span) const {
  auto until = std::chrono::steady_clock::now() + span;
  while (!cancelled() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(span, 20ms));
  }
}

JobOutcome Executor::submit(const std::string& project, const Plan* plan,
                            const SubmitRequest& request) {
  JobRequest job = request.job;
  if (!job.submission_id.empty()) {
    check_job_id(job.submission_id, "--submission-id");
  }
  job_request_body(job);  // a bad --runtime-env-json is refused before anything is sent
  std::optional<Package> package = request.package;
  if (!request.working_dir.empty() && !package) {
    package = make_package(request.working_dir);
  }
  JobOutcome nothing{"", "", "", "", true};
  if (cancelled()) {
    return nothing;
  }
  JobApi api = job_api(project, plan);
  if (package) {
    job.working_dir_uri = upload_package(api, request.working_dir, *package);
  }
  if (cancelled()) {
    return nothing;
  }
  HttpResponse answer = call(api, "POST", "/api/jobs/", job_request_body(job));
  std::string error;
  std::optional<std::string> id =
      answer.ok() ? parse_submission_id(answer.body, error) : std::nullopt;
  if (!id) {
    api_failed("Ray refused the job", answer.ok() ? HttpResponse{0, "", error} : answer);
  }
  log_debug(fmt::format("submitted job {}: {}", *id, job.entrypoint));
  if (!request.wait) {
    m_progress.finish();
    return {*id, "", "", "", false};
  }
  return follow_job(api, *id, true);
}

// Prints what `step` adds to the log; the first time part of it was cut,
// says so on stderr.
void Executor::print_log_step(const JobLogFollower::Step& step, const std::string& id,
                              bool& told_cut) {
  if (step.cut && !told_cut) {
    told_cut = true;
    m_progress.message(cut_message(id, step.ray_note));
  }
  m_out << step.text << std::flush;
}

// Prints the job's log as it grows until Ray says it ended. With
// `stop_on_cancel`, Ctrl-C asks Ray to stop the job and waits for that.
JobOutcome Executor::follow_job(JobApi& api, const std::string& id, bool stop_on_cancel) {
  JobLogFollower follower;
  bool told_cut = false;
  JobOutcome outcome{id, "", "", "", false};
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  for (;;) {
    if (cancelled() && !stop_on_cancel) {
      outcome.interrupted = true;  // only the following ends; the job goes on
      outcome.log = follower.printed_end();
      return outcome;
    }
    JobInfo info = job_info(api, id);
    std::string error;
    HttpResponse logs = call(api, "GET", job_target(id, "/logs"));
    std::optional<std::string> text = logs.ok() ? parse_job_logs(logs.body, error) : std::nullopt;
    if (text) {
      print_log_step(follower.next(*text), id, told_cut);
    }
    if (info.finished()) {
      outcome.status = info.status;
      outcome.message = info.message;
      outcome.log = follower.printed_end();
      return outcome;
    }
    if (cancelled() && stop_on_cancel && !outcome.interrupted) {
      outcome.interrupted = true;
      HttpResponse stopped = call(api, "POST", job_target(id, "/stop"));
      log_debug(fmt::format("asked Ray to stop job {} (HTTP {})", id, stopped.status));
      stop_deadline = std::chrono::steady_clock::now() + k_stop_wait;
    }
    if (std::chrono::steady_clock::now() > stop_deadline) {
      outcome.status = info.status;
      outcome.message = "Ray did not report the job stopped in time";
      outcome.log = follower.printed_end();
      return outcome;
    }
    pause(k_job_poll);
  }
}

int Executor::job_status(const std::string& project, const std::string& id) {
  check_job_id(id, "the job id");
  JobApi api = job_api(project, nullptr);
  JobInfo info = job_info(api, id);
  m_out << fmt::format("{}: {}\n", id, info.status);
  if (!info.message.empty()) {
    m_out << info.message << '\n';
  }
  return 0;
}

int Executor::job_logs(const std::string& project, const std::string& id, bool follow) {
  check_job_id(id, "the job id");
  JobApi api = job_api(project, nullptr);
  if (follow) {
    follow_job(api, id, false);
    return 0;
  }
  std::string error;
  HttpResponse logs = call(api, "GET", job_target(id, "/logs"));
  std::optional<std::string> text = logs.ok() ? parse_job_logs(logs.body, error) : std::nullopt;
  if (!text) {
    api_failed(fmt::format("cannot read the log of job {}", id),
               logs.ok() ? HttpResponse{0, "", error} : logs);
  }
  JobLogFollower follower;
  bool told_cut = false;
  print_log_step(follower.next(*text), id, told_cut);
  return 0;
}

int Executor::job_stop(const std::string& project, const std::string& id) {
  check_job_id(id, "the job id");
  JobApi api = job_api(project, nullptr);
  HttpResponse answer = call(api, "POST", job_target(id, "/stop"));
  if (!answer.ok()) {
    api_failed(fmt::format("cannot stop job {}", id), answer);
  }
  bool stopped = answer.body.find("true") != std::string::npos;
  m_out << fmt::format("{}: {}\n", id, stopped ? "stop requested" : "already finished");
  return 0;
}

}  // namespace raylaunch
