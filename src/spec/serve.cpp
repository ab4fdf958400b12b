// `serve:`: a Serve config, inline or `config: FILE`, checked as Serve checks
// it (schema.py: unique names and route prefixes, the import_path form,
// num_replicas or autoscaling) and as Serve does not (misspelt keys), each
// mistake located in the file it is in.
#include <fmt/format.h>

#include "sections.hpp"
#include "serve_values.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <raylaunch/spec/loader.hpp>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

const YamlNode* field(const YamlNode& node, std::string_view key) {
  return node.is_map() ? node.find(key) : nullptr;
}

// The text of `config: FILE`, named as messages give it (beside the spec).
// A Serve config is a few kilobytes; this stops `config: /dev/zero`.
constexpr uintmax_t k_max_config_bytes = 16 << 20;

// `at` is where the spec names it; nullptr for `serve deploy FILE`.
std::string read_config(const ValueReader& reader, const YamlNode* at, const fs::path& path,
                        const std::string& shown) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  std::ifstream in(path, std::ios::binary);
  const char* why = fs::is_directory(status)                          ? "is a directory"
                    : !fs::exists(status)                             ? "no such file"
                    : !fs::is_regular_file(status)                    ? "is not a regular file"
                    : !in                                             ? "permission denied"
                    : fs::file_size(path, error) > k_max_config_bytes ? "is larger than 16 MiB"
                                                                      : nullptr;
  if (why != nullptr) {
    std::string message = fmt::format("cannot read Serve config \"{}\": {}", shown, why);
    if (at == nullptr) {
      throw UsageError(message, "name the Serve config file serve deploy takes");
    }
    reader.fail(*at, message, "config: is the file serve deploy takes, relative to the spec");
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A route prefix as Serve's schema takes it.
void check_route(const ValueReader& reader, const YamlNode& node, const std::string& route) {
  const char* wrong = !route.starts_with('/')                          ? "does not start with /"
                      : route.size() > 1 && route.ends_with('/')       ? "ends with /"
                      : route.find_first_of("{}") != std::string::npos ? "has { or }"
                                                                       : nullptr;
  if (wrong != nullptr) {
    reader.fail(node, fmt::format("route_prefix \"{}\" {}", route, wrong),
                "Serve takes a path that starts with /, with no / at its end (but \"/\" itself) "
                "and no braces, e.g. route_prefix: /qwen");
  }
}

// runtime_env.working_dir: a local folder is packaged by up; py_modules must
// be remote, as Serve requires (raylaunch does not package them).
void read_runtime_env(const ValueReader& reader, const YamlNode& env, const fs::path& dir,
                      ServeAppSpec& app) {
  if (const YamlNode* modules = field(env, "py_modules"); modules && modules->is_sequence()) {
    for (const YamlNode& item : modules->items) {
      if (item.is_scalar() && item.text.find("://") == std::string::npos) {
        reader.fail(item, fmt::format("py_modules entry \"{}\" is a local path", item.text),
                    "Serve takes only remote URIs in py_modules (s3://, gs://, https://...zip); "
                    "put local code in runtime_env.working_dir, which up uploads");
      }
    }
  }
  const YamlNode* working_dir = field(env, "working_dir");
  if (working_dir == nullptr || working_dir->is_null()) {
    return;
  }
  std::string text = reader.string_of(*working_dir, "working_dir").value;
  if (text.find("://") != std::string::npos) {
    return;  // a remote URI, Serve's to fetch
  }
  fs::path folder = fs::path(text).is_absolute() ? fs::path(text) : dir / text;
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    reader.fail(*working_dir, fmt::format("working_dir \"{}\" is not a folder", text),
                "a local working_dir is a folder, relative to the file it is written in; up "
                "packages and uploads it");
  }
  app.local_working_dir =
      Located<std::string>{folder.lexically_normal().string(), working_dir->where};
}

// `json`'s number at `key`, when it has one.
std::optional<double> number_at(const Json& json, const char* key) {
  auto found = json.find(key);
  return found != json.end() && found->is_number() ? std::optional<double>(found->get<double>())
                                                   : std::nullopt;
}

