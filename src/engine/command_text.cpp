// How raylaunch tells a docker command: quoted for a shell to paste, whether
// it only reads, and which of its values made it too long for the kernel.
#include <raylaunch/engine/command_runner.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace raylaunch {

namespace {

// The longest argv element or variable, and what it is the value of.
struct Longest {
  std::string what;
  size_t size = 0;
};

Longest longest_value(const Command& command) {
  Longest longest;
  for (size_t i = 1; i < command.argv.size(); ++i) {
    const std::string& arg = command.argv[i];
    if (arg.size() <= longest.size) {
      continue;
    }
    bool pair = arg.find('=') != std::string::npos;
    std::string name = arg.substr(0, arg.find('='));
    const std::string& before = command.argv[i - 1];
    if (arg.rfind("--", 0) == 0) {
      longest.what = fmt::format("the value of {}", name);  // --temp-dir=...
    } else if (before.size() > 1 && before[0] == '-' && before != "--") {
      // --env BIG=..., --label k=..., --volume SRC:DST
      longest.what = fmt::format("the value of {}{}", before, pair ? " " + name : "");
    } else {
      longest.what = fmt::format("argument {} of {}", i, command.argv[0]);
    }
    longest.size = arg.size();
  }
  for (const auto& [name, value] : command.env) {
    if (name.size() + 1 + value.size() > longest.size) {
      longest = {fmt::format("the environment variable {}", name), name.size() + 1 + value.size()};
    }
  }
  return longest;
}

}  // namespace

bool is_read_only_docker_command(const std::vector<std::string>& argv) {
  size_t at = 1;
  if (argv.size() > 2 && (argv[1] == "--context" || argv[1] == "--host")) {
    at = 3;
  }
  if (argv.size() <= at) {
    return false;
  }
  const std::string& verb = argv[at];
  const std::string object = argv.size() > at + 1 ? argv[at + 1] : "";
  if (verb == "ps" || verb == "info" || verb == "version" || verb == "inspect") {
    return true;
  }
  if ((verb == "network" || verb == "volume" || verb == "image") &&
      (object == "ls" || object == "inspect")) {
    return true;
  }
  // `id` in a throwaway container without network (user_probe_args) only
  // reads which user an image runs as.
  static const std::vector<std::string> k_user_probe = {"run",  "--rm",         "--network",
                                                        "none", "--entrypoint", "id"};
  return argv.size() == at + k_user_probe.size() + 1 &&
         std::equal(k_user_probe.begin(), k_user_probe.end(), argv.begin() + at);
}

std::string too_long_reason(const Command& command, size_t per_value_limit) {
  Longest longest = longest_value(command);
  if (longest.size > per_value_limit) {
    return fmt::format("{} is {} bytes, more than the {} Linux takes in one value", longest.what,
                       longest.size, per_value_limit);
  }
  return fmt::format("its arguments and environment are more than Linux takes in all; the "
                     "longest is {} ({} bytes)",
                     longest.what, longest.size);
}

std::string quote_for_display(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    bool plain = !arg.empty() && arg.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_./:=,@+%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace raylaunch
