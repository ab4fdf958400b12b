// The two ways the executor runs docker commands side by side: a bounded pool
// for the containers of `up`, and all at once for the look-ups.
#include <raylaunch/execute/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

namespace raylaunch {

void run_bounded(size_t count, int parallel, const std::function<bool(size_t)>& task,
                 const std::function<bool()>& stop) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (;;) {
      if (failed.load() || stop()) {
        return;
      }
      size_t index = next.fetch_add(1);
      if (index >= count) {
        return;
      }
      if (!task(index)) {
        failed = true;
      }
    }
  };
  size_t threads = std::min(count, static_cast<size_t>(std::max(parallel, 1)));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) {
    pool.emplace_back(worker);
  }
  if (threads > 0) {
    worker();
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
}

void run_concurrently(const std::vector<std::function<void()>>& calls) {
  // An exception must not leave its thread (std::terminate); keep it for the caller.
  std::vector<std::exception_ptr> thrown(calls.size());
  run_bounded(calls.size(), static_cast<int>(calls.size()),
              [&](size_t i) {
                try {
                  calls[i]();
                } catch (...) {
                  thrown[i] = std::current_exception();
                }
                return true;
              },
              [] { return false; });
  for (const std::exception_ptr& error : thrown) {
    if (error) {
      std::rethrow_exception(error);
    }
  }
}

}  // namespace raylaunch
