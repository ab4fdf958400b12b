// Look-ups `up` makes before it creates anything: who holds the names it is
// about to use, and how big the engine's machine is. They only read.
#include <raylaunch/engine/docker_engine.hpp>

#include <cstdlib>
#include <sstream>

namespace raylaunch {

namespace {

// As the engine's other look-ups: bounded by RAYLAUNCH_ENGINE_TIMEOUT.
std::chrono::milliseconds quick_timeout() { return engine_timeout(); }

}  // namespace

std::vector<NamedContainer> DockerEngine::containers_named(const std::string& prefix) {
  CommandResult ps = docker({"ps", "-a", "--no-trunc", "--filter", "name=^" + prefix, "--format",
                             "{{.ID}}\t{{.Names}}\t{{.Label \"io.raylaunch.project\"}}"},
                            quick_timeout());
  std::vector<NamedContainer> found;
  std::istringstream lines(ps.exit_code == 0 ? ps.out : "");
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find('\t');
    size_t second = first == std::string::npos ? first : line.find('\t', first + 1);
    if (second != std::string::npos) {
      found.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                       line.substr(second + 1)});
    }
  }
  return found;
}

EngineSize DockerEngine::size() {
  CommandResult info = docker({"info", "--format", "{{.NCPU}}\t{{.MemTotal}}"}, quick_timeout());
  EngineSize size;
  if (info.exit_code == 0) {
    std::istringstream fields(info.out);
    fields >> size.cpus >> size.memory;
  }
  return size;
}

std::optional<std::string> DockerEngine::owner_of(const std::string& container) {
  CommandResult inspected =
      docker({"inspect", "--type", "container", "--format",
              "{{.Id}}\t{{index .Config.Labels \"io.raylaunch.project\"}}", container},
             quick_timeout());
  size_t tab = inspected.out.find('\t');
  if (inspected.exit_code != 0 || tab == std::string::npos) {
    return std::nullopt;
  }
  std::string label = inspected.out.substr(tab + 1);
  while (!label.empty() && (label.back() == '\n' || label.back() == '\r')) {
    label.pop_back();
  }
  return label == "<no value>" ? std::string() : label;  // Go's word for a missing key
}

}  // namespace raylaunch
