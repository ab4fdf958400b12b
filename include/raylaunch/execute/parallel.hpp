#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace raylaunch {

/// Runs `count` tasks on at most `parallel` threads. After a task returns
/// false, or `stop` says so, no new task starts; the ones under way finish.
void run_bounded(size_t count, int parallel, const std::function<bool(size_t)>& task,
                 const std::function<bool()>& stop);

/// Runs independent calls at once, each on its own thread: docker CLI calls
/// cost their start-up and round trip, not their work. When calls throw, the
/// first exception (in the order of `calls`) is rethrown once all have ended.
void run_concurrently(const std::vector<std::function<void()>>& calls);

}  // namespace raylaunch
