// Which user an image runs as, for the host folders it bind-mounts: Docker's
// `Config.User` as `image inspect` prints it, and `id` run in the image when
// only a name or a bare uid is known.
#include <raylaunch/engine/docker_engine.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace raylaunch {

std::map<std::string, std::string> parse_image_users(const std::string& out,
                                                     const std::vector<std::string>& images,
                                                     const std::vector<std::string>& missing) {
  std::map<std::string, std::string> users;
  std::vector<std::string> lines;
  std::istringstream stream(out);
  for (std::string text; std::getline(stream, text);) {
    if (!text.empty()) {
      lines.push_back(text);
    }
  }
  size_t line = 0;
  for (const std::string& image : images) {
    if (std::find(missing.begin(), missing.end(), image) != missing.end()) {
      continue;
    }
    if (line == lines.size()) {
      break;
    }
    // `{{.Id}}\t{{json .Config.User}}`: the user as a JSON string.
    std::string quoted = lines[line++];
    size_t tab = quoted.find('\t');
    nlohmann::json user = nlohmann::json::parse(
        tab == std::string::npos ? std::string() : quoted.substr(tab + 1), nullptr, false);
    users[image] = user.is_string() ? user.get<std::string>() : std::string();
  }
  return users;
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
