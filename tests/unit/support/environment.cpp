// The unit tests run in no Docker environment of the machine's: DOCKER_HOST or
// DOCKER_CONTEXT set by whoever runs them would change which engine an
// endpoint names, and so the messages the tests assert whole.
#include <gtest/gtest.h>

#include <stdlib.h>

namespace {

class NoDockerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ::unsetenv("DOCKER_HOST");
    ::unsetenv("DOCKER_CONTEXT");
  }
};

[[maybe_unused]] ::testing::Environment* const k_environment =
    ::testing::AddGlobalTestEnvironment(new NoDockerEnvironment);

}  // namespace
