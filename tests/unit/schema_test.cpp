// The JSON Schema (spec/schema.hpp) against what the loader reads. The schema
// is made from the loader's key table, so comparing it with that table shows
// nothing; the loader's own reading of each key is the independent source.
#include <raylaunch/base/error.hpp>
#include <raylaunch/spec/keys.hpp>
#include <raylaunch/spec/schema.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

using nlohmann::json;

json schema() { return json::parse(spec_json_schema()); }

// Where a section of the schema is written in a spec: `before` the key's
// line, then `after`, a line the section needs besides (left out when it sets
// the key itself).
struct Placement {
  const char* definition;  // "" for the top level
  std::string before;
  std::string after;
};

// "KEY: line N: MESSAGE" of the loader's refusal of `text`, or "KEY: loaded".
std::string refusal(const std::string& key, const std::string& text) {
  try {
    test::load_text(text);
  } catch (const Error& e) {
    return key + ": line " + std::to_string(e.where() ? e.where()->line : 0) + ": " + e.message();
  }
  return key + ": loaded";
}

// Given each key of each section of the schema with a value of a type it
// does not take (a mapping for a list, else a list of lists), we expect the
// loader to refuse it at that key's line, naming the key: a key the schema
// has and the loader never reads would load silently, and one it lacks would
// be missing here.
TEST(SchemaTest, TheLoaderReadsEveryKeyOfEverySection) {
  json s = schema();
  const Placement placements[] = {
      {"", "", ""},
      {"defaults", "defaults:\n  ", ""},
      {"head", "head:\n  ", ""},
      {"workers", "workers:\n  - ", "    group: g\n"},
      {"network", "network:\n  ", "  mode: host\n"},
      {"head_ports", "head:\n  ports:\n    ", ""},
      {"auth", "auth:\n  ", ""},
      {"env_NAME", "defaults:\n  env:\n    A:\n      ", "      value: x\n"},
      {"hosts_NAME", "hosts:\n  a:\n    ", ""},
      {"autoscale", "autoscale:\n  ", ""},
      {"serve", "serve:\n  ", "  applications: []\n"},
      {"serve_applications", "serve:\n  applications:\n    - ", "      import_path: a:b\n"},
      {"serve_applications_deployments",
       "serve:\n  applications:\n    - import_path: a:b\n      deployments:\n        - ",
       "          name: D\n"},
      {"serve_applications_deployments_autoscaling_config",
       "serve:\n  applications:\n    - import_path: a:b\n      deployments:\n        - name: D\n"
       "          autoscaling_config:\n            ",
       ""},
      {"serve_applications_deployments_ray_actor_options",
       "serve:\n  applications:\n    - import_path: a:b\n      deployments:\n        - name: D\n"
       "          ray_actor_options:\n            ",
       ""},
      {"serve_http_options", "serve:\n  applications: []\n  http_options:\n    ", ""},
      {"serve_grpc_options", "serve:\n  applications: []\n  grpc_options:\n    ", ""},
      {"serve_logging_config", "serve:\n  applications: []\n  logging_config:\n    ", ""},
  };
  std::set<std::string> checked;
  std::string refusals;
  for (const Placement& at : placements) {
    const json& properties = *at.definition == '\0'
                                 ? s.at("properties")
                                 : s.at("definitions").at(at.definition).at("properties");
    checked.insert(at.definition);
    for (const auto& [key, value] : properties.items()) {
      bool list = value.contains("type") && value.at("type") == "array";
      std::string wrong = list ? "{x: 1}" : "[[1]]";
      bool sets_it = at.after.find(" " + key + ":") != std::string::npos;
      std::string text = at.before + key + ": " + wrong + "\n" + (sets_it ? "" : at.after);
      refusals += std::string(at.definition) + "." + refusal(key, text) + "\n";
    }
  }
  // SECTION.KEY: line N: the loader's message. network.subnet is refused for
  // the mode it needs (bridge; network: here says host), read all the same.
  EXPECT_EQ(refusals,
      ".auth: line 1: auth must be a mapping, got a list\n"
      ".autoscale: line 1: autoscale must be a mapping, got a list\n"
      ".defaults: line 1: defaults must be a mapping, got a list\n"
      ".gpus: line 1: gpus must be a list, got a mapping\n"
      ".head: line 1: head must be a mapping, got a list\n"
      ".hosts: line 1: hosts must be a mapping, got a list\n"
      ".image: line 1: image must be a scalar, got a list\n"
      ".name: line 1: name must be a scalar, got a list\n"
      ".network: line 1: network must be a mapping, got a list\n"
      ".serve: line 1: serve must be a mapping, got a list\n"
      ".workers: line 1: workers must be a list, got a mapping\n"
      "defaults.cpus: line 2: cpus must be a scalar, got a list\n"
      "defaults.env: line 2: env must be a scalar, got a list\n"
      "defaults.gpus: line 2: gpus must be a scalar, got a list\n"
      "defaults.image: line 2: image must be a scalar, got a list\n"
      "defaults.labels: line 2: labels must be a mapping, got a list\n"
      "defaults.memory: line 2: memory must be a scalar, got a list\n"
      "defaults.num_cpus: line 2: num_cpus must be a scalar, got a list\n"
      "defaults.pull: line 2: pull must be a scalar, got a list\n"
      "defaults.ray_args: line 2: ray_args must be a mapping, got a list\n"
      "defaults.ray_labels: line 2: ray_labels must be a mapping, got a list\n"
      "defaults.resources: line 2: resources must be a mapping, got a list\n"
      "defaults.restart: line 2: restart must be a scalar, got a list\n"
      "defaults.shm_size: line 2: shm_size must be a scalar, got a list\n"
      "defaults.stop_grace_period: line 2: stop_grace_period must be a scalar, got a list\n"
      "defaults.volumes: line 2: volumes must be a list, got a mapping\n"
      "head.bind: line 2: bind must be a scalar, got a list\n"
      "head.cpus: line 2: cpus must be a scalar, got a list\n"
      "head.env: line 2: env must be a scalar, got a list\n"
      "head.gpus: line 2: gpus must be a scalar, got a list\n"
      "head.host: line 2: host must be a scalar, got a list\n"
      "head.image: line 2: image must be a scalar, got a list\n"
      "head.labels: line 2: labels must be a mapping, got a list\n"
      "head.memory: line 2: memory must be a scalar, got a list\n"
      "head.num_cpus: line 2: num_cpus must be a scalar, got a list\n"
      "head.ports: line 2: head.ports must be a mapping, got a list\n"
      "head.pull: line 2: pull must be a scalar, got a list\n"
      "head.ray_args: line 2: ray_args must be a mapping, got a list\n"
      "head.ray_labels: line 2: ray_labels must be a mapping, got a list\n"
      "head.resources: line 2: resources must be a mapping, got a list\n"
      "head.restart: line 2: restart must be a scalar, got a list\n"
      "head.shm_size: line 2: shm_size must be a scalar, got a list\n"
      "head.stop_grace_period: line 2: stop_grace_period must be a scalar, got a list\n"
      "head.volumes: line 2: volumes must be a list, got a mapping\n"
      "workers.cpus: line 2: cpus must be a scalar, got a list\n"
      "workers.env: line 2: env must be a scalar, got a list\n"
      "workers.gpus: line 2: gpus must be a scalar, got a list\n"
      "workers.group: line 2: group must be a scalar, got a list\n"
      "workers.host: line 2: host must be a scalar, got a list\n"
      "workers.hosts: line 2: hosts must be a list, got a mapping\n"
      "workers.idle_timeout: line 2: idle_timeout must be a scalar, got a list\n"
      "workers.image: line 2: image must be a scalar, got a list\n"
      "workers.labels: line 2: labels must be a mapping, got a list\n"
      "workers.max_replicas: line 2: max_replicas must be a scalar, got a list\n"
      "workers.memory: line 2: memory must be a scalar, got a list\n"
      "workers.min_replicas: line 2: min_replicas must be a scalar, got a list\n"
      "workers.num_cpus: line 2: num_cpus must be a scalar, got a list\n"
      "workers.pull: line 2: pull must be a scalar, got a list\n"
      "workers.ray_args: line 2: ray_args must be a mapping, got a list\n"
      "workers.ray_labels: line 2: ray_labels must be a mapping, got a list\n"
      "workers.replicas: line 2: replicas must be a scalar, got a list\n"
      "workers.resources: line 2: resources must be a mapping, got a list\n"
      "workers.restart: line 2: restart must be a scalar, got a list\n"
      "workers.shm_size: line 2: shm_size must be a scalar, got a list\n"
      "workers.stop_grace_period: line 2: stop_grace_period must be a scalar, got a list\n"
      "workers.volumes: line 2: volumes must be a list, got a mapping\n"
      "network.mode: line 2: network.mode must be a scalar, got a list\n"
      "network.node_ip: line 2: network.node_ip must be a scalar, got a list\n"
      "network.port_base: line 2: port_base must be a scalar, got a list\n"
      "network.subnet: line 2: network.subnet applies only to mode: bridge\n"
      "network.worker_ports: line 2: worker_ports must be a scalar, got a list\n"
      "head_ports.client: line 3: ports.client must be a scalar, got a list\n"
      "head_ports.dashboard: line 3: ports.dashboard must be a scalar, got a list\n"
      "head_ports.gcs: line 3: ports.gcs must be a scalar, got a list\n"
      "head_ports.serve: line 3: ports.serve must be a scalar, got a list\n"
      "auth.mode: line 2: auth.mode must be a scalar, got a list\n"
      "auth.token_env: line 2: auth.token_env must be a scalar, got a list\n"
      "env_NAME.secret: line 4: env.A.secret must be a scalar, got a list\n"
      "env_NAME.value: line 4: env.A must be a scalar, got a list\n"
      "hosts_NAME.address: line 3: hosts.a.address must be a scalar, got a list\n"
      "hosts_NAME.bind: line 3: hosts.a.bind must be a scalar, got a list\n"
      "hosts_NAME.context: line 3: hosts.a.context must be a scalar, got a list\n"
      "hosts_NAME.docker: line 3: hosts.a.docker must be a scalar, got a list\n"
      "hosts_NAME.gpus: line 3: hosts.a.gpus must be a list, got a mapping\n"
      "autoscale.idle_down: line 2: idle_down must be a scalar, got a list\n"
      "autoscale.interval: line 2: interval must be a scalar, got a list\n"
      "autoscale.upscaling_speed: line 2: upscaling_speed must be a scalar, got a list\n"
      "serve.applications: line 2: applications must be a list, got a mapping\n"
      "serve.config: line 3: serve has both config: and applications:\n"
      "serve.grpc_options: line 2: grpc_options must be a mapping, got a list\n"
      "serve.http_options: line 2: http_options must be a mapping, got a list\n"
      "serve.logging_config: line 2: logging_config must be a mapping, got a list\n"
      "serve.proxy_location: line 2: proxy_location must be a scalar, got a list\n"
      "serve.target_capacity: line 2: target_capacity must be a scalar, got a list\n"
      "serve_applications.args: line 3: args must be a mapping, got a list\n"
      "serve_applications.autoscaling_policy: line 3: autoscaling_policy must be a mapping, got a list\n"
      "serve_applications.deployments: line 3: deployments must be a list, got a mapping\n"
      "serve_applications.external_scaler_enabled: line 3: external_scaler_enabled must be a scalar, got a list\n"
      "serve_applications.import_path: line 3: import_path must be a scalar, got a list\n"
      "serve_applications.logging_config: line 3: applications[0].logging_config must be a mapping, got a list\n"
      "serve_applications.name: line 3: name must be a scalar, got a list\n"
      "serve_applications.route_prefix: line 3: route_prefix must be a scalar, got a list\n"
      "serve_applications.runtime_env: line 3: runtime_env must be a mapping, got a list\n"
      "serve_applications_deployments.autoscaling_config: line 5: applications[0].deployments[0].autoscaling_config must be a mapping, got a list\n"
      "serve_applications_deployments.graceful_shutdown_timeout_s: line 5: graceful_shutdown_timeout_s must be a scalar, got a list\n"
      "serve_applications_deployments.graceful_shutdown_wait_loop_s: line 5: graceful_shutdown_wait_loop_s must be a scalar, got a list\n"
      "serve_applications_deployments.health_check_period_s: line 5: health_check_period_s must be a scalar, got a list\n"
      "serve_applications_deployments.health_check_timeout_s: line 5: health_check_timeout_s must be a scalar, got a list\n"
      "serve_applications_deployments.logging_config: line 5: applications[0].deployments[0].logging_config must be a mapping, got a list\n"
      "serve_applications_deployments.max_ongoing_requests: line 5: max_ongoing_requests must be a scalar, got a list\n"
      "serve_applications_deployments.max_queued_requests: line 5: max_queued_requests must be a scalar, got a list\n"
      "serve_applications_deployments.max_replicas_per_node: line 5: max_replicas_per_node must be a scalar, got a list\n"
      "serve_applications_deployments.name: line 5: name must be a scalar, got a list\n"
      "serve_applications_deployments.num_replicas: line 5: num_replicas must be a scalar, got a list\n"
      "serve_applications_deployments.placement_group_bundles: line 5: placement_group_bundles must be a list, got a mapping\n"
      "serve_applications_deployments.placement_group_strategy: line 5: placement_group_strategy must be a scalar, got a list\n"
      "serve_applications_deployments.ray_actor_options: line 5: applications[0].deployments[0].ray_actor_options must be a mapping, got a list\n"
      "serve_applications_deployments.request_router_config: line 5: request_router_config must be a mapping, got a list\n"
      "serve_applications_deployments.user_config: loaded\n"
      "serve_applications_deployments_autoscaling_config.downscale_delay_s: line 7: downscale_delay_s must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.downscale_smoothing_factor: line 7: downscale_smoothing_factor must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.downscaling_factor: line 7: downscaling_factor must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.initial_replicas: line 7: initial_replicas must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.look_back_period_s: line 7: look_back_period_s must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.max_replicas: line 7: max_replicas must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.metrics_interval_s: line 7: metrics_interval_s must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.min_replicas: line 7: min_replicas must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.smoothing_factor: line 7: smoothing_factor must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.target_ongoing_requests: line 7: target_ongoing_requests must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.upscale_delay_s: line 7: upscale_delay_s must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.upscale_smoothing_factor: line 7: upscale_smoothing_factor must be a scalar, got a list\n"
      "serve_applications_deployments_autoscaling_config.upscaling_factor: line 7: upscaling_factor must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.accelerator_type: line 7: accelerator_type must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.memory: line 7: memory must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.num_cpus: line 7: num_cpus must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.num_gpus: line 7: num_gpus must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.object_store_memory: line 7: object_store_memory must be a scalar, got a list\n"
      "serve_applications_deployments_ray_actor_options.resources: line 7: resources must be a mapping, got a list\n"
      "serve_applications_deployments_ray_actor_options.runtime_env: line 7: runtime_env must be a mapping, got a list\n"
      "serve_http_options.host: line 4: host must be a scalar, got a list\n"
      "serve_http_options.keep_alive_timeout_s: line 4: keep_alive_timeout_s must be a scalar, got a list\n"
      "serve_http_options.port: line 4: port must be a scalar, got a list\n"
      "serve_http_options.request_timeout_s: line 4: request_timeout_s must be a scalar, got a list\n"
      "serve_http_options.root_path: line 4: root_path must be a scalar, got a list\n"
      "serve_http_options.ssl_ca_certs: line 4: ssl_ca_certs must be a scalar, got a list\n"
      "serve_http_options.ssl_certfile: line 4: ssl_certfile must be a scalar, got a list\n"
      "serve_http_options.ssl_keyfile: line 4: ssl_keyfile must be a scalar, got a list\n"
      "serve_http_options.ssl_keyfile_password: line 4: ssl_keyfile_password must be a scalar, got a list\n"
      "serve_grpc_options.grpc_servicer_functions: line 4: grpc_servicer_functions must be a list, got a mapping\n"
      "serve_grpc_options.port: line 4: port must be a scalar, got a list\n"
      "serve_grpc_options.request_timeout_s: line 4: request_timeout_s must be a scalar, got a list\n"
      "serve_logging_config.additional_log_standard_attrs: line 4: additional_log_standard_attrs must be a list, got a mapping\n"
      "serve_logging_config.enable_access_log: line 4: enable_access_log must be a scalar, got a list\n"
      "serve_logging_config.encoding: line 4: encoding must be a scalar, got a list\n"
      "serve_logging_config.log_level: line 4: log_level must be a scalar, got a list\n"
      "serve_logging_config.logs_dir: line 4: logs_dir must be a scalar, got a list\n");
  checked.erase("");
  EXPECT_EQ(checked.size(), s.at("definitions").size()) << "a section of the schema is not placed";
  for (const auto& [name, definition] : s.at("definitions").items()) {
    EXPECT_EQ(definition.at("additionalProperties"), false) << name;
  }
}

