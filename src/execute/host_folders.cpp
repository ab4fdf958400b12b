// Docker creates a missing bind-mount folder as root, mode 755, and Ray's
// images run as uid 1000, so Ray cannot write its session there and dies at
// start. `up` creates such folders first, owned by the image's user.
#include <raylaunch/execute/host_folders.hpp>

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/execute/executor.hpp>
#include <raylaunch/execute/observed.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

namespace raylaunch {

namespace {

// One bind mount of a container that `up` is about to create.
struct BindFolder {
  std::string container;
  std::string image;
  std::string path;  // absolute, placeholders expanded by the planner
};

std::vector<BindFolder> bind_folders_of(const std::vector<const PlannedContainer*>& containers) {
  std::vector<BindFolder> folders;
  for (const PlannedContainer* container : containers) {
    for (const Mount& mount : container->mounts) {
      if (!mount.volume) {
        folders.push_back({container->name, container->image, mount.source});
      }
    }
  }
  return folders;
}

std::optional<uint32_t> number_of(const std::string& text) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long long value = std::stoull(text);
  if (value > std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

// Whether `user` can create files in the folder `state` describes: the
// owner's, else the group's, else the others' write and search bits, as the
// kernel picks them; root passes. Supplementary groups and ACLs are not read.
bool can_write(const PathState& state, const UserIds& user) {
  if (user.uid == 0) {
    return true;
  }
  uint32_t bits = state.uid == user.uid ? 0300 : state.gid == user.gid ? 0030 : 0003;
  return (state.mode & bits) == bits;
}

std::string chown_line(const UserIds& owner, const std::string& path) {
  return quote_for_display({"chown", fmt::format("{}:{}", owner.uid, owner.gid), path});
}

Diagnostic not_writable(const BindFolder& folder, const UserIds& user, const PathState& state,
                        bool as_root) {
  return {Severity::warning,
          fmt::format("{} cannot write its bind folder {}: its image {} runs as {}:{}, the folder "
                      "is owned by {}:{} with mode {:o}",
                      folder.container, folder.path, folder.image, user.uid, user.gid, state.uid,
                      state.gid, state.mode),
          fmt::format("give it to that user: {}{}", as_root ? "" : "sudo ",
                      chown_line(user, folder.path)),
          std::nullopt};
}

Diagnostic unknown_user(const std::string& image, const ImageUser& user) {
  return {Severity::warning,
          fmt::format("cannot tell which user image {} runs as{}: {}", image,
                      user.written.empty() ? "" : fmt::format(" (\"{}\")", user.written), user.why),
          "its missing bind folders are created without changing their owner; if the container "
          "cannot write one, chown it to that user",
          std::nullopt};
}

}  // namespace

std::string FolderStep::to_text() const {
  switch (kind) {
    case Kind::create:
      return quote_for_display({"mkdir", "-p", path});
    case Kind::chown:
      return chown_line(owner, path);
    case Kind::warn:
      break;
  }
  std::string text = format_diagnostic(warning, "");
  return text.substr(0, text.size() - 1);
}

std::optional<UserIds> numeric_user(const std::string& written) {
  size_t colon = written.find(':');
  std::string name = written.substr(0, colon);
  std::optional<uint32_t> uid = number_of(name);
  if (written.empty() || name == "root" || uid == 0u) {
    return UserIds{0, 0};  // root writes anywhere, whatever its group
  }
  std::optional<uint32_t> gid =
      colon == std::string::npos ? std::nullopt : number_of(written.substr(colon + 1));
  if (!uid || !gid) {
    return std::nullopt;
  }
  return UserIds{*uid, *gid};
}

std::vector<FolderStep> plan_host_folders(
    const std::vector<const PlannedContainer*>& containers,
    const std::map<std::string, ImageUser>& users, const Invoker& invoker,
    const std::function<PathState(const std::string&)>& look) {
  static const ImageUser k_unread{"", std::nullopt, "its user was not read"};
  std::vector<FolderStep> steps;
  std::set<std::string> paths;
  std::set<std::string> unknown_images;
  bool as_root = invoker.uid == 0;
  for (const BindFolder& folder : bind_folders_of(containers)) {
    if (!paths.insert(folder.path).second) {
      continue;
    }
    PathState state = look(folder.path);
    if (state.kind == PathState::Kind::other) {
      continue;  // a file, or nothing we may look at: Docker's business
    }
    bool missing = state.kind == PathState::Kind::missing;
    if (missing) {
      steps.push_back({FolderStep::Kind::create, folder.path, {}, {}});
    }
    auto found = users.find(folder.image);
    const ImageUser& user = found == users.end() ? k_unread : found->second;
    if (!user.ids) {
      if (unknown_images.insert(folder.image).second) {
        steps.push_back({FolderStep::Kind::warn, "", {}, unknown_user(folder.image, user)});
      }
      continue;
    }
    if (missing && as_root) {
      if (user.ids->uid != 0) {
        steps.push_back({FolderStep::Kind::chown, folder.path, *user.ids, {}});
      }
      continue;
    }
    if (missing) {
      state = {PathState::Kind::folder, invoker.uid, invoker.gid, 0755 & ~invoker.umask};
    }
    if (!can_write(state, *user.ids)) {
      steps.push_back(
          {FolderStep::Kind::warn, "", {}, not_writable(folder, *user.ids, state, as_root)});
    }
  }
  return steps;
}

namespace {

// The containers `up` creates or re-creates; one it keeps or starts again
// has its folders already.
std::vector<const PlannedContainer*> created_by(const std::vector<Action>& actions) {
  std::vector<const PlannedContainer*> containers;
  for (const Action& action : actions) {
    if ((action.kind == Action::Kind::create || action.kind == Action::Kind::recreate) &&
        action.container != nullptr) {
      containers.push_back(action.container);
    }
  }
  return containers;
}

// Whom each image of `folders` runs as: the numbers its Config.User gives,
// else `id` run once in the image. An image pulled since the first look-up
// is inspected again.
std::map<std::string, ImageUser> resolve_users(DockerEngine& engine,
                                               const std::vector<BindFolder>& folders,
                                               std::map<std::string, std::string> written) {
  std::vector<std::string> unread;
  for (const BindFolder& folder : folders) {
    if (written.count(folder.image) == 0 &&
        std::find(unread.begin(), unread.end(), folder.image) == unread.end()) {
      unread.push_back(folder.image);
    }
  }
  if (!unread.empty()) {
    std::map<std::string, std::string> more = engine.inspect_images(unread).users;
    written.insert(more.begin(), more.end());
  }
  std::map<std::string, ImageUser> users;
  for (const BindFolder& folder : folders) {
    if (users.count(folder.image) != 0) {
      continue;
    }
    ImageUser& user = users[folder.image];
    auto found = written.find(folder.image);
    if (found == written.end()) {
      user.why = "it is not on the engine yet";
      continue;
    }
    user.written = found->second;
    user.ids = numeric_user(user.written);
    if (!user.ids) {
      UserLookup lookup = engine.user_ids_of(folder.image);
      user.ids = lookup.ids;
      user.why = lookup.said;
      // A uid alone whose group `id` cannot tell: Docker gives such a uid gid 0.
      if (std::optional<uint32_t> uid = number_of(user.written); !user.ids && uid) {
        user.ids = UserIds{*uid, 0};
      }
    }
  }
  return users;
}

PathState look_at(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    bool missing = errno == ENOENT || errno == ENOTDIR;
    return {missing ? PathState::Kind::missing : PathState::Kind::other, 0, 0, 0};
  }
  return {S_ISDIR(info.st_mode) ? PathState::Kind::folder : PathState::Kind::other, info.st_uid,
          info.st_gid, static_cast<uint32_t>(info.st_mode & 07777)};
}

Invoker current_invoker() {
  Invoker invoker{static_cast<uint32_t>(::geteuid()), static_cast<uint32_t>(::getegid()), 022};
  // Read, not set with umask(2): other threads may be creating files.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Umask:", 0) == 0) {
      invoker.umask = static_cast<uint32_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    }
  }
  return invoker;
}

