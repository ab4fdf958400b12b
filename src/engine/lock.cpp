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
    // "link/" would make lstat() follow the link; the folder is the name.
    std::string named = dir;
    while (named.size() > 1 && named.back() == '/') {
      named.pop_back();
    }
    return named;
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != '\0') {
    return std::string(runtime) + "/raylaunch";
  }
  return fmt::format("/tmp/raylaunch-{}", ::getuid());
}

namespace {

// Made by another user first (the name in /tmp is guessable), the folder
// would let them swap our lock files, so two `up`s race, or point them
// anywhere we can write.
[[noreturn]] void refuse_lock_dir(const std::string& dir, const std::string& what,
                                  const std::string& hint) {
  throw ExecError(fmt::format("the lock folder {} {}", dir, what),
                  hint.empty() ? fmt::format("remove it (rm {}) and raylaunch makes the folder "
                                             "itself, or set RAYLAUNCH_LOCK_DIR to a folder of "
                                             "yours",
                                             dir)
                               : hint);
}

std::string link_target(const std::string& path) {
  std::error_code error;
  std::filesystem::path target = std::filesystem::read_symlink(path, error);
  return error ? "?" : target.string();
}

}  // namespace

void check_lock_dir(const std::string& dir) {
  std::filesystem::path path(dir);
  std::error_code ignored;
  std::filesystem::create_directories(path.parent_path(), ignored);
  if (::mkdir(dir.c_str(), 0700) == 0) {
    ::chmod(dir.c_str(), 0700);  // whatever the umask
  } else if (errno != EEXIST) {
    throw ExecError(fmt::format("cannot create the lock folder {}: {}", dir, std::strerror(errno)),
                    "set RAYLAUNCH_LOCK_DIR to a folder you can write");
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) {
    throw ExecError(fmt::format("cannot read the lock folder {}: {}", dir, std::strerror(errno)),
                    "set RAYLAUNCH_LOCK_DIR to a folder you can write");
  }
  if (S_ISLNK(info.st_mode)) {
    refuse_lock_dir(dir, fmt::format("is a symbolic link (to {}), not a folder", link_target(dir)),
                    "");
  }
  if (!S_ISDIR(info.st_mode)) {
    refuse_lock_dir(dir, "is not a folder", "");
  }
  if (info.st_uid != ::getuid()) {
    refuse_lock_dir(dir, fmt::format("belongs to uid {}, not to you (uid {})", info.st_uid,
                                     ::getuid()),
                    "another user made it first; have it removed, or set RAYLAUNCH_LOCK_DIR "
                    "(or XDG_RUNTIME_DIR) to a folder of yours");
  }
  if ((info.st_mode & 07777) != 0700) {
    refuse_lock_dir(dir, fmt::format("has mode {:04o}; it must be 0700, so no other user can "
                                     "replace the locks in it",
                                     info.st_mode & 07777),
                    fmt::format("check that nobody else put files in it, then chmod 700 {}", dir));
  }
}

namespace {

int open_lock_file(const std::string& path) {
  // O_NOFOLLOW: a link in place of the lock file would make us create or
  // lock a file of someone else's choosing.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  int error = errno;
  std::string remove_it = fmt::format("remove it (rm {}); raylaunch makes the lock file itself",
                                      path);
  if (fd < 0 && error == ELOOP) {
    throw ExecError(fmt::format("the lock file {} is a symbolic link; raylaunch does not follow it",
                                path),
                    remove_it);
  }
  if (fd < 0) {
    throw ExecError(fmt::format("cannot open the lock file {}: {}", path, std::strerror(error)),
                    "set RAYLAUNCH_LOCK_DIR to a folder you can write");
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw ExecError(fmt::format("the lock file {} is not a regular file", path), remove_it);
  }
  return fd;
}

}  // namespace

ProjectLock::ProjectLock(const std::string& project, std::chrono::seconds timeout,
                         const std::function<void(const std::string& path)>& on_wait) {
  std::string dir = lock_dir();
  check_lock_dir(dir);
  std::string path = dir + "/" + project + ".lock";
  m_fd = open_lock_file(path);
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
