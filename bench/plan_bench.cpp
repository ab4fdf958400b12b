// How long load + plan take as the cluster grows: the work `config`, `up`
// and `--dry-run` do before touching Docker. Target: 10,000 nodes (the cap:
// the head and 9,999 worker replicas) in under 100 ms (docs/performance.md).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/loader.hpp>

namespace {

// A spec like the examples: a head, a CPU group holding most replicas, and a
// GPU group, with env, volumes and ray_args so every planner path runs.
std::string spec_with(int64_t replicas) {
  return fmt::format(R"(name: bench
image: rayproject/ray:2.52.1
gpus: [0, 1, 2, 3]
defaults:
  env: {{RAY_DEDUP_LOGS: "0", TOKEN_FILE: /run/token}}
  volumes:
    - ./logs/{{name}}:/tmp/ray
head:
  num_cpus: 0
  ports: {{gcs: 6379, dashboard: 8265, client: 10001, serve: 8000}}
workers:
  - group: cpu
    replicas: {}
    num_cpus: 4
    memory: 8g
    ray_labels: {{zone: a}}
    ray_args: {{object-store-memory: "2000000000"}}
  - group: gpu
    replicas: 2
    gpus: 2
    resources: {{accelerator_a10: 1}}
)",
                     replicas - 2);
}

void BM_LoadAndPlan(benchmark::State& state) {
  std::string text = spec_with(state.range(0));
  raylaunch::LoadOptions options;
  options.environment = [](const std::string&) { return std::nullopt; };
  for (auto _ : state) {
    raylaunch::LoadResult loaded =
        raylaunch::load_spec_from_string(text, "bench.yml", options, "/bench");
    raylaunch::Plan plan = raylaunch::plan_cluster(loaded.spec);
    benchmark::DoNotOptimize(plan.containers.data());
  }
  state.counters["containers"] = static_cast<double>(state.range(0) + 1);
}
BENCHMARK(BM_LoadAndPlan)->Arg(10)->Arg(1000)->Arg(9999)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
