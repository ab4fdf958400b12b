// Ray's Jobs API: the bodies raylaunch sends and reads, the working-dir
// package, and `submit` against a head that answers like Ray's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/ray/jobs.hpp>
#include <raylaunch/ray/package.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/fake_http.hpp"
#include "support/fake_ports.hpp"
#include "support/load_helpers.hpp"
#include "support/scratch.hpp"
#include "support/recording_runner.hpp"

namespace raylaunch {
namespace {

namespace fs = std::filesystem;

TEST(JobsApi, RequestBodyCarriesWhatWasAskedAndNothingElse) {
  JobRequest request;
  request.entrypoint = "python x.py";
  EXPECT_EQ(job_request_body(request),
            R"({"entrypoint":"python x.py","metadata":{},"runtime_env":{},"submission_id":null})");
  request.submission_id = "smoke-1";
  request.runtime_env_json = R"({"env_vars": {"A": "1"}})";
  request.working_dir_uri = "gcs://_ray_pkg_0123456789abcdef.zip";
  request.metadata = {{"commit", "abc"}};
  request.entrypoint_num_cpus = 1;
  request.entrypoint_num_gpus = 0.5;
  EXPECT_EQ(job_request_body(request),
            R"({"entrypoint":"python x.py","entrypoint_num_cpus":1.0,"entrypoint_num_gpus":0.5,)"
            R"("metadata":{"commit":"abc"},"runtime_env":{"env_vars":{"A":"1"},)"
            R"("working_dir":"gcs://_ray_pkg_0123456789abcdef.zip"},"submission_id":"smoke-1"})");
}

TEST(JobsApi, ARuntimeEnvThatIsNotAnObjectIsRefused) {
  JobRequest request;
  request.entrypoint = "true";
  request.runtime_env_json = "[1, 2]";
  try {
    job_request_body(request);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.message(), "--runtime-env-json is not a JSON object");
  }
}

TEST(JobsApi, ReadsRaysAnswers) {
  std::string error;
  std::optional<JobInfo> info = parse_job_info(
      R"({"type": "SUBMISSION", "job_id": "02000000", "submission_id": "raysubmit_WA6CCPMe4pxC59Wc",
          "status": "FAILED", "message": "Job entrypoint command failed with exit code 3",
          "driver_exit_code": 3, "end_time": 1761303000999})",
      error);
  ASSERT_TRUE(info) << error;
  EXPECT_EQ(info->submission_id, "raysubmit_WA6CCPMe4pxC59Wc");
  EXPECT_EQ(info->status, "FAILED");
  EXPECT_TRUE(info->finished());
  EXPECT_EQ(info->driver_exit_code, 3);
  EXPECT_EQ(parse_submission_id(R"({"job_id": "x", "submission_id": "raysubmit_1"})", error),
            "raysubmit_1");
  EXPECT_EQ(parse_job_logs(R"({"logs": "line 1\nline 2\n"})", error), "line 1\nline 2\n");
  EXPECT_FALSE(parse_job_info("Job raysubmit_9 does not exist", error));
  EXPECT_EQ(error, "the answer is not a JSON object: Job raysubmit_9 does not exist");
}

// A job's folder in a scratch folder of the test's own, removed when it ends.
struct Folder {
  test::Scratch scratch;
  fs::path root = fs::path(scratch.path()) / "job";
  Folder() {
    fs::create_directories(root / "src");
    fs::create_directories(root / ".git");
    write("hello.txt", "hello\n");
    write("src/job.sh", "echo job\n");
    write(".git/HEAD", "ref: refs/heads/main\n");
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root / name, std::ios::binary) << text;
  }
};

// Ray's note before the end of a log past RAY_JOB_LOG_MAX_READ_BYTES.
const std::string k_note = "[LOG TRUNCATED \xe2\x80\x94 showing last 16 MiB of 20.3 MiB total]\n";

TEST(JobLog, TheOverlapIsTheLongestEndPrintedThatTheTextStartsWith) {
  EXPECT_EQ(printed_overlap("a\nb\nc\n", "b\nc\nd\n"), 4u);
  EXPECT_EQ(printed_overlap("a\nb\nc\n", "c\n"), 2u);
  EXPECT_EQ(printed_overlap("a\nb\nc\n", "x\ny\n"), 0u);
  EXPECT_EQ(printed_overlap("", "x\n"), 0u);
  EXPECT_EQ(printed_overlap("x\n", ""), 0u);
  std::string lines;
  for (int i = 1; i <= 100; ++i) {
    lines += "line " + std::to_string(i) + "\n";
  }
  size_t line_50 = lines.find("line 50\n");
  std::string later = lines.substr(line_50) + "line 101\n";
  EXPECT_EQ(printed_overlap(lines, later), lines.size() - line_50);  // past the 64-byte anchor
}

