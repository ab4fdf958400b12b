// Every decision about the cluster is made here, before any container exists:
// a pure function from the spec to the containers, so `config`, `--dry-run`
// and golden tests all see exactly what `up` will do. This file walks the
// nodes in order; each kind of decision has a file of its own beside it.
#include <raylaunch/plan/planner.hpp>

#include <raylaunch/plan/budget.hpp>
#include <raylaunch/plan/config_hash.hpp>
#include <raylaunch/plan/gpus.hpp>
#include <raylaunch/plan/placement.hpp>
#include <raylaunch/plan/ports.hpp>
#include <raylaunch/plan/ray_start.hpp>
#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/plan/shm.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <set>
#include <utility>

namespace raylaunch {

namespace {

PlannedNetwork plan_network(const ClusterSpec& spec, const std::string& project) {
  PlannedNetwork network;
  network.mode = spec.network.mode;
  if (spec.network.mode != NetworkMode::host) {
    network.name = project + "_net";
    if (spec.network.subnet) {
      network.subnet = spec.network.subnet->value;
    }
    network.labels = {{"io.raylaunch.project", project}, {"io.raylaunch.version", k_version}};
  }
  return network;
}

// What a replica gives Ray, as the spec says it (PlannedScaling::shape).
std::map<std::string, double> shape_of(const ResolvedNode& node) {
  std::map<std::string, double> shape = node.resources;
  if (node.num_cpus) {
    shape["CPU"] = static_cast<double>(*node.num_cpus);
  } else if (node.cpus) {
    shape["CPU"] = std::floor(*node.cpus);
  }
  if (node.gpus > 0) {
    shape["GPU"] = static_cast<double>(node.gpus);
  }
  if (node.memory) {
    // Ray gives tasks less (the object store takes its share): an upper
    // bound, so a request that may fit is launched for, not refused.
    shape["memory"] = static_cast<double>(*node.memory);
  }
  return shape;
}

void check_name_length(const std::string& project, const WorkerGroupSpec& group) {
  size_t digits = std::to_string(group.planned_replicas()).size();
  if (project.size() + group.group.value.size() + digits + 2 > 63) {
    throw SpecError(
        fmt::format("container names of group \"{}\" would be longer than 63 characters",
                    group.group.value),
        "container names are DNS names; shorten the project or the group name",
        group.group.where);
  }
}

std::vector<std::string> project_volumes(const std::vector<PlannedContainer>& containers) {
  std::set<std::string> volumes;
  for (const PlannedContainer& container : containers) {
    for (const Mount& mount : container.mounts) {
      if (mount.volume) {
        volumes.insert(mount.source);
      }
    }
  }
  return {volumes.begin(), volumes.end()};
}

std::string expand_placeholders(const std::string& text, const PlannedContainer& c) {
  std::string out = text;
  for (const auto& [token, value] : {std::pair<std::string, std::string>{"{name}", c.name},
                                     {"{group}", c.group},
                                     {"{replica}", std::to_string(c.replica)}}) {
    for (size_t at = out.find(token); at != std::string::npos; at = out.find(token, at)) {
      out.replace(at, token.size(), value);
      at += value.size();
    }
  }
  return out;
}

// The node's own env, then what raylaunch adds: the auth token and where in
// the cluster the node is.
void add_env(const ClusterSpec& spec, const ResolvedNode& node, const Plan& plan,
             PlannedContainer& c) {
  c.env = node.env;
  for (const auto& [key, value] : c.env) {
    auto said = node.env_secret.find(key);
    if (said != node.env_secret.end() ? said->second : is_secret_name(key)) {
      c.secret_env.insert(key);
    }
  }
  if (spec.auth.token) {  // the loader refused RAY_AUTH_* in env
    c.env["RAY_AUTH_MODE"] = "token";
    c.env["RAY_AUTH_TOKEN"] = spec.auth.resolved_token;
    c.secret_env.insert("RAY_AUTH_TOKEN");
  }
  c.env["RAYLAUNCH_PROJECT"] = plan.project;
  c.env["RAYLAUNCH_GROUP"] = c.group;
  c.env["RAYLAUNCH_REPLICA"] = std::to_string(c.replica);
  c.env["RAY_ADDRESS"] = plan.gcs_address;
  if (c.role == "worker") {
    // What Ray reports as the node's instance_id and ray_node_type_name, so
    // the autoscaler maps Ray's nodes to containers without guessing by IP
    // (the loader refused both in env).
    c.env["RAY_CLOUD_INSTANCE_ID"] = c.name;
    c.env["RAY_NODE_TYPE_NAME"] = c.group;
  }
}

void add_mounts(const ResolvedNode& node, const Plan& plan, PlannedContainer& c) {
  for (const VolumeSpec& volume : node.volumes) {
    // `{name}`, `{group}` and `{replica}` give each replica a folder of its
    // own, e.g. Ray's logs in ./logs/{name}.
    std::string source = expand_placeholders(volume.source, c);
    c.mounts.push_back({volume.named, volume.named ? plan.project + "_" + source : source,
                        volume.target, volume.read_only});
  }
}

// The user's labels, then raylaunch's; the config hash's comes last, as it
// covers the rest.
void add_labels(const ClusterSpec& spec, const ResolvedNode& node, const Plan& plan,
                const RayStartOptions& options, const NodePlace& place, PlannedContainer& c) {
  const HeadSpec& head = spec.head;
  c.labels = node.labels;
  c.labels["io.raylaunch.project"] = plan.project;
  c.labels["io.raylaunch.role"] = c.role;
  c.labels["io.raylaunch.group"] = c.group;
  c.labels["io.raylaunch.replica"] = std::to_string(c.replica);
  c.labels["io.raylaunch.version"] = k_version;
  if (!c.host.empty()) {
    c.labels["io.raylaunch.host"] = c.host;
  }
  if (plan.hosts.size() > 1) {
    // So that `down -p NAME` on one of them knows there are others.
    std::string hosts;
    for (const PlannedHost& host : plan.hosts) {
      hosts += (hosts.empty() ? "" : ",") + host.name;
    }
    c.labels["io.raylaunch.hosts"] = hosts;
  }
  // What `status` shows without the spec file at hand.
  if (auto cpus = options.find("num-cpus"); cpus != options.end() && cpus->second) {
    c.labels["io.raylaunch.cpus"] = *cpus->second;
  }
  if (!c.gpus.empty()) {
    std::string gpus;
    for (const std::string& gpu : c.gpus) {
      gpus += (gpus.empty() ? "" : ",") + gpu;
    }
    c.labels["io.raylaunch.gpus"] = gpus;
  }
  if (c.role == "head") {
    // Where raylaunch, on this machine, reaches the dashboard.
    std::string host_ip = place.bind;
    if (host_ip == "0.0.0.0") {
      host_ip = c.node_ip.empty() ? "127.0.0.1" : c.node_ip;
    }
    c.labels["io.raylaunch.dashboard"] =
        fmt::format("http://{}:{}", host_ip, head.ports.dashboard.value);
  }
}

// Walks the nodes in the order GPUs and host port blocks are handed out: the
// head, then each group's replicas. It holds what one node's decisions leave
// for the next: the next free GPU and the warnings said so far.
class Planner {
 public:
  explicit Planner(const ClusterSpec& spec) : m_spec(spec), m_placer(spec) {}

