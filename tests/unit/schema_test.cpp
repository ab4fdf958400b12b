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
      "autoscale.upscaling_speed: line 2: upscaling_speed must be a scalar, got a list\n");
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
