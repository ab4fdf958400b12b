// The reconcile decisions in the log (execute/decisions.hpp): why each
// container is kept, created, re-created, started or removed, at info level.
#include <raylaunch/base/log.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/execute/decisions.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace raylaunch {
namespace {

PlannedContainer planned(const std::string& name, const std::string& group, int replica,
                         const std::string& hash) {
  PlannedContainer c;
  c.name = name;
  c.role = group == "head" ? "head" : "worker";
  c.group = group;
  c.replica = replica;
  c.config_hash = hash;
  return c;
}

ObservedContainer seen(const std::string& name, const std::string& group, int replica,
                       const std::string& state, const std::string& hash) {
  std::string role = group == "head" ? "head" : "worker";
  ObservedContainer o;
  o.id = "id-" + name;
  o.name = name;
  o.state = state;
  o.role = role;
  o.group = group;
  o.replica = replica;
  o.config_hash = hash;
  return o;
}

TEST(DecisionsTest, EveryActionSaysWhy) {
  Plan plan;
  plan.project = "demo";
  plan.network.name = "demo_net";
  plan.containers = {planned("demo-head", "head", 1, "aaaaaaaaaaaaaaaa"),
                     planned("demo-cpu-1", "cpu", 1, "bbbbbbbbbbbbbbbb"),
                     planned("demo-cpu-2", "cpu", 2, "cccccccccccccccc"),
                     planned("demo-cpu-3", "cpu", 3, "dddddddddddddddd"),
                     planned("demo-cpu-4", "cpu", 4, "eeeeeeeeeeeeeeee")};
  ObservedState observed;
  observed.containers = {seen("demo-head", "head", 1, "running", "aaaaaaaaaaaaaaaa"),
                         seen("demo-cpu-1", "cpu", 1, "running", "0123456789abcdef"),
                         seen("demo-cpu-2", "cpu", 2, "exited", "cccccccccccccccc"),
                         seen("demo-cpu-3", "cpu", 3, "dead", "dddddddddddddddd"),
                         seen("demo-cpu-9", "cpu", 9, "running", "ffffffffffffffff")};
  std::ostringstream log;
  init_log("info", &log);
  log_decisions(reconcile(plan, observed), observed);
  init_log("off");
  EXPECT_EQ(log.str(),
            "raylaunch: info: reconcile: create network demo_net: it does not exist\n"
            "raylaunch: info: reconcile: remove demo-cpu-9: not in the plan (group cpu, "
            "replica 9, running)\n"
            "raylaunch: info: reconcile: keep demo-head: running with the planned config hash "
            "aaaaaaaaaaaa\n"
            "raylaunch: info: reconcile: re-create demo-cpu-1: its config hash 0123456789ab "
            "differs from the plan's bbbbbbbbbbbb\n"
            "raylaunch: info: reconcile: start demo-cpu-2: exited with the planned config hash "
            "cccccccccccc: started again\n"
            "raylaunch: info: reconcile: re-create demo-cpu-3: it is dead: a fresh container is "
            "the dependable way back\n"
            "raylaunch: info: reconcile: create demo-cpu-4: no container of that name exists\n");
}

// What Docker changed under a container, and the re-create flags.
TEST(DecisionsTest, SaysWhatDockerChanged) {
  Plan plan;
  plan.containers = {planned("demo-head", "head", 1, "aaaaaaaaaaaaaaaa"),
                     planned("demo-cpu-1", "cpu", 1, "bbbbbbbbbbbbbbbb"),
                     planned("demo-cpu-2", "cpu", 2, "cccccccccccccccc")};
  for (PlannedContainer& c : plan.containers) {
    c.image = "ray:1";
  }
  plan.network.name = "demo_net";
  ObservedState observed;
  observed.network_ids[""] = "net-2";
  observed.image_ids[""]["ray:1"] = "sha256:1111111111111111";
  observed.containers = {seen("demo-head", "head", 1, "exited", "aaaaaaaaaaaaaaaa"),
                         seen("demo-cpu-1", "cpu", 1, "running", "bbbbbbbbbbbbbbbb"),
                         seen("demo-cpu-2", "cpu", 2, "running", "cccccccccccccccc")};
  for (ObservedContainer& c : observed.containers) {
    c.inspected = true;
    c.image_id = "sha256:1111111111111111";
    c.networks["demo_net"] = "net-2";
  }
  observed.containers[0].networks["demo_net"] = "net-1";
  observed.containers[1].networks.clear();
  observed.containers[2].image_id = "sha256:0000000000000000";
  std::ostringstream log;
  init_log("info", &log);
  log_decisions(reconcile(plan, observed), observed);
  log_decisions(reconcile(plan, observed, Recreate::never), observed);
  observed.containers = {observed.containers[2]};
  observed.containers[0].image_id = "sha256:1111111111111111";
  log_decisions(reconcile(plan, observed, Recreate::always), observed);
  init_log("off");
  EXPECT_EQ(log.str(),
            "raylaunch: info: reconcile: re-create demo-head: the network it was created on is "
            "gone (removed, or removed and made again), so it cannot start on it\n"
            "raylaunch: info: reconcile: re-create demo-cpu-1: it is not attached to the "
            "project's network (docker network disconnect)\n"
            "raylaunch: info: reconcile: re-create demo-cpu-2: it runs image 000000000000, but "
            "ray:1 names 111111111111 now\n"
            "raylaunch: info: reconcile: start demo-head: exited; network gone, not re-created: "
            "--no-recreate: started again\n"
            "raylaunch: info: reconcile: keep demo-cpu-1: running; network detached, not "
            "re-created: --no-recreate\n"
            "raylaunch: info: reconcile: keep demo-cpu-2: running; image changed, not "
            "re-created: --no-recreate\n"
            "raylaunch: info: reconcile: create demo-head: no container of that name exists\n"
            "raylaunch: info: reconcile: create demo-cpu-1: no container of that name exists\n"
            "raylaunch: info: reconcile: re-create demo-cpu-2: --force-recreate re-creates every "
            "container\n");
}

TEST(DecisionsTest, QuietBelowInfoAndMasked) {
  Action action{Action::Kind::create, "demo-cpu-1", "missing", nullptr, {}, {}};
  std::ostringstream log;
  init_log("warn", &log);
  log_decisions({action}, {});
  EXPECT_EQ(log.str(), "");
  remember_secret("hunter2-secret");
  init_log("debug", &log);
  log_info("reconcile: token hunter2-secret");
  init_log("off");
  EXPECT_EQ(log.str(), "raylaunch: info: reconcile: token ******\n");
}

}  // namespace
}  // namespace raylaunch
