// Every spec in examples/ (and tests/data/export/everything.yml, which uses
// every field) exports to KubeRay and compose exactly as the golden files
// say, warnings included. RAYLAUNCH_UPDATE_GOLDEN=1 rewrites the golden
// files; review the diff before committing it.
#include <gtest/gtest.h>

#include <raylaunch/export/export.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

namespace fs = std::filesystem;

// The checkout these tests run from: examples/, tests/data/ and the golden files.
const fs::path k_source_dir = RAYLAUNCH_SOURCE_DIR;

// The specs exported: each example (in name order), then the one that uses every field.
std::vector<std::string> spec_names() {
  std::set<std::string> examples;
  for (const fs::directory_entry& entry : fs::directory_iterator(k_source_dir / "examples")) {
    if (entry.path().extension() == ".yml") {
      examples.insert(entry.path().stem().string());
    }
  }
  std::vector<std::string> names(examples.begin(), examples.end());
  names.push_back("everything");
  return names;
}

fs::path spec_path(const std::string& name) {
  return name == "everything" ? k_source_dir / "tests/data/export/everything.yml"
                              : k_source_dir / "examples" / (name + ".yml");
}

std::string read(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Loaded as if the spec's folder were a fixed one, so absolute volume
// paths (and the golden files) hold on any clone.
ClusterSpec load(const std::string& name) {
  fs::path path = spec_path(name);
  std::string file = fs::relative(path, k_source_dir).string();
  std::string dir = "/checkout/" + fs::path(file).parent_path().string();
  LoadOptions options = test::options_with({{"HOME", "/home/user"}});
  return load_spec_from_string(read(path), file, options, dir).spec;
}

std::string warnings_text(const std::vector<Diagnostic>& warnings, const std::string& source) {
  std::string out;
  for (const Diagnostic& warning : warnings) {
    out += format_diagnostic(warning, source);
  }
  return out;
}

void expect_golden(const std::string& actual, const std::string& file) {
  fs::path golden = k_source_dir / "tests/data/golden/export" / file;
  if (std::getenv("RAYLAUNCH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with RAYLAUNCH_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read(golden)) << file;
}

class Export : public ::testing::TestWithParam<std::string> {};

TEST_P(Export, KubeRayMatchesGolden) {
  ClusterSpec spec = load(GetParam());
  ExportResult result = export_kuberay(spec, plan_cluster(spec));
  expect_golden(result.text, GetParam() + ".kuberay.yaml");
  expect_golden(warnings_text(result.warnings, spec.source), GetParam() + ".kuberay.warnings");
}

TEST_P(Export, ComposeMatchesGolden) {
  ClusterSpec spec = load(GetParam());
  if (spec.hosts.size() > 1) {  // compose has one engine: refused, at hosts:
    try {
      export_compose(spec, plan_cluster(spec));
      FAIL() << "a spec over several hosts was exported for compose";
    } catch (const SpecError& error) {
      expect_golden(format_diagnostic({Severity::error, error.message(), error.hint(),
                                       error.where()},
                                      spec.source),
                    GetParam() + ".compose.error");
    }
    return;
  }
  ExportResult result = export_compose(spec, plan_cluster(spec));
  expect_golden(result.text, GetParam() + ".compose.yml");
  expect_golden(warnings_text(result.warnings, spec.source), GetParam() + ".compose.warnings");
}

INSTANTIATE_TEST_SUITE_P(AllSpecs, Export, ::testing::ValuesIn(spec_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Given secrets in env and token auth, we expect neither export to hold a
// secret value, only references to where it is kept.
TEST(Export, NeverWritesSecretValues) {
  ClusterSpec spec = load("everything");
  spec.auth.resolved_token = "the-token-itself";
  Plan plan = plan_cluster(spec);
  for (const std::string& text :
       {export_kuberay(spec, plan).text, export_compose(spec, plan).text}) {
    for (const char* secret : {"hunter22", "s3cr3t-value", "the-token-itself"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    }
  }
}

TEST(ExportKubeRay, WritesTheNamespaceInMetadataAndCommands) {
  ClusterSpec spec = load("everything");
  std::string text = export_kuberay(spec, plan_cluster(spec), {"ray-prod"}).text;
  EXPECT_NE(text.find("  name: \"all-in\"\n  namespace: \"ray-prod\"\n"), std::string::npos);
  EXPECT_NE(text.find("#   kubectl create secret generic all-in-env -n ray-prod "),
            std::string::npos);
}

TEST(ExportKubeRay, KeepsTheHeadPortWhereItIsNotRaysDefault) {
  ClusterSpec spec =
      test::load_text("name: p\nimage: rayproject/ray:2.52.1\nhead:\n  ports: {gcs: 6400}\n");
  std::string text = export_kuberay(spec, plan_cluster(spec)).text;
  EXPECT_NE(text.find("    rayStartParams:\n      num-gpus: \"0\"\n      port: \"6400\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- containerPort: 6400\n            name: \"gcs-server\"\n"),
            std::string::npos);
}

}  // namespace
}  // namespace raylaunch