void take_step(const FolderStep& step) {
  log_debug(step.to_text());
  if (step.kind == FolderStep::Kind::create) {
    // Each missing folder on the way, as `mkdir -p` does, but with mode 755
    // (less the umask), so not world-writable even under umask 0.
    std::filesystem::path so_far;
    for (const std::filesystem::path& part : std::filesystem::path(step.path)) {
      so_far /= part;
      if (::mkdir(so_far.c_str(), 0755) != 0 && errno != EEXIST) {
        throw ExecError(fmt::format("cannot create bind folder {}: {}", so_far.string(),
                                    std::strerror(errno)),
                        "create it yourself, or mount another folder");
      }
    }
  } else if (step.kind == FolderStep::Kind::chown &&
             ::chown(step.path.c_str(), step.owner.uid, step.owner.gid) != 0) {
    throw ExecError(fmt::format("cannot give bind folder {} to {}:{}: {}", step.path,
                                step.owner.uid, step.owner.gid, std::strerror(errno)),
                    "create the folder and give it to the container's user before `up`");
  }
}

}  // namespace

// Only for engines on this machine: a remote engine's folders are on its host.
void Executor::prepare_host_folders(const std::vector<Action>& actions, const Observation& seen,
                                    const UpOptions& options) {
  std::vector<const PlannedContainer*> created = created_by(actions);
  for (const std::string& host : host_names()) {
    DockerEngine& on = engine(host);
    if (!on.endpoint().is_local()) {
      continue;
    }
    std::vector<const PlannedContainer*> containers;
    std::copy_if(created.begin(), created.end(), std::back_inserter(containers),
                 [&](const PlannedContainer* c) { return c->host == host; });
    std::vector<BindFolder> folders = bind_folders_of(containers);
    if (folders.empty()) {
      continue;
    }
    auto users = seen.images.find(host);
    std::map<std::string, ImageUser> resolved =
        resolve_users(on, folders, users == seen.images.end() ? std::map<std::string, std::string>{}
                                                              : users->second.users);
    for (const FolderStep& step :
         plan_host_folders(containers, resolved, current_invoker(), look_at)) {
      if (step.kind == FolderStep::Kind::warn) {
        m_progress.message(format_diagnostic(step.warning, ""));
      } else if (options.dry_run) {
        m_out << step.to_text() << '\n';
      } else {
        take_step(step);
      }
    }
  }
}

}  // namespace raylaunch
