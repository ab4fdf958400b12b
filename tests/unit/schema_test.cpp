// The JSON Schema (spec/schema.hpp) against the key table the loader reads:
// the same keys in every section, so a key added without the schema fails.
#include <raylaunch/spec/keys.hpp>
#include <raylaunch/spec/schema.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace raylaunch {
namespace {

using nlohmann::json;

json schema() { return json::parse(spec_json_schema()); }

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [name, value] : object.at("properties").items()) {
    keys.insert(name);
  }
  return keys;
}

std::set<std::string> table_keys(KeySection id) {
  std::vector<std::string> keys = allowed_keys(id);
  return {keys.begin(), keys.end()};
}

TEST(SchemaTest, EverySectionHasExactlyTheLoadersKeys) {
  json s = schema();
  EXPECT_EQ(keys_of(s), table_keys(KeySection::top));
  const std::pair<const char*, KeySection> sections[] = {
      {"defaults", KeySection::node},         {"head", KeySection::head},
      {"workers", KeySection::worker_group},  {"network", KeySection::network},
      {"head_ports", KeySection::head_ports}, {"auth", KeySection::auth},
      {"env_NAME", KeySection::env_entry},    {"hosts_NAME", KeySection::host}};
  for (const auto& [name, id] : sections) {
    SCOPED_TRACE(name);
    const json& definition = s.at("definitions").at(name);
    EXPECT_EQ(keys_of(definition), table_keys(id));
    EXPECT_EQ(definition.at("additionalProperties"), false);
  }
  EXPECT_EQ(s.at("definitions").size(), spec_sections().size() - 1);
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
