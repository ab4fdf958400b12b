#pragma once

namespace raylaunch {

/// The whole command line: parses `argv`, runs the command, prints errors.
/// Returns the exit code: 0 done, 1 failed, 2 bad spec or usage, 128 + the
/// signal when interrupted (130 SIGINT, 143 SIGTERM, 129 SIGHUP), 70 an
/// internal error; `exec` gives the command's code, or 125, 126, 127.
int run_cli(int argc, char** argv);

}  // namespace raylaunch