TEST(JobLog, WholeAnswersArePrintedOnceEach) {
  JobLogFollower follower;
  EXPECT_EQ(follower.next("").text, "");
  EXPECT_EQ(follower.next("a\n").text, "a\n");
  EXPECT_EQ(follower.next("a\n").text, "");
  JobLogFollower::Step step = follower.next("a\nb\n");
  EXPECT_EQ(step.text, "b\n");
  EXPECT_FALSE(step.cut);
  EXPECT_EQ(step.ray_note, "");
  EXPECT_EQ(follower.printed_end(), "a\nb\n");
}

// The head's answer turns into Ray's note and the log's end: printing goes on
// from where it was, and only a real gap counts as cut.
TEST(JobLog, EndsOfTheLogArePrintedFromWhereThePrintingWas) {
  JobLogFollower follower;
  EXPECT_EQ(follower.next("line 1\nline 2\n").text, "line 1\nline 2\n");
  JobLogFollower::Step step = follower.next(k_note + "line 2\nline 3\n");
  EXPECT_EQ(step.text, "line 3\n");
  EXPECT_FALSE(step.cut);
  EXPECT_EQ(step.ray_note, "showing last 16 MiB of 20.3 MiB total");
  EXPECT_EQ(follower.next(k_note + "line 3\n").text, "");  // nothing new
  step = follower.next(k_note + "line 5\nline 6\n");     // line 4 came and went between two answers
  EXPECT_EQ(step.text, "line 5\nline 6\n");
  EXPECT_TRUE(step.cut);
  step = follower.next(k_note + "line 6\nline 7\n");
  EXPECT_EQ(step.text, "line 7\n");
  EXPECT_FALSE(step.cut);
}

TEST(JobLog, AFirstAnswerThatIsOnlyTheEndIsCut) {
  JobLogFollower follower;
  JobLogFollower::Step step = follower.next(k_note + "line 9\n");
  EXPECT_EQ(step.text, "line 9\n");  // without Ray's note: that is not the job's output
  EXPECT_TRUE(step.cut);
  // Text that only looks like the note is the job's own.
  JobLogFollower other;
  EXPECT_EQ(other.next("[LOG TRUNCATED by me]\nx\n").text, "[LOG TRUNCATED by me]\nx\n");
}

TEST(Package, ZipsTheContentWithoutGitAndNamesItByContent) {
  Folder folder;
  Package first = make_package(folder.root.string());
  EXPECT_EQ(first.files, 2u);  // hello.txt and src/job.sh; .git is left out
  EXPECT_EQ(first.content_bytes, 15u);
  EXPECT_EQ(first.name.rfind("_ray_pkg_", 0), 0u);
  EXPECT_EQ(first.name.size(), 9u + 16u);
  EXPECT_EQ(first.uri(), "gcs://" + first.name + ".zip");
  EXPECT_EQ(first.read_zip().substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(make_package(folder.root.string()).name, first.name);  // same content, same name
  folder.write(".git/HEAD", "ref: refs/heads/other\n");
  EXPECT_EQ(make_package(folder.root.string()).name, first.name);  // .git does not count
  folder.write("hello.txt", "hello again\n");
  EXPECT_NE(make_package(folder.root.string()).name, first.name);
}

TEST(Package, RefusesAFolderOverTheLimitBeforeReadingIt) {
  Folder folder;
  try {
    make_package(folder.root.string(), 10);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.message(), "--working-dir " + folder.root.string() +
                               " holds more than 0 MiB; Ray refuses packages that large");
  }
  EXPECT_THROW(make_package((folder.root / "hello.txt").string()), UsageError);
}

