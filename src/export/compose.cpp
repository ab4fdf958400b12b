// `raylaunch export compose`: the planned cluster as a compose file for
// colleagues who run docker-compose. Each planned container is a service of
// its own, because compose's replicas cannot each get their own GPU, and
// keeps raylaunch's name and labels, so `raylaunch status -p` still sees it.
#include <raylaunch/export/export.hpp>

#include "support.hpp"

#include <fmt/format.h>

#include <set>

namespace raylaunch {

namespace {

std::string service_name(const PlannedContainer& c) {
  return c.role == "head" ? std::string("head") : fmt::format("{}-{}", c.group, c.replica);
}

// docker-compose 1.29 knows v2's "missing" only as "if_not_present".
std::string pull_policy(PullPolicy pull) {
  bool missing = pull == PullPolicy::missing || pull == PullPolicy::ship;  // one engine: no shipping
  return missing ? std::string("if_not_present") : pull_to_string(pull);
}

const ExportNode& node_of(const std::vector<ExportNode>& nodes, const std::string& group) {
  for (const ExportNode& node : nodes) {
    if (node.group == group) {
      return node;
    }
  }
  return nodes.front();
}

// A secret is a reference to docker-compose's own environment; `:?` stops
// `up` when it is not set, rather than starting Ray with an empty value.
std::string secret_reference(const ClusterSpec& spec, const ExportNode& node,
                             const std::string& key, ExportWarnings& warnings) {
  std::string variable = key;
  if (key == "RAY_AUTH_TOKEN" && spec.auth.token) {
    variable = spec.auth.token_env.empty() ? key : spec.auth.token_env;
    warnings.add(fmt::format("the Ray token is written as ${{{}}}: docker-compose reads it from "
                             "its environment or .env",
                             variable),
                 spec.auth.token_env.empty()
                     ? "set RAY_AUTH_TOKEN to a token of your own (e.g. openssl rand -hex 32) "
                       "before docker-compose up"
                     : fmt::format("export {} before docker-compose up", variable),
                 spec.auth.where);
  } else {
    warnings.add(
        fmt::format("secret env {0} is written as ${{{0}}}: docker-compose reads the "
                    "value from its environment or .env",
                    key),
        fmt::format("export {} before docker-compose up; the file never holds the value", key),
        entry_written_at(node.spec->env, spec.defaults.env, key, node.where));
  }
  return fmt::format("${{{0}:?{0} must be set}}", variable);
}

Json environment(const ClusterSpec& spec, const PlannedContainer& c, const ExportNode& node,
                 ExportWarnings& warnings) {
  Json env = Json::object();
  for (const auto& [key, value] : c.env) {
    env[key] = c.secret_env.count(key) != 0 ? secret_reference(spec, node, key, warnings)
                                            : double_dollars(value);
  }
  return env;
}

Json string_map(const std::map<std::string, std::string>& entries) {
  Json out = Json::object();
  for (const auto& [key, value] : entries) {
    out[key] = double_dollars(value);
  }
  return out;
}

// raylaunch's `up` creates missing bind folders for the image's user;
// Docker, under compose, creates them for root.
void warn_about_binds(const ExportNode& node, ExportWarnings& warnings) {
  for (const VolumeSpec& volume : node.node.volumes) {
    if (!volume.named && !volume.read_only) {
      warnings.add(fmt::format("docker-compose creates a missing host folder \"{}\" owned by "
                               "root, where raylaunch up gives it to the image's user",
                               volume.source),
                   "create the folders first for the user the image runs as, e.g. mkdir -p DIR "
                   "&& sudo chown 1000:100 DIR",
                   volume.where);
    }
  }
}

Json mounts(const PlannedContainer& c) {
  Json out = Json::array();
  for (const Mount& mount : c.mounts) {
    out.push_back(
        double_dollars(mount.source + ":" + mount.target + (mount.read_only ? ":ro" : "")));
  }
  return out;
}

void add_devices(const PlannedContainer& c, Json& service) {
  Json ids = Json::array();
  for (const std::string& gpu : c.gpus) {
    ids.push_back(gpu);
  }
  Json device = {{"driver", "nvidia"}, {"device_ids", ids}, {"capabilities", {"gpu"}}};
  service["deploy"] = {{"resources", {{"reservations", {{"devices", Json::array({device})}}}}}};
}

Json service(const ClusterSpec& spec, const Plan& plan, const PlannedContainer& c,
             const ExportNode& node, ExportWarnings& warnings) {
  bool host = plan.network.mode == NetworkMode::host;
  Json s = {{"container_name", c.name}};
  if (!host) {
    s["hostname"] = c.name;
  }
  s["image"] = double_dollars(c.image);
  s["pull_policy"] = pull_policy(c.pull);
  Json command = Json::array();
  for (const std::string& arg : c.command) {
    command.push_back(double_dollars(arg));
  }
  s["command"] = command;
  s["init"] = true;
  s["shm_size"] = c.shm_size;
  if (c.memory) {
    s["mem_limit"] = *c.memory;
  }
  if (c.cpus) {
    s["cpus"] = *c.cpus;
  }
  s["restart"] = restart_to_string(c.restart);
  if (c.stop_grace != k_default_stop_grace) {
    s["stop_grace_period"] = fmt::format("{}s", c.stop_grace.count());
  }
  if (!c.ports.empty()) {
    s["ports"] = Json::array();
    for (const PortBinding& port : c.ports) {
      s["ports"].push_back(
          fmt::format("{}:{}:{}", port.host_ip, port.host_port, port.container_port));
    }
  }
  s["environment"] = environment(spec, c, node, warnings);
  s["labels"] = string_map(c.labels);
  if (!c.mounts.empty()) {
    s["volumes"] = mounts(c);
  }
  if (host) {
    s["network_mode"] = "host";
  } else {
    s["networks"] = Json::array({plan.network.name});
  }
  if (c.role != "head") {
    s["depends_on"] = Json::array({"head"});
  }
  if (!c.gpus.empty()) {
    add_devices(c, s);
  }
  return s;
}

// The network and volumes keep raylaunch's names and labels, so
// `raylaunch down -p` removes them as well as `docker-compose down`.
void add_networks_and_volumes(const Plan& plan, Json& doc) {
  if (plan.network.mode != NetworkMode::host) {
    Json network = {{"name", plan.network.name}, {"driver", "bridge"}};
    if (plan.network.subnet) {
      network["ipam"] = {{"config", Json::array({{{"subnet", *plan.network.subnet}}})}};
    }
    network["labels"] = string_map(plan.network.labels);
    doc["networks"] = {{plan.network.name, network}};
  }
  if (!plan.volumes.empty()) {
    doc["volumes"] = Json::object();
    for (const std::string& volume : plan.volumes) {
      doc["volumes"][volume] = {{"name", volume},
                                {"labels", {{"io.raylaunch.project", plan.project}}}};
    }
  }
}

// The variables the secrets are read from: the token's is auth.token_env.
std::set<std::string> secret_variables(const ClusterSpec& spec, const Plan& plan) {
  std::set<std::string> variables;
  for (const PlannedContainer& c : plan.containers) {
    for (const std::string& key : c.secret_env) {
      bool token = key == "RAY_AUTH_TOKEN" && spec.auth.token && !spec.auth.token_env.empty();
      variables.insert(token ? spec.auth.token_env : key);
    }
  }
  return variables;
}

std::vector<std::string> compose_header(const ClusterSpec& spec, const Plan& plan) {
  std::set<std::string> secrets = secret_variables(spec, plan);
  std::vector<std::string> lines = {
      fmt::format("raylaunch project \"{}\" as a compose file, exported by raylaunch {}; for",
                  plan.project, k_version),
      "docker-compose 1.29 and docker compose v2. Up: docker-compose -f FILE up -d",
      fmt::format("Status: raylaunch status -p {0}   Down: docker-compose -f FILE down, or "
                  "raylaunch down -p {0}",
                  plan.project)};
  if (!secrets.empty()) {
    std::string names;
    for (const std::string& name : secrets) {
      names += (names.empty() ? "" : ", ") + name;
    }
    lines.push_back(
        fmt::format("Secret values are not in this file: set {} in the environment "
                    "or .env first.",
                    names));
  }
  return lines;
}

}  // namespace

ExportResult export_compose(const ClusterSpec& spec, const Plan& plan) {
  if (plan.hosts.size() > 1) {
    throw SpecError(fmt::format("docker compose runs a project on one engine, but the spec "
                                "spans {} hosts",
                                plan.hosts.size()),
                    "bring it up with `raylaunch up`; or export a spec per host",
                    spec.hosts_where.value_or(SourceLocation{spec.file, 1, 1}));
  }
  ExportWarnings warnings;
  if (spec.serve) {
    warnings.add("compose does not deploy serve:'s Serve applications",
                 "once the cluster is up, deploy them with `raylaunch serve deploy` (or Ray's "
                 "`serve deploy` through the dashboard)",
                 spec.serve->where);
  }
  std::vector<ExportNode> nodes = export_nodes(spec, plan.gcs_address);
  for (const ExportNode& node : nodes) {
    if (node.replicas > 0) {
      warn_about_binds(node, warnings);
    }
  }
  for (const WorkerGroupSpec& group : spec.workers) {
    if (group.scaling) {
      warnings.add(fmt::format("compose cannot autoscale: group \"{}\" gets its {} replicas, "
                               "not min_replicas {} to max_replicas {}",
                               group.group.value, group.replicas.value, group.scaling->min.value,
                               group.scaling->max.value),
                   "run `raylaunch autoscale` beside it, or export kuberay for Ray's own "
                   "autoscaler",
                   group.scaling->max.where);
    }
  }
  Json services = Json::object();
  for (const PlannedContainer& c : plan.containers) {
    auto scaling = plan.scaling.find(c.group);
    if (scaling != plan.scaling.end() && c.replica > scaling->second.start) {
      continue;  // compose gets the replicas up starts with
    }
    services[service_name(c)] = service(spec, plan, c, node_of(nodes, c.group), warnings);
  }
  Json doc = {{"services", services}};
  add_networks_and_volumes(plan, doc);
  return {render_yaml(doc, compose_header(spec, plan)), warnings.take()};
}

}  // namespace raylaunch
