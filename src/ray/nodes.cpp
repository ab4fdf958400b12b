// Ray's node list, as its State API returns it (see the reference in
// shared/reference/ray-dashboard-api.md): an envelope around entries whose
// key order is not stable, sorted by node_id, DEAD ones included.
#include <raylaunch/ray/nodes.hpp>

#include <nlohmann/json.hpp>

namespace raylaunch {

namespace {

using json = nlohmann::json;

std::string string_or_empty(const json& entry, const char* key) {
  auto found = entry.find(key);
  return found != entry.end() && found->is_string() ? found->get<std::string>() : std::string();
}

RayNode node_of(const json& entry) {
  RayNode node;
  node.node_id = entry.at("node_id").get<std::string>();
  node.node_ip = string_or_empty(entry, "node_ip");
  node.node_name = string_or_empty(entry, "node_name");
  if (node.node_name.empty()) {
    node.node_name = node.node_ip;  // Ray's default without --node-name
  }
  node.is_head = entry.value("is_head_node", false);
  node.alive = entry.at("state").get<std::string>() == "ALIVE";
  node.state_message = string_or_empty(entry, "state_message");
  if (auto resources = entry.find("resources_total");
      resources != entry.end() && resources->is_object()) {
    for (const auto& [name, amount] : resources->items()) {
      if (amount.is_number()) {
        node.resources[name] = amount.get<double>();
      }
    }
  }
  if (auto start = entry.find("start_time_ms"); start != entry.end() && start->is_number()) {
    node.start_time_ms = start->get<int64_t>();
  }
  return node;
}

}  // namespace

std::optional<std::vector<RayNode>> parse_ray_nodes(const std::string& body, std::string& error) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "the answer is not JSON";
    return std::nullopt;
  }
  // Anything but `"result": true` is a refusal; its `msg` says why when it is
  // a string with something in it (Ray sends null or nothing at times).
  auto result = doc.find("result");
  if (result == doc.end() || !result->is_boolean() || !result->get<bool>()) {
    auto msg = doc.find("msg");
    if (msg != doc.end() && msg->is_string() && !msg->get<std::string>().empty()) {
      error = msg->get<std::string>();
    } else if (result != doc.end() && result->is_boolean()) {
      error = "Ray answered result: false";
    } else {
      error = "the answer has no \"result\": true";
    }
    return std::nullopt;
  }
  try {
    std::vector<RayNode> nodes;
    for (const json& entry : doc.at("data").at("result").at("result")) {
      nodes.push_back(node_of(entry));
    }
    return nodes;
  } catch (const json::exception& e) {
    error = std::string("unexpected node list: ") + e.what();
    return std::nullopt;
  }
}

std::map<std::string, RayNode> ray_nodes_by_name(const std::vector<RayNode>& nodes) {
  std::map<std::string, RayNode> by_name;
  for (const RayNode& node : nodes) {
    auto [seen, added] = by_name.emplace(node.node_name, node);
    if (added) {
      continue;
    }
    const RayNode& kept = seen->second;
    bool newer = node.start_time_ms > kept.start_time_ms;
    if ((node.alive && (!kept.alive || newer)) || (!node.alive && !kept.alive && newer)) {
      seen->second = node;
    }
  }
  return by_name;
}

}  // namespace raylaunch
