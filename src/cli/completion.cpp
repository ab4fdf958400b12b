// Shell completion. The scripts for bash, zsh and fish are thin: each asks
// `raylaunch __complete WORDS...` for the candidates, and the binary answers
// from the parser's own definition (commands, options, the values an option's
// check accepts), the spec files here, and the running project's node names,
// read from its containers' labels through one `docker ps`.
#include "tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_engine.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace raylaunch::cli {

namespace {

// Where the words before the one being completed leave the parser.
struct Position {
  const CLI::App* command = nullptr;
  std::vector<const CLI::App*> chain;        // the program, then each command
  const CLI::Option* wants_value = nullptr;  // the previous word is an option taking a value
  std::size_t positionals = 0;
  bool after_dashes = false;
  CommonOptions common;
};

const CLI::Option* find_option(const std::vector<const CLI::App*>& chain, const std::string& word) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (const CLI::Option* option = (*it)->get_option_no_throw(word)) {
      return option;
    }
  }
  return nullptr;
}

bool takes_value(const CLI::Option* option) {
  return option != nullptr && option->get_expected_min() != 0 && !option->get_lnames().empty() &&
         option->get_positional() == false;
}

// The spec options typed so far, so node names come from the right project.
void remember(Position& at, const CLI::Option* option, const std::string& value) {
  if (option->check_lname("file")) {
    at.common.file = value;
  } else if (option->check_lname("project-name")) {
    at.common.project_name = value;
  } else if (option->check_lname("docker")) {
    at.common.docker = value;
  } else if (option->check_lname("context")) {
    at.common.context = value;
  }
}

const CLI::App* subcommand_named(const CLI::App& command, const std::string& word) {
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) {
      return sub;
    }
  }
  return nullptr;
}

Position walk(const CLI::App& app, const std::vector<std::string>& before) {
  Position at{.command = &app, .chain = {&app}, .common = {}};
  for (const std::string& word : before) {
    if (at.wants_value != nullptr) {
      remember(at, at.wants_value, word);
      at.wants_value = nullptr;
    } else if (at.after_dashes || word == "--") {
      at.after_dashes = true;
    } else if (word.starts_with('-')) {
      std::string name = word.substr(0, word.find('='));
      const CLI::Option* option = find_option(at.chain, name);
      if (takes_value(option)) {
        if (name.size() == word.size()) {
          at.wants_value = option;
        } else {
          remember(at, option, word.substr(name.size() + 1));
        }
      }
    } else if (const CLI::App* sub = subcommand_named(*at.command, word);
               sub != nullptr && at.positionals == 0) {
      at.command = sub;
      at.chain.push_back(sub);
    } else {
      ++at.positionals;
    }
  }
  return at;
}

// The values an option's check lists, e.g. "TEXT:{auto,tty,plain,json}".
std::vector<std::string> listed_values(const CLI::Option& option) {
  std::string type = option.get_type_name();
  std::size_t open = type.find('{');
  std::size_t close = type.find('}', open);
  std::vector<std::string> values;
  if (open == std::string::npos || close == std::string::npos) {
    return values;
  }
  std::stringstream in(type.substr(open + 1, close - open - 1));
  for (std::string value; std::getline(in, value, ',');) {
    values.push_back(value);
  }
  return values;
}

// Spec files (.yml, .yaml) and folders here or in the folder typed.
std::vector<std::string> spec_files(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::size_t slash = prefix.rfind('/');
  std::string folder = slash == std::string::npos ? std::string() : prefix.substr(0, slash + 1);
  std::vector<std::string> files;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(folder.empty() ? "." : folder, error)) {
    std::string name = folder + entry.path().filename().string();
    std::string ext = entry.path().extension().string();
    if (entry.is_directory(error)) {
      files.push_back(name + "/");
    } else if (ext == ".yml" || ext == ".yaml") {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The running project's nodes: `head`, then GROUP-N, from one `docker ps`.
std::vector<std::string> node_names(const CommonOptions& common) {
  std::vector<std::string> names;
  try {
    std::string project = project_of(common, "completion");
    DockerEndpoint endpoint = endpoint_of(common);
    Command ps{endpoint.argv({"ps", "--filter", "label=io.raylaunch.project=" + project, "--format",
                              "{{.Label \"io.raylaunch.role\"}} {{.Label \"io.raylaunch.group\"}}-"
                              "{{.Label \"io.raylaunch.replica\"}}"}),
               std::chrono::seconds(5),
               {}};
    std::stringstream out(make_process_runner()->run(ps).out);
    for (std::string role, node; out >> role >> node;) {
      names.push_back(role == "head" ? "head" : node);
    }
  } catch (const Error&) {
    // No spec or no engine here: nothing to offer.
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::string> option_names(const std::vector<const CLI::App*>& chain) {
  std::vector<std::string> names;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const CLI::Option* option : (*it)->get_options()) {
      for (const std::string& name : option->get_lnames()) {
        names.push_back("--" + name);
      }
      for (const std::string& name : option->get_snames()) {
        names.push_back("-" + name);
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::string> candidates(const Position& at, const std::string& word) {
  if (at.after_dashes) {
    return {};
  }
  if (at.wants_value != nullptr) {
    return at.wants_value->check_lname("file") ? spec_files(word) : listed_values(*at.wants_value);
  }
  if (word.starts_with('-')) {
    return option_names(at.chain);
  }
  std::string name = at.command->get_name();
  if ((name == "logs" || name == "exec") && at.positionals == 0) {
    return node_names(at.common);
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : at.command->get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) {
      names.push_back(sub->get_name());
    }
  }
  return names;
}

}  // namespace

int run_complete(const CLI::App& app, const std::vector<std::string>& words) {
  std::string word = words.empty() ? std::string() : words.back();
  Position at =
      walk(app, std::vector<std::string>(words.begin(), words.end() - (words.empty() ? 0 : 1)));
  for (const std::string& candidate : candidates(at, word)) {
    if (candidate.starts_with(word)) {
      std::cout << candidate << '\n';
    }
  }
  return 0;
}

}  // namespace raylaunch::cli
