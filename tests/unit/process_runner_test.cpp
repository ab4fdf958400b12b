// The real runner with real processes: each child holds its own pipe ends
// only, so one that hangs never keeps another's call from returning; pipe()
// is bounded by its limits and by the cancel flag.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <raylaunch/base/error.hpp>
#include <raylaunch/engine/command_runner.hpp>
#include <thread>
#include <vector>

namespace raylaunch {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Command command(std::vector<std::string> argv,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                std::map<std::string, std::string> env = {}) {
  return {std::move(argv), timeout, std::move(env)};
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Polls for `path` until `deadline` passes.
bool appears(const std::filesystem::path& path, std::chrono::seconds deadline) {
  auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (std::filesystem::exists(path)) {
      return true;
    }
    std::this_thread::yield();
  }
  return std::filesystem::exists(path);
}

TEST(ProcessRunner, QuickCallsReturnAtOnceWhileOthersHang) {
  // Host a's quick calls and host b's hung ones, all started at once, as
  // `status` asks every host: no quick call may wait for a hung child.
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  std::vector<std::future<CommandResult>> hung;
  std::vector<std::future<double>> quick;
  auto start = Clock::now();
  for (int round = 0; round < 8; ++round) {
    hung.push_back(std::async(std::launch::async, [&] {
      return runner->run(command({"sleep", "30"}, 3000ms));
    }));
    for (int i = 0; i < 6; ++i) {
      quick.push_back(std::async(std::launch::async, [&] {
        auto began = Clock::now();
        CommandResult result = runner->run(command({"echo", "quick"}));
        EXPECT_EQ(result.out, "quick\n");
        return seconds_since(began);
      }));
    }
  }
  double slowest = 0;
  for (std::future<double>& each : quick) {
    slowest = std::max(slowest, each.get());
  }
  EXPECT_LT(slowest, 2.0) << "a quick call waited for a hung one";
  for (std::future<CommandResult>& each : hung) {
    EXPECT_TRUE(each.get().timed_out);
  }
  EXPECT_LT(seconds_since(start), 6.0);
}

TEST(ProcessRunner, AChildGetsNoOtherDescriptorOfOurs) {
  // A pipe made without close-on-exec (as a library may make one): a hung
  // child started meanwhile must not hold its write end, or its reader
  // would never see the end.
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  std::filesystem::path started =
      std::filesystem::temp_directory_path() / ("rl-runner-fd-" + std::to_string(::getpid()));
  std::filesystem::remove(started);
  std::future<CommandResult> hung = std::async(std::launch::async, [&] {
    return runner->run(
        command({"sh", "-c", "touch \"$0\"; exec sleep 30", started.string()}, 3000ms));
  });
  ASSERT_TRUE(appears(started, 5s));
  ::close(ends[1]);
  pollfd polled{ends[0], POLLIN, 0};
  ASSERT_EQ(::poll(&polled, 1, 1000), 1) << "the hung child holds our pipe's write end";
  char byte = 0;
  EXPECT_EQ(::read(ends[0], &byte, 1), 0);
  ::close(ends[0]);
  EXPECT_TRUE(hung.get().timed_out);
  std::filesystem::remove(started);
}

TEST(ProcessRunner, AChildThatLeavesAPipeToItsOwnChildReturnsWhenItEnds) {
  // A --docker wrapper whose child outlives it and holds stdout.
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  auto start = Clock::now();
  CommandResult result = runner->run(command({"sh", "-c", "sleep 30 & echo done"}));
  EXPECT_EQ(result.out, "done\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST(ProcessRunner, ReadsLargeOutputOnBothStreams) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  CommandResult result = runner->run(
      command({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2; exit 3"}));
  EXPECT_EQ(result.out.size(), 300000u);
  EXPECT_EQ(result.err.size(), 200000u);
  EXPECT_EQ(result.exit_code, 3);
}

TEST(ProcessRunner, PassesItsEnvironment) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  CommandResult result = runner->run(command({"sh", "-c", "printf %s \"$RL_TEST_VALUE\""},
                                             std::nullopt, {{"RL_TEST_VALUE", "a b"}}));
  EXPECT_EQ(result.out, "a b");
}

TEST(ProcessRunner, PipeStreamsEverything) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  uint64_t last = 0;
  PipeResult result =
      runner->pipe(command({"head", "-c", "5000000", "/dev/zero"}), command({"wc", "-c"}),
                   [&](uint64_t bytes) { last = bytes; }, {});
  EXPECT_EQ(result.bytes, 5000000u);
  EXPECT_EQ(last, 5000000u);
  EXPECT_EQ(result.to.out, "5000000\n");
  EXPECT_EQ(result.from.exit_code, 0);
  EXPECT_EQ(result.to.exit_code, 0);
  EXPECT_FALSE(result.stalled);
  EXPECT_FALSE(result.interrupted);
}

TEST(ProcessRunner, PipeThatStallsIsStoppedAfterItsBound) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  auto start = Clock::now();
  PipeResult result =
      runner->pipe(command({"sh", "-c", "printf x; exec sleep 30"}),
                   command({"sh", "-c", "exec cat >/dev/null"}), [](uint64_t) {}, {300ms, 300ms});
  double took = seconds_since(start);
  EXPECT_TRUE(result.stalled);
  EXPECT_FALSE(result.stalled_after_end);
  EXPECT_EQ(result.bytes, 1u);
  EXPECT_GE(took, 0.3);
  EXPECT_LT(took, 2.0);
  EXPECT_EQ(result.from.exit_code, 128 + SIGKILL);
}

TEST(ProcessRunner, PipeWhoseReaderNeverEndsIsStoppedAfterItsBound) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  PipeResult result = runner->pipe(command({"printf", "abc"}),
                                   command({"sh", "-c", "cat >/dev/null; exec sleep 30"}),
                                   [](uint64_t) {}, {5000ms, 300ms});
  EXPECT_TRUE(result.stalled);
  EXPECT_TRUE(result.stalled_after_end);
  EXPECT_EQ(result.bytes, 3u);
}

TEST(ProcessRunner, PipeEndsAtOnceWhenCancelled) {
  std::atomic<bool> cancel{false};
  std::unique_ptr<CommandRunner> runner = make_process_runner(&cancel);
  auto start = Clock::now();
  // The signal arrives once the first byte went through.
  PipeResult result = runner->pipe(command({"sh", "-c", "printf x; exec sleep 30"}),
                                   command({"sh", "-c", "exec cat >/dev/null"}),
                                   [&](uint64_t) { cancel = true; }, {});
  EXPECT_TRUE(result.interrupted);
  EXPECT_LT(seconds_since(start), 1.0);
  EXPECT_EQ(result.from.exit_code, 128 + SIGKILL);
  EXPECT_EQ(result.to.exit_code, 128 + SIGKILL);
}

TEST(ProcessRunner, AMissingProgramIsNamed) {
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  try {
    runner->run(command({"raylaunch-no-such-program"}));
    FAIL() << "no error";
  } catch (const ExecError& e) {
    EXPECT_EQ(e.message(), "program \"raylaunch-no-such-program\" not found");
  }
}

}  // namespace
}  // namespace raylaunch