TEST(SchemaTest, AFewKeysByHand) {
  json s = schema();
  const json& workers = s.at("definitions").at("workers").at("properties");
  // A number as YAML reads it, or as text the loader reads as one ("3", ${N}).
  const json& replicas = workers.at("replicas").at("anyOf");
  EXPECT_EQ(replicas.at(0), json({{"type", "integer"}, {"minimum", 0}, {"maximum", 9999}}));
  EXPECT_EQ(replicas.at(1),
            json({{"type", "string"},
                  {"pattern", "^(-?[0-9]+)$|^\\$[A-Za-z_][A-Za-z0-9_]*$|"
                              "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:?[-+](-?[0-9]+)|:?\\?[^}]*)?\\}$"}}));
  EXPECT_TRUE(workers.contains("num_cpus"));  // a node key, inherited
  EXPECT_FALSE(workers.contains("replics"));
  EXPECT_EQ(workers.at("pull").at("anyOf").at(0).at("enum"),
            json({"missing", "always", "never", "ship"}));
  EXPECT_EQ(s.at("definitions").at("workers").at("required"), json({"group"}));
  const json& network = s.at("definitions").at("network").at("properties");
  EXPECT_EQ(network.at("port_base").at("anyOf").at(0).at("minimum"), 1024);
  EXPECT_EQ(network.at("mode").at("anyOf").at(0).at("enum"), json({"bridge", "host"}));
  EXPECT_EQ(s.at("definitions")
                .at("defaults")
                .at("properties")
                .at("cpus")
                .at("anyOf")
                .at(0)
                .at("exclusiveMinimum"),
            0);
  EXPECT_EQ(s.at("properties").at("workers").at("items").at("$ref"), "#/definitions/workers");
  EXPECT_EQ(s.at("definitions").at("env_NAME").at("required"), json({"value"}));
}

TEST(SchemaTest, DocsCopyIsCurrent) {
  std::ifstream in(std::string(RAYLAUNCH_SOURCE_DIR) + "/docs/raylaunch.schema.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), spec_json_schema()) << "run: raylaunch schema > docs/raylaunch.schema.json";
}

}  // namespace
}  // namespace raylaunch
