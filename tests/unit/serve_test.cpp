// `serve:` (issue 21): the spec's Serve config checked as Serve checks it and
// more, whole messages; the resource shapes; the PUT-or-not decision on
// Serve's answers; the RayService export.
#include <raylaunch/export/export.hpp>
#include <raylaunch/plan/serve.hpp>
#include <raylaunch/ray/serve.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

using test::error_of;
using test::load_text;
using test::plan_text;

const std::string k_cluster =
    "image: rayproject/ray:2.52.1\n"
    "head: {num_cpus: 1}\n"
    "workers:\n"
    "  - group: cpu\n"
    "    replicas: 2\n"
    "    num_cpus: 2\n";

std::string with_serve(const std::string& serve) { return k_cluster + "serve:\n" + serve; }

TEST(ServeSpecTest, InlineConfigBecomesThePutBody) {
  ClusterSpec spec = load_text(with_serve(
      "  applications:\n"
      "    - name: qwen3\n"
      "      route_prefix: /qwen3\n"
      "      import_path: standin_echo:app\n"
      "      args: {model: /m, temperature: 0.5, verbose: true, quoted: \"1\"}\n"
      "      deployments:\n"
      "        - name: Echo\n"
      "          autoscaling_config: {min_replicas: 1, max_replicas: 2, upscale_delay_s: 5.0}\n"));
  ASSERT_TRUE(spec.serve);
  EXPECT_EQ(spec.serve->config_json,
            R"({"applications":[{"name":"qwen3","route_prefix":"/qwen3","import_path":)"
            R"("standin_echo:app","args":{"model":"/m","temperature":0.5,"verbose":true,)"
            R"("quoted":"1"},"deployments":[{"name":"Echo","autoscaling_config":)"
            R"({"min_replicas":1,"max_replicas":2,"upscale_delay_s":5.0}}]}]})");
  EXPECT_EQ(spec.serve->http_port, 8000);
  ASSERT_TRUE(spec.head.ports.serve);
  EXPECT_EQ(spec.head.ports.serve->value, 8000);
  const ServeDeploymentSpec& echo = spec.serve->apps.at(0).deployments.at(0);
  EXPECT_TRUE(echo.autoscaling);
  EXPECT_EQ(echo.max_replicas, 2);
}

TEST(ServeSpecTest, MisspeltKeyIsRefusedWithDidYouMean) {
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - import_path: standin_echo:app\n"
                                "      deployments:\n"
                                "        - name: Echo\n"
                                "          autoscaling_config:\n"
                                "            upscale_delay: 5.0\n")),
            "cluster.yml:13:13: error: unknown key \"upscale_delay\" under "
            "applications[0].deployments[0].autoscaling_config\n"
            "   13 |             upscale_delay: 5.0\n"
            "      |             ^\n"
            "hint: did you mean \"upscale_delay_s\"?\n");
}

TEST(ServeSpecTest, ServesOwnRules) {
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - {name: a, import_path: standin_echo:app, route_prefix: /x}\n"
                                "    - {name: b, import_path: standin_echo:app, route_prefix: /x}\n")),
            "cluster.yml:10:62: error: applications \"a\" and \"b\" both use route_prefix \"/x\"\n"
            "   10 |     - {name: b, import_path: standin_echo:app, route_prefix: /x}\n"
            "      |                                                              ^\n"
            "hint: give each application its own route_prefix\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - {name: a, import_path: standin_echo:app}\n"
                                "    - {name: a, import_path: standin_echo:app, route_prefix: /b}\n")),
            "cluster.yml:10:14: error: application \"a\" is given twice\n"
            "   10 |     - {name: a, import_path: standin_echo:app, route_prefix: /b}\n"
            "      |              ^\n"
            "hint: give each application its own name; Serve refuses duplicates\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - {import_path: \"standin_echo:app:\"}\n")),
            "cluster.yml:9:21: error: import_path \"standin_echo:app:\" is not module:attribute\n"
            "    9 |     - {import_path: \"standin_echo:app:\"}\n"
            "      |                     ^\n"
            "hint: Serve imports module:attribute or module.attribute, e.g. serve_llm:app\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - {import_path: a:b, route_prefix: /x/}\n")),
            "cluster.yml:9:40: error: route_prefix \"/x/\" ends with /\n"
            "    9 |     - {import_path: a:b, route_prefix: /x/}\n"
            "      |                                        ^\n"
            "hint: Serve takes a path that starts with /, with no / at its end (but \"/\" itself) "
            "and no braces, e.g. route_prefix: /qwen\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - import_path: a:b\n"
                                "      deployments:\n"
                                "        - {name: D, num_replicas: 2, autoscaling_config: {}}\n")),
            "cluster.yml:11:35: error: deployment \"D\" sets both num_replicas and "
            "autoscaling_config\n"
            "   11 |         - {name: D, num_replicas: 2, autoscaling_config: {}}\n"
            "      |                                   ^\n"
            "hint: Serve refuses a number of replicas with autoscaling: remove num_replicas, or "
            "autoscaling_config\n");
  EXPECT_EQ(error_of(with_serve("  proxy_location: Everywhere\n  applications: []\n")),
            "cluster.yml:8:19: error: proxy_location must be EveryNode, HeadOnly or Disabled, got "
            "\"Everywhere\"\n"
            "    8 |   proxy_location: Everywhere\n"
            "      |                   ^\n"
            "hint: e.g. proxy_location: EveryNode\n");
  EXPECT_EQ(error_of(with_serve("  http_options: {port: 80000}\n  applications: []\n")),
            "cluster.yml:8:24: error: port must be between 1 and 65535, got 80000\n"
            "    8 |   http_options: {port: 80000}\n"
            "      |                        ^\n"
            "hint: e.g. port: 8000\n");
  EXPECT_EQ(error_of(with_serve("  http_options: {}\n")),
            "cluster.yml:8:3: error: the Serve config has no applications\n"
            "    8 |   http_options: {}\n"
            "      |   ^\n"
            "hint: list the apps under applications:, e.g. - {name: llm, import_path: "
            "serve_llm:app}; applications: [] deploys none\n");
}

