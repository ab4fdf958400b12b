// Input that used to slip through loose checks (issue 15), each asserted as
// the whole message a user sees. The bad-spec corpus (tests/data/bad) holds
// the cases a file alone can show; these need a variable, a second file or a
// line too long to keep there.
#include <gtest/gtest.h>

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/loader.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/load_helpers.hpp"
#include "support/scratch.hpp"

namespace raylaunch {
namespace {

using test::error_of;

// A spec's folder of its own (test::Scratch), removed when the test ends.
using test::Scratch;

// Given a variable of 5,000 characters, the 4,096 limit holds after interpolation too.
TEST(StrictInput, LengthLimitHoldsAfterInterpolation) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  env: {BIG: \"x${BIG}\"}\n",
                     {{"BIG", std::string(5000, 'b')}}),
            "cluster.yml:4:16: error: env.BIG: interpolation makes the value longer than the 4096 "
            "characters allowed\n"
            "    4 |   env: {BIG: \"x${BIG}\"}\n"
            "      |                ^\n"
            "hint: check the variables used here; long data belongs in a file mounted with "
            "volumes:\n");
}

TEST(StrictInput, PatternsHoldAfterInterpolation) {
  EXPECT_EQ(error_of("name: ${PROJECT}\nimage: ray:1\n", {{"PROJECT", "My Cluster"}}),
            "cluster.yml:1:7: error: invalid project name \"My Cluster\": must consist only of "
            "lowercase letters, digits, \"-\" and \"_\", and start with a letter or digit\n"
            "    1 | name: ${PROJECT}\n"
            "      |       ^\n"
            "hint: Docker and DNS refuse other names; e.g. name: my-cluster\n");
}

TEST(StrictInput, AVariableMustBeUtf8) {
  EXPECT_EQ(
      error_of("name: demo\nimage: ray:1\nhead:\n  env: {A: \"${RAW}\"}\n", {{"RAW", "caf\xe9"}}),
      "cluster.yml:4:12: error: env.A is not valid UTF-8 (byte 0xE9)\n"
      "    4 |   env: {A: \"${RAW}\"}\n"
      "      |            ^\n"
      "hint: a variable brings the byte in; save .env as UTF-8, or set the variable to UTF-8 "
      "text\n");
}

// A megabyte on one line: the line is shown as 200 bytes around the column,
// cut with "...", with its control byte escaped and the caret under it.
TEST(StrictInput, LongLineIsCutAroundTheColumn) {
  std::string line = std::string(499999, 'a') + "\x01" + std::string(500000, 'b');
  Diagnostic diagnostic{Severity::error, "here", "", SourceLocation{"x.yml", 1, 500000}};
  EXPECT_EQ(format_diagnostic(diagnostic, line + "\n"),
            "x.yml:1:500000: error: here\n"
            "    1 | ..." +
                std::string(100, 'a') + "\\x01" + std::string(99, 'b') +
                "...\n"
                "      |    " +
                std::string(100, ' ') + "^\n");
}

TEST(StrictInput, MessagesEscapeControlBytes) {
  Diagnostic diagnostic{Severity::error, "got \"\x1b[2J\"", "", std::nullopt};
  EXPECT_EQ(format_diagnostic(diagnostic, ""), "raylaunch: error: got \"\\x1B[2J\"\n");
}

TEST(StrictInput, ADocumentAfterAnEndMarker) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\n...\nname: other\n"),
            "cluster.yml:4:1: error: the spec holds a second YAML document\n"
            "    4 | name: other\n"
            "      | ^\n"
            "hint: raylaunch reads one document a file; remove this \"---\" and what follows it, "
            "or merge it into the first\n");
}

TEST(StrictInput, ATrailingDocumentMarkerIsNoDocument) {
  EXPECT_EQ(error_of("---\nname: demo\nimage: ray:1\n---\n"), "");
}

