// Which bind folders `up` creates, whom it gives them to, and its warnings,
// decided from planned containers and a made-up disk.
#include <raylaunch/execute/host_folders.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

// A head and one worker, each with its own log folder (spec folder /specs).
const char* k_logs_spec =
    "name: demo\nimage: ray:1\ndefaults:\n  volumes:\n    - ./logs/{name}:/tmp/ray\n"
    "workers:\n  - group: cpu\n    replicas: 1\n";

const Invoker k_root{0, 0, 022};
const Invoker k_alice{1001, 1001, 022};  // a user who is not the container's

PathState missing() { return {}; }
PathState folder(uint32_t uid, uint32_t gid, uint32_t mode) {
  return {PathState::Kind::folder, uid, gid, mode};
}

// The steps for `spec` with every image running as `user` and the disk as `disk`
// says (paths it does not name are missing), one to_text() per line.
std::string steps_for(const std::string& spec, const ImageUser& user, const Invoker& invoker,
                      const std::map<std::string, PathState>& disk = {}) {
  Plan plan = test::plan_text(spec);
  std::vector<const PlannedContainer*> containers;
  std::map<std::string, ImageUser> users;
  for (const PlannedContainer& c : plan.containers) {
    containers.push_back(&c);
    users[c.image] = user;
  }
  auto look = [&](const std::string& path) {
    auto found = disk.find(path);
    return found == disk.end() ? missing() : found->second;
  };
  std::string text;
  for (const FolderStep& step : plan_host_folders(containers, users, invoker, look)) {
    text += step.to_text() + "\n";
  }
  return text;
}

ImageUser ray_user() { return {"1000", UserIds{1000, 100}, ""}; }

TEST(HostFolders, MissingFoldersAsRootAreCreatedAndGivenToTheImagesUser) {
  EXPECT_EQ(steps_for(k_logs_spec, ray_user(), k_root),
            "mkdir -p /specs/logs/demo-head\n"
            "chown 1000:100 /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n"
            "chown 1000:100 /specs/logs/demo-cpu-1\n");
}

// Given a user who is not uid 1000, the folders are theirs, mode 755: the
// container cannot write them, so each gets the warning with the chown.
TEST(HostFolders, MissingFoldersAsAnotherUserAreCreatedWithAWarning) {
  EXPECT_EQ(steps_for(k_logs_spec, ray_user(), k_alice),
            "mkdir -p /specs/logs/demo-head\n"
            "raylaunch: warning: demo-head cannot write its bind folder /specs/logs/demo-head: "
            "its image ray:1 runs as 1000:100, the folder is owned by 1001:1001 with mode 755\n"
            "hint: give it to that user: sudo chown 1000:100 /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n"
            "raylaunch: warning: demo-cpu-1 cannot write its bind folder /specs/logs/demo-cpu-1: "
            "its image ray:1 runs as 1000:100, the folder is owned by 1001:1001 with mode 755\n"
            "hint: give it to that user: sudo chown 1000:100 /specs/logs/demo-cpu-1\n");
}

TEST(HostFolders, MissingFoldersAsTheContainersOwnUserNeedNothingMore) {
  EXPECT_EQ(steps_for(k_logs_spec, ray_user(), Invoker{1000, 1000, 022}),
            "mkdir -p /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n");
}

// An existing folder never changes owner, even as root.
TEST(HostFolders, ExistingRootFolderTheImagesUserCannotWriteGetsTheWarningOnly) {
  EXPECT_EQ(steps_for(k_logs_spec, ray_user(), k_root,
                      {{"/specs/logs/demo-head", folder(0, 0, 0755)},
                       {"/specs/logs/demo-cpu-1", folder(1000, 100, 0755)}}),
            "raylaunch: warning: demo-head cannot write its bind folder /specs/logs/demo-head: "
            "its image ray:1 runs as 1000:100, the folder is owned by 0:0 with mode 755\n"
            "hint: give it to that user: chown 1000:100 /specs/logs/demo-head\n");
}