  Plan plan() {
    Plan plan;
    plan.project = m_spec.name.value;
    plan.hosts = planned_hosts(m_spec);
    plan.network = plan_network(m_spec, plan.project);
    if (m_spec.defaults.stop_grace) {
      plan.stop_grace = std::chrono::seconds(m_spec.defaults.stop_grace->value);
    }
    if (std::optional<Diagnostic> warning = check_head_ports(m_spec)) {
      m_warnings.push_back(std::move(*warning));
    }
    check_plan_budget(m_spec);
    size_t total = 0;
    for (const auto& [host, nodes] : Placer::nodes_per_host(m_spec)) {
      total += nodes;
    }
    plan.containers.reserve(total);

    const HeadSpec& head = m_spec.head;
    ResolvedNode head_node = resolve_node(m_spec, head.node, head.where, "the head");
    check_ray_arg_ports(m_spec, head_node, true);
    plan.gcs_address = plan_gcs_address(m_spec, plan.project);
    plan.containers.push_back(
        make_container(plan, head_node, "head", 1, m_placer.head(), head.where));
    for (const WorkerGroupSpec& group : m_spec.workers) {
      ResolvedNode node = resolve_node(m_spec, group.node, group.where,
                                       fmt::format("worker group \"{}\"", group.group.value));
      check_ray_arg_ports(m_spec, node, false);
      if (m_spec.hosts.empty()) {
        check_group_gpus(m_spec, node, group, m_next_gpu[""]);
      }
      check_name_length(plan.project, group);
      for (int64_t replica = 1; replica <= group.planned_replicas(); ++replica) {
        plan.containers.push_back(make_container(plan, node, group.group.value,
                                                 static_cast<int>(replica),
                                                 m_placer.worker(group, replica), group.where));
        plan.containers.back().optional = group.scaling.has_value();
      }
      if (group.scaling) {
        plan.scaling[group.group.value] = {
            group.scaling->min.value, group.scaling->max.value, group.replicas.value,
            std::chrono::milliseconds(group.scaling->idle_timeout_ms.value), shape_of(node)};
      }
    }
    plan.volumes = project_volumes(plan.containers);
    plan.serve = plan_serve(m_spec, m_warnings);
    plan.warnings = std::move(m_warnings);
    return plan;
  }

