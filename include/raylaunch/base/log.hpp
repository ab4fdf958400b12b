#pragma once

#include <ostream>
#include <string>

namespace raylaunch {

/// raylaunch's own log: what it ran, how long it took and how it ended. It
/// goes to stderr, never mixed into results on stdout, and is off unless
/// asked for with `--verbose` or RAYLAUNCH_LOG_LEVEL (debug, info, warn, off).
///
/// Sets the level: `level` when not empty, else $RAYLAUNCH_LOG_LEVEL, else
/// off. Lines go to `out` when given (tests), else stderr. Throws UsageError
/// for a level it does not know.
void init_log(const std::string& level, std::ostream* out = nullptr);

/// Whether debug lines are written, so callers can skip composing them.
bool debug_log_enabled();

/// Writes one debug line; secrets raylaunch knows of are masked first.
void log_debug(const std::string& line);

/// Writes one info line (shown at `--log-level info` and debug), masked alike.
void log_info(const std::string& line);

}  // namespace raylaunch