void read_deployment(const ValueReader& reader, const YamlNode& node, Json& json,
                     ServeDeploymentSpec& out) {
  out.where = node.where;
  const YamlNode* name = field(node, "name");
  if (name == nullptr) {
    reader.fail(node, "a deployment has no name", "name the deployment of the app's code it sets");
  }
  out.name = {json.at("name").get<std::string>(), name->where};
  const YamlNode* replicas = field(node, "num_replicas");
  const YamlNode* autoscaling = field(node, "autoscaling_config");
  bool scaled = autoscaling != nullptr && !autoscaling->is_null();
  if (replicas != nullptr && !replicas->is_null()) {
    std::string text = json.at("num_replicas").get<std::string>();
    if (text == "auto") {
      out.autoscaling = true;
      out.max_replicas = 100;  // Serve's default for "auto"
    } else {
      static const SpecKey k_count = {.name = "num_replicas",
                                      .type = KeyType::integer,
                                      .range = KeyRange{.min = 1, .max = 1e12},
                                      .example = "2"};
      out.num_replicas = reader.int_of(*replicas, "num_replicas", k_count).value;
      json["num_replicas"] = *out.num_replicas;
      out.min_replicas = out.max_replicas = *out.num_replicas;
      if (scaled) {
        reader.fail(*replicas,
                    fmt::format("deployment \"{}\" sets both num_replicas and autoscaling_config",
                                out.name.value),
                    "Serve refuses a number of replicas with autoscaling: remove num_replicas, "
                    "or autoscaling_config");
      }
    }
  }
  if (scaled) {
    out.autoscaling = true;
    const Json& config = json.at("autoscaling_config");
    auto count = [&](const char* key, int64_t fallback) {
      std::optional<double> value = number_at(config, key);
      return value ? static_cast<int64_t>(*value) : fallback;
    };
    out.min_replicas = count("min_replicas", 1);
    out.max_replicas = count("max_replicas", 1);
    int64_t initial = count("initial_replicas", out.min_replicas);
    if (out.min_replicas > out.max_replicas || initial < out.min_replicas ||
        initial > out.max_replicas) {
      reader.fail(*autoscaling,
                  fmt::format("autoscaling_config of deployment \"{}\" needs min_replicas <= "
                              "initial_replicas <= max_replicas, got {}, {}, {}",
                              out.name.value, out.min_replicas, initial, out.max_replicas),
                  "Serve refuses it; e.g. min_replicas: 1, max_replicas: 4");
    }
  }
  const YamlNode* actor = field(node, "ray_actor_options");
  out.asks_where = actor ? actor->where : node.where;
  if (actor != nullptr && actor->is_map()) {
    const Json& options = json.at("ray_actor_options");
    out.num_cpus = number_at(options, "num_cpus");
    out.num_gpus = number_at(options, "num_gpus");
    out.memory = number_at(options, "memory");
    if (auto resources = options.find("resources");
        resources != options.end() && resources->is_object()) {
      for (const auto& [key, amount] : resources->items()) {
        out.resources[key] = amount.get<double>();
      }
    }
  }
}

void read_app(const ValueReader& reader, const YamlNode& node, Json& json, const fs::path& dir,
              ServeAppSpec& app) {
  app.where = node.where;
  const YamlNode* name = field(node, "name");
  app.name = name ? Located<std::string>{json.at("name").get<std::string>(), name->where}
                  : Located<std::string>{"default", node.where};
  if (app.name.value.empty()) {
    reader.fail(*name, "an application's name is empty", "Serve takes a name that is not empty");
  }
  const YamlNode* import = field(node, "import_path");
  if (import == nullptr) {
    reader.fail(node, fmt::format("application \"{}\" has no import_path", app.name.value),
                "name the app to deploy, e.g. import_path: serve_llm:app");
  }
  app.import_path = {json.at("import_path").get<std::string>(), import->where};
  static const std::regex k_import(
      std::string(find_spec_key(KeySection::serve_app, "import_path")->pattern));
  if (!std::regex_match(app.import_path.value, k_import) ||
      app.import_path.value.find_first_of(".:") == std::string::npos) {
    reader.fail(*import,
                fmt::format("import_path \"{}\" is not module:attribute", app.import_path.value),
                "Serve imports module:attribute or module.attribute, e.g. serve_llm:app");
  }
  if (const YamlNode* route = field(node, "route_prefix")) {
    app.route_prefix = route->is_null()
                           ? std::nullopt
                           : std::optional<std::string>(json.at("route_prefix").get<std::string>());
    if (app.route_prefix) {
      check_route(reader, *route, *app.route_prefix);
    }
  }
  if (const YamlNode* env = field(node, "runtime_env")) {
    read_runtime_env(reader, *env, dir, app);
  }
  std::set<std::string> names;
  if (const YamlNode* deployments = field(node, "deployments")) {
    for (size_t i = 0; i < deployments->items.size(); ++i) {
      const YamlNode& item = deployments->items[i];
      ServeDeploymentSpec deployment;
      read_deployment(reader, item, json.at("deployments").at(i), deployment);
      if (!names.insert(deployment.name.value).second) {
        reader.fail(*field(item, "name"),
                    fmt::format("deployment \"{}\" is given twice in application \"{}\"",
                                deployment.name.value, app.name.value),
                    "keep one entry per deployment");
      }
      app.deployments.push_back(std::move(deployment));
    }
  }
}