 private:
  // `place` is where the node runs; its index on its host picks its block
  // of pinned ports.
  PlannedContainer make_container(const Plan& plan, const ResolvedNode& node,
                                  const std::string& group, int replica, const NodePlace& place,
                                  const SourceLocation& where) {
    bool is_head = group == "head";
    PlannedContainer c;
    c.host = place.host;
    c.node_ip = place.node_ip;
    c.role = is_head ? "head" : "worker";
    c.group = group;
    c.replica = replica;
    c.name = is_head ? plan.project + "-head"
                     : worker_name(plan.project, group, replica);
    c.image = node.image;
    c.pull = node.pull;
    c.memory = node.memory;
    c.cpus = node.cpus;
    c.restart = node.restart;
    for (const WorkerGroupSpec& spec_group : m_spec.workers) {
      if (spec_group.group.value == group && spec_group.scaling) {
        // As Ray's autoscaler v2 wants: a drained worker must not come back
        // by itself as a new node; the autoscaler decides what runs.
        c.restart = RestartPolicy{RestartPolicy::Kind::no};
      }
    }
    c.stop_grace = std::chrono::seconds(node.stop_grace);
    c.gpus = take_gpus(node, c, where);

    RayStartOptions options =
        ray_start_options(m_spec, node, c.name, c.gpus.size(), is_head, place, plan.gcs_address);
    c.command = render_ray_start(options);
    c.ports = published_ports(m_spec, place, is_head);
    c.shm_size = size_shm(node, options,
                          is_head ? std::string("the head") : fmt::format("group \"{}\"", group));
    add_env(m_spec, node, plan, c);
    add_mounts(node, plan, c);
    add_labels(m_spec, node, plan, options, place, c);
    c.config_hash = config_hash(c, plan.network.name);
    c.labels["io.raylaunch.config-hash"] = c.config_hash;
    return c;
  }

  // From the pool of the node's host: the host's own `gpus:`, else the
  // top-level one (each host hands out its own devices).
  std::vector<std::string> take_gpus(const ResolvedNode& node, const PlannedContainer& c,
                                     const SourceLocation& where) {
    const std::vector<Located<std::string>>& pool = gpu_pool_of(m_spec, c.host);
    size_t& next = m_next_gpu[c.host];
    if (m_spec.hosts.empty() && c.role == "head") {
      check_head_gpus(m_spec, node, where);
    } else if (!m_spec.hosts.empty()) {
      check_host_gpus(m_spec, node, c, next, where);
    }
    std::vector<std::string> gpus;
    for (int64_t i = 0; i < node.gpus; ++i) {
      gpus.push_back(pool[next++].value);
    }
    return gpus;
  }

  // Every replica of a group is sized alike; its warning is said once.
  int64_t size_shm(const ResolvedNode& node, const RayStartOptions& options,
                   const std::string& who) {
    ShmDecision shm = plan_shm(node, options, who);
    if (shm.warning && m_warned_shm.insert(who).second) {
      m_warnings.push_back(std::move(*shm.warning));
    }
    return shm.size;
  }

  const ClusterSpec& m_spec;
  Placer m_placer;
  std::map<std::string, size_t> m_next_gpu;  // per host
  std::vector<Diagnostic> m_warnings;
  std::set<std::string> m_warned_shm;
};

}  // namespace

std::string restart_to_string(const RestartPolicy& restart) {
  switch (restart.kind) {
    case RestartPolicy::Kind::no:
      return "no";
    case RestartPolicy::Kind::always:
      return "always";
    case RestartPolicy::Kind::on_failure:
      return restart.max_retries > 0 ? fmt::format("on-failure:{}", restart.max_retries)
                                     : "on-failure";
    case RestartPolicy::Kind::unless_stopped:
      return "unless-stopped";
  }
  return "unless-stopped";
}

std::string pull_to_string(PullPolicy pull) {
  switch (pull) {
    case PullPolicy::always:
      return "always";
    case PullPolicy::never:
      return "never";
    case PullPolicy::ship:
      return "ship";
    case PullPolicy::missing:
      return "missing";
  }
  return "missing";
}

std::string worker_name(const std::string& project, const std::string& group, int replica) {
  return fmt::format("{}-{}-{}", project, group, replica);
}

Plan plan_cluster(const ClusterSpec& spec) {
  Planner planner(spec);
  return planner.plan();
}

std::string Plan::to_text() const {
  std::string out;
  for (const PlannedContainer& c : containers) {
    std::string ports;
    for (const PortBinding& port : c.ports) {
      ports += port.count > 1
                   ? fmt::format("{}{}:{}-{}->{}-{}", ports.empty() ? "" : ",", port.host_ip,
                                 port.host_port, port.host_port + port.count - 1,
                                 port.container_port, port.container_port + port.count - 1)
                   : fmt::format("{}{}:{}->{}", ports.empty() ? "" : ",", port.host_ip,
                                 port.host_port, port.container_port);
    }
    std::string gpus;
    for (const std::string& gpu : c.gpus) {
      gpus += (gpus.empty() ? "" : ",") + gpu;
    }
    std::string command;
    for (size_t i = 2; i < c.command.size(); ++i) {
      command += (command.empty() ? "" : " ") + c.command[i];
    }
    std::string where = c.host.empty() ? ""
                                       : fmt::format("  host={}  ip={}", c.host,
                                                     c.node_ip.empty() ? "-" : c.node_ip);
    out += fmt::format("{}{}  image={}  gpus={}  ports={}  shm={}  ray start {}\n", c.name, where,
                       c.image, gpus.empty() ? "-" : gpus, ports.empty() ? "-" : ports, c.shm_size,
                       command);
  }
  return out;
}

}  // namespace raylaunch
