// `submit`, `job` and `run`: Ray's Jobs API through the head's dashboard, and
// the smoke test CI wants in one command: up, the job with its log, down.
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/engine/lock.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

namespace raylaunch::cli {

namespace {

using Clock = std::chrono::steady_clock;

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
  return request;
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
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << redact(report.str())) || !out.flush()) {
    throw ExecError(fmt::format("cannot write the JUnit report {}", path),
                    "check that its folder exists and may be written");
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
  JobOutcome outcome = session.executor.submit(
      target.project, target.plan ? &*target.plan : nullptr, request);
  if (!request.wait) {
    std::cout << outcome.submission_id << '\n';
    return 0;
  }
  return report_job(outcome, session.progress);
}

int run_job(const CommonOptions& common, const JobOptions& options,
            const std::atomic<bool>& interrupted) {
  Session session(common, EngineOptions{}, false, interrupted);
  std::string project = session.aim(common, "job").project;
  if (options.action == "status") {
    return session.executor.job_status(project, options.id);
  }
  if (options.action == "logs") {
    return session.executor.job_logs(project, options.id, options.follow);
  }
  return session.executor.job_stop(project, options.id);
}

// up (waiting for every node), the job with its log followed, then down,
// which also runs after a failed job and after Ctrl-C. Exit codes: 0 the job
// succeeded, 1 it failed or was stopped, 3 the cluster did not come up, 128
// + the signal when interrupted (run_cli makes that so).
int run_run(const CommonOptions& common, const EngineOptions& engine, const RunOptions& options,
            const std::atomic<bool>& interrupted) {
  SubmitRequest request = request_of(options.submit);
  request.wait = true;
  Session session(common, engine, false, interrupted);
  Plan plan = load_and_plan(common, &session.endpoint, true);
  session.executor.use_hosts(plan.hosts);
  ProjectLock lock(plan.project, std::chrono::seconds(engine.lock_timeout), session.on_lock_wait());
  RunReport run;
  run.project = plan.project;
  run.entrypoint = request.job.entrypoint;
  Clock::time_point start = Clock::now();
  try {
    session.executor.up(
        plan, {true, std::chrono::seconds(options.up.timeout), options.up.parallel, false, false});
    run.up_ok = true;
  } catch (const ExecError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    run.up_error = e.message();
  }
  run.up_seconds = seconds_since(start);
  start = Clock::now();
  if (run.up_ok && !interrupted) {
    try {
      run.job = session.executor.submit(plan.project, &plan, request);
    } catch (const ExecError& e) {
      print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
      run.job_error = e.message();
    }
  }
  run.job_seconds = seconds_since(start);
  int code = !run.up_ok ? 3 : run.job_error.empty() ? report_job(run.job, session.progress) : 1;
  if (!options.junit.empty()) {
    write_junit(options.junit, run);
  }
  if (options.keep || (!run.up_ok && options.keep_on_failure)) {
    session.progress.message(fmt::format(
        "raylaunch: the cluster stays up: `raylaunch down -p {}` removes it", plan.project));
    return code;
  }
  int down = session.executor.down(plan.project, {std::chrono::seconds(10), false});
  return code == 0 ? down : code;
}

}  // namespace raylaunch::cli
