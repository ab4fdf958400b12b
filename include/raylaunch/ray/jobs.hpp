#pragma once

// Ray's Jobs REST API on the head's dashboard (what `ray job submit` uses),
// as requests to build and answers to read. Pure: the executor sends them.

#include <map>
#include <optional>
#include <string>

namespace raylaunch {

/// One job to submit: `POST /api/jobs/`.
struct JobRequest {
  std::string entrypoint;  // a shell command line, run by Ray on the head
  std::string submission_id;  // empty: Ray picks one
  std::string runtime_env_json;  // a JSON object, or empty
  std::string working_dir_uri;   // gcs://_ray_pkg_<hash>.zip, set in runtime_env
  std::map<std::string, std::string> metadata;
  std::optional<double> entrypoint_num_cpus;
  std::optional<double> entrypoint_num_gpus;
};

/// The JSON body of `POST /api/jobs/`. Throws UsageError when
/// `runtime_env_json` is not a JSON object.
std::string job_request_body(const JobRequest& request);

/// What `GET /api/jobs/{id}` says of a job.
struct JobInfo {
  std::string submission_id;
  std::string status;  // PENDING, RUNNING, STOPPED, SUCCEEDED, FAILED
  std::string message;
  std::optional<int> driver_exit_code;
  /// STOPPED, SUCCEEDED and FAILED are final.
  bool finished() const {
    return status == "STOPPED" || status == "SUCCEEDED" || status == "FAILED";
  }
};

/// Readers of the answers; nullopt (with `error`) when the body is not Ray's.
std::optional<JobInfo> parse_job_info(const std::string& body, std::string& error);
std::optional<std::string> parse_submission_id(const std::string& body, std::string& error);
std::optional<std::string> parse_job_logs(const std::string& body, std::string& error);

}  // namespace raylaunch
