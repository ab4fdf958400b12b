// Turns the YAML a user wrote into the typed ClusterSpec. Every value keeps
// where it was written, so any later complaint can point at the line, and
// every mistake is caught here, before a container exists. The YAML itself is
// read by yaml_reader.cpp, each value by value_reader.cpp, each section by
// sections.cpp and node_fields.cpp; the keys are declared in keys.cpp.
#include <raylaunch/spec/loader.hpp>

#include <fmt/format.h>

#include "sections.hpp"
#include "value_reader.hpp"
#include "yaml_reader.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

// The sections under the top level, in the order their mistakes are reported.
void load_sections(const ValueReader& reader, const YamlNode& root, ClusterSpec& spec,
                   const std::optional<std::string>& project_name) {
  load_name(reader, root, spec, project_name);
  if (const YamlNode* image = root.find("image")) {
    spec.image = reader.image_of(*image, "image");
  }
  if (const YamlNode* network = root.find("network")) {
    load_network(reader, *network, spec.network);
  }
  if (const YamlNode* gpus = root.find("gpus")) {
    load_gpu_pool(reader, *gpus, spec);
  }
  if (const YamlNode* auth = root.find("auth")) {
    load_auth(reader, *auth, spec.auth);
  }
  if (const YamlNode* hosts = root.find("hosts")) {
    load_hosts(reader, *hosts, spec);
  }
  if (const YamlNode* defaults = root.find("defaults")) {
    reader.expect_map(*defaults, "defaults");
    reader.check_keys(*defaults, KeySection::node, "under defaults");
    load_node(reader, *defaults, spec.defaults, spec.spec_dir);
  }
  if (const YamlNode* head = root.find("head")) {
    load_head(reader, *head, spec.head, spec.spec_dir);
    for (const YamlEntry& entry : root.entries) {
      if (entry.key.text == "head") {
        spec.head.where = entry.key.where;  // "the head has no image" points at `head:`
      }
    }
  } else {
    spec.head.where = root.where;
  }
  if (const YamlNode* workers = root.find("workers")) {
    load_workers(reader, *workers, spec, spec.spec_dir);
  }
}

// With auth: raylaunch sets RAY_AUTH_MODE and RAY_AUTH_TOKEN on every node;
// a node's env setting them too would be a second, conflicting source.
void check_auth_env(const ClusterSpec& spec) {
  if (!spec.auth.token) {
    return;
  }
  std::vector<const NodeSpec*> nodes = {&spec.defaults, &spec.head.node};
  for (const WorkerGroupSpec& group : spec.workers) {
    nodes.push_back(&group.node);
  }
  for (const NodeSpec* node : nodes) {
    for (const char* key : {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}) {
      if (auto found = node->env.find(key); found != node->env.end()) {
        throw SpecError(fmt::format("env {} is set by auth:", key),
                        "leave it out; auth: {mode: token} sets it on every node",
                        found->second.where);
      }
    }
  }
}

ClusterSpec load_cluster(const ValueReader& reader, const std::string& source,
                         const std::string& spec_dir,
                         const std::optional<std::string>& project_name) {
  YamlNode root = read_yaml(reader.file(), source);
  ClusterSpec spec;
  spec.file = reader.file();
  spec.source = source;
  spec.spec_dir = spec_dir;
  if (root.is_null()) {
    throw SpecError("the spec is empty", "start from examples/quickstart.yml",
                    SourceLocation{reader.file(), 1, 1});
  }
  reader.expect_map(root, "the spec");
  remember_env_secrets(reader, root);
  reader.check_keys(root, KeySection::top, "at the top of the spec");
  load_sections(reader, root, spec, project_name);
  check_auth_env(spec);
  check_hosts(spec);
  return spec;
}

}  // namespace

bool is_valid_project_name(const std::string& name) {
  static const std::regex k_project("[a-z0-9][a-z0-9_-]*");
  return std::regex_match(name, k_project);
}

VariableLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

LoadResult load_spec_from_string(const std::string& text, const std::string& file,
                                 const LoadOptions& options, const std::string& spec_dir) {
  LoadResult result;
  VariableLookup lookup = options.environment ? options.environment : process_environment();
  ValueReader reader(file, lookup, result.warnings, options.on_warning);
  result.spec = load_cluster(reader, text, spec_dir, options.project_name);
  return result;
}

LoadResult load_spec(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError(fmt::format("cannot read spec \"{}\": {}", path,
                                 fs::exists(path) ? "permission denied" : "no such file"),
                     "pass the spec with -f FILE, or run where raylaunch.yml is");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  fs::path dir = fs::absolute(fs::path(path)).parent_path();

  VariableLookup environment = options.environment ? options.environment : process_environment();
  std::map<std::string, std::string> dotenv;
  fs::path dotenv_path = dir / ".env";
  if (options.read_dotenv && fs::is_regular_file(dotenv_path)) {
    std::ifstream env_in(dotenv_path, std::ios::binary);
    std::stringstream env_text;
    env_text << env_in.rdbuf();
    try {
      dotenv = parse_env_file(env_text.str());
    } catch (const InterpolationFailure& failure) {
      std::string all = env_text.str();
      int line = 1 + static_cast<int>(std::count(all.begin(), all.begin() + failure.offset, '\n'));
      throw SpecError(failure.message, failure.hint, SourceLocation{dotenv_path.string(), line, 1});
    }
  }
  LoadOptions resolved = options;
  resolved.environment = [environment, dotenv](const std::string& name) {
    std::optional<std::string> value = environment(name);
    if (value) {
      return value;
    }
    auto found = dotenv.find(name);
    return found == dotenv.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  return load_spec_from_string(text, path, resolved, dir.string());
}

}  // namespace raylaunch
