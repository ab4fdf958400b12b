// `raylaunch config` prints the plan the way `docker compose config` prints
// the resolved model: every decision spelled out, in JSON or YAML. Both come
// from one JSON document so the two formats cannot drift apart.
#include <raylaunch/plan/output.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <ostream>
#include <sstream>
#include <string>

namespace raylaunch {

namespace {

using nlohmann::ordered_json;

// An object of `map`'s entries, values through `value_of`. ordered_json's
// operator[] looks for the key one entry at a time, so filling an object of
// 1,000 entries with it costs half a million comparisons; a std::map's keys
// are unique and sorted already, so they are appended as they are.
template <class ValueOf>
ordered_json object_of(const std::map<std::string, std::string>& map, ValueOf value_of) {
  ordered_json out = ordered_json::object();
  auto& entries = out.get_ref<ordered_json::object_t&>();
  entries.reserve(map.size());
  for (const auto& [key, value] : map) {
    entries.ordered_json::object_t::Container::emplace_back(key, value_of(key, value));
  }
  return out;
}

ordered_json container_json(const PlannedContainer& c) {
  ordered_json ports = ordered_json::array();
  for (const PortBinding& port : c.ports) {
    ordered_json binding = {{"name", port.name},
                            {"host_ip", port.host_ip},
                            {"host_port", port.host_port},
                            {"container_port", port.container_port},
                            {"protocol", "tcp"}};
    if (port.count > 1) {
      binding["count"] = port.count;  // host_port to host_port + count - 1
    }
    ports.push_back(binding);
  }
  ordered_json mounts = ordered_json::array();
  for (const Mount& mount : c.mounts) {
    mounts.push_back({{"type", mount.volume ? "volume" : "bind"},
                      {"source", mount.source},
                      {"target", mount.target},
                      {"read_only", mount.read_only}});
  }
  ordered_json env = object_of(c.env, [&](const std::string& key, const std::string& value) {
    return c.secret_env.count(key) ? std::string(k_masked) : value;
  });
  ordered_json labels =
      object_of(c.labels, [](const std::string&, const std::string& value) { return value; });
  ordered_json out = {{"name", c.name}};
  if (!c.host.empty()) {
    out["host"] = c.host;
    out["node_ip"] = c.node_ip.empty() ? ordered_json(nullptr) : ordered_json(c.node_ip);
  }
  out.update(ordered_json{{"role", c.role},
                      {"group", c.group},
                      {"replica", c.replica},
                      {"image", c.image},
                      {"pull", pull_to_string(c.pull)},
                      {"command", c.command},
                      {"ports", ports},
                      {"gpus", c.gpus},
                      {"shm_size", c.shm_size}});
  out["memory"] = c.memory ? ordered_json(*c.memory) : ordered_json(nullptr);
  out["cpus"] = c.cpus ? ordered_json(*c.cpus) : ordered_json(nullptr);
  out["env"] = env;
  out["mounts"] = mounts;
  out["restart"] = restart_to_string(c.restart);
  out["stop_grace_period"] = fmt::format("{}s", c.stop_grace.count());
  out["labels"] = labels;
  out["config_hash"] = c.config_hash;
  if (c.optional) {
    out["autoscaled"] = true;  // made only when raylaunch autoscale (or min_replicas) needs it
  }
  return out;
}

// The document without its containers, which come last and are written one
// at a time: a plan of 10,000 containers as one JSON value would take
// gigabytes.
ordered_json plan_head_json(const Plan& plan) {
  ordered_json network = {{"mode", plan.network.mode == NetworkMode::host ? "host" : "bridge"}};
  if (plan.network.mode == NetworkMode::bridge) {
    network["name"] = plan.network.name;
    network["subnet"] = plan.network.subnet ? ordered_json(*plan.network.subnet) : ordered_json(nullptr);
    ordered_json labels = ordered_json::object();
    for (const auto& [key, value] : plan.network.labels) {
      labels[key] = value;
    }
    network["labels"] = labels;
  }
  ordered_json out = {{"schema_version", k_plan_schema_version}, {"project", plan.project}};
  if (!plan.hosts.empty()) {
    auto or_null = [](const std::string& text) {
      return text.empty() ? ordered_json(nullptr) : ordered_json(text);
    };
    ordered_json hosts = ordered_json::array();
    for (const PlannedHost& host : plan.hosts) {
      hosts.push_back({{"name", host.name},
                       {"docker", or_null(host.docker)},
                       {"context", or_null(host.context)},
                       {"address", or_null(host.address)}});
    }
    out["hosts"] = hosts;
  }
  out.update(ordered_json{{"gcs_address", plan.gcs_address},
                          {"network", network},
                          {"volumes", plan.volumes}});
  if (!plan.scaling.empty()) {
    ordered_json groups = ordered_json::object();
    for (const auto& [group, scaling] : plan.scaling) {
      groups[group] = {{"min_replicas", scaling.min},
                       {"max_replicas", scaling.max},
                       {"replicas_at_creation", scaling.start},
                       {"idle_timeout", scaling.idle_timeout.count() % 1000 == 0
                                            ? fmt::format("{}s", scaling.idle_timeout.count() / 1000)
                                            : fmt::format("{}ms", scaling.idle_timeout.count())},
                       {"shape", scaling.shape}};
    }
    out["autoscaled_groups"] = groups;
  }
  if (plan.serve) {
    // What up deploys to Serve (a local working_dir is still its folder here).
    out["serve"] = {{"file", plan.serve->file},
                    {"http_port", plan.serve->http_port},
                    {"config", ordered_json::parse(plan.serve->config_json)}};
  }
  return out;
}

std::string dumped(const ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, ordered_json::error_handler_t::replace);
}

// JSON's double-quoted strings are YAML double-quoted scalars too, so strings
// are written that way and never need YAML's plain-scalar quoting rules.
std::string yaml_key(const std::string& key) {
  auto plain = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           (!first && (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-'));
  };
  bool is_plain = !key.empty();
  for (size_t i = 0; i < key.size() && is_plain; ++i) {
    is_plain = plain(key[i], i == 0);
  }
  return is_plain ? key : ordered_json(key).dump();
}

void write_yaml(const ordered_json& value, int indent, std::string& out);

void write_yaml_child(const ordered_json& value, int indent, std::string& out) {
  bool nested = (value.is_object() || value.is_array()) && !value.empty();
  if (nested) {
    out += '\n';
    write_yaml(value, indent, out);
  } else {
    out += ' ';
    write_yaml(value, indent, out);
    out += '\n';
  }
}

void write_yaml(const ordered_json& value, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      out += pad + yaml_key(key) + ':';
      write_yaml_child(child, indent + 2, out);
    }
  } else if (value.is_array() && !value.empty()) {
    for (const ordered_json& child : value) {
      if (child.is_object() && !child.empty()) {
        // The first key goes on the dash's line, the rest under it.
        std::string nested;
        write_yaml(child, indent + 2, nested);
        nested.replace(0, static_cast<size_t>(indent + 2), pad + "- ");
        out += nested;
      } else {
        out += pad + "-";
        write_yaml_child(child, indent + 2, out);
      }
    }
  } else if (value.is_object()) {
    out += "{}";
  } else if (value.is_array()) {
    out += "[]";
  } else {
    out += dumped(value, -1);
  }
}

}  // namespace

