// Secrets never reach an argv or an output: masked in the plan, passed to
// docker through its environment, redacted from messages.
#include <gtest/gtest.h>

#include <raylaunch/engine/docker_engine.hpp>
#include <raylaunch/engine/lock.hpp>
#include <raylaunch/plan/output.hpp>
#include <raylaunch/base/redact.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "support/load_helpers.hpp"
#include "support/scoped_env.hpp"
#include "support/scratch.hpp"

namespace raylaunch {
namespace {

const char* k_spec = R"(name: demo
image: ray:1
defaults:
  env:
    DB_PASSWORD: hunter2-password
    HF_TOKEN: hf_abcdef
    PLAIN: visible
    CREDENTIAL: {value: opaque-credential, secret: true}
    KEY_COUNT: {value: "3", secret: false}
)";

TEST(Secrets, NamesThatLookSecretAndExplicitMarks) {
  Plan plan = test::plan_text(k_spec);
  EXPECT_EQ(plan.containers[0].secret_env,
            (std::set<std::string>{"CREDENTIAL", "DB_PASSWORD", "HF_TOKEN"}));
  EXPECT_TRUE(is_secret_name("aws_secret_access_key"));
  EXPECT_FALSE(is_secret_name("RAY_DEDUP_LOGS"));
}

TEST(Secrets, MaskedInConfigOutput) {
  std::string json = plan_to_json(test::plan_text(k_spec));
  EXPECT_EQ(json.find("hunter2"), std::string::npos);
  EXPECT_EQ(json.find("hf_abcdef"), std::string::npos);
  EXPECT_EQ(json.find("opaque-credential"), std::string::npos);
  EXPECT_NE(json.find("\"DB_PASSWORD\": \"******\""), std::string::npos);
  EXPECT_NE(json.find("\"PLAIN\": \"visible\""), std::string::npos);
  EXPECT_NE(json.find("\"KEY_COUNT\": \"3\""), std::string::npos);
}

TEST(Secrets, GoToDockerThroughItsEnvironmentNotArgv) {
  Plan plan = test::plan_text(k_spec);
  std::vector<std::string> args = run_args(plan, plan.containers[0]);
  for (const std::string& arg : args) {
    EXPECT_EQ(arg.find("hunter2"), std::string::npos) << arg;
  }
  EXPECT_NE(std::find(args.begin(), args.end(), "DB_PASSWORD"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "PLAIN=visible"), args.end());
  EXPECT_EQ(run_env(plan.containers[0]),
            (std::map<std::string, std::string>{{"CREDENTIAL", "opaque-credential"},
                                                {"DB_PASSWORD", "hunter2-password"},
                                                {"HF_TOKEN", "hf_abcdef"}}));
}

TEST(Secrets, RedactMasksRememberedValues) {
  remember_secret("s3cr3t-value");
  remember_secret("ab");  // too short to remember
  EXPECT_EQ(redact("docker: bad value s3cr3t-value in ab"), "docker: bad value ****** in ab");
}

// Given a secret env value that another field holds too, the loader's error
// about that field is masked: the redactor knows the value before any field
// is read. A value marked secret: false is not remembered.
TEST(Secrets, KnownBeforeAnyFieldIsRead) {
  const char* spec = R"(name: demo
image: "bad!${SECRET}"
head:
  env:
    KEY_COUNT: {value: "plain-but-named-key", secret: false}
workers:
  - group: cpu
    env:
      - API_TOKEN=${SECRET}
      - PASSED_KEY
)";
  std::string error = redact(test::error_of(
      spec, {{"SECRET", "in-image-and-env"}, {"PASSED_KEY", "passed-through-key"}}));
  EXPECT_EQ(error,
            "cluster.yml:2:8: error: invalid image reference \"bad!******\"\n"
            "    2 | image: \"bad!${SECRET}\"\n"
            "      |        ^\n"
            "hint: write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]: PATH is lowercase letters and digits "
            "with \".\", \"_\", \"__\" or \"-\" between them and \"/\" between parts, at most 255 "
            "characters with HOST; TAG is at most 128 letters, digits, \"_\", \".\" and \"-\", not "
            "starting with \".\" or \"-\"; e.g. rayproject/ray:2.52.1\n");
  EXPECT_EQ(redact("passed-through-key plain-but-named-key"), "****** plain-but-named-key");
}

TEST(Secrets, OutputThroughARedactingBufferIsMaskedWhole) {
  remember_secret("buffered-secret");
  std::ostringstream target;
  {
    RedactingBuffer buffer(target.rdbuf());
    std::ostream out(&buffer);
    out << "a buffered-" << "secret and ";  // held until the flush, so masked whole
    out.put('x');
    out << std::flush << " then buffered-secret\n";
  }
  EXPECT_EQ(target.str(), "a ****** and x then ******\n");
}

TEST(Auth, TokenModeGivesEveryNodeTheTokenAsASecret) {
  ClusterSpec spec = test::load_text(
      "name: demo\nimage: ray:1\nauth: {mode: token}\nworkers:\n  - group: cpu\n");
  spec.auth.resolved_token = "0123456789abcdef";
  Plan plan = plan_cluster(spec);
  for (const PlannedContainer& c : plan.containers) {
    EXPECT_EQ(c.env.at("RAY_AUTH_MODE"), "token");
    EXPECT_EQ(c.env.at("RAY_AUTH_TOKEN"), "0123456789abcdef");
    EXPECT_TRUE(c.secret_env.count("RAY_AUTH_TOKEN"));
  }
  EXPECT_EQ(plan_to_json(plan).find("0123456789abcdef"), std::string::npos);
}

TEST(Auth, TokenEnvMustBeAName) {
  EXPECT_EQ(test::error_of("name: demo\nimage: ray:1\nauth: {mode: token, token_env: 'a b'}\n"),
            "cluster.yml:3:32: error: invalid environment variable name \"a b\"\n"
            "    3 | auth: {mode: token, token_env: 'a b'}\n"
            "      |                                ^\n"
            "hint: name the variable that holds the token, e.g. token_env: RAY_CLUSTER_TOKEN\n");
}

TEST(ProjectLock, SecondHolderWaitsThenFailsClearly) {
  test::Scratch scratch;
  const std::string& dir = scratch.path();
  test::ScopedEnv lock_dir("RAYLAUNCH_LOCK_DIR", dir);
  ProjectLock first("demo", std::chrono::seconds(0), [](const std::string&) {});
  std::string waited_on;
  try {
    ProjectLock second("demo", std::chrono::seconds(0),
                       [&](const std::string& path) { waited_on = path; });
    FAIL() << "expected the second lock to fail";
  } catch (const ExecError& e) {
    EXPECT_EQ(e.message(), "another raylaunch is still working on project \"demo\" after 0 s");
    EXPECT_EQ(e.hint(), "let it finish, or raise --lock-timeout; the lock is " + waited_on);
  }
  EXPECT_EQ(waited_on, dir + "/demo.lock");
  { ProjectLock other("other", std::chrono::seconds(0), [](const std::string&) {}); }
}

}  // namespace
}  // namespace raylaunch
