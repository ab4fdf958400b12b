// `raylaunch completion bash|zsh|fish` and `raylaunch schema`. Each script
// only asks `raylaunch __complete WORDS...` (src/cli/completion.cpp), so the
// three shells offer the same candidates and none of them lists a command or
// an option by hand. The build writes the installed files from this output.
#include "tools.hpp"

#include <fmt/format.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/spec/schema.hpp>

#include <iostream>

namespace raylaunch::cli {

namespace {

constexpr const char* k_bash =
    R"(# bash completion for raylaunch                  -*- shell-script -*-
# Made by `raylaunch completion bash`; the candidates come from
# `raylaunch __complete WORDS...`.
_raylaunch() {
  local IFS=$'\n'
  local program=${COMP_WORDS[0]}
  COMPREPLY=($(command "$program" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  if [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == */ ]]; then
    compopt -o nospace 2>/dev/null
  fi
}
complete -F _raylaunch raylaunch
)";

constexpr const char* k_zsh = R"(#compdef raylaunch
# zsh completion for raylaunch. Made by `raylaunch completion zsh`; the
# candidates come from `raylaunch __complete WORDS...`.
_raylaunch() {
  local -a candidates
  local candidate
  candidates=("${(@f)$(command "${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for candidate in ${candidates:#}; do
    if [[ $candidate == */ ]]; then
      compadd -S '' -- "$candidate"
    else
      compadd -- "$candidate"
    fi
  done
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _raylaunch "$@"
else
  compdef _raylaunch raylaunch
fi
)";

constexpr const char* k_fish =
    R"(# fish completion for raylaunch. Made by `raylaunch completion fish`; the
# candidates come from `raylaunch __complete WORDS...`.
function __raylaunch_complete
    set -l words (commandline -opc)
    set -e words[1]
    command raylaunch __complete $words (commandline -ct) 2>/dev/null
end
complete -c raylaunch -f -a '(__raylaunch_complete)'
)";

}  // namespace

int run_completion(const std::string& shell) {
  if (shell == "bash") {
    std::cout << k_bash;
  } else if (shell == "zsh") {
    std::cout << k_zsh;
  } else if (shell == "fish") {
    std::cout << k_fish;
  } else {
    throw UsageError(fmt::format("no completion for shell \"{}\"", shell),
                     "give bash, zsh or fish");
  }
  return 0;
}

int run_schema() {
  std::cout << spec_json_schema();
  return 0;
}

}  // namespace raylaunch::cli
