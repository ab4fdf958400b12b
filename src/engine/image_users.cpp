// What `docker image inspect` says of the planned images: the ID each name
// stands for now (a rebuilt image has a new one), and which user it runs as,
// for the host folders it bind-mounts: Docker's `Config.User` as printed, and
// `id` run in the image when only a name or a bare uid is known.
#include <raylaunch/engine/docker_engine.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace raylaunch {

namespace {

// Each present one of `images` with its line of `out`, in order: `docker image
// inspect` prints one line per image it has and skips the missing ones.
std::vector<std::pair<std::string, std::string>> present_lines(
    const std::string& out, const std::vector<std::string>& images,
    const std::vector<std::string>& missing) {
  std::vector<std::string> lines;
  std::istringstream stream(out);
  for (std::string text; std::getline(stream, text);) {
    if (!text.empty()) {
      lines.push_back(text);
    }
  }
  std::vector<std::pair<std::string, std::string>> present;
  for (const std::string& image : images) {
    if (std::find(missing.begin(), missing.end(), image) != missing.end()) {
      continue;
    }
    if (present.size() == lines.size()) {
      break;
    }
    present.emplace_back(image, lines[present.size()]);
  }
  return present;
}

}  // namespace

std::map<std::string, std::string> parse_image_users(const std::string& out,
                                                     const std::vector<std::string>& images,
                                                     const std::vector<std::string>& missing) {
  std::map<std::string, std::string> users;
  for (const auto& [image, line] : present_lines(out, images, missing)) {
    // `{{.Id}}\t{{json .Config.User}}`: the user as a JSON string.
    size_t tab = line.find('\t');
    nlohmann::json user = nlohmann::json::parse(
        tab == std::string::npos ? std::string() : line.substr(tab + 1), nullptr, false);
    users[image] = user.is_string() ? user.get<std::string>() : std::string();
  }
  return users;
}

std::map<std::string, std::string> parse_image_ids(const std::string& out,
                                                   const std::vector<std::string>& images,
                                                   const std::vector<std::string>& missing) {
  std::map<std::string, std::string> ids;
  for (const auto& [image, line] : present_lines(out, images, missing)) {
    ids[image] = line.substr(0, line.find('\t'));
  }
  return ids;
}

std::vector<std::string> user_probe_args(const std::string& image) {
  return {"run", "--rm", "--network", "none", "--entrypoint", "id", image};
}

std::optional<UserIds> parse_id(const std::string& out) {
  auto number_after = [&](const std::string& key) -> std::optional<uint32_t> {
    size_t at = out.find(key);
    if (at == std::string::npos || at + key.size() >= out.size() ||
        !std::isdigit(static_cast<unsigned char>(out[at + key.size()]))) {
      return std::nullopt;
    }
    return static_cast<uint32_t>(std::strtoul(out.c_str() + at + key.size(), nullptr, 10));
  };
  std::optional<uint32_t> uid = number_after("uid=");
  std::optional<uint32_t> gid = number_after(" gid=");
  if (!uid || !gid) {
    return std::nullopt;
  }
  return UserIds{*uid, *gid};
}

}  // namespace raylaunch
