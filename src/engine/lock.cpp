// Two `raylaunch up` of one project at once would both see a node missing
// and both create it; one lock per project makes the second wait its turn.
#include <raylaunch/engine/lock.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace raylaunch {

std::string lock_dir() {
  if (const char* dir = std::getenv("RAYLAUNCH_LOCK_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != '\0') {
    return std::string(runtime) + "/raylaunch";
  }
  return fmt::format("/tmp/raylaunch-{}", ::getuid());
}

ProjectLock::ProjectLock(const std::string& project, std::chrono::seconds timeout,
                         const std::function<void(const std::string& path)>& on_wait) {
  std::string dir = lock_dir();
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);
  ::chmod(dir.c_str(), 0700);
  std::string path = dir + "/" + project + ".lock";
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) {
    throw ExecError(fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)),
                    "set RAYLAUNCH_LOCK_DIR to a folder you can write");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      ::close(m_fd);
      throw ExecError(fmt::format("cannot lock {}: {}", path, std::strerror(errno)),
                      "set RAYLAUNCH_LOCK_DIR to a local folder");
    }
    if (!told) {
      on_wait(path);
      told = true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(m_fd);
      throw ExecError(
          fmt::format("another raylaunch is still working on project \"{}\" after {} s",
                      project, timeout.count()),
          fmt::format("let it finish, or raise --lock-timeout; the lock is {}", path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

ProjectLock::~ProjectLock() {
  if (m_fd >= 0) {
    ::close(m_fd);  // closing drops the flock
  }
}

}  // namespace raylaunch
