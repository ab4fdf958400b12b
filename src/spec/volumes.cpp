// The `volumes:` of a node, in compose's short syntax. What Docker would take
// and then do something else with is refused here: a placeholder raylaunch
// does not know (it would stay in the path as written), a mount over the
// /dev/shm raylaunch sizes, or over the container's whole file system.
#include "sections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

// "{name}, {group} and {replica}", with `last` before the last one.
std::string placeholder_list(const char* last) {
  std::string list;
  size_t count = std::size(k_volume_placeholders);
  for (size_t i = 0; i < count; ++i) {
    list += (i == 0 ? "" : i + 1 == count ? last : ", ") + std::string(k_volume_placeholders[i]);
  }
  return list;
}

// Braces in a source are for placeholders only; anything else in them would
// reach Docker as written.
void check_placeholders(const ValueReader& reader, const YamlNode& item, const std::string& source,
                        const std::string& entry) {
  for (size_t at = source.find_first_of("{}"); at != std::string::npos;
       at = source.find_first_of("{}", at)) {
    size_t close = source[at] == '{' ? source.find_first_of("{}", at + 1) : std::string::npos;
    if (close == std::string::npos || source[close] != '}') {
      reader.fail(item, fmt::format("unmatched \"{}\" in volume \"{}\"", source[at], entry),
                  fmt::format("braces in a volume source write a placeholder: {}",
                              placeholder_list(" or ")));
    }
    std::string_view name = std::string_view(source).substr(at, close - at + 1);
    if (std::find(std::begin(k_volume_placeholders), std::end(k_volume_placeholders), name) ==
        std::end(k_volume_placeholders)) {
      reader.fail(item, fmt::format("unknown placeholder \"{}\" in volume \"{}\"", name, entry),
                  fmt::format("the placeholders are {}", placeholder_list(" and ")));
    }
    at = close + 1;
  }
}

// `/dev/shm` is raylaunch's to size (docker run --shm-size), and a mount on
// `/` would hide the image; both are the path after normalization.
void check_target(const ValueReader& reader, const YamlNode& item, const std::string& target) {
  if (target[0] != '/') {
    reader.fail(item, fmt::format("volume target \"{}\" must be an absolute path", target),
                "e.g. - ./logs:/tmp/ray");
  }
  std::string normal = fs::path(target).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') {
    normal.pop_back();
  }
  if (normal == "/dev/shm") {
    reader.fail(item,
                fmt::format("volume target \"{}\" is /dev/shm, which raylaunch sizes", target),
                "set shm_size instead, e.g. shm_size: 8g; Ray keeps its object store there");
  }
  if (normal == "/") {
    reader.fail(item,
                fmt::format("volume target \"{}\" would hide the container's whole file "
                            "system",
                            target),
                "mount on a folder of its own, e.g. - ./data:/data");
  }
}

// A host path (/, ./, ~/) made absolute; else a named volume of the project.
void resolve_volume_source(const ValueReader& reader, const YamlNode& item,
                           const std::string& source, const std::string& spec_dir,
                           VolumeSpec& volume) {
  static const std::regex k_volume_name("[a-zA-Z0-9{][a-zA-Z0-9_.{}-]*");
  if (source[0] == '/' || source[0] == '.' || source[0] == '~') {
    fs::path path = source;
    if (source[0] == '~') {
      std::optional<std::string> home = reader.lookup("HOME");
      if ((source.size() > 1 && source[1] != '/') || !home || home->empty()) {
        reader.fail(item, fmt::format("cannot resolve \"{}\"", source),
                    "only ~/ is understood, and HOME must be set; or write an absolute path");
      }
      path = fs::path(*home) / source.substr(source.size() > 1 ? 2 : 1);
    } else if (source[0] == '.') {
      path = fs::path(spec_dir) / source;
    }
    volume.source = path.lexically_normal().string();
    if (volume.source.size() > 1 && volume.source.back() == '/') {
      volume.source.pop_back();
    }
  } else if (std::regex_match(source, k_volume_name)) {
    volume.source = source;
    volume.named = true;
  } else {
    reader.fail(item, fmt::format("invalid volume source \"{}\"", source),
                "a host path starts with /, ./ or ~/; a named volume is letters, digits, _.-");
  }
}

// One `SOURCE:TARGET[:ro|rw]` entry.
VolumeSpec volume_of(const ValueReader& reader, const YamlNode& item, const std::string& spec_dir) {
  if (item.is_null()) {
    reader.fail(item, "a volume entry is empty",
                "write SOURCE:TARGET after the dash, or remove the line");
  }
  std::string text = reader.string_of(item, "volumes").value;
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ':');) {
    parts.push_back(part);
  }
  VolumeSpec volume;
  volume.where = item.where;
  if (parts.size() == 3 && (parts[2] == "ro" || parts[2] == "rw")) {
    volume.read_only = parts[2] == "ro";
    parts.pop_back();
  }
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    reader.fail(item, fmt::format("volume \"{}\" must be SOURCE:TARGET[:ro]", text),
                "e.g. - ./logs:/tmp/ray or - /data/models:/models:ro");
  }
  volume.target = parts[1];
  check_target(reader, item, volume.target);
  check_placeholders(reader, item, parts[0], text);
  resolve_volume_source(reader, item, parts[0], spec_dir, volume);
  return volume;
}

}  // namespace

void load_volumes(const ValueReader& reader, const YamlNode& node, NodeSpec& out,
                  const std::string& spec_dir) {
  reader.expect_sequence(node, "volumes", "write a list such as - ./logs:/tmp/ray");
  out.volumes_where = node.where;
  std::set<std::string> targets;
  for (const YamlNode& item : node.items) {
    VolumeSpec volume = volume_of(reader, item, spec_dir);
    if (!targets.insert(volume.target).second) {
      reader.fail(item, fmt::format("two volumes mount on {}", volume.target),
                  "give each volume its own target");
    }
    out.volumes.push_back(std::move(volume));
  }
}


}  // namespace raylaunch