TEST(Package, LinksAreShippedUnderTheirOwnNamesAndLoopsRefused) {
  Folder folder;
  fs::create_symlink("hello.txt", folder.root / "link");
  fs::create_symlink("src", folder.root / "linked-src");
  fs::create_symlink("missing", folder.root / "dangling");
  Package package = make_package(folder.root.string());
  // hello.txt, src/job.sh, link (hello's content), linked-src/job.sh; not the dangling link
  EXPECT_EQ(package.files, 4u);
  EXPECT_EQ(package.content_bytes, 15u + 6u + 9u);
  std::string zip = package.read_zip();
  for (const char* name : {"link", "linked-src/job.sh", "hello.txt"}) {
    EXPECT_NE(zip.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(zip.find("../"), std::string::npos);
  fs::create_symlink("..", folder.root / "src" / "up");
  try {
    make_package(folder.root.string());
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.message(), "--working-dir " + folder.root.string() +
                               ": the symbolic link linked-src/up is a loop: it leads back to a "
                               "folder that holds it");
  }
  fs::remove(folder.root / "src" / "up");
  fs::create_symlink("self", folder.root / "self");
  try {
    make_package(folder.root.string());
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.message(), "--working-dir " + folder.root.string() +
                               ": the symbolic link self is a loop: it leads back to a folder that "
                               "holds it");
  }
}

TEST(Package, AnEmptyFolderIsAnEmptyZip) {
  Folder folder;
  fs::remove_all(folder.root);
  fs::create_directories(folder.root);
  Package package = make_package(folder.root.string());
  EXPECT_EQ(package.files, 0u);
  EXPECT_EQ(package.read_zip(), std::string("PK\x05\x06", 4) + std::string(18, '\0'));
}

TEST(Package, WhatDeflateWouldGrowIsStored) {
  Folder folder;
  std::string noise;
  uint64_t state = 88172645463325252ULL;
  for (int i = 0; i < (1 << 20); ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    noise += static_cast<char>(state & 0xff);
  }
  folder.write("noise.bin", noise);
  Package package = make_package(folder.root.string());
  EXPECT_EQ(package.stored, 1u);
  EXPECT_LT(package.zip_bytes, noise.size() + 1024);
}

TEST(Package, TheZipIsATemporaryFileRemovedWithThePackage) {
  Folder folder;
  std::string path;
  {
    Package package = make_package(folder.root.string());
    path = package.zip_path;
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(fs::path(path).parent_path()));
}

// A head answering like Ray: the node list, then the job running and its log
// growing until it ends with `final_status`.
struct JobsFixture {
  test::RecordingRunner runner;
  test::FakeHttp http;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  std::atomic<bool> cancel{false};
  Executor executor{runner, DockerEndpoint{}, progress, out, &cancel, &http,
                    test::every_port_free};
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  int polls = 0;
  bool stopped = false;
  bool cancel_on_post = false;  // Ctrl-C right after Ray took the job

  void answer_as_ray(const std::string& final_status) {
    http.answer_with([this, final_status](const HttpRequest& request) -> HttpResponse {
      if (request.target.rfind("/api/v0/nodes", 0) == 0) {
        return {200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
      }
      if (request.method == "POST" && request.target == "/api/jobs/") {
        cancel = cancel_on_post;
        return {200, R"({"job_id": "02000000", "submission_id": "raysubmit_1"})", ""};
      }
      if (request.method == "POST" && request.target == "/api/jobs/raysubmit_1/stop") {
        stopped = true;
        return {200, R"({"stopped": true})", ""};
      }
      if (request.target == "/api/jobs/raysubmit_1/logs") {
        return {200, polls < 2 ? R"({"logs": "step 1\n"})" : R"({"logs": "step 1\nstep 2\n"})", ""};
      }
      std::string status = stopped ? "STOPPED" : ++polls < 3 ? "RUNNING" : final_status;
      return {200, R"({"submission_id": "raysubmit_1", "status": ")" + status +
                       R"(", "message": "said by Ray"})", ""};
    });
  }
};

TEST(Submit, FollowsTheLogUntilTheJobEnds) {
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  SubmitRequest request;
  request.job.entrypoint = "python x.py";
  JobOutcome outcome = f.executor.submit("demo", &f.plan, request);
  EXPECT_EQ(outcome.submission_id, "raysubmit_1");
  EXPECT_EQ(outcome.status, "SUCCEEDED");
  EXPECT_EQ(outcome.message, "said by Ray");
  EXPECT_EQ(f.out.str(), "step 1\nstep 2\n");  // each line once, in order
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(f.runner.argvs.size(), 0u);  // no docker call at all
  EXPECT_EQ(f.http.requests[1].body,
            R"({"entrypoint":"python x.py","metadata":{},"runtime_env":{},"submission_id":null})");
}

