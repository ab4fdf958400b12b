// `submit`, `job` and `run`: Ray's Jobs API through the head's dashboard, and
// the smoke test CI wants in one command: up, the job with its log, down.
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/ray/package.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace raylaunch::cli {

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Ray runs the entrypoint with a shell. One argument is that command line as
// written (`-- "python x.py && echo ok"`); several are quoted one by one, so
// `-- sh -c 'ray status && echo ok'` arrives as typed.
std::string entrypoint_of(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    throw UsageError("no entrypoint: the command to run goes after --",
                     "e.g. raylaunch submit -- python my_job.py");
  }
  return argv.size() == 1 ? argv.front() : quote_for_display(argv);
}

SubmitRequest request_of(const SubmitOptions& options) {
  SubmitRequest request;
  request.job.entrypoint = entrypoint_of(options.entrypoint);
  request.job.submission_id = options.submission_id;
  request.job.runtime_env_json = options.runtime_env_json;
  for (const std::string& pair : options.metadata) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("--metadata \"{}\" is not KEY=VALUE", pair),
                       "e.g. --metadata commit=abc123");
    }
    request.job.metadata[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  if (options.entrypoint_num_cpus >= 0) {
    request.job.entrypoint_num_cpus = options.entrypoint_num_cpus;
  }
  if (options.entrypoint_num_gpus >= 0) {
    request.job.entrypoint_num_gpus = options.entrypoint_num_gpus;
  }
  request.working_dir = options.working_dir;
  request.wait = !options.no_wait;
  // Everything the command line can get wrong is found here, before anything is created.
  if (!request.job.submission_id.empty()) {
    check_job_id(request.job.submission_id, "--submission-id");
  }
  if (runtime_env_names_working_dir(request.job.runtime_env_json) && !request.working_dir.empty()) {
    // Ray's `ray job submit` says the same (cli_utils.parse_runtime_env_args).
    print_diagnostic({Severity::warning,
                      "overriding runtime_env working_dir with --working-dir option",
                      "leave working_dir out of --runtime-env-json, or leave out --working-dir",
                      std::nullopt});
  }
  job_request_body(request.job);
  return request;
}

// The --working-dir package, made before the head is asked anything: every
// problem with the folder is a usage error found before anything happens.
void package_working_dir(SubmitRequest& request) {
  if (!request.working_dir.empty()) {
    request.package = make_package(request.working_dir);
  }
}

// --junit FILE must be a file that can be made: a folder, or a folder that
// does not exist, is refused before the cluster is created.
void check_report_path(const std::string& path) {
  if (path.empty()) {
    return;
  }
  std::error_code ignored;
  if (fs::is_directory(path, ignored)) {
    throw UsageError(fmt::format("--junit {} is a folder", path),
                     "name the report's file, e.g. --junit report.xml");
  }
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ignored)) {
    throw UsageError(fmt::format("--junit {}: the folder {} does not exist", path, parent.string()),
                     "make the folder first, or name a file in one that exists");
  }
}

// The job's end on stderr; its exit code: 0 SUCCEEDED, 130 stopped by
// Ctrl-C (run_cli makes it 128 + the signal caught), 1 otherwise.
int report_job(const JobOutcome& outcome, Progress& progress) {
  progress.finish();
  std::string said = outcome.message.empty() ? "" : ": " + outcome.message;
  if (outcome.status == "SUCCEEDED") {
    progress.message(fmt::format("raylaunch: job {} SUCCEEDED{}", outcome.submission_id, said));
    return 0;
  }
  print_diagnostic({Severity::error,
                    fmt::format("job {} {}{}", outcome.submission_id, outcome.status, said),
                    fmt::format("`raylaunch job logs {}` shows its whole log", outcome.submission_id),
                    std::nullopt});
  return outcome.interrupted ? 130 : 1;
}

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no place for other control characters.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? '?' : c;
    }
  }
  return out;
}

std::string tail_of(const std::string& log, size_t lines) {
  size_t at = log.size();
  for (size_t n = 0; at > 0 && n <= lines; --at) {
    n += log[at - 1] == '\n' ? 1 : 0;
  }
  return log.substr(at == 0 ? 0 : at + 1);
}

