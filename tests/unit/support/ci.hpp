#pragma once

// A unit test that cannot run here (no pseudo-terminal) says so: ctest counts
// it skipped (tests/CMakeLists.txt matches gtest's "[  SKIPPED ]"). Under CI
// (CI=true or CI=1, as every test reads it) it fails instead: CI must run it.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <string>

namespace raylaunch::test {

inline bool in_ci() {
  const char* ci = ::getenv("CI");
  return ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1");
}

}  // namespace raylaunch::test

/// Ends the test: skipped (SKIP: `why`), or failed under CI.
#define RAYLAUNCH_SKIP_OR_FAIL(why)                                                 \
  do {                                                                             \
    if (::raylaunch::test::in_ci()) {                                              \
      FAIL() << "cannot run here: " << (why) << " (under CI every test must run)"; \
    }                                                                              \
    GTEST_SKIP() << "SKIP: " << (why);                                             \
  } while (false)
