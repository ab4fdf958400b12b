// Feeds arbitrary bytes to the whole load → plan → print path, so that any
// input a user could write is either a clean raylaunch::Error or a plan, and
// never a crash, a leak, undefined behaviour or a stray std::exception.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/output.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/loader.hpp>
#include <string>

namespace {

// Bigger inputs only make each run slower; 64 KiB is far beyond any real spec.
constexpr size_t k_max_input = 64 * 1024;
// A spec may ask for 100000 replicas; planning that many containers is slow
// by design, not a bug, so such plans are not worth the fuzzer's time.
constexpr int64_t k_max_replicas = 2000;
// The folder's name ("spec") is the project name when the spec gives none.
const std::string k_file = "/fuzz/spec/cluster.yml";
const std::string k_spec_dir = "/fuzz/spec";

// A fixed environment, so every run of an input does the same thing.
std::optional<std::string> fixed_environment(const std::string& name) {
  if (name == "HOME") {
    return std::string("/home/ray");
  }
  if (name == "RAY_IMAGE") {
    return std::string("rayproject/ray:2.52.1");
  }
  if (name == "EMPTY") {
    return std::string();
  }
  return std::nullopt;
}

// The caret and source-line printing is input-driven too: a location may
// point past the end of a line or of the file.
void format_all(const raylaunch::LoadResult& loaded, const raylaunch::Plan* plan,
                const std::string& source) {
  for (const raylaunch::Diagnostic& warning : loaded.warnings) {
    (void)raylaunch::format_diagnostic(warning, source);
  }
  if (plan != nullptr) {
    for (const raylaunch::Diagnostic& warning : plan->warnings) {
      (void)raylaunch::format_diagnostic(warning, source);
    }
  }
}

int64_t total_replicas(const raylaunch::ClusterSpec& spec) {
  int64_t total = 0;
  for (const raylaunch::WorkerGroupSpec& group : spec.workers) {
    total += group.replicas.value;
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > k_max_input) {
    return -1;  // not added to the corpus
  }
  const std::string source(reinterpret_cast<const char*>(data), size);
  raylaunch::LoadOptions options;
  options.environment = fixed_environment;
  try {
    raylaunch::LoadResult loaded =
        raylaunch::load_spec_from_string(source, k_file, options, k_spec_dir);
    if (total_replicas(loaded.spec) > k_max_replicas) {
      format_all(loaded, nullptr, source);
      return 0;
    }
    raylaunch::Plan plan = raylaunch::plan_cluster(loaded.spec);
    (void)raylaunch::plan_to_json(plan);
    (void)raylaunch::plan_to_yaml(plan);
    (void)plan.to_text();
    format_all(loaded, &plan, source);
  } catch (const raylaunch::Error& error) {
    // Expected: the input is not a valid spec. Its message must still print.
    (void)raylaunch::format_error(error, source);
  } catch (const std::exception& e) {
    // Only raylaunch::Error may leave the loader or the planner.
    std::fprintf(stderr, "spec_fuzzer: uncaught std::exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr,
                 "spec_fuzzer: uncaught exception of a type not derived from std::exception\n");
    std::abort();
  }
  return 0;
}
