// Turns the command line into options and calls the core; the only file that
// includes CLI11, and the one place that catches Error and picks exit codes.
#include <raylaunch/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/plan_output.hpp>
#include <raylaunch/planner.hpp>
#include <raylaunch/spec_loader.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

struct CommonOptions {
  std::string file;
  std::string project_name;
  std::string docker;
  std::string context;
};

struct ConfigOptions {
  std::string format = "yaml";
  bool quiet = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void print_diagnostic(const Diagnostic& diagnostic) {
  std::string source;
  if (diagnostic.where && !diagnostic.where->file.empty()) {
    source = read_text(diagnostic.where->file);
  }
  std::cerr << format_diagnostic(diagnostic, source);
}

// `-f` when given, else raylaunch.yml (or .yaml) in the current folder.
std::string spec_path(const CommonOptions& common) {
  if (!common.file.empty()) {
    return common.file;
  }
  for (const char* name : {"raylaunch.yml", "raylaunch.yaml"}) {
    if (fs::exists(name)) {
      return name;
    }
  }
  throw UsageError("no spec: raylaunch.yml is not in the current folder",
                   "pass the spec with -f FILE");
}

LoadResult load(const CommonOptions& common) {
  LoadOptions options;
  if (!common.project_name.empty()) {
    options.project_name = common.project_name;
  }
  return load_spec(spec_path(common), options);
}

Plan load_and_plan(const CommonOptions& common) {
  LoadResult loaded = load(common);
  Plan plan = plan_cluster(loaded.spec);
  for (const Diagnostic& warning : loaded.warnings) {
    print_diagnostic(warning);
  }
  for (const Diagnostic& warning : plan.warnings) {
    print_diagnostic(warning);
  }
  return plan;
}

int run_config(const CommonOptions& common, const ConfigOptions& options) {
  Plan plan = load_and_plan(common);
  if (!options.quiet) {
    std::cout << (options.format == "json" ? plan_to_json(plan) : plan_to_yaml(plan));
  }
  return 0;
}

void add_common(CLI::App& command, CommonOptions& common, bool docker) {
  command.add_option("-f,--file", common.file, "The cluster spec (default: raylaunch.yml here)");
  command.add_option("-p,--project-name", common.project_name,
                     "The project's name (default: the spec's name:)");
  if (docker) {
    command.add_option("--docker", common.docker,
                       "The docker program (default: $RAYLAUNCH_DOCKER or docker)");
    command.add_option("--context", common.context, "The Docker context to use");
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"raylaunch: one YAML file to a Ray cluster in Docker", "raylaunch"};
  app.set_version_flag("--version", fmt::format("raylaunch {}", k_version));
  app.require_subcommand(1);
  app.fallthrough();

  CommonOptions common;
  ConfigOptions config_options;
  CLI::App* config = app.add_subcommand("config", "Print the resolved plan of the spec");
  add_common(*config, common, false);
  config->add_option("--format", config_options.format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}));
  config->add_flag("-q,--quiet", config_options.quiet, "Only validate; print nothing");

  bool dry_run = false;
  bool no_wait = false;
  int timeout = 180;
  int parallel = 8;
  std::string progress = "auto";
  CLI::App* up = app.add_subcommand("up", "Create or converge the cluster, wait until Ray has every node");
  add_common(*up, common, true);
  up->add_flag("--dry-run", dry_run, "Print the docker commands, run none");
  up->add_flag("--no-wait", no_wait, "Return when the containers run, before Ray has every node");
  bool wait = true;
  up->add_flag("--wait", wait, "Wait until Ray has every node (the default)");
  up->add_option("--timeout", timeout, "Seconds to wait for every node to join (default 180)");
  up->add_option("--parallel", parallel, "Docker commands at once (default 8)")
      ->check(CLI::Range(1, 64));
  up->add_option("--progress", progress, "auto, tty, plain or json")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json"}));

  int down_timeout = 10;
  bool volumes = false;
  CLI::App* down = app.add_subcommand("down", "Remove the cluster's containers and network");
  add_common(*down, common, true);
  down->add_option("-t,--timeout", down_timeout, "Seconds to wait for Ray to stop (default 10)");
  down->add_flag("-v,--volumes", volumes, "Also remove the project's volumes");

  bool json = false;
  CLI::App* status = app.add_subcommand("status", "Show the containers and Ray's view of them");
  add_common(*status, common, true);
  status->add_flag("--json", json, "Print a JSON document");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    std::cerr << fmt::format("raylaunch: error: {}\nhint: see raylaunch --help\n", e.what());
    return 2;
  }

  try {
    if (config->parsed()) {
      return run_config(common, config_options);
    }
    // TODO(raylaunch): up, down and status land with the Docker executor (issue 3).
    throw ExecError("this command is not implemented yet", "raylaunch config shows the plan");
  } catch (const SpecError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 2;
  } catch (const UsageError& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 2;
  } catch (const Error& e) {
    print_diagnostic({Severity::error, e.message(), e.hint(), e.where()});
    return 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("raylaunch: internal error: {}\n", e.what());
    return 70;
  }
}

}  // namespace raylaunch