TEST(StrictInput, EnvEntriesCountWithDefaultsInTheListForm) {
  std::string spec = "name: demo\nimage: ray:1\ndefaults:\n  env:\n";
  for (int i = 0; i < 999; ++i) {
    spec += "    D" + std::to_string(i) + ": x\n";
  }
  spec += "head:\n  env: [D0=replaced, H1=x, H2=x]\n";
  EXPECT_EQ(error_of(spec),
            "cluster.yml:1005:28: error: env H2 makes 1001 env entries, more than the 1000 a node "
            "may have\n"
            " 1005 |   env: [D0=replaced, H1=x, H2=x]\n"
            "      |                            ^\n"
            "hint: entries in defaults.env count for every node; put the rest in a file mounted "
            "with volumes:\n");
}

TEST(StrictInput, RayArgPortIsTheServePort) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ports: {serve: 8000}\n"
                     "defaults:\n  ray_args: {dashboard-agent-listen-port: 8000}\n"),
            "cluster.yml:6:43: error: ray_args.dashboard-agent-listen-port and ports.serve both "
            "use port 8000\n"
            "    6 |   ray_args: {dashboard-agent-listen-port: 8000}\n"
            "      |                                           ^\n"
            "hint: give each port its own number\n");
}

// Only the head publishes; a worker may use the number the head's dashboard
// is published on, with a worker range of its own outside it.
TEST(StrictInput, RayArgPortsThatDoNotCollide) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ports: {dashboard: 18265}\n"
                     "workers:\n  - group: cpu\n    ray_args:\n"
                     "      metrics-export-port: 18265\n      min-worker-port: 20000\n"
                     "      max-worker-port: 20001\n"),
            "");
}

// Ray wants the range's end above its start: one port is no range
// (parameter.py, _check_usage).
TEST(StrictInput, AWorkerRangeOfOnePortIsRefused) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    ray_args:\n"
                     "      min-worker-port: 20000\n      max-worker-port: 20000\n"),
            "cluster.yml:7:24: error: the worker port range of node demo-cpu-1 ends before it "
            "starts: ray_args.min-worker-port is 20000, ray_args.max-worker-port is 20000\n"
            "    7 |       max-worker-port: 20000\n"
            "      |                        ^\n"
            "hint: Ray wants --max-worker-port higher than --min-worker-port; set both in "
            "ray_args, e.g. min-worker-port: 20000 and max-worker-port: 20099\n");
}

TEST(StrictInput, ImageReferencesDockerAccepts) {
  for (const char* image :
       {"ray", "rayproject/ray:2.52.1-gpu", "localhost:5000/ray",
        "registry.example.com/team/ray_x__y-z:v1.0_rc",
        "ray@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "REGISTRY.example/ray:Latest"}) {
    EXPECT_EQ(error_of(std::string("name: demo\nimage: \"") + image + "\"\n"), "") << image;
  }
}

TEST(StrictInput, DotEnvWithAByteOrderMark) {
  Scratch scratch;
  const std::string& dir = scratch.path();
  std::ofstream(dir + "/.env") << "\xEF\xBB\xBFTAG=2.52.1\n";
  std::ofstream(dir + "/c.yml") << "name: demo\nimage: ray:${TAG:?set TAG}\n";
  EXPECT_EQ(load_spec(dir + "/c.yml", test::options_with()).spec.image->value, "ray:2.52.1");
}

TEST(StrictInput, DotEnvThatIsAFolder) {
  Scratch scratch;
  const std::string& dir = scratch.path();
  std::filesystem::create_directories(dir + "/.env");
  std::ofstream(dir + "/c.yml") << "name: demo\nimage: ray:1\n";
  try {
    load_spec(dir + "/c.yml", test::options_with());
    ADD_FAILURE() << "a .env folder was ignored";
  } catch (const SpecError& e) {
    EXPECT_EQ(
        format_error(e, ""),
        "raylaunch: error: cannot read \"" + dir +
            "/.env\": is a directory\n"
            "hint: raylaunch reads KEY=VALUE lines from the file .env beside the spec; fix or "
            "remove it\n");
  }
}

// down, status, logs and exec need only the name: the rest may be broken.
TEST(StrictInput, TheProjectNameAloneLoadsDespiteTheRest) {
  Scratch scratch;
  const std::string& dir = scratch.path();
  std::ofstream(dir + "/c.yml") << "name: demo\nimage: ${IMAGE:?set IMAGE}\nworkers: 3\n";
  EXPECT_EQ(load_project_name(dir + "/c.yml", test::options_with()), "demo");
}

}  // namespace
}  // namespace raylaunch
