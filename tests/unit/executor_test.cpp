// The executor's docker commands, exactly, against a recording runner.
#include <gtest/gtest.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/execute/executor.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "support/load_helpers.hpp"
#include "support/fake_http.hpp"
#include "support/fake_ports.hpp"
#include "support/recording_runner.hpp"

namespace raylaunch {
namespace {

using Argv = std::vector<std::string>;

const char* k_spec = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 2\n";

const std::string k_three_alive =
    "======== Autoscaler status: 2025-12-17 17:13:41.621247 ========\nNode status\n"
    "---------------------------------------------------------------\nActive:\n"
    " 1 node_a\n 1 node_b\n 1 node_c\nPending:\n (no pending nodes)\nRecent failures:\n"
    " (no failures)\n";

bool is(const Argv& argv, const std::string& a, const std::string& b = "") {
  return argv.size() > 2 && argv[1] == a && (b.empty() || argv[2] == b);
}

// `docker ps` of the plan's containers, all running but `exited`, the head
// with its dashboard label.
std::string ps_of(const Plan& plan, const std::string& exited = "");

// `docker inspect` of the containers `argv` names, as the engine prints it:
// each running, started at 2026-01-05T10:11:12Z, except those in `exited`.
std::string inspected(const Argv& argv, const std::vector<std::string>& exited = {}) {
  std::string out;
  for (size_t i = 6; i < argv.size(); ++i) {
    bool stopped = std::find(exited.begin(), exited.end(), argv[i]) != exited.end();
    out += "id-" + argv[i] + "\t/" + argv[i] + "\tsha256:a\t" + (stopped ? "exited\t0\t1" : "running\t0\t0") +
           "\t2026-01-05T10:11:12Z\t\n";
  }
  return out;
}

// `docker logs` of that run: from a second before it started.
Argv logs_of(const std::string& name) {
  return {"docker", "logs", "--since", "1767607871.000000000", name};
}

bool is_inspect_of_containers(const Argv& argv) {
  return argv.size() > 3 && argv[1] == "inspect" && argv[2] == "--type" && argv[3] == "container";
}

struct Fixture {
  test::RecordingRunner runner;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  Executor executor{runner, DockerEndpoint{}, progress, out, nullptr, nullptr,
                    test::every_port_free};

