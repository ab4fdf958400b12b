// `up --wait` against a recording runner and a fake Ray: a node that crashes
// ends the wait at once, and a head that never answers cannot hold `up` past
// its --timeout.
#include <gtest/gtest.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/executor.hpp>

#include <sstream>
#include <thread>

#include "support/fake_http.hpp"
#include "support/fake_ports.hpp"
#include "support/load_helpers.hpp"
#include "support/recording_runner.hpp"

namespace raylaunch {
namespace {

using Argv = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

const char* k_spec = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 2\n";

bool is(const Argv& argv, const std::string& verb) { return argv.size() > 1 && argv[1] == verb; }

struct WaitFixture {
  test::RecordingRunner runner;
  test::FakeHttp http;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  Executor executor{runner, DockerEndpoint{}, progress, out, nullptr, &http,
                    test::every_port_free};

  // Runs `up --wait --timeout seconds`; the error it ends with, and how long it took.
  std::pair<ExecError, std::chrono::milliseconds> failed_up(int seconds) {
    Clock::time_point started = Clock::now();
    try {
      executor.up(test::plan_text(k_spec), {true, std::chrono::seconds(seconds), 2, false});
    } catch (const ExecError& e) {
      return {e, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)};
    }
    throw std::logic_error("expected an ExecError");
  }
};

// `up --wait` while Ray has the head only and `inspect` says `inspected` of
// the workers' containers: the error it ends with, within a second.
ExecError crash_error(WaitFixture& f, const std::string& inspected) {
  f.http.answer_with([](const HttpRequest&) {
    return HttpResponse{
        200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
  });
  f.runner.answer_with([inspected](const Argv& argv) {
    if (is(argv, "inspect")) {
      return CommandResult{0, inspected, "", false};
    }
    if (is(argv, "logs")) {
      return CommandResult{0, "", "Error: No such option: --bogus\n", false};
    }
    return CommandResult{};
  });
  auto [error, took] = f.failed_up(60);
  EXPECT_LT(took.count(), 1000);
  return error;
}

TEST(Wait, ANodeWhoseContainerExitsFailsUpAtOnce) {
  WaitFixture f;
  ExecError error = crash_error(f, "id1\t/demo-cpu-1\tsha256:a\trunning\t0\t0\t2026-01-05T10:11:12Z\tdemo_net=n \n"
                                   "id2\t/demo-cpu-2\tsha256:a\texited\t0\t2\t2026-01-05T10:11:12Z\tdemo_net=n \n");
  EXPECT_EQ(error.message(),
            "1 of 3 nodes crashed while up waited for Ray\n"
            "  demo-cpu-2 exited with code 2; the end of its log:\n"
            "    | Error: No such option: --bogus\n");
  EXPECT_EQ(error.hint(),
            "fix what its log says, then `raylaunch up` again; `raylaunch logs NODE` shows a "
            "node's whole log");
  // Only the nodes Ray does not have are looked at.
  EXPECT_EQ(f.runner.argvs[f.runner.argvs.size() - 2],
            (Argv{"docker", "inspect", "--type", "container", "--format",
                  container_inspect_args({}).at(4), "demo-cpu-1", "demo-cpu-2"}));
}

// Docker restarts a crashing container by its policy: two restarts since this
// `up` started it are a crash loop; one is a worker that lost its head.
TEST(Wait, ANodeInACrashLoopFailsUpAtOnce) {
  WaitFixture f;
  ExecError error = crash_error(f, "id1\t/demo-cpu-1\tsha256:a\trunning\t1\t0\t2026-01-05T10:11:12Z\tdemo_net=n \n"
                                   "id2\t/demo-cpu-2\tsha256:a\trestarting\t2\t2\t2026-01-05T10:11:12Z\t\n");
  EXPECT_EQ(error.message(),
            "1 of 3 nodes crashed while up waited for Ray\n"
            "  demo-cpu-2 restarted 2 times (restarting, exit code 2); the end of its log:\n"
            "    | Error: No such option: --bogus\n");
}

// A head that takes every connection and never answers (paused, or Ray
// stopped with SIGSTOP): each request waits at most the time left, so up
// gives up within its --timeout.
TEST(Wait, AFrozenHeadCannotHoldUpPastItsTimeout) {
  WaitFixture f;
  f.runner.answer_with([](const Argv&) { return CommandResult{}; });
  f.http.answer_with([](const HttpRequest& request) {
    std::this_thread::sleep_for(request.timeout);
    return HttpResponse{0, "", "read: no answer"};
  });
  auto [error, took] = f.failed_up(1);
  EXPECT_EQ(error.message().substr(0, 40), "Ray counts 0 of 3 nodes alive after 1 s\n");
  EXPECT_LT(took.count(), 1500);
  for (const HttpRequest& request : f.http.requests) {
    EXPECT_LE(request.timeout.count(), 1000);
  }
}

}  // namespace
}  // namespace raylaunch
