#pragma once

// The commands that help a user's toolbox rather than a cluster: `init`,
// `schema`, `completion` and the hidden `__complete` and `__man` the shell
// scripts and the build use. Those that read the command line's definition
// take CLI11's App, so what they print cannot drift from the parser.

#include "commands.hpp"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace raylaunch::cli {

/// `init`: a starter raylaunch.yml here.
struct InitOptions {
  std::string gpus;   // --gpus 0,2
  int workers = 2;    // --workers N
  std::string image;  // --image IMG
};

/// The command of this file given, and its options, filled in by the parser.
struct ToolCommand {
  std::string name;  // init, schema or completion; empty: none of them
  InitOptions init;
  std::string shell;  // completion's
};

/// Adds `init`, `schema` and `completion` to the program.
void define_tools(CLI::App& app, ToolCommand& tool);
/// Runs the command `tool` names.
int run_tool(const ToolCommand& tool);
/// `__complete` and `__man`, which bypass the parser (their words may look
/// like options); nullopt when argv names neither.
std::optional<int> run_hidden(const CLI::App& app, int argc, char** argv);

int run_init(const InitOptions& options);
/// `schema`: the spec's JSON Schema on stdout.
int run_schema();
/// `completion bash|zsh|fish`: the shell's completion script on stdout.
int run_completion(const std::string& shell);
/// `__complete WORDS...`: the candidates for the last word (maybe empty), one a
/// line, given the words before it; the completion scripts call it.
int run_complete(const CLI::App& app, const std::vector<std::string>& words);
/// `__man`: raylaunch(1) in roff, made from the parser's commands and options.
int run_man(const CLI::App& app);

}  // namespace raylaunch::cli
