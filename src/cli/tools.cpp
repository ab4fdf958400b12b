// The toolbox commands on the command line: `init`, `schema`, `completion`,
// and the hidden `__complete` and `__man` the scripts and the build call.
#include "tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/spec/keys.hpp>

#include "option_values.hpp"

#include <string_view>

namespace raylaunch::cli {

void define_tools(CLI::App& app, ToolCommand& tool) {
  CLI::App* init = app.add_subcommand("init", "Write a commented starter raylaunch.yml here");
  init->add_option("--gpus", tool.init.gpus, "The GPU devices this host may hand out, e.g. 0,2");
  init->add_option("--workers", tool.init.workers, "CPU workers (default 2)")
      ->check(whole_number(0, k_max_nodes - 1));
  init->add_option("--image", tool.init.image,
                   "The image (default: $RAY_IMAGE, else rayproject/ray:2.52.1)");
  init->footer("Example:\n  raylaunch init --gpus 0,2 --workers 3");
  CLI::App* schema =
      app.add_subcommand("schema", "Print the spec's JSON Schema (for editors and CI)");
  schema->footer("Example:\n  raylaunch schema > raylaunch.schema.json");
  CLI::App* completion =
      app.add_subcommand("completion", "Print the shell completion script: bash, zsh or fish");
  completion->add_option("shell", tool.shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->footer("Example:\n  source <(raylaunch completion bash)");
  for (CLI::App* command : {init, schema, completion}) {
    command->callback([&tool, command] { tool.name = command->get_name(); });
  }
}

int run_tool(const ToolCommand& tool) {
  if (tool.name == "init") {
    return run_init(tool.init);
  }
  if (tool.name == "schema") {
    return run_schema();
  }
  return run_completion(tool.shell);
}

std::optional<int> run_hidden(const CLI::App& app, int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "__complete") {
    return run_complete(app, std::vector<std::string>(argv + 2, argv + argc));
  }
  if (command == "__man") {
    return run_man(app);
  }
  return std::nullopt;
}

}  // namespace raylaunch::cli