TEST(ServeSpecTest, WhatServeCannotTakeFromAFolder) {
  EXPECT_EQ(error_of(with_serve("  config: serve.yaml\n  applications: []\n")),
            "cluster.yml:9:3: error: serve has both config: and applications:\n"
            "    9 |   applications: []\n"
            "      |   ^\n"
            "hint: write the Serve config in the file config: names, or inline, not both\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - import_path: a:b\n"
                                "      runtime_env: {working_dir: ./no-such-folder}\n")),
            "cluster.yml:10:34: error: working_dir \"./no-such-folder\" is not a folder\n"
            "   10 |       runtime_env: {working_dir: ./no-such-folder}\n"
            "      |                                  ^\n"
            "hint: a local working_dir is a folder, relative to the file it is written in; up "
            "packages and uploads it\n");
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - import_path: a:b\n"
                                "      runtime_env: {py_modules: [./lib]}\n")),
            "cluster.yml:10:34: error: py_modules entry \"./lib\" is a local path\n"
            "   10 |       runtime_env: {py_modules: [./lib]}\n"
            "      |                                  ^\n"
            "hint: Serve takes only remote URIs in py_modules (s3://, gs://, https://...zip); put "
            "local code in runtime_env.working_dir, which up uploads\n");
  ClusterSpec remote = load_text(with_serve(
      "  applications:\n"
      "    - import_path: a:b\n"
      "      runtime_env: {working_dir: \"s3://bucket/app.zip\", py_modules: [\"s3://b/m.zip\"]}\n"));
  EXPECT_FALSE(remote.serve->apps.at(0).local_working_dir);
}

TEST(ServeSpecTest, AReplicaNoNodeCanHoldIsAnError) {
  EXPECT_EQ(error_of(with_serve("  applications:\n"
                                "    - import_path: a:b\n"
                                "      deployments:\n"
                                "        - name: LLM\n"
                                "          ray_actor_options: {num_gpus: 1}\n")),
            "cluster.yml:12:30: error: deployment \"LLM\" of application \"default\" asks "
            "{\"CPU\": 1, \"GPU\": 1} per replica, more than any node has (head {\"CPU\": 1, "
            "\"GPU\": 0}, cpu {\"CPU\": 2, \"GPU\": 0})\n"
            "   12 |           ray_actor_options: {num_gpus: 1}\n"
            "      |                              ^\n"
            "hint: give a worker group what a replica asks (num_cpus, gpus, memory, resources), "
            "or ask less in ray_actor_options; Serve would leave the replica pending for ever\n");
}

TEST(ServeSpecTest, MaxReplicasOverTheGroupsIsAWarning) {
  Plan plan = plan_text(with_serve("  applications:\n"
                                   "    - import_path: a:b\n"
                                   "      deployments:\n"
                                   "        - name: Big\n"
                                   "          ray_actor_options: {num_cpus: 2}\n"
                                   "          autoscaling_config: {max_replicas: 3}\n"));
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0].message,
            "deployment \"Big\" of application \"default\" may ask 6 CPU at its 3 replicas, more "
            "than the cluster's nodes have (5)");
  ASSERT_TRUE(plan.serve);
}

