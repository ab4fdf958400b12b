#pragma once

// A folder of one test's own: unique (mkdtemp) under the test's temp dir, so
// tests that run at once (ctest -j, other checkouts on the same machine)
// never share a file, and removed with all in it when the test ends.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace raylaunch::test {

class Scratch {
 public:
  Scratch() : m_path(::testing::TempDir() + "raylaunch-test-XXXXXX") {
    if (::mkdtemp(m_path.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << m_path << " failed";
    }
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::string& path() const { return m_path; }
  operator std::string() const { return m_path; }
  /// `name` inside the folder.
  std::string operator/(const std::string& name) const { return m_path + "/" + name; }

 private:
  std::string m_path;
};

}  // namespace raylaunch::test
