#pragma once

namespace raylaunch {

/// The whole command line: parses `argv`, runs the command, prints errors.
/// Returns the exit code: 0 done, 1 failed, 2 bad spec or usage, 130
/// interrupted, 70 an internal error.
int run_cli(int argc, char** argv);

}  // namespace raylaunch