  // The commands after the concurrent probes (ps, image inspect, network ls).
  std::vector<Argv> after_probes() const {
    return std::vector<Argv>(runner.argvs.begin() + 3, runner.argvs.end());
  }
};

TEST(Executor, UpOnAnEmptyEngineCreatesNetworkHeadThenWorkers) {
  Fixture f;
  Plan plan = test::plan_text(k_spec);
  f.runner.answer_with([](const Argv&) { return CommandResult{}; });
  EXPECT_EQ(f.executor.up(plan, {false, std::chrono::seconds(5), 1, false}), 0);
  std::vector<Argv> probes(f.runner.argvs.begin(), f.runner.argvs.begin() + 3);
  std::sort(probes.begin(), probes.end());
  EXPECT_EQ(probes, (std::vector<Argv>{{"docker", "image", "inspect", "--format",
                                        "{{.Id}}\t{{json .Config.User}}", "ray:1"},
                                       {"docker", "network", "ls", "--no-trunc", "--filter",
                                        "label=io.raylaunch.project=demo", "--format",
                                        "{{.Name}}\t{{.ID}}"},
                                       {"docker", "ps", "-a", "--no-trunc", "--filter",
                                        "label=io.raylaunch.project=demo", "--format",
                                        ps_args("demo").back()}}));
  // Preflight: who holds the names about to be used (by name, whoever made them).
  std::vector<Argv> expected = {
      {"docker", "ps", "-a", "--no-trunc", "--filter", "name=^demo-", "--format",
       "{{.ID}}\t{{.Names}}\t{{.Label \"io.raylaunch.project\"}}"},
      DockerEndpoint{}.argv(network_create_args(plan.network))};
  for (const PlannedContainer& c : plan.containers) {
    expected.push_back(DockerEndpoint{}.argv(run_args(plan, c)));
  }
  EXPECT_EQ(f.after_probes(), expected);
  EXPECT_EQ(f.executor.commands_run(), 8);
  EXPECT_EQ(f.out.str(),
            "Ray cluster \"demo\": 3 containers running (not waiting for Ray)\n"
            "  dashboard    http://127.0.0.1:8265\n"
            "  GCS address  127.0.0.1:6379\n"
            "  Ray client   ray://127.0.0.1:10001\n"
            "  submit a job ray job submit --address http://127.0.0.1:8265 -- python my_script.py\n"
            "  status       raylaunch status -p demo\n"
            "  tear down    raylaunch down -p demo\n");
}

// The whole message `up` fails with when the probe says `taken` ("IP:PORT")
// and `docker ps --filter publish=PORT` answers `publisher`; `asked` gets the
// ports the probe was asked, `ran` the commands after the look-ups.
std::string port_taken_error(const std::string& taken, const std::string& publisher,
                             std::vector<std::string>& asked, std::vector<Argv>& ran) {
  test::FakePorts ports({taken});
  test::RecordingRunner runner;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  Executor executor{runner, DockerEndpoint{}, progress, out, nullptr, nullptr, ports.probe()};
  runner.answer_with([&](const Argv& argv) {
    if (is(argv, "ps", "--filter")) {
      return CommandResult{0, publisher, "", false};
    }
    return CommandResult{};
  });
  std::string message;
  try {
    executor.up(test::plan_text(k_spec), {false, std::chrono::seconds(5), 1, false});
  } catch (const ExecError& e) {
    message = format_error(e, "");
  }
  asked = ports.asked;
  ran.assign(runner.argvs.begin() + 3, runner.argvs.end());
  return message;
}

// Given a listener on the head's dashboard port, held by a container of
// another project: up says which port of which node, and who holds it, before
// it creates anything.
TEST(Executor, AHostPortTakenByAContainerIsNamedBeforeAnythingIsMade) {
  std::vector<std::string> asked;
  std::vector<Argv> ran;
  EXPECT_EQ(port_taken_error("127.0.0.1:8265", "quickstart-head\n", asked, ran),
            "raylaunch: error: host port 127.0.0.1:8265 (dashboard of demo-head) is already "
            "taken by container quickstart-head\n"
            "hint: stop what listens there, or publish another port under head.ports\n");
  EXPECT_EQ(asked, (std::vector<std::string>{"127.0.0.1:6379", "127.0.0.1:8265"}));
  EXPECT_EQ(ran, (std::vector<Argv>{
                     {"docker", "ps", "--filter", "publish=8265", "--format", "{{.Names}}"}}));
}

// Given a listener that is no container (docker ps names none): the port and
// the node alone.
TEST(Executor, AHostPortTakenByAnotherProgramIsNamedToo) {
  std::vector<std::string> asked;
  std::vector<Argv> ran;
  EXPECT_EQ(port_taken_error("127.0.0.1:10001", "", asked, ran),
            "raylaunch: error: host port 127.0.0.1:10001 (client of demo-head) is already taken\n"
            "hint: stop what listens there, or publish another port under head.ports\n");
  EXPECT_EQ(asked,
            (std::vector<std::string>{"127.0.0.1:6379", "127.0.0.1:8265", "127.0.0.1:10001"}));
  EXPECT_EQ(ran, (std::vector<Argv>{
                     {"docker", "ps", "--filter", "publish=10001", "--format", "{{.Names}}"}}));
}

// An engine on another machine: its host ports cannot be probed from here,
// so the probe is never asked and docker run says it if one is taken.
TEST(Executor, TheHostPortsOfARemoteEngineAreNotProbedHere) {
  test::FakePorts ports({"127.0.0.1:6379"});
  test::RecordingRunner runner;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  DockerEndpoint remote;
  remote.host = "ssh://ray@10.0.0.2";
  Executor executor{runner, remote, progress, out, nullptr, nullptr, ports.probe()};
  EXPECT_EQ(executor.up(test::plan_text(k_spec), {false, std::chrono::seconds(5), 1, false}), 0);
  EXPECT_EQ(ports.asked, std::vector<std::string>{});
}

// Without the dashboard `ray status` counts the nodes, and each node's log
// since its container started says Ray started there.
TEST(Executor, UpWaitsUntilRayCountsEveryNode) {
  Fixture f;
  Plan plan = test::plan_text(k_spec);
  int polls = 0;
  f.runner.answer_with([&](const Argv& argv) {
    if (is(argv, "exec")) {
      return ++polls < 3 ? CommandResult{1, "", "ConnectionError", false}
                         : CommandResult{0, k_three_alive, "", false};
    }
    if (is_inspect_of_containers(argv)) {
      return CommandResult{0, inspected(argv), "", false};
    }
    if (is(argv, "logs")) {
      return CommandResult{0, "Local node IP: 172.28.0.2\nRay runtime started.\n", "", false};
    }
    return CommandResult{};
  });
  EXPECT_EQ(f.executor.up(plan, {true, std::chrono::seconds(30), 2, false}), 0);
  EXPECT_EQ(polls, 3);
  std::vector<Argv> logs;
  std::copy_if(f.runner.argvs.begin(), f.runner.argvs.end(), std::back_inserter(logs),
               [](const Argv& argv) { return is(argv, "logs"); });
  // Each node's log once: a run seen starting Ray is not read again.
  EXPECT_EQ(logs, (std::vector<Argv>{logs_of("demo-head"), logs_of("demo-cpu-1"),
                                     logs_of("demo-cpu-2")}));
  EXPECT_EQ(f.out.str().substr(0, 41), "Ray cluster \"demo\" is up: 3 of 3 nodes al");
}

// A node joined by hand makes `ray status`'s count look complete while a
// planned node has not joined: up waits for that node by name, and says why.
TEST(Executor, ANodeJoinedByHandDoesNotStandInForAPlannedOne) {
  Fixture f;
  Plan plan = test::plan_text(k_spec);
  bool waiting = false;
  f.runner.answer_with([&](const Argv& argv) {
    if (is(argv, "exec")) {
      waiting = true;
      return CommandResult{0, k_three_alive, "", false};  // head, cpu-1 and one by hand
    }
    if (is_inspect_of_containers(argv)) {
      return CommandResult{0, inspected(argv), "", false};
    }
    if (is(argv, "logs") && argv.back() == "demo-cpu-2") {
      return CommandResult{0, "", "Waiting for the head at demo-head:6379\n", false};
    }
    if (is(argv, "logs")) {
      return CommandResult{0, "Ray runtime started.\n", "", false};
    }
    if (is(argv, "ps") && waiting) {
      return CommandResult{0, ps_of(plan), "", false};  // what up created
    }
    return CommandResult{};
  });
  try {
    f.executor.up(plan, {true, std::chrono::seconds(1), 2, false});
    ADD_FAILURE() << "expected an ExecError";
  } catch (const ExecError& e) {
    EXPECT_EQ(e.message(),
              "Ray counts 2 of 3 nodes alive after 1 s (by their logs; ray status in the head "
              "counts 3 and names none)\n"
              "  demo-cpu-2 (running) has not joined; the end of its log:\n"
              "    | Waiting for the head at demo-head:6379\n");
  }
  EXPECT_NE(f.progress_text.str().find("2/3 nodes alive (waiting for demo-cpu-2)"),
            std::string::npos)
      << f.progress_text.str();
}

// The fallback's rule: a node's log vouches for it only while Ray's count
// covers every node so vouched for.
TEST(Executor, LogsVouchForNodesOnlyWhileRaysCountCoversThem) {
  std::set<std::string> started = {"demo-cpu-1", "demo-head"};
  EXPECT_EQ(alive_by_count(started, 2), started);
  EXPECT_EQ(alive_by_count(started, 3), started);  // one more: joined by hand
  EXPECT_EQ(alive_by_count(started, 1), std::set<std::string>());  // which one Ray lost is unknown
  EXPECT_EQ(alive_by_count({}, 0), std::set<std::string>());
}

// `error` says `message`, then `hint`.
void expect_told(const ExecError& error, const std::string& message, const std::string& hint) {
  EXPECT_EQ(error.message(), message);
  EXPECT_EQ(error.hint(), hint);
}

// A run refused because `holder_label` is the io.raylaunch.project of the
// container that holds demo-cpu-1 ("none": it has no such label).
ExecError conflict_error(const std::string& holder_label, test::RecordingRunner* runner = nullptr) {
  Fixture f;
  Plan plan = test::plan_text(k_spec);
  f.runner.answer_with([&](const Argv& argv) {
    if (is(argv, "run") && std::find(argv.begin(), argv.end(), "demo-cpu-1") != argv.end()) {
      return CommandResult{125, "",
                           "docker: Error response from daemon: Conflict. The container name "
                           "\"/demo-cpu-1\" is already in use by container \"1f2e3d4c5b6a7f8e\". "
                           "You have to remove (or rename) that container to be able to reuse "
                           "that name.\n\nRun 'docker run --help' for more information\n",
                           false};
    }
    if (is(argv, "inspect")) {
      return CommandResult{0, holder_label == "none" ? "\n" : holder_label + "\n", "", false};
    }
    return CommandResult{};
  });
  try {
    f.executor.up(plan, {false, std::chrono::seconds(5), 1, false});
  } catch (const ExecError& e) {
    if (runner != nullptr) {
      runner->argvs = f.runner.argvs;
    }
    return e;
  }
  throw std::logic_error("expected an ExecError");
}

TEST(Executor, StopsStartingWorkAfterAFailedRun) {
  test::RecordingRunner ran;
  expect_told(
      conflict_error("none", &ran),
      "cannot start demo-cpu-1: docker run: Error response from daemon: Conflict. The container "
      "name \"/demo-cpu-1\" is already in use by container \"1f2e3d4c5b6a7f8e\". You have to "
      "remove (or rename) that container to be able to reuse that name.",
      "container 1f2e3d4c5b6a is not raylaunch's (it has no io.raylaunch.project label), so "
      "raylaunch leaves it alone: remove or rename it (`docker rm -f 1f2e3d4c5b6a`), or give this "
      "project another name with -p");
  // demo-cpu-2 was never started; the holder was asked for its label.
  EXPECT_EQ(std::count_if(ran.argvs.begin(), ran.argvs.end(),
                          [](const Argv& argv) { return is(argv, "run"); }),
            2);
  EXPECT_EQ(ran.argvs.back(),
            (Argv{"docker", "inspect", "--type", "container", "--format",
                  "{{index .Config.Labels \"io.raylaunch.project\"}}", "1f2e3d4c5b6a7f8e"}));
}

TEST(Executor, NamesTheProjectThatHoldsAPlannedName) {
  EXPECT_EQ(conflict_error("demo-cpu").hint(),
            "container 1f2e3d4c5b6a belongs to raylaunch project \"demo-cpu\", whose names "
            "overlap this one's: take it down (`raylaunch down -p demo-cpu`), or give this "
            "project another name with -p");
}

// The error of `up` when every docker call says `err` (exit 1).
ExecError engine_error(const std::string& err, DockerEndpoint endpoint = {}) {
  test::RecordingRunner runner;
  std::ostringstream progress_text;
  std::ostringstream out;
  Progress progress{progress_text, ProgressMode::plain, [] { return 0.0; }};
  Executor executor{runner, std::move(endpoint), progress, out, nullptr, nullptr,
                    test::every_port_free};
  runner.answer_with([&](const Argv&) { return CommandResult{1, "", err, false}; });
  try {
    executor.up(test::plan_text(k_spec), {false, std::chrono::seconds(5), 1, false});
  } catch (const ExecError& e) {
    return e;
  }
  throw std::logic_error("expected an ExecError");
}

TEST(Executor, EngineNotAnsweringNamesTheEndpoint) {
  expect_told(engine_error("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                           "Is the docker daemon running?\n"),
              "the Docker engine at unix:///var/run/docker.sock does not answer: Cannot connect "
              "to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
              "start it (as root: `dockerd &`, or `systemctl start docker`), or point DOCKER_HOST "
              "or --context at one that runs");
}

TEST(Executor, AMissingContextAndARemoteEngineGetHintsOfTheirOwn) {
  DockerEndpoint context;
  context.context = "nope";
  expect_told(engine_error("Failed to initialize: unable to resolve docker endpoint: context "
                           "\"nope\": context not found: open "
                           "/root/.docker/contexts/meta/ca37/meta.json: no such file or directory\n",
                           context),
              "the Docker context \"nope\" does not exist: Failed to initialize: unable to "
              "resolve docker endpoint: context \"nope\": context not found: open "
              "/root/.docker/contexts/meta/ca37/meta.json: no such file or directory",
              "`docker context ls` lists the contexts: pass one with --context, or unset "
              "DOCKER_CONTEXT for the default engine");
  expect_told(engine_error("Cannot connect to the Docker daemon at tcp://127.0.0.1:18999. Is the "
                           "docker daemon running?\n",
                           context),
              "the remote Docker engine at context \"nope\" does not answer: Cannot connect to "
              "the Docker daemon at tcp://127.0.0.1:18999. Is the docker daemon running?",
              "check on that machine that dockerd runs and listens there, and that this one "
              "reaches it (address, port, firewall, TLS settings)");
}

TEST(Executor, DownStopsAndRemovesInOneCallEachThenTheNetwork) {
  Fixture f;
  f.runner.answer_with([](const Argv& argv) {
    if (is(argv, "ps")) {
      return CommandResult{0,
                           "id1\tdemo-head\trunning\thead\thead\t1\th\t\t\t\n"
                           "id2\tdemo-cpu-1\texited\tworker\tcpu\t1\th\t\t\t\n",
                           "", false};
    }
    if (is(argv, "network", "ls")) {
      return CommandResult{0, "demo_net\n", "", false};
    }
    return CommandResult{};
  });
  EXPECT_EQ(f.executor.down("demo", {std::chrono::seconds(10), false}), 0);
  EXPECT_EQ(std::vector<Argv>(f.runner.argvs.begin() + 2, f.runner.argvs.end()),
            (std::vector<Argv>{{"docker", "stop", "--time", "10", "id1"},
                               {"docker", "rm", "--force", "id1", "id2"},
                               {"docker", "network", "rm", "demo_net"}}));
}

// Workers outlive their head for Ray's reconnect window, so one stop of
// every node at once cannot make a worker exit and restart by its policy.
TEST(Executor, DownStopsEveryRunningNodeInOneCall) {
  Fixture f;
  f.runner.answer_with([](const Argv& argv) {
    if (is(argv, "ps")) {
      return CommandResult{0,
                           "id1\tdemo-head\trunning\thead\thead\t1\th\t\t\t\n"
                           "id2\tdemo-cpu-1\trunning\tworker\tcpu\t1\th\t\t\t\n"
                           "id3\tdemo-cpu-2\trestarting\tworker\tcpu\t2\th\t\t\t\n",
                           "", false};
    }
    return CommandResult{};
  });
  EXPECT_EQ(f.executor.down("demo", {std::chrono::seconds(7), false}), 0);
  EXPECT_EQ(std::vector<Argv>(f.runner.argvs.begin() + 2, f.runner.argvs.end()),
            (std::vector<Argv>{{"docker", "stop", "--time", "7", "id1", "id2", "id3"},
                               {"docker", "rm", "--force", "id1", "id2", "id3"}}));
}

// A stop that fails is said, naming what docker said; rm --force follows.
TEST(Executor, DownSaysWhenAStopDidNotEndCleanly) {
  Fixture f;
  f.runner.answer_with([](const Argv& argv) {
    if (is(argv, "ps")) {
      return CommandResult{0, "id1\tdemo-head\trunning\thead\thead\t1\th\t\t\t\n", "", false};
    }
    if (is(argv, "stop")) {
      return CommandResult{1, "", "Error response from daemon: cannot stop container: id1: tried to kill container, but did not receive an exit event\n", false};
    }
    return CommandResult{};
  });
  EXPECT_EQ(f.executor.down("demo", {std::chrono::seconds(10), false}), 0);
  EXPECT_EQ(std::vector<Argv>(f.runner.argvs.begin() + 2, f.runner.argvs.end()),
            (std::vector<Argv>{{"docker", "stop", "--time", "10", "id1"},
                               {"docker", "rm", "--force", "id1"}}));
  EXPECT_EQ(f.progress_text.str(),
            " Container demo-head  Stopping\n"
            "not every node stopped cleanly: docker stop: Error response from daemon: cannot stop "
            "container: id1: tried to kill container, but did not receive an exit event; removing "
            "by force\n"
            " Container demo-head  Removed  0.0s\n");
}

TEST(Executor, StatusShowsEachNodeAndExitsOneWhenAWorkerIsDown) {
  Fixture f;
  Plan plan = test::plan_text(k_spec);
  std::string ps;
  for (const PlannedContainer& c : plan.containers) {
    ps += fmt::format("id\t{}\t{}\t{}\t{}\t{}\t{}\t\t\t\n", c.name,
                      c.name == "demo-cpu-2" ? "exited" : "running", c.role, c.group, c.replica,
                      c.config_hash);
  }
  const std::string two_alive =
      "======== Autoscaler status: 2025-12-17 17:13:41.621247 ========\nActive:\n 1 node_a\n"
      " 1 node_b\n";
  f.runner.answer_with([&](const Argv& argv) {
    if (is(argv, "ps")) {
      return CommandResult{0, ps, "", false};
    }
    if (is_inspect_of_containers(argv)) {
      return CommandResult{0, inspected(argv), "", false};
    }
    if (is(argv, "logs")) {
      return CommandResult{0, "Ray runtime started.\n", "", false};
    }
    return CommandResult{0, two_alive, "", false};
  });
  EXPECT_EQ(f.executor.status("demo", &plan, {}), 1);
  EXPECT_EQ(f.out.str(),
            "NAME        ROLE    GROUP  STATE    RAY    CPUS  GPUS\n"
            "demo-head   head    head   running  alive     -  -\n"
            "demo-cpu-1  worker  cpu    running  alive     -  -\n"
            "demo-cpu-2  worker  cpu    exited   -         -  -\n"
            "\n"
            "Ray: 2 of 3 nodes alive by their logs; ray status in the head counts 2 and names none\n"
            "dashboard: http://127.0.0.1:8265\n");
  // ps, ray status, then one inspect of the running nodes and each one's log.
  EXPECT_EQ(std::vector<Argv>(f.runner.argvs.begin() + 1, f.runner.argvs.end()),
            (std::vector<Argv>{{"docker", "exec", "demo-head", "ray", "status"},
                               DockerEndpoint{}.argv(container_inspect_args({"demo-head", "demo-cpu-1"})),
                               logs_of("demo-head"), logs_of("demo-cpu-1")}));
}

// `ray status` counts a node joined by hand too: a running node whose log
// does not say Ray started in it is unknown, however complete the count
// looks, and status exits 1. A count smaller than the nodes whose logs say
// so leaves every one unknown.
TEST(Executor, StatusByRayStatusCallsNoNodeAliveItCannotTell) {
  for (std::string count : {"3", "1"}) {
    Fixture f;
    Plan plan = test::plan_text(k_spec);
    std::string ray_status = "======== Autoscaler status: 2025-12-17 17:13:41.621247 ========\nActive:\n " +
                             count + " node_a\n";
    f.runner.answer_with([&](const Argv& argv) {
      if (is(argv, "ps")) {
        return CommandResult{0, ps_of(plan), "", false};
      }
      if (is_inspect_of_containers(argv)) {
        return CommandResult{0, inspected(argv), "", false};
      }
      if (is(argv, "logs")) {
        return CommandResult{0, argv.back() == "demo-cpu-2" ? "Waiting for the head\n"
                                                             : "Ray runtime started.\n",
                             "", false};
      }
      return CommandResult{0, ray_status, "", false};
    });
    EXPECT_EQ(f.executor.status("demo", &plan, {}), 1);
    std::string word = count == "3" ? "alive  " : "unknown";
    EXPECT_EQ(f.out.str(),
              "NAME        ROLE    GROUP  STATE    RAY      CPUS  GPUS\n"
              "demo-head   head    head   running  " + word + "     -  -\n"
              "demo-cpu-1  worker  cpu    running  " + word + "     -  -\n"
              "demo-cpu-2  worker  cpu    running  unknown     -  -\n"
              "\n"
              "Ray: " + (count == "3" ? "2" : "0") +
              " of 3 nodes alive by their logs; ray status in the head counts " + count +
              " and names none\n"
              "dashboard: http://127.0.0.1:8265\n");
  }
}

// With Ray's dashboard: each node by name, no `docker exec`.
struct DashboardFixture : Fixture {
  test::FakeHttp http;
  Executor with_api{runner, DockerEndpoint{}, progress, out, nullptr, &http,
                    test::every_port_free};
};

std::string ps_of(const Plan& plan, const std::string& exited) {
  std::string ps;
  for (const PlannedContainer& c : plan.containers) {
    ps += fmt::format("id-{}\t{}\t{}\t{}\t{}\t{}\t{}\t\t\t{}\n", c.name, c.name,
                      c.name == exited ? "exited" : "running", c.role, c.group, c.replica,
                      c.config_hash, c.role == "head" ? "http://127.0.0.1:8265" : "");
  }
  return ps;
}

TEST(Executor, StatusShowsRaysViewOfEachNodeByName) {
  DashboardFixture f;
  Plan plan = test::plan_text(k_spec);
  f.runner.answer_with([&](const Argv&) { return CommandResult{0, ps_of(plan, "demo-cpu-2"), "", false}; });
  f.http.answer_with([](const HttpRequest&) {
    return HttpResponse{200,
                        test::ray_nodes_answer(
                            {test::ray_node_json("h", "demo-head", true, true),
                             test::ray_node_json("a", "demo-cpu-1", false, true),
                             test::ray_node_json("b", "demo-cpu-2", false, false,
                                                 "Expected termination"),
                             test::ray_node_json("c", "by-hand", false, true)}),
                        ""};
  });
  EXPECT_EQ(f.with_api.status("demo", &plan, {}), 1);
  EXPECT_EQ(f.out.str(),
            "NAME        ROLE    GROUP  STATE         RAY    CPUS  GPUS\n"
            "demo-head   head    head   running       alive     -  -\n"
            "demo-cpu-1  worker  cpu    running       alive     -  -\n"
            "demo-cpu-2  worker  cpu    exited        dead      -  -\n"
            "by-hand     -       -      no container  alive     2  -\n"
            "\n"
            "demo-cpu-2: dead in Ray: Expected termination\n"
            "\n"
            "Ray: 2 of 3 nodes alive\n"
            "dashboard: http://127.0.0.1:8265\n");
  EXPECT_EQ(f.runner.argvs.size(), 1u);  // one docker ps, no docker exec
  ASSERT_EQ(f.http.requests.size(), 1u);
  EXPECT_EQ(f.http.requests[0].host + ":" + std::to_string(f.http.requests[0].port) +
                f.http.requests[0].target,
            std::string("127.0.0.1:8265") + k_nodes_target);
}

TEST(Executor, StatusJsonCarriesRaysIdsAddressesAndResources) {
  DashboardFixture f;
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  f.runner.answer_with([&](const Argv&) { return CommandResult{0, ps_of(plan), "", false}; });
  f.http.answer_with([](const HttpRequest&) {
    return HttpResponse{200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
  });
  EXPECT_EQ(f.with_api.status("demo", &plan, {true, {}}), 0);
  EXPECT_EQ(f.out.str(), R"({
  "schema_version": 3,
  "project": "demo",
  "healthy": true,
  "error": null,
  "nodes_planned": 1,
  "nodes_running": 1,
  "nodes_alive": 1,
  "ray_reachable": true,
  "ray_source": "dashboard",
  "dashboard": "http://127.0.0.1:8265",
  "hosts_unreachable": [],
  "nodes": [
    {
      "name": "demo-head",
      "host": null,
      "role": "head",
      "group": "head",
      "replica": 1,
      "state": "running",
      "ray_alive": true,
      "ray_state": "ALIVE",
      "ray_message": null,
      "node_id": "h",
      "node_ip": "172.28.0.2",
      "resources": {
        "CPU": 2.0,
        "memory": 1073741824.0
      },
      "cpus": null,
      "gpus": ""
    }
  ]
}
)");
}

// A dashboard that refuses (`result: false`) with a msg that is null, missing
// or a number did not answer: status falls back to `ray status` and, when that
// fails too, says so with the usual error and exit 1 (not an internal error).
TEST(Executor, ARefusalWithoutAStringMessageIsADashboardThatDidNotAnswer) {
  for (const char* body : {R"({"result": false, "msg": null, "data": {}})",
                           R"({"result": false, "data": {}})", R"({"result": false, "msg": 7})"}) {
    DashboardFixture f;
    Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
    f.runner.answer_with([&](const Argv& argv) {
      if (is(argv, "exec")) {
        return CommandResult{1, "", "ConnectionError: no cluster", false};
      }
      if (is(argv, "inspect")) {
        return CommandResult{0, "\n", "", false};
      }
      return CommandResult{0, ps_of(plan), "", false};
    });
    f.http.answer_with([&](const HttpRequest&) { return HttpResponse{200, body, ""}; });
    std::string told;
    EXPECT_EQ(f.with_api.status("demo", &plan, {true, [&](const std::string& e) { told = e; }}), 1)
        << body;
    EXPECT_EQ(told,
              "neither Ray's dashboard at http://127.0.0.1:8265 (Ray answered result: false) nor "
              "`ray status` in demo-head answered")
        << body;
  }
}

// Token auth on and no spec at hand: a 401 makes raylaunch read the token
// from the head's environment once, and ask again with it.
TEST(Executor, StatusReadsTheTokenFromTheHeadAfterA401) {
  DashboardFixture f;
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  f.runner.answer_with([&](const Argv& argv) {
    if (is(argv, "inspect")) {
      return CommandResult{0, "PATH=/bin\nRAY_AUTH_TOKEN=tok-0123456789\n", "", false};
    }
    return CommandResult{0, ps_of(plan), "", false};
  });
  f.http.answer_with([](const HttpRequest& request) {
    auto auth = request.headers.find("Authorization");
    if (auth == request.headers.end()) {
      return HttpResponse{401, "Unauthorized: Missing authentication token", ""};
    }
    if (auth->second != "Bearer tok-0123456789") {
      return HttpResponse{403, "Forbidden: Invalid authentication token", ""};
    }
    return HttpResponse{200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
  });
  EXPECT_EQ(f.with_api.status("demo", nullptr, {}), 0);
  ASSERT_EQ(f.http.requests.size(), 2u);
  EXPECT_EQ(f.http.requests[1].headers.at("Authorization"), "Bearer tok-0123456789");
}

const Argv k_read_env = {"docker", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}",
                         "demo-head"};
const Argv k_read_ip = {"docker", "inspect", "--format",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", "demo-head"};

// `status -p demo` against a head whose dashboard wants the token
// "tok-file-0123": the head's environment is `environment`, and `docker exec`
// answers `files` (a path's content) and `home` (printenv HOME). Returns the
// docker commands after `ps`, and sets `sent` to the Authorization sent last.
std::vector<Argv> token_lookups(const std::string& environment,
                                const std::map<std::string, std::string>& files,
                                const std::string& home, std::string& sent) {
  DashboardFixture f;
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  f.runner.answer_with([&](const Argv& argv) {
    if (argv == k_read_ip) {
      return CommandResult{0, "\n", "", false};
    }
    if (is(argv, "inspect")) {
      return CommandResult{0, environment, "", false};
    }
    if (is(argv, "exec", "demo-head") && argv.at(3) == "printenv") {
      return home.empty() ? CommandResult{1, "", "", false} : CommandResult{0, home + "\n", "", false};
    }
    if (is(argv, "exec", "demo-head") && argv.at(3) == "cat") {
      auto file = files.find(argv.at(4));
      return file == files.end()
                 ? CommandResult{1, "", "cat: " + argv.at(4) + ": No such file or directory\n", false}
                 : CommandResult{0, file->second, "", false};
    }
    if (is(argv, "exec")) {
      return CommandResult{1, "", "ConnectionError", false};  // ray status
    }
    return CommandResult{0, ps_of(plan), "", false};
  });
  f.http.answer_with([&](const HttpRequest& request) {
    auto auth = request.headers.find("Authorization");
    sent = auth == request.headers.end() ? "" : auth->second;
    if (sent.empty()) {
      return HttpResponse{401, "Unauthorized: Missing authentication token", ""};
    }
    if (sent != "Bearer tok-file-0123") {
      return HttpResponse{403, "Forbidden: Invalid authentication token", ""};
    }
    return HttpResponse{200, test::ray_nodes_answer({test::ray_node_json("h", "demo-head", true, true)}), ""};
  });
  f.with_api.status("demo", nullptr, {});
  return std::vector<Argv>(f.runner.argvs.begin() + 1, f.runner.argvs.end());
}

// Without RAY_AUTH_TOKEN the token is where the head's Ray would read it, in
// Ray's order: the file RAY_AUTH_TOKEN_PATH names, else ~/.ray/auth_token of
// the head's user; each file's first line, trimmed.
TEST(Executor, TheTokenIsReadFromTheHeadInRaysOrder) {
  std::string sent;
  // RAY_AUTH_TOKEN first: no file is read.
  EXPECT_EQ(token_lookups("RAY_AUTH_TOKEN=tok-file-0123\nRAY_AUTH_TOKEN_PATH=/run/t\n",
                          {{"/run/t", "other\n"}}, "/home/ray", sent),
            (std::vector<Argv>{k_read_env}));
  EXPECT_EQ(sent, "Bearer tok-file-0123");
  // RAY_AUTH_TOKEN_PATH next, even when ~/.ray/auth_token has one too.
  EXPECT_EQ(token_lookups("HOME=/home/ray\nRAY_AUTH_TOKEN_PATH=/run/t\n",
                          {{"/run/t", "  tok-file-0123 \nsecond line\n"},
                           {"/home/ray/.ray/auth_token", "other\n"}},
                          "", sent),
            (std::vector<Argv>{k_read_env, {"docker", "exec", "demo-head", "cat", "/run/t"}}));
  EXPECT_EQ(sent, "Bearer tok-file-0123");
  // ~/.ray/auth_token last, HOME from the image's environment...
  EXPECT_EQ(token_lookups("HOME=/home/ray\nPATH=/bin\n",
                          {{"/home/ray/.ray/auth_token", "tok-file-0123\n"}}, "", sent),
            (std::vector<Argv>{k_read_env,
                               {"docker", "exec", "demo-head", "cat", "/home/ray/.ray/auth_token"}}));
  EXPECT_EQ(sent, "Bearer tok-file-0123");
  // ... or, when the image sets none, the home Docker gives its user.
  EXPECT_EQ(token_lookups("PATH=/bin\n", {{"/home/ray/.ray/auth_token", "tok-file-0123\n"}},
                          "/home/ray", sent),
            (std::vector<Argv>{k_read_env, {"docker", "exec", "demo-head", "printenv", "HOME"},
                               {"docker", "exec", "demo-head", "cat", "/home/ray/.ray/auth_token"}}));
  EXPECT_EQ(sent, "Bearer tok-file-0123");
}

// As in Ray, a RAY_AUTH_TOKEN_PATH whose file is missing ends the search (Ray
// refuses to start then); without any token status asks `ray status`, once.
TEST(Executor, WithoutATokenTheHeadIsAskedOnceThenRayStatus) {
  std::string sent;
  EXPECT_EQ(token_lookups("HOME=/home/ray\nRAY_AUTH_TOKEN_PATH=/run/missing\n",
                          {{"/home/ray/.ray/auth_token", "tok-file-0123\n"}}, "", sent),
            (std::vector<Argv>{k_read_env, {"docker", "exec", "demo-head", "cat", "/run/missing"},
                               k_read_ip, {"docker", "exec", "demo-head", "ray", "status"}}));
  EXPECT_EQ(sent, "");
  EXPECT_EQ(token_lookups("HOME=/home/ray\n", {}, "", sent),
            (std::vector<Argv>{k_read_env,
                               {"docker", "exec", "demo-head", "cat", "/home/ray/.ray/auth_token"},
                               k_read_ip, {"docker", "exec", "demo-head", "ray", "status"}}));
}

// The published port does not answer: the head container's own IP is asked
// next, and only then `ray status` in the head.
TEST(Executor, StatusFallsBackToTheContainerIpThenToRayStatus) {
  DashboardFixture f;
  Plan plan = test::plan_text(k_spec);
  f.runner.answer_with([&](const Argv& argv) {
    if (is_inspect_of_containers(argv)) {
      return CommandResult{0, inspected(argv), "", false};
    }
    if (is(argv, "inspect")) {
      return CommandResult{0, "172.28.0.2 \n", "", false};
    }
    if (is(argv, "exec")) {
      return CommandResult{0, k_three_alive, "", false};
    }
    if (is(argv, "logs")) {
      return CommandResult{0, "Ray runtime started.\n", "", false};
    }
    return CommandResult{0, ps_of(plan), "", false};
  });
  EXPECT_EQ(f.with_api.status("demo", &plan, {}), 0);
  ASSERT_EQ(f.http.requests.size(), 2u);
  EXPECT_EQ(f.http.requests[0].host, "127.0.0.1");
  EXPECT_EQ(f.http.requests[1].host, "172.28.0.2");
  ASSERT_EQ(f.runner.argvs.size(), 7u);
  EXPECT_EQ(f.runner.argvs[1],
            (Argv{"docker", "inspect", "--format",
                  "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", "demo-head"}));
  EXPECT_EQ(f.runner.argvs[2], (Argv{"docker", "exec", "demo-head", "ray", "status"}));
  EXPECT_NE(f.out.str().find("Ray: 3 of 3 nodes alive by their logs; ray status in the head counts "
                             "3 and names none\n"),
            std::string::npos)
      << f.out.str();
}

TEST(Executor, UpWaitsUntilRayListsEveryNodeAliveByName) {
  DashboardFixture f;
  Plan plan = test::plan_text(k_spec);
  f.runner.answer_with([](const Argv&) { return CommandResult{}; });
  int polls = 0;
  f.http.answer_with([&](const HttpRequest&) {
    ++polls;
    std::vector<std::string> nodes = {test::ray_node_json("h", "demo-head", true, true)};
    if (polls >= 2) {
      nodes.push_back(test::ray_node_json("a", "demo-cpu-1", false, true));
    }
    if (polls >= 3) {
      nodes.push_back(test::ray_node_json("b", "demo-cpu-2", false, true));
    }
    return HttpResponse{200, test::ray_nodes_answer(nodes), ""};
  });
  EXPECT_EQ(f.with_api.up(plan, {true, std::chrono::seconds(30), 2, false}), 0);
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(std::count_if(f.runner.argvs.begin(), f.runner.argvs.end(),
                          [](const Argv& argv) { return is(argv, "exec"); }),
            0);
  EXPECT_EQ(f.out.str().substr(0, 41), "Ray cluster \"demo\" is up: 3 of 3 nodes al");
  std::string progress = f.progress_text.str();
  EXPECT_NE(progress.find("1/3 nodes alive (waiting for demo-cpu-1, demo-cpu-2)"), std::string::npos)
      << progress;
  EXPECT_NE(progress.find("2/3 nodes alive (waiting for demo-cpu-2)"), std::string::npos) << progress;
}

}  // namespace
}  // namespace raylaunch
