// CLI11's parse errors told as raylaunch tells errors (see parse_errors.hpp).
#include "parse_errors.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/keys.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raylaunch::cli {

namespace {

// The program and the commands parsed, outermost first.
std::vector<const CLI::App*> parsed_chain(const CLI::App& app) {
  std::vector<const CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) {
    chain.push_back(chain.back()->get_subcommands().front());
  }
  return chain;
}

// "raylaunch job logs" for the chain up to `last`, without the program's name when `bare`.
std::string chain_name(const std::vector<const CLI::App*>& chain, bool bare = false) {
  std::string name;
  for (std::size_t i = bare ? 1 : 0; i < chain.size(); ++i) {
    name += (name.empty() ? "" : " ") + chain[i]->get_name();
  }
  return name;
}

// The names a typo in `kind` (commands, or long options) may stand for.
std::vector<std::string> known_names(const std::vector<const CLI::App*>& chain, bool commands) {
  std::vector<std::string> names;
  if (commands) {
    auto any = [](const CLI::App*) { return true; };
    for (const CLI::App* command : chain.back()->get_subcommands(any)) {
      names.push_back(command->get_name());
      for (const std::string& alias : command->get_aliases()) {
        names.push_back(alias);
      }
    }
    return names;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const CLI::Option* option : (*it)->get_options()) {
      for (const std::string& name : option->get_lnames()) {
        names.push_back("--" + name);
      }
    }
  }
  return names;
}

std::string guess_or_help(const std::string& word, const std::vector<std::string>& names,
                          const std::string& help) {
  std::optional<std::string> guess = closest(word, names);
  return guess ? fmt::format("did you mean \"{}\"?", *guess) : help;
}

// What to write instead of an empty value, by option.
const std::map<std::string, std::string> k_empty_hints = {
    {"--file", "give the spec's path, or - to read it from stdin"},
    {"--project-name", "give the project's name, e.g. -p my-cluster"},
};

// The first two options of `command` given that exclude each other, as typed.
std::optional<std::pair<std::string, std::string>> excluded_in_order(const CLI::App& command) {
  const std::vector<CLI::Option*>& order = command.parse_order();
  for (auto later = order.begin(); later != order.end(); ++later) {
    for (auto earlier = order.begin(); earlier != later; ++earlier) {
      if ((*later)->get_excludes().contains(*earlier) ||
          (*earlier)->get_excludes().contains(*later)) {
        return std::pair((*earlier)->get_name(), (*later)->get_name());
      }
    }
  }
  return std::nullopt;
}

}  // namespace

// A parse error as a diagnostic that names the first wrong argument as typed
// (with fallthrough, every command's leftovers land on the program, in order).
Diagnostic parse_error(const CLI::App& app, const CLI::ParseError& error) {
  std::vector<const CLI::App*> chain = parsed_chain(app);
  std::string help = fmt::format("see {} --help", chain_name(chain));
  std::vector<std::string> extras = app.remaining(true);
  std::erase(extras, "--");  // kept by CLI11 as a mark, not an argument
  bool wants_command = chain.back()->get_require_subcommand_min() > 0;
  auto word = std::find_if(extras.begin(), extras.end(),
                           [](const std::string& arg) { return !arg.starts_with('-'); });
  if (wants_command && word != extras.end()) {
    std::string command = chain_name(chain, true);
    return {Severity::error,
            fmt::format("unknown command \"{}{}\"", command.empty() ? "" : command + " ", *word),
            guess_or_help(*word, known_names(chain, true), help),
            {}};
  }
  if (!extras.empty() && extras.front().starts_with('-')) {
    std::string option = extras.front().substr(0, extras.front().find('='));
    return {
        Severity::error,
        fmt::format("unknown option \"{}\"", option),
        option.starts_with("--") ? guess_or_help(option, known_names(chain, false), help) : help,
        {}};
  }
  if (!extras.empty()) {
    return {Severity::error, fmt::format("unexpected argument \"{}\"", extras.front()), help, {}};
  }
  if (wants_command) {
    return {Severity::error,
            chain.size() == 1 ? std::string("no command given")
                              : fmt::format("\"{}\" needs a command", chain_name(chain)),
            chain.size() == 1 ? "e.g. raylaunch up -f cluster.yml; " + help : help,
            {}};
  }
  if (auto pair = excluded_in_order(*chain.back());
      pair && dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    return {Severity::error,
            fmt::format("{} and {} exclude each other", pair->first, pair->second),
            "give one of them",
            {}};
  }
  return {Severity::error, error.what(), help, {}};
}

// A global option given both before and after a command has two values, and
// which one counts would be a guess: say so instead.
std::optional<Diagnostic> given_twice(const CLI::App& app) {
  std::vector<const CLI::App*> chain = parsed_chain(app);
  for (std::size_t outer = 0; outer < chain.size(); ++outer) {
    for (const CLI::Option* option : chain[outer]->get_options()) {
      for (std::size_t inner = outer + 1; option->count() > 0 && inner < chain.size(); ++inner) {
        const CLI::Option* again = chain[inner]->get_option_no_throw(option->get_name());
        if (again != nullptr && again->count() > 0) {
          return Diagnostic{Severity::error,
                            fmt::format("{} is given both before and after \"{}\"",
                                        option->get_name(), chain_name(chain, true)),
                            "give it once, before or after the command",
                            {}};
        }
      }
    }
  }
  return std::nullopt;
}

// An empty value would silently mean the option's default; say so instead.
std::optional<Diagnostic> empty_value(const CLI::App& app) {
  for (const CLI::App* command : parsed_chain(app)) {
    for (const CLI::Option* option : command->get_options()) {
      if (!option->nonpositional() || option->get_type_size() == 0) {
        continue;  // a positional may well be empty (exec head -- echo ''); a flag has no value
      }
      for (const std::string& value : option->results()) {
        if (value.empty()) {
          auto hint = k_empty_hints.find(option->get_name());
          return Diagnostic{
              Severity::error,
              fmt::format("{} is empty", option->get_name()),
              hint != k_empty_hints.end() ? hint->second : "give it a value, or leave it out",
              {}};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace raylaunch::cli
