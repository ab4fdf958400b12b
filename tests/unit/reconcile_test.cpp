#include <gtest/gtest.h>

#include <raylaunch/plan/reconcile.hpp>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

const char* k_spec = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 2\n";

ObservedContainer seen(const PlannedContainer& c, const std::string& state = "running") {
  return {"id-" + c.name, c.name, c.host, state, c.role, c.group, c.replica, c.config_hash, "", "", "", ""};
}

TEST(Reconcile, CreatesEverythingOnAnEmptyEngine) {
  Plan plan = test::plan_text(k_spec);
  EXPECT_EQ(actions_to_text(reconcile(plan, {})),
            "create network demo_net (missing)\n"
            "create demo-head (missing)\n"
            "create demo-cpu-1 (missing)\n"
            "create demo-cpu-2 (missing)\n");
}

TEST(Reconcile, SecondUpKeepsEverything) {
  Plan plan = test::plan_text(k_spec);
  ObservedState observed{{}, {""}, {}};
  for (const PlannedContainer& c : plan.containers) {
    observed.containers.push_back(seen(c));
  }
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\nkeep demo-cpu-1 (running)\nkeep demo-cpu-2 (running)\n");
}

TEST(Reconcile, ScalesDownFromTheHighestReplica) {
  Plan four = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 4\n");
  Plan one = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n");
  ObservedState observed{{}, {""}, {}};
  for (const PlannedContainer& c : four.containers) {
    observed.containers.push_back(seen(c));
  }
  EXPECT_EQ(actions_to_text(reconcile(one, observed)),
            "remove demo-cpu-4 (not planned)\n"
            "remove demo-cpu-3 (not planned)\n"
            "remove demo-cpu-2 (not planned)\n"
            "keep demo-head (running)\n"
            "keep demo-cpu-1 (running)\n");
}

TEST(Reconcile, RecreatesChangedAndStartsExited) {
  Plan plan = test::plan_text(k_spec);
  ObservedState observed{{}, {""}, {}};
  observed.containers.push_back(seen(plan.containers[0]));
  ObservedContainer changed = seen(plan.containers[1]);
  changed.config_hash = "old";
  observed.containers.push_back(changed);
  observed.containers.push_back(seen(plan.containers[2], "exited"));
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "recreate demo-cpu-1 (config changed)\n"
            "start demo-cpu-2 (exited)\n");
}

}  // namespace
}  // namespace raylaunch
