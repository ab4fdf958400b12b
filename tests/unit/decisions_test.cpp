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
  return {"id-" + name, name, "", state, role, group, replica, hash, {}, {}, {}, {}};
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
