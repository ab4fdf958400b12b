#pragma once

// `logs -f` of every node: one `docker logs --follow` per container, each on
// the engine that has it, their lines put together as they come, each after
// its node's name, as `docker compose logs -f` does.

#include <raylaunch/engine/docker_engine.hpp>

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace raylaunch {

/// `name` padded to one more than `width` (the longest name), then " | ", as
/// compose does: "demo-head    | ", "demo-cpu-10  | ".
std::string log_prefix(const std::string& name, size_t width);

/// Runs every source's argv at once and writes each line they print (stdout
/// and stderr) to `out` after log_prefix(), whole lines only. Returns 0 when
/// every log has ended (the containers stopped) and each docker exited 0, 1
/// when one failed (what it said is among the lines), 128 + the signal when
/// `signal` was set (the docker processes are then stopped), and 1 when
/// `out` cannot be written (a closed pipe). With `runner`, a node whose log
/// ends is followed again when its container restarts (its log from the new
/// start), as compose does; one that stays stopped, or is removed, is said
/// once on `notes` and left.
int follow_logs(const std::vector<LogSource>& sources, std::ostream& out,
                const std::atomic<int>& signal, CommandRunner* runner = nullptr,
                std::ostream* notes = nullptr);

}  // namespace raylaunch
