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
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <utility>

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
  if (const YamlNode* autoscale = root.find("autoscale")) {
    load_autoscale(reader, *autoscale, spec.autoscale);
  }
  if (const YamlNode* defaults = root.find("defaults")) {
    reader.expect_map(*defaults, "defaults");
    reader.check_keys(*defaults, KeySection::node, "under defaults");
    load_node(reader, *defaults, spec.defaults, spec.spec_dir);
  }
  if (const YamlNode* head = root.find("head")) {
    load_head(reader, *head, spec.head, spec.spec_dir, &spec.defaults);
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
  if (const YamlNode* serve = root.find("serve")) {
    load_serve(reader, *serve, spec);
    for (const YamlEntry& entry : root.entries) {
      if (entry.key.text == "serve") {
        spec.serve->where = entry.key.where;  // what compose cannot do points at `serve:`
      }
    }
  }
}

// The first of `keys` that the env of one of `nodes` sets, where it does.
std::optional<std::pair<const char*, SourceLocation>> env_setting(
    const std::vector<const NodeSpec*>& nodes, std::initializer_list<const char*> keys) {
  for (const NodeSpec* node : nodes) {
    for (const char* key : keys) {
      if (auto found = node->env.find(key); found != node->env.end()) {
        return std::pair{key, found->second.where};
      }
    }
  }
  return std::nullopt;
}

// The node settings a check walks: defaults, the head unless left out, each group.
std::vector<const NodeSpec*> node_specs(const ClusterSpec& spec, bool with_head) {
  std::vector<const NodeSpec*> nodes = {&spec.defaults};
  if (with_head) {
    nodes.push_back(&spec.head.node);
  }
  for (const WorkerGroupSpec& group : spec.workers) {
    nodes.push_back(&group.node);
  }
  return nodes;
}

// With auth: raylaunch sets RAY_AUTH_MODE and RAY_AUTH_TOKEN on every node;
// a node's env setting them too would be a second, conflicting source.
void check_auth_env(const ClusterSpec& spec) {
  if (!spec.auth.token) {
    return;
  }
  if (auto set = env_setting(node_specs(spec, true), {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"})) {
    throw SpecError(fmt::format("env {} is set by auth:", set->first),
                    "leave it out; auth: {mode: token} sets it on every node", set->second);
  }
}

// Every worker gets RAY_CLOUD_INSTANCE_ID (its container's name) and
// RAY_NODE_TYPE_NAME (its group), how the autoscaler knows Ray's nodes.
void check_identity_env(const ClusterSpec& spec) {
  if (auto set =
          env_setting(node_specs(spec, false), {"RAY_CLOUD_INSTANCE_ID", "RAY_NODE_TYPE_NAME"})) {
    throw SpecError(fmt::format("env {} is set by raylaunch on every worker", set->first),
                    "leave it out; it is the container's name (RAY_CLOUD_INSTANCE_ID) or "
                    "its group (RAY_NODE_TYPE_NAME), as KubeRay sets them",
                    set->second);
  }
}

// The spec's top level: a mapping.
YamlNode read_root(const ValueReader& reader, const std::string& source) {
  YamlNode root = read_yaml(reader.file(), source);
  if (root.is_null()) {
    throw SpecError("the spec is empty", "start from examples/quickstart.yml",
                    SourceLocation{reader.file(), 1, 1});
  }
  reader.expect_map(root, "the spec");
  return root;
}

ClusterSpec load_cluster(const ValueReader& reader, const std::string& source,
                         const std::string& spec_dir,
                         const std::optional<std::string>& project_name) {
  YamlNode root = read_root(reader, source);
  ClusterSpec spec;
  spec.file = reader.file();
  spec.source = source;
  spec.spec_dir = spec_dir;
  remember_env_secrets(reader, root);
  reader.check_keys(root, KeySection::top, "at the top of the spec");
  load_sections(reader, root, spec, project_name);
  check_auth_env(spec);
  check_identity_env(spec);
  check_hosts(spec);
  return spec;
}

// A spec is a few kilobytes; this stops `-f /dev/zero` or an endless pipe
// long before memory runs out.
constexpr size_t k_max_spec_bytes = 16 << 20;

std::mutex g_sources_mutex;

// The text of every spec read, by the name messages give it.
std::map<std::string, std::shared_ptr<const std::string>>& remembered_sources() {
  static std::map<std::string, std::shared_ptr<const std::string>> sources;
  return sources;
}

// All of `in`; `what` names it in messages, e.g. `spec "x.yml"`.
std::string read_all(std::istream& in, const std::string& what) {
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > k_max_spec_bytes) {
      throw UsageError(fmt::format("{} is larger than {} MiB", what, k_max_spec_bytes >> 20),
                       "a spec is a few kilobytes of YAML; is this the right file?");
    }
  }
  if (in.bad()) {
    throw UsageError(fmt::format("cannot read {}: {}", what, std::strerror(errno)),
                     "pass the spec with -f FILE, or run where raylaunch.yml is");
  }
  return text;
}

