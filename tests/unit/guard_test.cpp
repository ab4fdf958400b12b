// An exception nobody expected is a bug: one message asking for a report, exit 70.
#include <gtest/gtest.h>

#include <raylaunch/base/error.hpp>

#include <sstream>
#include <stdexcept>
#include <thread>

namespace raylaunch {
namespace {

TEST(RunGuarded, ReturnsTheBodysExitCode) {
  std::ostringstream err;
  EXPECT_EQ(run_guarded([] { return 3; }, err), 3);
  EXPECT_EQ(err.str(), "");
}

TEST(RunGuarded, TurnsAnEscapingExceptionIntoAnInternalError) {
  std::ostringstream err;
  EXPECT_EQ(run_guarded([]() -> int { throw std::out_of_range("stod"); }, err), 70);
  EXPECT_EQ(err.str(),
            "raylaunch: internal error: stod\n"
            "raylaunch: this is a bug in raylaunch; please report it with the command you ran "
            "and this message\n");
}

TEST(RunGuarded, TurnsAnythingThrownIntoAnInternalError) {
  std::ostringstream err;
  EXPECT_EQ(run_guarded([]() -> int { throw 42; }, err), 70);
  EXPECT_EQ(err.str(),
            "raylaunch: internal error: an exception that is not a std::exception\n"
            "raylaunch: this is a bug in raylaunch; please report it with the command you ran "
            "and this message\n");
}

TEST(RunGuardedDeathTest, AnExceptionLeavingAThreadIsReportedToo) {
  std::ostringstream err;
  EXPECT_EXIT(run_guarded(
                  [] {
                    std::thread([] { throw std::runtime_error("from a thread"); }).join();
                    return 0;
                  },
                  err),
              ::testing::ExitedWithCode(70),
              "raylaunch: internal error: from a thread\nraylaunch: this is a bug");
}

}  // namespace
}  // namespace raylaunch
