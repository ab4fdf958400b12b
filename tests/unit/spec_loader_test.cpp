#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

#include "support/load_helpers.hpp"
#include "support/scratch.hpp"

namespace raylaunch {
namespace {

using test::load_text;

TEST(SpecLoader, InterpolatesFromTheEnvironment) {
  ClusterSpec spec = load_text(
      "name: ${NAME:-demo}\nimage: ray:${TAG}\nworkers:\n  - group: cpu\n    replicas: ${N:-3}\n",
      {{"TAG", "2.52.1"}});
  EXPECT_EQ(spec.name.value, "demo");
  EXPECT_EQ(spec.image->value, "ray:2.52.1");
  EXPECT_EQ(spec.workers[0].replicas.value, 3);
}

TEST(SpecLoader, ProjectNameFlagWins) {
  LoadOptions options = test::options_with();
  options.project_name = "other";
  EXPECT_EQ(load_spec_from_string("name: demo\n", "c.yml", options).spec.name.value, "other");
}

TEST(SpecLoader, WarnsAboutUnsetVariables) {
  LoadResult result =
      load_spec_from_string("name: demo\nimage: ray${TAG}\n", "c.yml", test::options_with());
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].message, "variable TAG is not set, using an empty string");
}

TEST(SpecLoader, ResolvesRelativeVolumesAgainstTheSpecFolder) {
  ClusterSpec spec = load_text("name: d\nhead:\n  volumes: ['./logs:/tmp/ray:ro', 'data:/data']\n");
  ASSERT_EQ(spec.head.node.volumes.size(), 2u);
  EXPECT_EQ(spec.head.node.volumes[0].source, "/specs/logs");
  EXPECT_TRUE(spec.head.node.volumes[0].read_only);
  EXPECT_TRUE(spec.head.node.volumes[1].named);
}

TEST(SpecLoader, EnvAcceptsMapAndListForms) {
  ClusterSpec spec = load_text(
      "name: d\ndefaults:\n  env: {A: 1, B: yes}\nhead:\n  env: [C=x, PASS_ME]\n", {{"PASS_ME", "v"}});
  EXPECT_EQ(spec.defaults.env.at("A").value, "1");
  EXPECT_EQ(spec.defaults.env.at("B").value, "yes");
  EXPECT_EQ(spec.head.node.env.at("C").value, "x");
  EXPECT_EQ(spec.head.node.env.at("PASS_ME").value, "v");
}

TEST(SpecLoader, ReadsRestartAndPull) {
  ClusterSpec spec = load_text("name: d\nhead:\n  restart: on-failure:3\n  pull: never\n");
  EXPECT_EQ(spec.head.node.restart->value.kind, RestartPolicy::Kind::on_failure);
  EXPECT_EQ(spec.head.node.restart->value.max_retries, 3);
  EXPECT_EQ(spec.head.node.pull->value, PullPolicy::never);
}

TEST(SpecLoader, DotEnvFillsWhatTheEnvironmentLeavesUnset) {
  test::Scratch scratch;
  const std::string& dir = scratch.path();
  {
    std::ofstream(dir + "/.env") << "TAG=from-dotenv\nNAME=dotenv\n";
    std::ofstream(dir + "/c.yml") << "name: ${NAME}\nimage: ray:${TAG}\n";
  }
  ClusterSpec spec = load_spec(dir + "/c.yml", test::options_with({{"TAG", "from-env"}})).spec;
  EXPECT_EQ(spec.image->value, "ray:from-env");
  EXPECT_EQ(spec.name.value, "dotenv");
}

}  // namespace
}  // namespace raylaunch