// The variables of the `.env` file at `path`, named `shown` in messages; none
// when there is no such file. One that is there but cannot be read is an
// error: its variables would silently be missing.
std::map<std::string, std::string> read_dotenv(const fs::path& path, const std::string& shown) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(path, error))) {
    return {};
  }
  const char* hint =
      "raylaunch reads KEY=VALUE lines from the file .env beside the spec; fix or remove it";
  fs::file_status status = fs::status(path, error);
  if (fs::is_directory(status)) {
    throw SpecError(fmt::format("cannot read \"{}\": is a directory", shown), hint);
  }
  std::ifstream in(path, std::ios::binary);
  if (!fs::exists(status) || !in) {
    throw SpecError(fmt::format("cannot read \"{}\": {}", shown,
                                fs::exists(status) ? "permission denied" : "no such file"),
                    hint);
  }
  std::string text = read_all(in, fmt::format("\"{}\"", shown));
  try {
    return parse_env_file(text);
  } catch (const InterpolationFailure& failure) {
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + failure.offset, '\n'));
    throw SpecError(failure.message, failure.hint, SourceLocation{shown, line, 1});
  }
}

// A spec as read from its file, with the lookup of its variables: the
// environment, then the `.env` file beside it.
struct SpecInput {
  std::string text;
  std::string file;  // as messages name it
  std::string dir;   // absolute: relative volume paths and `.env` are there
  LoadOptions options;
};

SpecInput open_spec(const std::string& path, const LoadOptions& options) {
  bool from_stdin = path == "-";
  SpecInput input{read_spec_text(path), from_stdin ? std::string(k_stdin_name) : path, {}, options};
  remember_source(input.file, input.text);
  // A spec on stdin is the current folder's, as with `docker compose -f -`.
  fs::path dir = from_stdin ? fs::current_path() : fs::absolute(fs::path(path)).parent_path();
  input.dir = dir.string();
  VariableLookup environment = options.environment ? options.environment : process_environment();
  std::map<std::string, std::string> dotenv;
  if (options.read_dotenv) {
    fs::path shown = from_stdin ? fs::path(".env") : fs::path(path).parent_path() / ".env";
    dotenv = read_dotenv(dir / ".env", shown.string());
  }
  input.options.environment = [environment, dotenv](const std::string& name) {
    std::optional<std::string> value = environment(name);
    if (value) {
      return value;
    }
    auto found = dotenv.find(name);
    return found == dotenv.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  return input;
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
  SpecInput input = open_spec(path, options);
  return load_spec_from_string(input.text, input.file, input.options, input.dir);
}

std::string load_project_name(const std::string& path, const LoadOptions& options) {
  SpecInput input = open_spec(path, options);
  std::vector<Diagnostic> warnings;
  ValueReader reader(input.file, input.options.environment, warnings, input.options.on_warning);
  YamlNode root = read_root(reader, input.text);
  ClusterSpec spec;
  spec.spec_dir = input.dir;
  load_name(reader, root, spec, input.options.project_name);
  return spec.name.value;
}

std::string read_spec_text(const std::string& path) {
  if (path == "-") {
    // Standard input can be read once; a command that loads the spec twice
    // (run: up, then down) gets the same text again.
    static const std::string k_stdin_text = read_all(std::cin, "the spec on stdin");
    return k_stdin_text;
  }
  std::error_code ignored;
  if (fs::is_directory(path, ignored)) {
    throw UsageError(fmt::format("cannot read spec \"{}\": is a directory", path),
                     fmt::format("pass the spec file in it, e.g. -f {}/raylaunch.yml",
                                 fs::path(path).lexically_normal().string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError(fmt::format("cannot read spec \"{}\": {}", path,
                                 fs::exists(path) ? "permission denied" : "no such file"),
                     "pass the spec with -f FILE, or run where raylaunch.yml is");
  }
  return read_all(in, fmt::format("spec \"{}\"", path));
}

void remember_source(const std::string& file, const std::string& text) {
  std::lock_guard<std::mutex> lock(g_sources_mutex);
  remembered_sources()[file] = std::make_shared<const std::string>(text);
}

std::shared_ptr<const std::string> remembered_source(const std::string& file) {
  std::lock_guard<std::mutex> lock(g_sources_mutex);
  auto found = remembered_sources().find(file);
  return found == remembered_sources().end() ? nullptr : found->second;
}

}  // namespace raylaunch