void write_plan_json(const Plan& plan, std::ostream& out) {
  std::string head = dumped(plan_head_json(plan), 2);
  head.resize(head.size() - 2);  // the closing "\n}": the containers go before it
  out << head << ",\n  \"containers\": [";
  const char* separator = "\n";
  for (const PlannedContainer& c : plan.containers) {
    // Each container as the whole document's dump would indent it: four spaces deeper.
    std::string text = "    " + dumped(container_json(c), 2);
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 5)) {
      text.insert(at + 1, "    ");
    }
    out << separator << text;
    separator = ",\n";
  }
  out << (plan.containers.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

void write_plan_yaml(const Plan& plan, std::ostream& out) {
  std::string text;
  write_yaml(plan_head_json(plan), 0, text);
  out << text << (plan.containers.empty() ? "containers: []\n" : "containers:\n");
  for (const PlannedContainer& c : plan.containers) {
    text.clear();
    write_yaml(ordered_json::array({container_json(c)}), 2, text);
    out << text;
  }
}

std::string plan_to_json(const Plan& plan) {
  std::ostringstream out;
  write_plan_json(plan, out);
  return out.str();
}

std::string plan_to_yaml(const Plan& plan) {
  std::ostringstream out;
  write_plan_yaml(plan, out);
  return out.str();
}

}  // namespace raylaunch