TEST(HostFolders, ExistingWritableFoldersNeedNothing) {
  EXPECT_EQ(steps_for(k_logs_spec, ray_user(), k_alice,
                      {{"/specs/logs/demo-head", folder(1000, 5, 0700)},    // the owner
                       {"/specs/logs/demo-cpu-1", folder(0, 100, 0775)}}),  // the group
            "");
}

TEST(HostFolders, NamedVolumesAndFilesAreLeftAlone) {
  const char* spec =
      "name: demo\nimage: ray:1\nhead:\n  volumes:\n    - cache:/cache\n"
      "    - /etc/ray.conf:/etc/ray.conf:ro\n";
  EXPECT_EQ(steps_for(spec, ray_user(), k_root,
                      {{"/etc/ray.conf", {PathState::Kind::other, 0, 0, 0644}}}),
            "");
}

TEST(HostFolders, ImageRunningAsRootGetsItsFoldersCreatedOnly) {
  ImageUser root{"", numeric_user(""), ""};
  EXPECT_EQ(steps_for(k_logs_spec, root, k_root),
            "mkdir -p /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n");
  EXPECT_EQ(steps_for(k_logs_spec, root, k_alice),
            "mkdir -p /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n");
}

TEST(HostFolders, ANamedUserResolvedIsGivenItsFolders) {
  EXPECT_EQ(steps_for(k_logs_spec, {"ray", UserIds{1000, 100}, ""}, k_root),
            "mkdir -p /specs/logs/demo-head\n"
            "chown 1000:100 /specs/logs/demo-head\n"
            "mkdir -p /specs/logs/demo-cpu-1\n"
            "chown 1000:100 /specs/logs/demo-cpu-1\n");
}

// One warning per image, however many folders it has; no chown.
TEST(HostFolders, ANamedUserNotResolvedIsSaidOnceAndFoldersAreOnlyCreated) {
  ImageUser unknown{"ray", std::nullopt,
                    "docker: Error response from daemon: unable to find user ray: no matching "
                    "entries in passwd file."};
  EXPECT_EQ(steps_for(k_logs_spec, unknown, k_root),
            "mkdir -p /specs/logs/demo-head\n"
            "raylaunch: warning: cannot tell which user image ray:1 runs as (\"ray\"): docker: "
            "Error response from daemon: unable to find user ray: no matching entries in passwd "
            "file.\n"
            "hint: its missing bind folders are created without changing their owner; if the "
            "container cannot write one, chown it to that user\n"
            "mkdir -p /specs/logs/demo-cpu-1\n");
}

// Given one folder for every node (no placeholder), it is handled once.
TEST(HostFolders, AFolderSharedByNodesIsHandledOnce) {
  const char* spec =
      "name: demo\nimage: ray:1\ndefaults:\n  volumes:\n    - ./data:/data\n"
      "workers:\n  - group: cpu\n    replicas: 2\n";
  EXPECT_EQ(steps_for(spec, ray_user(), k_root),
            "mkdir -p /specs/data\n"
            "chown 1000:100 /specs/data\n");
}

TEST(HostFolders, ReadsNumbersFromConfigUserWithoutTheImage) {
  EXPECT_EQ(numeric_user(""), (UserIds{0, 0}));
  EXPECT_EQ(numeric_user("0"), (UserIds{0, 0}));
  EXPECT_EQ(numeric_user("root"), (UserIds{0, 0}));
  EXPECT_EQ(numeric_user("1000:100"), (UserIds{1000, 100}));
  EXPECT_EQ(numeric_user("1000"), std::nullopt);  // its group is in the image's /etc/passwd
  EXPECT_EQ(numeric_user("ray"), std::nullopt);
  EXPECT_EQ(numeric_user("ray:users"), std::nullopt);
  EXPECT_EQ(numeric_user("1000:users"), std::nullopt);
}

}  // namespace
}  // namespace raylaunch