TEST(ServeSpecTest, ReplicaShapeIsServesRequiredResources) {
  ServeDeploymentSpec d;
  d.num_gpus = 1;
  d.resources = {{"accelerator_a10", 1}, {"zero", 0}};
  EXPECT_EQ(format_shape(serve_replica_shape(d)), R"({"CPU": 1, "GPU": 1, "accelerator_a10": 1})");
  d.num_cpus = 0;
  d.memory = 2e9;
  EXPECT_EQ(format_shape(serve_replica_shape(d)),
            R"({"GPU": 1, "accelerator_a10": 1, "memory": 2000000000})");
}

TEST(ServeSpecTest, ConfigFileIsReadBesideTheSpecAndMistakesPointIntoIt) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "raylaunch-serve-test";
  fs::create_directories(dir / "app");
  std::ofstream(dir / "serve.yaml") << "applications:\n"
                                       "  - name: x\n"
                                       "    import_path: standin_echo:app\n"
                                       "    runtime_env: {working_dir: app}\n";
  std::ofstream(dir / "bad.yaml") << "applications:\n  - import_path: a:b\n    rout_prefix: /x\n";
  std::string spec = k_cluster + "serve: {config: serve.yaml}\n";
  LoadResult loaded = load_spec_from_string(spec, "dir/cluster.yml", test::options_with(), dir.string());
  ASSERT_TRUE(loaded.spec.serve);
  EXPECT_EQ(loaded.spec.serve->file, "dir/serve.yaml");
  ASSERT_TRUE(loaded.spec.serve->apps.at(0).local_working_dir);
  EXPECT_EQ(loaded.spec.serve->apps.at(0).local_working_dir->value, (dir / "app").string());
  try {
    load_spec_from_string(k_cluster + "serve: {config: bad.yaml}\n", "dir/cluster.yml",
                          test::options_with(), dir.string());
    ADD_FAILURE() << "loaded";
  } catch (const SpecError& e) {
    EXPECT_EQ(format_error(e, *remembered_source("dir/bad.yaml")),
              "dir/bad.yaml:3:5: error: unknown key \"rout_prefix\" under applications[0]\n"
              "    3 |     rout_prefix: /x\n"
              "      |     ^\n"
              "hint: did you mean \"route_prefix\"?\n");
  }
  fs::remove_all(dir);
}

// Serve's GET body with one app running `config`.
std::string running(const std::string& app_config, const std::string& status = "RUNNING") {
  return R"({"controller_info": {"node_id": "a"}, "proxy_location": "EveryNode",
    "http_options": {"host": "0.0.0.0", "port": 8000, "root_path": ""},
    "grpc_options": {"port": 9000, "grpc_servicer_functions": []},
    "applications": {"echo": {"name": "echo", "route_prefix": "/echo", "status": ")" +
         status + R"(", "message": "", "deployed_app_config": )" + app_config + R"(,
      "deployments": {"Echo": {"name": "Echo", "status": "HEALTHY", "message": "",
        "target_num_replicas": 2, "required_resources": {"CPU": 1.0},
        "replicas": [{"state": "RUNNING"}, {"state": "STARTING"}]}}}}})";
}

ServeInstance instance(const std::string& body) {
  std::string error;
  std::optional<ServeInstance> parsed = parse_serve_instance(body, error);
  EXPECT_TRUE(parsed) << error;
  return parsed.value_or(ServeInstance{});
}

std::string decide(const std::string& config, const std::string& body) {
  ServeDecision d = decide_serve(config, instance(body));
  std::string out = d.change == ServeDecision::Change::none     ? "none"
                    : d.change == ServeDecision::Change::deploy ? "deploy"
                                                                : "restart";
  for (const std::string& reason : d.reasons) {
    out += "; " + reason;
  }
  return out;
}

