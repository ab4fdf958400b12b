#include <gtest/gtest.h>

#include <raylaunch/plan/reconcile.hpp>

#include "support/load_helpers.hpp"
#include "support/observed.hpp"

namespace raylaunch {
namespace {

using test::seen;

const char* k_spec = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 2\n";

// The project's network on the one engine, as `docker network ls` found it.
ObservedState with_network() {
  ObservedState observed;
  observed.network_ids[""] = "net-1";
  return observed;
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
  ObservedState observed = with_network();
  for (const PlannedContainer& c : plan.containers) {
    observed.containers.push_back(seen(c));
  }
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\nkeep demo-cpu-1 (running)\nkeep demo-cpu-2 (running)\n");
}

TEST(Reconcile, ScalesDownFromTheHighestReplica) {
  Plan four = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 4\n");
  Plan one = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n");
  ObservedState observed = with_network();
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
  ObservedState observed = with_network();
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

// What `docker inspect` adds to `seen`: attached to the project's network
// `network` (by ID), created from image `image`.
ObservedContainer inspected(const PlannedContainer& c, const std::string& network = "net-1",
                            const std::string& image = "sha256:aaa") {
  ObservedContainer o = seen(c);
  o.inspected = true;
  o.image_id = image;
  if (!network.empty()) {
    o.networks["demo_net"] = network;
  }
  return o;
}

// The network and the image as Docker has them now.
ObservedState engine_now(const std::string& network = "net-1") {
  ObservedState observed;
  if (!network.empty()) {
    observed.network_ids[""] = network;
  }
  observed.image_ids[""]["ray:1"] = "sha256:aaa";
  return observed;
}

TEST(Reconcile, RecreatesContainersWhoseNetworkIsGoneOrDetached) {
  Plan plan = test::plan_text(k_spec);
  // `docker network rm` after a stop: the network is missing, or made again
  // by hand under the same name with a new ID.
  for (const std::string& now : {std::string(), std::string("net-2")}) {
    ObservedState observed = engine_now(now);
    for (const PlannedContainer& c : plan.containers) {
      observed.containers.push_back(inspected(c));
      observed.containers.back().state = "exited";
    }
    EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
              std::string(now.empty() ? "create network demo_net (missing)\n" : "") +
                  "recreate demo-head (network gone)\n"
                  "recreate demo-cpu-1 (network gone)\n"
                  "recreate demo-cpu-2 (network gone)\n");
  }
  // `docker network disconnect demo_net demo-cpu-1` on a running node.
  ObservedState observed = engine_now();
  observed.containers = {inspected(plan.containers[0]), inspected(plan.containers[1], ""),
                         inspected(plan.containers[2])};
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "recreate demo-cpu-1 (network detached)\n"
            "keep demo-cpu-2 (running)\n");
}

TEST(Reconcile, RecreatesContainersOfAnImageRebuiltUnderItsTag) {
  Plan plan = test::plan_text(k_spec);
  ObservedState observed = engine_now();
  observed.containers = {inspected(plan.containers[0]),
                         inspected(plan.containers[1], "net-1", "sha256:old"),
                         seen(plan.containers[2])};  // not inspected: nothing known
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "recreate demo-cpu-1 (image changed)\n"
            "keep demo-cpu-2 (running)\n");
  // An image that is missing now (pulled later) changes nothing here.
  observed.image_ids.clear();
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\nkeep demo-cpu-1 (running)\nkeep demo-cpu-2 (running)\n");
}

TEST(Reconcile, ForceRecreateRecreatesEveryContainerAndNoRecreateNone) {
  Plan plan = test::plan_text(k_spec);
  ObservedState observed = engine_now();
  observed.containers = {inspected(plan.containers[0]), inspected(plan.containers[1]),
                         inspected(plan.containers[2])};
  observed.containers[1].config_hash = "old";
  observed.containers[2].state = "exited";
  observed.containers[2].image_id = "sha256:old";
  EXPECT_EQ(actions_to_text(reconcile(plan, observed, Recreate::always)),
            "recreate demo-head (--force-recreate)\n"
            "recreate demo-cpu-1 (config changed)\n"
            "recreate demo-cpu-2 (image changed)\n");
  EXPECT_EQ(actions_to_text(reconcile(plan, observed, Recreate::never)),
            "keep demo-head (running)\n"
            "keep demo-cpu-1 (running; config changed, not re-created: --no-recreate)\n"
            "start demo-cpu-2 (exited; image changed, not re-created: --no-recreate)\n");
  // --no-recreate still creates what is missing and removes what is not planned.
  Plan one = test::plan_text("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n"
                             "  - group: gpu\n    replicas: 1\n");
  EXPECT_EQ(actions_to_text(reconcile(one, observed, Recreate::never)),
            "remove demo-cpu-2 (not planned)\n"
            "keep demo-head (running)\n"
            "keep demo-cpu-1 (running; config changed, not re-created: --no-recreate)\n"
            "create demo-gpu-1 (missing)\n");
}

TEST(Reconcile, StopsWithTheGracePeriodOfTheNodeOrOfDefaults) {
  Plan before = test::plan_text(
      "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 2\n"
      "  - group: old\n    replicas: 1\n");
  Plan after = test::plan_text(
      "name: demo\nimage: ray:1\ndefaults:\n  stop_grace_period: 1m30s\nworkers:\n"
      "  - group: cpu\n    replicas: 1\n    stop_grace_period: 2s\n");
  ObservedState observed = with_network();
  for (const PlannedContainer& c : before.containers) {
    observed.containers.push_back(seen(c));
  }
  std::vector<Action> actions = reconcile(after, observed);
  ASSERT_EQ(actions_to_text(actions),
            "remove demo-cpu-2 (not planned)\n"
            "remove demo-old-1 (not planned)\n"
            "keep demo-head (running)\n"
            "keep demo-cpu-1 (running)\n");
  EXPECT_EQ(actions[0].stop_grace, std::chrono::seconds(2));   // its group's
  EXPECT_EQ(actions[1].stop_grace, std::chrono::seconds(90));  // defaults': its group is gone
  // Not in the config hash: a new grace period re-creates nothing, and applies
  // when a container is re-created for another reason.
  actions = reconcile(after, observed, Recreate::always);
  EXPECT_EQ(actions[2].stop_grace, std::chrono::seconds(90));  // the head inherits defaults'
  EXPECT_EQ(actions[3].stop_grace, std::chrono::seconds(2));
}

}  // namespace
}  // namespace raylaunch
