// `up` re-creates a container exactly when its config hash changes, so the
// hash is a fixed, length-prefixed text of the container's settings; the
// golden plans hold it byte for byte.
#include <raylaunch/plan/config_hash.hpp>

#include <raylaunch/base/sha256.hpp>
#include <raylaunch/plan/ray_start.hpp>

#include <fmt/format.h>

#include <string_view>

namespace raylaunch {

std::string config_hash(const PlannedContainer& c, const std::string& network) {
  std::string text;
  text.reserve(1024);
  // Each value carries its length, so no value can pass for two fields.
  auto field = [&](std::string_view key, std::string_view value) {
    text += key;
    text += '=';
    text += std::to_string(value.size());
    text += ':';
    text += value;
    text += '\n';
  };
  field("name", c.name);
  if (!c.host.empty()) {
    field("host", c.host);  // a node that moves to another host is a new container there
  }
  field("image", c.image);
  field("network", network);
  for (const std::string& arg : c.command) {
    field("command", arg);
  }
  for (const PortBinding& port : c.ports) {
    field("port", port.count > 1 ? fmt::format("{}:{}:{}:{}", port.host_ip, port.host_port,
                                               port.container_port, port.count)
                                 : fmt::format("{}:{}:{}", port.host_ip, port.host_port,
                                               port.container_port));
  }
  for (const std::string& gpu : c.gpus) {
    field("gpu", gpu);
  }
  field("shm", std::to_string(c.shm_size));
  field("memory", c.memory ? std::to_string(*c.memory) : "");
  field("cpus", c.cpus ? format_number(*c.cpus) : "");
  for (const auto& [key, value] : c.env) {
    field("env", key + "=" + value);
  }
  for (const Mount& mount : c.mounts) {
    field("mount", fmt::format("{}:{}:{}:{}", mount.volume ? "volume" : "bind", mount.source,
                               mount.target, mount.read_only ? "ro" : "rw"));
  }
  field("restart", restart_to_string(c.restart));
  for (const auto& [key, value] : c.labels) {
    if (key.rfind("io.raylaunch.", 0) != 0) {
      field("label", key + "=" + value);
    }
  }
  return sha256_hex(text);
}

}  // namespace raylaunch
