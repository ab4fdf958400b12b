// `raylaunch init`: a commented starter raylaunch.yml in the current folder,
// shaped by --gpus, --workers and --image, that `config` accepts as is.
#include "tools.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/keys.hpp>
#include <raylaunch/spec/loader.hpp>

#include <algorithm>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace raylaunch::cli {

namespace {

// The folder's name as a project name: lowercase letters, digits, "-" and "_".
std::string project_name_here() {
  std::string name;
  for (char c : std::filesystem::current_path().filename().string()) {
    auto u = static_cast<unsigned char>(c);
    name += std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : '-';
  }
  std::size_t first = name.find_first_not_of("-_");
  name = first == std::string::npos ? std::string() : name.substr(first, 40);
  return name.empty() ? std::string("ray") : name;
}

// --gpus 0,2 as the devices, each checked against the spec's own pattern.
std::vector<std::string> split_gpus(const std::string& text) {
  const std::regex device(std::string(find_spec_key(KeySection::top, "gpus")->pattern));
  std::vector<std::string> devices;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!std::regex_match(item, device)) {
      throw UsageError(fmt::format("invalid GPU device \"{}\" in --gpus", item),
                       "give indexes, GPU UUIDs or MIG ids, e.g. --gpus 0,2");
    }
    if (std::find(devices.begin(), devices.end(), item) != devices.end()) {
      throw UsageError(fmt::format("--gpus names device \"{}\" twice", item),
                       "list each device once, e.g. --gpus 0,1");
    }
    devices.push_back(item);
  }
  return devices;
}

std::string image_line(const InitOptions& options, bool gpus) {
  if (!options.image.empty()) {
    const std::regex image(std::string(find_spec_key(KeySection::top, "image")->pattern));
    if (!std::regex_match(options.image, image)) {
      throw UsageError(fmt::format("invalid image reference \"{}\"", options.image),
                       "e.g. --image rayproject/ray:2.52.1");
    }
    return fmt::format("image: {}\n", options.image);
  }
  return fmt::format(
      "# RAY_IMAGE, when set, picks another image (e.g. a local build).\n"
      "image: ${{RAY_IMAGE:-rayproject/ray:2.52.1{}}}\n",
      gpus ? "-gpu" : "");
}

std::string gpu_group(const std::vector<std::string>& devices) {
  if (devices.empty()) {
    return {};
  }
  return fmt::format(
      "  - group: gpu\n"
      "    replicas: {}                  # one container per device listed in gpus:\n"
      "    gpus: 1                       # devices each replica gets from the pool\n",
      devices.size());
}

std::string starter_spec(const InitOptions& options) {
  std::vector<std::string> devices = split_gpus(options.gpus);
  std::string gpus_line =
      devices.empty()
          ? std::string("# gpus: [0, 1]                 # the GPU devices this host may hand out\n")
          : fmt::format("gpus: [{}]                  # the GPU devices this host may hand out\n",
                        fmt::join(devices, ", "));
  return fmt::format(
      "# A Ray cluster in Docker, made by `raylaunch init`.\n"
      "#   raylaunch config      checks it and prints the plan\n"
      "#   raylaunch up          brings it up; raylaunch status shows it; raylaunch down removes "
      "it\n"
      "# Every key: docs/spec-reference.md. Editors check it with the schema:\n"
      "#   raylaunch schema > raylaunch.schema.json, then keep the next line\n"
      "# yaml-language-server: $schema=raylaunch.schema.json\n"
      "name: {}\n"
      "{}"
      "{}"
      "\n"
      "head:\n"
      "  num_cpus: 0                     # the head runs Ray's services, no tasks\n"
      "  ports: {{gcs: 6379, dashboard: 8265, client: 10001}}   # published on 127.0.0.1\n"
      "\n"
      "workers:\n"
      "  - group: cpu\n"
      "    replicas: {}\n"
      "    num_cpus: 2                   # CPUs Ray schedules on each replica\n"
      "    # memory: 8g                  # a memory limit; /dev/shm follows from it\n"
      "{}",
      project_name_here(), image_line(options, !devices.empty()), gpus_line, options.workers,
      gpu_group(devices));
}

}  // namespace

int run_init(const InitOptions& options) {
  const std::filesystem::path target = "raylaunch.yml";
  for (const char* existing : {"raylaunch.yml", "raylaunch.yaml"}) {
    if (std::filesystem::exists(existing)) {
      throw UsageError(fmt::format("{} already exists here; init does not overwrite it", existing),
                       "remove or rename it first, or run init in another folder");
    }
  }
  std::string text = starter_spec(options);
  // init writes only what `config` takes: the text is loaded and planned first.
  try {
    LoadOptions load;
    load.environment = process_environment();
    load.on_warning = [](const Diagnostic&) {};
    plan_cluster(load_spec_from_string(text, target.string(), load).spec);
  } catch (const Error& e) {
    throw UsageError(fmt::format("init would write a spec `config` refuses: {}", e.message()),
                     "check --gpus, --workers and --image");
  }
  std::ofstream out(target);
  out << text;
  out.close();
  if (!out) {
    throw Error(fmt::format("cannot write {}", target.string()),
                "check that this folder is writable");
  }
  std::cout << fmt::format(
      "wrote {}; check it with `raylaunch config`, start it with `raylaunch up`\n",
      target.string());
  return 0;
}

}  // namespace raylaunch::cli
