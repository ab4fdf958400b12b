#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace raylaunch {

/// The folder that holds project locks: $RAYLAUNCH_LOCK_DIR, else
/// $XDG_RUNTIME_DIR/raylaunch, else /tmp/raylaunch-<uid>.
std::string lock_dir();

/// Makes `dir` (mode 0700) when it is missing, then makes sure it is a real
/// folder, not a symbolic link, that is the user's own with mode 0700: in a
/// folder another user controls, they could swap the lock files. Throws
/// ExecError naming the folder, what is wrong and what to do.
void check_lock_dir(const std::string& dir);

/// Holds the lock of one project while `up` or `down` changes it, so two of
/// them never create one container twice. The lock is flock(2) on
/// `<lock_dir>/<project>.lock`: the kernel drops it when the process ends,
/// however it ends, so a crashed run never leaves a stale lock.
class ProjectLock {
 public:
  /// Takes the lock, waiting up to `timeout`; `on_wait` is called once when
  /// another process holds it. Throws ExecError when the wait runs out, when
  /// the folder fails check_lock_dir(), or when the lock file is a symbolic
  /// link or not a regular file.
  ProjectLock(const std::string& project, std::chrono::seconds timeout,
              const std::function<void(const std::string& path)>& on_wait);
  ~ProjectLock();
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace raylaunch
