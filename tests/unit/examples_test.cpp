// Every spec in examples/ loads and plans, and its plan matches a golden
// file, so the examples cannot go stale. RAYLAUNCH_UPDATE_GOLDEN=1 rewrites
// the golden files; review the diff before committing it.
#include <gtest/gtest.h>

#include <raylaunch/plan/output.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

namespace fs = std::filesystem;

const std::string k_source_dir = RAYLAUNCH_SOURCE_DIR;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> example_names() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(k_source_dir + "/examples")) {
    if (entry.path().extension() == ".yml") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Relative volume paths become absolute, and they are part of each config
// hash; the spec is loaded as if its folder were this fixed one, so the
// golden files hold on any clone.
const std::string k_fixed_dir = "/checkout/examples";

class Examples : public ::testing::TestWithParam<std::string> {};

TEST_P(Examples, PlanMatchesGolden) {
  fs::path spec = fs::path(k_source_dir) / "examples" / (GetParam() + ".yml");
  LoadOptions options = test::options_with({{"HOME", "/home/user"}});
  std::string file = "examples/" + GetParam() + ".yml";
  Plan plan = plan_cluster(load_spec_from_string(read(spec), file, options, k_fixed_dir).spec);
  std::string actual = plan_to_json(plan);
  fs::path golden = fs::path(k_source_dir) / "tests/data/golden" / (GetParam() + ".json");
  if (std::getenv("RAYLAUNCH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with RAYLAUNCH_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read(golden));
  EXPECT_TRUE(plan.warnings.empty());
}

INSTANTIATE_TEST_SUITE_P(AllExamples, Examples, ::testing::ValuesIn(example_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace raylaunch