// A refusal without a string msg is a dashboard that does not answer: the
// usual error, not an internal one.
TEST(Submit, ARefusalWithoutAStringMessageIsADashboardThatDoesNotAnswer) {
  for (const char* body : {R"({"result": false, "msg": null, "data": {}})",
                           R"({"result": false, "data": {}})", R"({"result": false, "msg": 7})"}) {
    JobsFixture f;
    f.http.answer_with([&](const HttpRequest&) { return HttpResponse{200, body, ""}; });
    SubmitRequest request;
    request.job.entrypoint = "true";
    try {
      f.executor.submit("demo", &f.plan, request);
      ADD_FAILURE() << "expected an ExecError for " << body;
    } catch (const ExecError& e) {
      EXPECT_EQ(e.message(),
                "Ray's dashboard on demo-head does not answer (Ray answered result: false)")
          << body;
      EXPECT_EQ(e.hint(), "jobs go through the head's dashboard: `raylaunch status` shows whether "
                          "the cluster is up");
    }
  }
}

// Once the head sends only the log's end, submit keeps printing from where
// it was, and says once on stderr that part of the log was not shown.
TEST(Submit, KeepsPrintingWhenTheHeadSendsOnlyTheEndOfTheLog) {
  JobsFixture f;
  const std::string note = R"([LOG TRUNCATED \u2014 showing last 0 MiB of 0.0 MiB total]\n)";
  std::vector<std::string> answers = {R"({"logs": "line 1\nline 2\n"})",
                                      R"({"logs": ")" + note + R"(line 2\nline 3\n"})",
                                      R"({"logs": ")" + note + R"(line 5\nline 6\n"})",
                                      R"({"logs": ")" + note + R"(line 7\nline 8\n"})",
                                      R"({"logs": ")" + note + R"(line 8\nline 9\n"})"};
  size_t served = 0;
  f.http.answer_with([&](const HttpRequest& request) -> HttpResponse {
    if (request.target.rfind("/api/v0/nodes", 0) == 0) {
      return {200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
    }
    if (request.method == "POST") {
      return {200, R"({"job_id": null, "submission_id": "raysubmit_1"})", ""};
    }
    if (request.target == "/api/jobs/raysubmit_1/logs") {
      return {200, answers[std::min(served++, answers.size() - 1)], ""};
    }
    std::string status = served + 1 < answers.size() ? "RUNNING" : "SUCCEEDED";
    return {200, R"({"submission_id": "raysubmit_1", "status": ")" + status + R"(", "message": ""})",
            ""};
  });
  SubmitRequest request;
  request.job.entrypoint = "python x.py";
  JobOutcome outcome = f.executor.submit("demo", &f.plan, request);
  EXPECT_EQ(outcome.status, "SUCCEEDED");
  EXPECT_EQ(f.out.str(), "line 1\nline 2\nline 3\nline 5\nline 6\nline 7\nline 8\nline 9\n");
  EXPECT_EQ(f.progress_text.str(),
            "raylaunch: the head sent only the end of job raysubmit_1's log (Ray: showing last 0 "
            "MiB of 0.0 MiB total), so part of it was not shown\n");
  EXPECT_EQ(outcome.log, "line 8\nline 9\n");  // the end, as long as the largest answer
}

TEST(Submit, CtrlCStopsTheJob) {
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  f.cancel_on_post = true;
  SubmitRequest request;
  request.job.entrypoint = "sleep 600";
  JobOutcome outcome = f.executor.submit("demo", &f.plan, request);
  EXPECT_TRUE(f.stopped);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(outcome.status, "STOPPED");
}

TEST(Submit, CtrlCBeforeTheJobIsSubmittedSubmitsNothing) {
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  f.cancel = true;
  SubmitRequest request;
  request.job.entrypoint = "sleep 600";
  JobOutcome outcome = f.executor.submit("demo", &f.plan, request);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(outcome.submission_id, "");
  EXPECT_TRUE(f.http.requests.empty());  // not even the head was asked
}

// `docker ps` as it lists the project's running head, for the `job` commands.
void head_is_listed(test::RecordingRunner& runner) {
  runner.reply_with({0, "c1\tdemo-head\trunning\thead\t\t0\th\t\t\thttp://127.0.0.1:8265\t\n", "",
                     false});
}

TEST(Job, LogsFollowEndsOnCtrlCAndLeavesTheJob) {
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  head_is_listed(f.runner);
  f.cancel = true;
  EXPECT_EQ(f.executor.job_logs("demo", "raysubmit_1", true), 0);
  EXPECT_FALSE(f.stopped);
  for (const HttpRequest& request : f.http.requests) {
    EXPECT_EQ(request.target.find("/api/jobs/"), std::string::npos) << request.target;
  }
}

TEST(Job, IdsArePercentEncodedInEveryUrl) {
  EXPECT_EQ(job_target("victim%41", "/stop"), "/api/jobs/victim%2541/stop");
  EXPECT_EQ(job_target("a b?c#d%2F"), "/api/jobs/a%20b%3Fc%23d%252F");
  EXPECT_EQ(job_target("raysubmit_Xw3-b.q~2", "/logs"), "/api/jobs/raysubmit_Xw3-b.q~2/logs");
  EXPECT_EQ(job_target("\xc3\xa9"), "/api/jobs/%C3%A9");
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  head_is_listed(f.runner);
  f.executor.job_stop("demo", "victim%41");
  EXPECT_EQ(f.http.requests.back().target, "/api/jobs/victim%2541/stop");
}

TEST(Job, IdsRayCouldNeverServeAreRefusedUpFront) {
  for (const char* id : {"", ".", "..", "a/b"}) {
    try {
      check_job_id(id, "the job id");
      FAIL() << id;
    } catch (const UsageError& e) {
      EXPECT_EQ(e.message(), fmt::format("the job id \"{}\" cannot name a job: Ray's Jobs API has "
                                         "no path for it",
                                         id));
    }
  }
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  SubmitRequest request;
  request.job.entrypoint = "true";
  request.job.submission_id = "a/b";
  EXPECT_THROW(f.executor.submit("demo", &f.plan, request), UsageError);
  EXPECT_TRUE(f.http.requests.empty());
}

TEST(JobsApi, ARuntimeEnvWithItsOwnWorkingDirIsNoticed) {
  EXPECT_TRUE(runtime_env_names_working_dir(R"({"working_dir": "."})"));
  EXPECT_FALSE(runtime_env_names_working_dir(R"({"env_vars": {}})"));
  EXPECT_FALSE(runtime_env_names_working_dir(""));
  EXPECT_THROW(runtime_env_names_working_dir(R"({"a":)"), UsageError);
}

TEST(Submit, NoWaitOnlySubmits) {
  JobsFixture f;
  f.answer_as_ray("SUCCEEDED");
  SubmitRequest request;
  request.job.entrypoint = "true";
  request.wait = false;
  JobOutcome outcome = f.executor.submit("demo", &f.plan, request);
  EXPECT_EQ(outcome.submission_id, "raysubmit_1");
  EXPECT_EQ(outcome.status, "");
  EXPECT_EQ(f.http.requests.size(), 2u);  // the node list, the POST
}

TEST(Submit, UploadsTheWorkingDirOnlyWhenTheHeadLacksIt) {
  for (bool present : {false, true}) {
    JobsFixture f;
    Folder folder;
    std::string name = make_package(folder.root.string()).name;
    std::vector<std::string> seen;
    f.http.answer_with([&](const HttpRequest& request) -> HttpResponse {
      seen.push_back(request.method + " " + request.target);
      if (request.target.rfind("/api/v0/nodes", 0) == 0) {
        return {200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
      }
      if (request.target.rfind("/api/packages/", 0) == 0) {
        return {request.method == "GET" && !present ? 404 : 200, "", ""};
      }
      return {200, R"({"submission_id": "raysubmit_2"})", ""};
    });
    SubmitRequest request;
    request.job.entrypoint = "cat hello.txt";
    request.working_dir = folder.root.string();
    request.wait = false;
    f.executor.submit("demo", &f.plan, request);
    std::vector<std::string> want = {"GET " + std::string(k_nodes_target),
                                     "GET /api/packages/gcs/" + name + ".zip"};
    if (!present) {
      want.push_back("PUT /api/packages/gcs/" + name + ".zip");
    }
    want.push_back("POST /api/jobs/");
    EXPECT_EQ(seen, want);
    if (!present) {
      // The zip goes from its temporary file, never through memory.
      const HttpRequest& put = f.http.requests[f.http.requests.size() - 2];
      EXPECT_EQ(put.body, "");
      EXPECT_EQ(fs::path(put.body_file).filename(), name + ".zip");
    }
    EXPECT_NE(f.http.requests.back().body.find("\"working_dir\":\"gcs://" + name + ".zip\""),
              std::string::npos);
  }
}

}  // namespace
}  // namespace raylaunch