// Serve's own rules across the apps: unique names and route prefixes.
void read_apps(const ValueReader& reader, const YamlNode& config, Json& json, const fs::path& dir,
               ServeSpec& serve) {
  const YamlNode* apps = field(config, "applications");
  if (apps == nullptr) {
    reader.fail(config, "the Serve config has no applications",
                "list the apps under applications:, e.g. - {name: llm, import_path: "
                "serve_llm:app}; applications: [] deploys none");
  }
  std::map<std::string, std::string> routes;  // prefix -> app
  std::set<std::string> names;
  for (size_t i = 0; i < apps->items.size(); ++i) {
    const YamlNode& item = apps->items[i];
    ServeAppSpec app;
    read_app(reader, item, json.at("applications").at(i), dir, app);
    const YamlNode& at = field(item, "name") ? *field(item, "name") : item;
    if (!names.insert(app.name.value).second) {
      reader.fail(at, fmt::format("application \"{}\" is given twice", app.name.value),
                  "give each application its own name; Serve refuses duplicates");
    }
    if (app.route_prefix) {
      auto [taken, fresh] = routes.emplace(*app.route_prefix, app.name.value);
      if (!fresh) {
        reader.fail(field(item, "route_prefix") ? *field(item, "route_prefix") : item,
                    fmt::format("applications \"{}\" and \"{}\" both use route_prefix \"{}\"",
                                taken->second, app.name.value, *app.route_prefix),
                    "give each application its own route_prefix");
      }
    }
    serve.apps.push_back(std::move(app));
  }
  if (auto http = json.find("http_options"); http != json.end() && http->is_object()) {
    if (std::optional<double> port = number_at(*http, "port")) {
      serve.http_port = static_cast<int>(*port);
    }
  }
}

// The Serve config file at `absolute`, named `shown` in messages.
ServeSpec read_serve_file(const ValueReader& reader, const YamlNode* at, const fs::path& absolute,
                          const std::string& shown) {
  ServeSpec serve;
  std::string text = read_config(reader, at, absolute, shown);
  remember_source(shown, text);
  ValueReader file_reader = reader.reading(shown, false);
  YamlNode root = read_yaml(shown, text);
  if (root.is_null()) {
    throw SpecError(fmt::format("Serve config \"{}\" is empty", shown),
                    "write the config serve deploy takes: applications: [...]",
                    SourceLocation{shown, 1, 1});
  }
  if (root.is_map() && root.find("config") != nullptr) {
    file_reader.fail(*root.find("config"), "a Serve config file cannot name another",
                     "write the applications in this file");
  }
  Json json = ServeValues(file_reader).section(root, KeySection::serve, "");
  serve.file = shown;
  serve.dir = absolute.parent_path().lexically_normal().string();
  serve.where = root.where;
  read_apps(file_reader, root, json, serve.dir, serve);
  serve.config_json = json.dump();
  return serve;
}

}  // namespace

ServeSpec load_serve_file(const std::string& path) {
  std::vector<Diagnostic> warnings;
  ValueReader reader(path, process_environment(), warnings, nullptr);
  return read_serve_file(reader, nullptr, fs::absolute(path), path);
}

void load_serve(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec) {
  reader.expect_map(node, "serve");
  ServeSpec serve;
  serve.where = node.where;
  serve.file = reader.file();
  serve.dir = spec.spec_dir;
  const YamlNode* config = field(node, "config");
  if (config == nullptr) {
    Json json = ServeValues(reader).section(node, KeySection::serve, "");
    read_apps(reader, node, json, serve.dir, serve);
    serve.config_json = json.dump();
  } else {
    reader.check_keys(node, KeySection::serve, "under serve");
    if (node.entries.size() > 1) {
      const YamlEntry& other = node.entries[node.entries[0].key.text == "config" ? 1 : 0];
      reader.fail(other.key, fmt::format("serve has both config: and {}:", other.key.text),
                  "write the Serve config in the file config: names, or inline, not both");
    }
    std::string path = reader.string_of(*config, "config").value;
    fs::path absolute =
        fs::path(path).is_absolute() ? fs::path(path) : fs::path(spec.spec_dir) / path;
    std::string shown =
        fs::path(path).is_absolute()
            ? path
            : (fs::path(spec.file).parent_path() / path).lexically_normal().string();
    serve = read_serve_file(reader, config, absolute, shown);
    serve.where = node.where;
  }
  if (!spec.head.ports.serve) {
    spec.head.ports.serve = Located<int>{8000, node.where};
  }
  spec.serve = std::move(serve);
}

}  // namespace raylaunch