TEST(ServeDecisionTest, PutOnlyWhatDiffers) {
  const std::string app = R"({"name":"echo","route_prefix":"/echo","import_path":"standin_echo:app","deployments":[{"name":"Echo","num_replicas":2}]})";
  const std::string same_reordered = R"({"import_path":"standin_echo:app","name":"echo","deployments":[{"num_replicas":2.0,"name":"Echo"}],"route_prefix":"/echo"})";
  EXPECT_EQ(decide(R"({"applications":[)" + app + "]}", running(app)), "none");
  EXPECT_EQ(decide(R"({"applications":[)" + same_reordered + "]}", running(app)), "none");
  std::string three = app;
  three.replace(three.find("\"num_replicas\":2"), 16, "\"num_replicas\":3");
  EXPECT_EQ(decide(R"({"applications":[)" + three + "]}", running(app)),
            "deploy; application \"echo\" changed");
  EXPECT_EQ(decide(R"({"applications":[]})", running(app)),
            "deploy; application \"echo\" is removed");
  EXPECT_EQ(decide(R"({"applications":[)" + app + "]}",
                   R"({"deploy_mode": "MULTI_APP", "controller_info": {}, "proxies": {}, "applications": {}, "target_capacity": null})"),
            "deploy; application \"echo\" is new");
  EXPECT_EQ(decide(R"({"applications":[]})",
                   R"({"deploy_mode": "MULTI_APP", "controller_info": {}, "proxies": {}, "applications": {}, "target_capacity": null})"),
            "none");
  // What Serve fixes when it starts: a PUT would be answered 200 and ignored.
  EXPECT_EQ(decide(R"({"http_options":{"port":8001},"applications":[)" + app + "]}", running(app)),
            "restart; http_options.port changed");
  EXPECT_EQ(decide(R"({"http_options":{"port":8000,"host":"0.0.0.0"},"proxy_location":"HeadOnly","applications":[)" + app + "]}",
                   running(app)),
            "restart; proxy_location changed");
}

TEST(ServeDecisionTest, AnImperativeAppIsNotTheConfigs) {
  std::string body = running("null");
  body.replace(body.find("\"deployed_app_config\""), 0, "\"source\": \"imperative\", ");
  EXPECT_EQ(decide(R"({"applications":[]})", body), "none");
}

TEST(ServeDecisionTest, ReadsAppsAndDeployments) {
  ServeInstance seen = instance(running(R"({"name":"echo"})", "DEPLOYING"));
  ASSERT_EQ(seen.apps.size(), 1u);
  EXPECT_TRUE(seen.started);
  EXPECT_EQ(seen.apps[0].status, "DEPLOYING");
  EXPECT_EQ(seen.apps[0].route_prefix, "/echo");
  ASSERT_EQ(seen.apps[0].deployments.size(), 1u);
  EXPECT_EQ(seen.apps[0].deployments[0].running, 1);
  EXPECT_EQ(seen.apps[0].deployments[0].target, 2);
  EXPECT_EQ(seen.apps[0].deployments[0].required_resources_json, R"({"CPU":1.0})");
  std::string error;
  EXPECT_FALSE(parse_serve_instance("Serve dependencies are not installed.", error));
  EXPECT_EQ(error, "the answer is not Serve's ServeInstanceDetails (no applications object)");
}

TEST(ServeDecisionTest, WorkingDirReplacedByItsUri) {
  EXPECT_EQ(with_working_dirs(R"({"applications":[{"name":"a","runtime_env":{"working_dir":"./x","pip":["y"]}},{"name":"b"}]})",
                              {{"a", "gcs://_ray_pkg_0123456789abcdef.zip"}}),
            R"({"applications":[{"name":"a","runtime_env":{"working_dir":"gcs://_ray_pkg_0123456789abcdef.zip","pip":["y"]}},{"name":"b"}]})");
}

TEST(ServeExportTest, RayServiceHoldsTheConfigAndTheCluster) {
  ClusterSpec spec = load_text("name: demo\n" +
                               with_serve("  applications:\n"
                                          "    - name: echo\n"
                                          "      route_prefix: /echo\n"
                                          "      import_path: standin_echo:app\n"));
  ExportResult result = export_kuberay(spec, plan_cluster(spec), {});
  std::string text = result.text;
  EXPECT_NE(text.find("# RayService \"demo\": raylaunch project \"demo\""), std::string::npos) << text;
  EXPECT_NE(text.find("kind: \"RayService\"\n"), std::string::npos);
  EXPECT_NE(text.find("  serveConfigV2: |\n"
                      "    applications:\n"
                      "    - name: \"echo\"\n"
                      "      route_prefix: \"/echo\"\n"
                      "      import_path: \"standin_echo:app\"\n"
                      "  rayClusterConfig:\n"
                      "    rayVersion: \"2.52.1\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("name: \"serve\"\n"), std::string::npos) << "the head's serve port";
  ExportResult compose = export_compose(spec, plan_cluster(spec));
  ASSERT_EQ(compose.warnings.size(), 1u);
  EXPECT_EQ(compose.warnings[0].message, "compose does not deploy serve:'s Serve applications");
}

}  // namespace
}  // namespace raylaunch
