#pragma once

// CLI11's parse errors told as raylaunch tells errors: the first wrong
// argument as it was typed, and "did you mean" for a near miss.

#include <CLI/CLI.hpp>

#include <raylaunch/base/error.hpp>

#include <optional>

namespace raylaunch::cli {

/// The diagnostic for a parse error of `app` (with fallthrough, every
/// command's leftovers land on the program, in the order typed).
Diagnostic parse_error(const CLI::App& app, const CLI::ParseError& error);

/// A global option given both before and after a command, if one was.
std::optional<Diagnostic> given_twice(const CLI::App& app);

/// The first option of the parsed commands given with an empty value (`-f ''`,
/// `-p ''`), if one was.
std::optional<Diagnostic> empty_value(const CLI::App& app);

}  // namespace raylaunch::cli