// What `run` went through, for the exit code and the JUnit report.
struct RunReport {
  std::string project;
  std::string entrypoint;
  std::string up_error;  // empty when the cluster came up
  bool up_ok = false;
  JobOutcome job;
  std::string job_error;
  double up_seconds = 0;
  double job_seconds = 0;
};

std::string testcase(const RunReport& run, const std::string& name, double seconds,
                     const std::string& inner) {
  return fmt::format("    <testcase classname=\"raylaunch.{}\" name=\"{}\" time=\"{:.3f}\"{}\n",
                     xml_escaped(run.project), xml_escaped(name), seconds,
                     inner.empty() ? "/>" : ">\n" + inner + "    </testcase>");
}

// JUnit XML as GitHub Actions' and GitLab's report readers take it: one
// suite, a test case for the bring-up and one for the job.
void write_junit(const std::string& path, const RunReport& run) {
  std::string up_case = run.up_ok ? "" : fmt::format("      <failure message=\"{}\">{}</failure>\n",
                                                      xml_escaped(run.up_error), xml_escaped(run.up_error));
  std::string job_case;
  int failures = run.up_ok ? 0 : 1;
  int skipped = 0;
  if (!run.up_ok) {
    job_case = "      <skipped message=\"the cluster did not come up\"/>\n";
    skipped = 1;
  } else if (run.job.status != "SUCCEEDED") {
    std::string why = run.job_error.empty()
                          ? fmt::format("job {} {}: {}", run.job.submission_id, run.job.status,
                                        run.job.message)
                          : run.job_error;
    job_case = fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_escaped(why),
                           xml_escaped(tail_of(run.job.log, 50)));
    ++failures;
  }
  std::string system_out = run.job.log.empty() ? "" : fmt::format("      <system-out>{}</system-out>\n",
                                                                    xml_escaped(tail_of(run.job.log, 200)));
  double total = run.up_seconds + run.job_seconds;
  std::ostringstream report;
  report << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         << fmt::format("<testsuites name=\"raylaunch run\" tests=\"2\" failures=\"{}\" "
                        "errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                        failures, skipped, total)
         << fmt::format("  <testsuite name=\"raylaunch run {}\" tests=\"2\" failures=\"{}\" "
                        "errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                        xml_escaped(run.project), failures, skipped, total)
         << testcase(run, "bring-up", run.up_seconds, up_case)
         << testcase(run, "job: " + run.entrypoint, run.job_seconds, job_case + system_out)
         << "  </testsuite>\n</testsuites>\n";
  // A file does not pass the redactor on stdout: mask secrets here.
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << redact(report.str())) || !out.flush()) {
    int error = errno;
    throw ExecError(fmt::format("cannot write the JUnit report {}{}", path,
                                error != 0 ? std::string(": ") + std::strerror(error) : ""),
                    "the exit code is still the run's; check that the file may be written");
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int run_submit(const CommonOptions& common, const SubmitOptions& options,
               const std::atomic<bool>& interrupted) {
  SubmitRequest request = request_of(options);
  Session session(common, EngineOptions{}, false, interrupted);
  Target target = session.aim(common, "submit");
  package_working_dir(request);
  JobOutcome outcome = session.executor.submit(
      target.project, target.plan ? &*target.plan : nullptr, request);
  if (outcome.submission_id.empty()) {
    throw Interrupted("nothing was submitted");
  }
  if (!request.wait) {
    std::cout << outcome.submission_id << '\n';
    return 0;
  }
  return report_job(outcome, session.progress);
}

int run_job(const CommonOptions& common, const JobOptions& options,
            const std::atomic<bool>& interrupted) {
  check_job_id(options.id, "the job id");
  Session session(common, EngineOptions{}, false, interrupted);
  std::string project = session.aim(common, "job").project;
  if (options.action == "status") {
    return session.executor.job_status(project, options.id);
  }
  if (options.action == "logs") {
    int code = session.executor.job_logs(project, options.id, options.follow);
    if (interrupted) {
      throw Interrupted(fmt::format("only the following stopped; job {} goes on (`raylaunch job "
                                    "stop {}` stops it)",
                                    options.id, options.id));
    }
    return code;
  }
  return session.executor.job_stop(project, options.id);
}

// up (waiting for every node), the job with its log followed, then down,
// which runs whatever happens once up has started (a failed job, a report
// that cannot be written, Ctrl-C) unless --keep. Exit codes: 0 the job
// succeeded, 1 it failed or was stopped, 2 a usage error (found before
// anything is created), 3 the cluster did not come up or the project's lock
// was not taken, 128 + the signal when interrupted (run_cli makes that so).
int run_run(const CommonOptions& common, const EngineOptions& engine, const RunOptions& options,
            const std::atomic<bool>& interrupted) {
  SubmitRequest request = request_of(options.submit);
  request.wait = true;
  check_report_path(options.junit);
  Session session(common, engine, false, interrupted);
  Plan plan = load_and_plan(common, &session.endpoint, true);
  session.executor.use_hosts(plan.hosts);
  package_working_dir(request);
  RunReport run;
  run.project = plan.project;
  run.entrypoint = request.job.entrypoint;
  // The report is written whatever happened; a report that cannot be written
  // is said on its own and leaves the exit code to what the run did.
  auto report = [&] {
    if (options.junit.empty()) {
      return;
    }
    try {
      write_junit(options.junit, run);
    } catch (const ExecError& e) {
      print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    }
  };
  std::optional<ProjectLock> lock;
  try {
    lock.emplace(plan.project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  } catch (const ExecError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    run.up_error = "the project's lock was not taken: " + e.message();
    report();
    return 3;
  }
  if (interrupted) {
    throw Interrupted("nothing was created");
  }
  Clock::time_point start = Clock::now();
  int code = 0;
  std::exception_ptr unexpected;
  try {
    try {
      session.executor.up(plan, {true, std::chrono::seconds(options.up.timeout),
                                 options.up.parallel, false, false});
      run.up_ok = true;
    } catch (const ExecError& e) {
      if (interrupted) {
        run.up_error = "interrupted during bring-up";
      } else {
        print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
        run.up_error = e.message();
      }
    }
    run.up_seconds = seconds_since(start);
    start = Clock::now();
    if (run.up_ok && !interrupted) {
      // With autoscaled groups the controller follows the job's demand; it
      // takes the lock when it changes containers, so run lets it go.
      std::shared_ptr<void> controller;
      if (!plan.scaling.empty()) {
        lock.reset();
        controller = autoscale_beside(common, plan);
      }
      try {
        run.job = session.executor.submit(plan.project, &plan, request);
      } catch (const Error& e) {
        print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
        run.job_error = e.message();
      }
      controller.reset();
      if (!lock) {
        lock.emplace(plan.project, std::chrono::seconds(engine.lock_timeout),
                     session.on_lock_wait());
      }
      if (run.job_error.empty() && run.job.submission_id.empty()) {
        run.job_error = "interrupted before the job was submitted";
      }
    }
    run.job_seconds = seconds_since(start);
    code = !run.up_ok            ? 3
           : !run.job_error.empty() ? 1
                                    : report_job(run.job, session.progress);
    report();
  } catch (...) {
    unexpected = std::current_exception();  // down runs all the same
    code = 1;
  }
  bool keep = options.keep || (!run.up_ok && options.keep_on_failure);
  if (keep) {
    session.progress.message(fmt::format(
        "raylaunch: the cluster stays up: `raylaunch down -p {}` removes it", plan.project));
  } else {
    int down = session.executor.down(plan.project, {std::chrono::seconds(10), false});
    code = code == 0 ? down : code;
  }
  if (unexpected) {
    std::rethrow_exception(unexpected);
  }
  if (interrupted) {
    throw Interrupted(keep ? fmt::format("the cluster stays up: `raylaunch down -p {}` removes it",
                                         plan.project)
                           : fmt::format("{}; run removed the cluster",
                                         !run.up_ok ? "the cluster was coming up"
                                         : run.job.submission_id.empty()
                                             ? "nothing was submitted"
                                             : "the job was stopped"));
  }
  return code;
}

}  // namespace raylaunch::cli
