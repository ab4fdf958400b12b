// The day-2 commands' contracts, as whole text: `exec`'s and `logs`' docker
// argv and exit codes, `logs -f` of every node, `status --json` when Ray or
// the engine does not answer, and what `up --dry-run` says it would do.
#include <gtest/gtest.h>

#include <raylaunch/engine/docker_said.hpp>
#include <raylaunch/engine/follow.hpp>
#include <raylaunch/execute/executor.hpp>

#include <fmt/format.h>

#include <csignal>
#include <sstream>

#include "support/fake_http.hpp"
#include "support/fake_ports.hpp"
#include "support/load_helpers.hpp"
#include "support/recording_runner.hpp"

namespace raylaunch {
namespace {

using Argv = std::vector<std::string>;

TEST(Exec, ArgvCarriesDockersOptionsInOrder) {
  ExecRequest request{{"sh", "-c", "echo $A"}, {"A=1", "TOKEN"}, "/tmp", "1000", false};
  EXPECT_EQ(exec_args("demo-head", request),
            (Argv{"exec", "--interactive", "--env", "A=1", "--env", "TOKEN", "--workdir", "/tmp",
                  "--user", "1000", "demo-head", "sh", "-c", "echo $A"}));
  EXPECT_EQ(exec_args("demo-head", {{"bash"}, {}, "", "", true}),
            (Argv{"exec", "--interactive", "--tty", "demo-head", "bash"}));
}

TEST(Exec, ExitCodesMeanWhatTheyMeanForDockerRun) {
  // docker exec ends the daemon's own refusals with 1: they are docker's failure, 125.
  EXPECT_EQ(exec_exit_code(1, "", "Error response from daemon: No such container: demo-head\n"), 125);
  EXPECT_EQ(exec_exit_code(1, "", "Error response from daemon: Container 4f1 is not running\n"), 125);
  // The engine was never reached: the command did not run.
  EXPECT_EQ(exec_exit_code(1, "", "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is "
                                  "the docker daemon running?\n"),
            125);
  EXPECT_EQ(exec_exit_code(1, "", "context \"gone\": context not found: open /root/.docker/x: no "
                                  "such file or directory\n"),
            125);
  EXPECT_EQ(exec_exit_code(1, "", "error during connect: Get \"http://10.0.0.9:2375/v1.47/"
                                  "containers/json\": dial tcp 10.0.0.9:2375: connect: connection "
                                  "refused\n"),
            125);
  // A command of the node that says the same words later keeps its own code.
  EXPECT_EQ(exec_exit_code(1, "", "curl: (7) connection refused\n"), 1);
  // Engines before 23 end a command not found with 126.
  EXPECT_EQ(exec_exit_code(126, "", "OCI runtime exec failed: exec failed: unable to start container "
                                "process: exec: \"nosuch\": executable file not found in $PATH: "
                                "unknown\n"),
            127);
  EXPECT_EQ(exec_exit_code(126, "", "OCI runtime exec failed: exec failed: unable to start container "
                                "process: exec: \"/no/such\": stat /no/such: no such file or "
                                "directory: unknown\n"),
            127);
  EXPECT_EQ(exec_exit_code(126, "", "OCI runtime exec failed: exec failed: unable to start container "
                                "process: exec: \"/etc\": permission denied: unknown\n"),
            126);
  EXPECT_EQ(exec_exit_code(126, "", "OCI runtime exec failed: exec failed: unable to start container "
                                "process: chdir to cwd (\"/nonexist\") set in config.json failed: "
                                "no such file or directory: unknown\n"),
            126);
  // Engines before 23 write it on the exec's stdout.
  EXPECT_EQ(exec_exit_code(126, "OCI runtime exec failed: exec failed: unable to start container "
                                "process: exec: \"wc\": executable file not found in $PATH: "
                                "unknown\r\n", ""),
            127);
  // The command's own codes and words are left alone.
  EXPECT_EQ(exec_exit_code(1, "", "grep: no match\nError response from daemon: x\n"), 1);
  EXPECT_EQ(exec_exit_code(7, "", ""), 7);
  EXPECT_EQ(exec_exit_code(127, "", "sh: nosuch: not found\n"), 127);
}

TEST(Logs, ArgvPassesDockersOptionsOn) {
  EXPECT_EQ(logs_args("demo-head", {true, "5", true, "10m"}),
            (Argv{"logs", "--follow", "--tail", "5", "--timestamps", "--since", "10m", "demo-head"}));
  EXPECT_EQ(logs_args("demo-head", {}), (Argv{"logs", "demo-head"}));
}

TEST(Logs, PrefixIsTheNamePaddedAsComposeDoes) {
  EXPECT_EQ(log_prefix("demo-head", 10), "demo-head   | ");
  EXPECT_EQ(log_prefix("demo-cpu-1", 10), "demo-cpu-1  | ");
}

TEST(Logs, FollowPutsEveryLineAfterItsNodeAndEndsWithTheLogs) {
  std::ostringstream out;
  std::atomic<int> signal{0};
  std::vector<LogSource> sources = {{"demo-head", {"printf", "one\\ntwo\\n"}},
                                    {"demo-cpu-10", {"printf", "no newline"}}};
  EXPECT_EQ(follow_logs(sources, out, signal), 0);
  std::string text = out.str();
  EXPECT_NE(text.find("demo-head    | one\ndemo-head    | two\n"), std::string::npos) << text;
  EXPECT_NE(text.find("demo-cpu-10  | no newline\n"), std::string::npos) << text;
  EXPECT_EQ(text.size(), 3 * 15 + 4 + 4 + 11u) << text;
}

TEST(Logs, FollowStopsOnASignalWithItsExitCode) {
  std::ostringstream out;
  std::atomic<int> signal{SIGTERM};
  EXPECT_EQ(follow_logs({{"demo-head", {"sleep", "30"}}}, out, signal), 143);
  EXPECT_EQ(out.str(), "");
}

TEST(Logs, FollowSaysWhenADockerFailed) {
  std::ostringstream out;
  std::atomic<int> signal{0};
  EXPECT_EQ(follow_logs({{"a", {"false"}}, {"b", {"true"}}}, out, signal), 1);
}

TEST(Logs, FollowGoesOnAcrossARestartAndSaysWhenANodeStopsForGood) {
  std::ostringstream out;
  std::ostringstream notes;
  std::atomic<int> signal{0};
  test::RecordingRunner runner;
  runner.reply_with({0, "running false 0 2025-01-02T03:04:05.5Z\n", "", false});  // it restarted
  for (int i = 0; i < 20; ++i) {  // then stays stopped, asked until the grace is over
    runner.reply_with({0, "exited false 3 2025-01-02T03:04:05.5Z\n", "", false});
  }
  // The first log ends; the one after the restart prints what follows --since.
  LogSource source{"demo-cpu-1", {"printf", "before\n"}, {"docker", "inspect", "demo-cpu-1"},
                   {"sh", "-c", "echo \"after $1 $2\"", "sh"}};
  EXPECT_EQ(follow_logs({source}, out, signal, &runner, &notes), 0);
  EXPECT_EQ(out.str(), "demo-cpu-1  | before\n"
                       "demo-cpu-1  | after --since 2025-01-02T03:04:05.5Z\n");
  EXPECT_EQ(notes.str(), "raylaunch: demo-cpu-1 stopped for good (exit 3); its log ends here\n");
  EXPECT_EQ(runner.argvs.front(), (Argv{"docker", "inspect", "demo-cpu-1"}));
}

TEST(Logs, FollowSaysWhenANodeWasRemoved) {
  std::ostringstream out;
  std::ostringstream notes;
  std::atomic<int> signal{0};
  test::RecordingRunner runner;
  runner.reply_with({1, "", "Error: No such container: demo-head\n", false});
  LogSource source{"demo-head", {"true"}, {"docker", "inspect", "demo-head"}, {"true"}};
  EXPECT_EQ(follow_logs({source}, out, signal, &runner, &notes), 0);
  EXPECT_EQ(notes.str(), "raylaunch: demo-head was removed; its log ends here\n");
}

struct StatusFixture {
  test::RecordingRunner runner;
  test::FakeHttp http;  // answers nothing: "Connection refused"
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  Executor executor{runner, DockerEndpoint{}, progress, out, nullptr, &http,
                    test::every_port_free};
};

TEST(StatusJson, RaySilentIsAnErrorInTheDocument) {
  StatusFixture f;
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  const PlannedContainer& head = plan.containers.front();
  std::string ps = fmt::format("id\t{}\trunning\thead\thead\t1\t{}\t\t\thttp://127.0.0.1:8265\t\n",
                               head.name, head.config_hash);
  f.runner.answer_with([&](const Argv& argv) {
    return CommandResult{argv.at(1) == "ps" ? 0 : 1, argv.at(1) == "ps" ? ps : "", "", false};
  });
  std::vector<std::string> told;
  EXPECT_EQ(f.executor.status("demo", &plan, {true, [&](const std::string& e) { told.push_back(e); }}),
            1);
  const std::string error =
      "neither Ray's dashboard at http://127.0.0.1:8265 (Connection refused) nor `ray status` in "
      "demo-head answered";
  EXPECT_EQ(told, std::vector<std::string>{error});
  std::string text = f.out.str();
  EXPECT_EQ(text.substr(0, text.find("\"nodes\"")), R"({
  "schema_version": 3,
  "project": "demo",
  "healthy": false,
  "error": ")" + error + R"(",
  "nodes_planned": 1,
  "nodes_running": 1,
  "nodes_alive": 0,
  "ray_reachable": false,
  "ray_source": null,
  "dashboard": "http://127.0.0.1:8265",
  "hosts_unreachable": [],
  )");
}

TEST(StatusJson, TheDocumentWhenStatusCannotRun) {
  std::ostringstream out;
  Plan plan = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n");
  write_status_error(out, "demo", &plan, "the Docker engine at unix:///x.sock does not answer");
  EXPECT_EQ(out.str(), R"({
  "schema_version": 3,
  "project": "demo",
  "healthy": false,
  "error": "the Docker engine at unix:///x.sock does not answer",
  "nodes_planned": 2,
  "nodes_running": 0,
  "nodes_alive": 0,
  "ray_reachable": false,
  "ray_source": null,
  "dashboard": "http://127.0.0.1:8265",
  "hosts_unreachable": [],
  "nodes": []
}
)");
  std::ostringstream nameless;
  write_status_error(nameless, "", nullptr, "no project");
  EXPECT_NE(nameless.str().find("\"project\": null,\n  \"healthy\": false,\n  \"error\": \"no project\""),
            std::string::npos);
}

TEST(DryRun, ProgressSaysWhatWouldBeDone) {
  std::ostringstream text;
  Progress progress{text, ProgressMode::plain, [] { return 0.0; }};
  progress.set_dry_run(true);
  progress.event("Network demo_net", "Creating");
  progress.event("Network demo_net", "Created", EventState::done);
  progress.event("Container demo-head", "Creating");
  progress.event("Container demo-head", "Started", EventState::done);
  progress.event("Container demo-cpu-1", "Starting");
  progress.event("Container demo-cpu-1", "Started", EventState::done);
  progress.event("Container demo-cpu-2", "Running", EventState::done);
  progress.event("Container demo-cpu-3", "Removing");
  progress.event("Container demo-cpu-3", "Removed", EventState::done);
  progress.event("Volume data", "Created", EventState::done);
  EXPECT_EQ(text.str(),
            " Network demo_net  Would create  0.0s\n"
            " Container demo-head  Would create  0.0s\n"
            " Container demo-cpu-1  Would start  0.0s\n"
            " Container demo-cpu-2  Running  0.0s\n"
            " Container demo-cpu-3  Would remove  0.0s\n"
            " Volume data  Would create  0.0s\n");
  EXPECT_EQ(progress.count_done("Container ", {"Would create", "Running"}), 2u);
}

}  // namespace
}  // namespace raylaunch
