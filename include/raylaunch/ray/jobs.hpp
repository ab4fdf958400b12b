#pragma once

// Ray's Jobs REST API on the head's dashboard (what `ray job submit` uses),
// as requests to build and answers to read. Pure: the executor sends them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

/// The path of a job's resource, `/api/jobs/<id><tail>`, with the id
/// percent-encoded (all but RFC 3986's unreserved characters), so `a%41`
/// stays `a%41` and `?`, `#` and spaces reach Ray as part of the id.
std::string job_target(const std::string& id, const std::string& tail = "");

/// Refuses (UsageError, exit 2) an id Ray could never serve a job under: an
/// empty one (that path is the list of jobs), `.` and `..` (a path resolves
/// them), and one with `/` (Ray's routes take one path segment). `what`
/// names it in the message, e.g. "--submission-id".
void check_job_id(const std::string& id, const std::string& what);

/// Checks `runtime_env_json` as job_request_body() would (UsageError when
/// it is not a JSON object); true when it names its own `working_dir`.
bool runtime_env_names_working_dir(const std::string& runtime_env_json);

/// The JSON body of `POST /api/jobs/`. Throws UsageError when
/// `runtime_env_json` is not a JSON object.
std::string job_request_body(const JobRequest& request);

/// What `GET /api/jobs/{id}` says of a job.
struct JobInfo {
  std::string submission_id;
  std::string status;  // PENDING, RUNNING, STOPPED, SUCCEEDED, FAILED
  std::string message;
  std::optional<int> driver_exit_code;
  /// When it ended, ms since the epoch (Ray's end_time); 0 while it runs.
  int64_t end_time_ms = 0;
  /// STOPPED, SUCCEEDED and FAILED are final.
  bool finished() const {
    return status == "STOPPED" || status == "SUCCEEDED" || status == "FAILED";
  }
};

/// Follows a job's log over successive answers of `GET /api/jobs/{id}/logs`.
/// Ray answers with the whole log until it passes RAY_JOB_LOG_MAX_READ_BYTES
/// (16 MiB by default), then with its note, e.g.
/// `[LOG TRUNCATED — showing last 16 MiB of 20.3 MiB total]`, and the log's
/// end from a line's start. So an answer is matched against the end of what
/// was printed, not assumed to extend it. Pure: the caller prints what next()
/// returns.
class JobLogFollower {
 public:
  struct Step {
    std::string text;  // the part of the log not printed yet
    /// Some of the log was never shown: the answer was only its end, and that
    /// end does not reach back to what was printed (or nothing was yet).
    bool cut = false;
    /// Ray's note without its brackets and "LOG TRUNCATED — ", e.g. "showing
    /// last 16 MiB of 20.3 MiB total"; "" when the answer was the whole log.
    std::string ray_note;
  };
  /// `logs`: the answer's "logs" string as Ray sent it.
  Step next(const std::string& logs);
  /// The end of what was printed: at least as much as the largest answer.
  const std::string& printed_end() const { return m_window; }

 private:
  std::string m_window;
  uint64_t m_printed = 0;  // bytes printed in all
  size_t m_keep = 0;       // the largest answer so far: how much of the end to keep
  /// Every answer so far was the whole log and extended the one before, so
  /// m_printed is a position in the next whole answer.
  bool m_aligned = true;
};

/// The longest end of `printed` that `text` starts with: how much of `text`
/// was printed already, when `text` is a later end of the same log.
size_t printed_overlap(const std::string& printed, const std::string& text);

/// Readers of the answers; nullopt (with `error`) when the body is not Ray's.
std::optional<JobInfo> parse_job_info(const std::string& body, std::string& error);
/// GET /api/jobs/: every job Ray knows (an entry without a status is skipped).
std::optional<std::vector<JobInfo>> parse_job_list(const std::string& body, std::string& error);
std::optional<std::string> parse_submission_id(const std::string& body, std::string& error);
std::optional<std::string> parse_job_logs(const std::string& body, std::string& error);

}  // namespace raylaunch
