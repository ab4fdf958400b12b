#pragma once

// Bind-mount folders on the host that the container's user can write: what
// to create, whom to give it to, and what to warn about, decided without I/O.

#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/docker_engine.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// What is at a path on the host.
struct PathState {
  enum class Kind { missing, folder, other };
  Kind kind = Kind::missing;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mode = 0;  // permission bits, e.g. 0755
};

/// Whom a node's image runs as, as far as raylaunch could tell.
struct ImageUser {
  std::string written;         // Config.User as the image says it: "", "1000", "ray:users", ...
  std::optional<UserIds> ids;  // nullopt when it could not be resolved
  std::string why;             // why not, for the warning
};

/// Who runs raylaunch: its effective uid and gid (uid 0 is root) and umask.
struct Invoker {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t umask = 022;
};

/// One thing to do for a bind folder, in order.
struct FolderStep {
  enum class Kind { create, chown, warn };
  Kind kind = Kind::create;
  std::string path;    // create, chown
  UserIds owner;       // chown
  Diagnostic warning;  // warn

  /// `mkdir -p PATH`, `chown UID:GID PATH` (as --dry-run prints them), or
  /// the warning and its hint on two lines.
  std::string to_text() const;
};

/// The numbers `Config.User` gives without looking into the image: "" and a
/// uid of 0 are root, "UID:GID" is both. nullopt for a name, a group name or
/// a uid alone (whose group is the one the image's /etc/passwd gives it).
std::optional<UserIds> numeric_user(const std::string& written);

/// Decides, for each distinct bind-mount source of `containers` (those `up`
/// creates; the first container using a path speaks for it; named volumes
/// are Docker's): a missing folder is created, and given to the image's user
/// when `invoker` is root and that user is not root; a folder the image's
/// user cannot write (by its owner, group and other bits; one a non-root
/// `invoker` creates is the invoker's, mode 0755 & ~umask) gets a warning
/// with the `chown` that fixes it. An existing folder never changes owner;
/// a file or anything else at the path is left alone. An image whose user is
/// unknown gets one warning, and its folders are only created. `users` is
/// keyed by image; `look` says what is at a path.
std::vector<FolderStep> plan_host_folders(const std::vector<const PlannedContainer*>& containers,
                                          const std::map<std::string, ImageUser>& users,
                                          const Invoker& invoker,
                                          const std::function<PathState(const std::string&)>& look);

}  // namespace raylaunch
