// The lock folder and files cannot be taken over: a link, a folder others can
// write or another user's folder is refused with what to do.
#include <gtest/gtest.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/lock.hpp>

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/scoped_env.hpp"
#include "support/scratch.hpp"

namespace raylaunch {
namespace {

namespace fs = std::filesystem;

using test::Scratch;
using test::ScopedEnv;

// The whole error check_lock_dir(`dir`) throws, as printed.
std::string refusal(const std::string& dir) {
  try {
    check_lock_dir(dir);
  } catch (const ExecError& e) {
    return format_error(e, "");
  }
  return "";
}

mode_t mode_of(const std::string& path) {
  struct stat info {};
  ::lstat(path.c_str(), &info);
  return info.st_mode & 07777;
}

TEST(LockDir, MakesAMissingFolderWithMode0700) {
  Scratch base;
  std::string dir = std::string(base) + "/a/locks";
  ::umask(022);
  EXPECT_EQ(refusal(dir), "");
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(refusal(dir), "");  // and takes it as it is the second time
}

TEST(LockDir, RefusesALinkInPlaceOfTheFolder) {
  Scratch scratch;
  std::string base = scratch;
  fs::create_directory(base + "/elsewhere");
  ::chmod((base + "/elsewhere").c_str(), 0700);
  fs::create_directory_symlink(base + "/elsewhere", base + "/locks");
  EXPECT_EQ(refusal(base + "/locks"),
            fmt::format("raylaunch: error: the lock folder {0}/locks is a symbolic link (to "
                        "{0}/elsewhere), not a folder\n"
                        "hint: remove it (rm {0}/locks) and raylaunch makes the folder itself, or "
                        "set RAYLAUNCH_LOCK_DIR to a folder of yours\n",
                        base));
}

TEST(LockDir, RefusesAFolderOthersCanWrite) {
  Scratch base;
  std::string dir = std::string(base) + "/locks";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0777);
  EXPECT_EQ(refusal(dir),
            fmt::format("raylaunch: error: the lock folder {0} has mode 0777; it must be 0700, so "
                        "no other user can replace the locks in it\n"
                        "hint: check that nobody else put files in it, then chmod 700 {0}\n",
                        dir));
}

TEST(LockDir, RefusesAFileInPlaceOfTheFolder) {
  Scratch base;
  std::string dir = std::string(base) + "/locks";
  std::FILE* file = std::fopen(dir.c_str(), "w");
  std::fclose(file);
  EXPECT_EQ(refusal(dir),
            fmt::format("raylaunch: error: the lock folder {0} is not a folder\n"
                        "hint: remove it (rm {0}) and raylaunch makes the folder itself, or set "
                        "RAYLAUNCH_LOCK_DIR to a folder of yours\n",
                        dir));
}

// Given a folder of another user's: as root one of ours given to uid 4242;
// otherwise /, which is root's. It runs either way.
TEST(LockDir, RefusesAnotherUsersFolder) {
  Scratch base;
  std::string dir = "/";
  uid_t owner = 0;
  if (::getuid() == 0) {
    dir = std::string(base) + "/locks";
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 0700);
    ASSERT_EQ(::chown(dir.c_str(), 4242, 4242), 0);
    owner = 4242;
  }
  EXPECT_EQ(refusal(dir),
            fmt::format("raylaunch: error: the lock folder {} belongs to uid {}, not to you "
                        "(uid {})\n"
                        "hint: another user made it first; have it removed, or set "
                        "RAYLAUNCH_LOCK_DIR (or XDG_RUNTIME_DIR) to a folder of yours\n",
                        dir, owner, ::getuid()));
}

TEST(ProjectLock, RefusesALockFileThatIsALink) {
  Scratch scratch;
  std::string dir = scratch;
  ::chmod(dir.c_str(), 0700);
  fs::create_symlink(dir + "/target", dir + "/demo.lock");
  ScopedEnv lock_dir("RAYLAUNCH_LOCK_DIR", dir + "/");
  try {
    ProjectLock lock("demo", std::chrono::seconds(0), [](const std::string&) {});
    FAIL() << "expected the lock to be refused";
  } catch (const ExecError& e) {
    EXPECT_EQ(format_error(e, ""),
              fmt::format("raylaunch: error: the lock file {0}/demo.lock is a symbolic link; "
                          "raylaunch does not follow it\n"
                          "hint: remove it (rm {0}/demo.lock); raylaunch makes the lock file "
                          "itself\n",
                          dir));
  }
  EXPECT_FALSE(fs::exists(dir + "/target"));
}

}  // namespace
}  // namespace raylaunch
