// Every decision about the cluster is made here, before any container exists:
// a pure function from the spec to the containers, so `config`, `--dry-run`
// and golden tests all see exactly what `up` will do.
#include <raylaunch/plan/planner.hpp>

#include <fmt/format.h>

#include <raylaunch/spec/ray_flags.hpp>
#include <raylaunch/base/sha256.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <set>

namespace raylaunch {

namespace {

// Ports a host-networked node listens on besides the worker range, each
// pinned because several nodes share one network namespace (Ray issues
// #37229, #18053: random ports collide).
constexpr const char* k_pinned_ports[] = {
    "node-manager-port",       "object-manager-port",         "runtime-env-agent-port",
    "dashboard-agent-grpc-port", "dashboard-agent-listen-port", "metrics-export-port"};
constexpr int k_ports_per_node = 10;  // the six above, and room to grow

// A node's fields after inheritance: its own, else `defaults`, else the top level.
struct ResolvedNode {
  std::string image;
  PullPolicy pull = PullPolicy::missing;
  std::optional<int64_t> num_cpus;
  int64_t gpus = 0;
  std::optional<SourceLocation> gpus_where;
  std::optional<int64_t> memory;
  std::optional<double> cpus;
  std::optional<Located<int64_t>> shm_size;
  std::map<std::string, std::string> env;
  std::map<std::string, bool> env_secret;
  std::vector<VolumeSpec> volumes;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> ray_labels;
  std::map<std::string, double> resources;
  std::vector<RayArg> ray_args;
  RestartPolicy restart;
};

template <class T>
const std::optional<Located<T>>& pick(const std::optional<Located<T>>& own,
                                      const std::optional<Located<T>>& inherited) {
  return own ? own : inherited;
}

template <class T>
std::map<std::string, T> merge(const std::map<std::string, Located<T>>& inherited,
                               const std::map<std::string, Located<T>>& own) {
  std::map<std::string, T> out;
  for (const auto& [key, value] : inherited) {
    out[key] = value.value;
  }
  for (const auto& [key, value] : own) {
    out[key] = value.value;
  }
  return out;
}

ResolvedNode resolve(const ClusterSpec& spec, const NodeSpec& node, const SourceLocation& where,
                     const std::string& who) {
  const NodeSpec& defaults = spec.defaults;
  ResolvedNode out;
  if (const auto& image = pick(node.image, defaults.image)) {
    out.image = image->value;
  } else if (spec.image) {
    out.image = spec.image->value;
  } else {
    throw SpecError(fmt::format("{} has no image", who),
                    "set image: at the top of the spec, e.g. image: rayproject/ray:2.52.1", where);
  }
  if (const auto& pull = pick(node.pull, defaults.pull)) {
    out.pull = pull->value;
  }
  if (const auto& num_cpus = pick(node.num_cpus, defaults.num_cpus)) {
    out.num_cpus = num_cpus->value;
  }
  if (const auto& gpus = pick(node.gpus, defaults.gpus)) {
    out.gpus = gpus->value;
    out.gpus_where = gpus->where;
  }
  if (const auto& memory = pick(node.memory, defaults.memory)) {
    out.memory = memory->value;
  }
  if (const auto& cpus = pick(node.cpus, defaults.cpus)) {
    out.cpus = cpus->value;
  }
  out.shm_size = pick(node.shm_size, defaults.shm_size);
  out.env = merge(defaults.env, node.env);
  out.env_secret = defaults.env_secret;
  for (const auto& [key, secret] : node.env_secret) {
    out.env_secret[key] = secret;
  }
  out.volumes = defaults.volumes;
  for (const VolumeSpec& volume : node.volumes) {
    // A node's mount replaces the inherited one on the same target.
    std::erase_if(out.volumes, [&](const VolumeSpec& v) { return v.target == volume.target; });
    out.volumes.push_back(volume);
  }
  out.labels = merge(defaults.labels, node.labels);
  out.ray_labels = merge(defaults.ray_labels, node.ray_labels);
  out.resources = merge(defaults.resources, node.resources);
  out.ray_args = defaults.ray_args;
  for (const RayArg& arg : node.ray_args) {
    std::erase_if(out.ray_args, [&](const RayArg& a) { return a.key == arg.key; });
    out.ray_args.push_back(arg);
  }
  if (const auto& restart = pick(node.restart, defaults.restart)) {
    out.restart = restart->value;
  }
  return out;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

// Renders `ray start` the way KubeRay renders rayStartParams: `--key=value`,
// sorted by key, a bare `--key` for flags.
std::vector<std::string> render_ray_start(const std::map<std::string, std::optional<std::string>>& options) {
  std::vector<std::string> argv = {"ray", "start"};
  argv.reserve(options.size() + 2);
  for (const auto& [key, value] : options) {
    argv.push_back(value ? fmt::format("--{}={}", key, *value) : fmt::format("--{}", key));
  }
  return argv;
}

std::string resources_json(const std::map<std::string, double>& resources) {
  std::string out = "{";
  for (const auto& [name, amount] : resources) {
    if (out.size() > 1) {
      out += ", ";
    }
    out += fmt::format("\"{}\": {}", name, format_number(amount));
  }
  return out + "}";
}

// Everything that, changed, must re-create the container: the replica count is
// not in it (it is not a property of one container), nor the pull policy or
// raylaunch's version.
std::string config_hash(const PlannedContainer& c, const std::string& network) {
  std::string text;
  text.reserve(1024);
  auto field = [&](std::string_view key, std::string_view value) {
    text += key;
    text += '=';
    text += std::to_string(value.size());
    text += ':';
    text += value;
    text += '\n';
  };
  field("name", c.name);
  field("image", c.image);
  field("network", network);
  for (const std::string& arg : c.command) {
    field("command", arg);
  }
  for (const PortBinding& port : c.ports) {
    field("port", fmt::format("{}:{}:{}", port.host_ip, port.host_port, port.container_port));
  }
  for (const std::string& gpu : c.gpus) {
    field("gpu", gpu);
  }
  field("shm", std::to_string(c.shm_size));
  field("memory", c.memory ? std::to_string(*c.memory) : "");
  field("cpus", c.cpus ? format_number(*c.cpus) : "");
  for (const auto& [key, value] : c.env) {
    field("env", key + "=" + value);
  }
  for (const Mount& mount : c.mounts) {
    field("mount", fmt::format("{}:{}:{}:{}", mount.volume ? "volume" : "bind", mount.source,
                               mount.target, mount.read_only ? "ro" : "rw"));
  }
  field("restart", restart_to_string(c.restart));
  for (const auto& [key, value] : c.labels) {
    if (key.rfind("io.raylaunch.", 0) != 0) {
      field("label", key + "=" + value);
    }
  }
  return sha256_hex(text);
}

std::string expand_placeholders(const std::string& text, const PlannedContainer& c) {
  if (text.find('{') == std::string::npos) {
    return text;
  }
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

class Planner {
 public:
  explicit Planner(const ClusterSpec& spec) : m_spec(spec) {}

  Plan plan() {
    Plan plan;
    plan.project = m_spec.name.value;
    bool host = m_spec.network.mode == NetworkMode::host;
    plan.network.mode = m_spec.network.mode;
    if (!host) {
      plan.network.name = plan.project + "_net";
      if (m_spec.network.subnet) {
        plan.network.subnet = m_spec.network.subnet->value;
      }
      plan.network.labels = {{"io.raylaunch.project", plan.project},
                             {"io.raylaunch.version", k_version}};
    }
    const HeadSpec& head = m_spec.head;
    std::string head_host = host ? (m_spec.network.node_ip ? m_spec.network.node_ip->value
                                                           : std::string("127.0.0.1"))
                                 : plan.project + "-head";
    plan.gcs_address = fmt::format("{}:{}", head_host, head.ports.gcs.value);
    check_head_ports();

    size_t total = 1;
    for (const WorkerGroupSpec& group : m_spec.workers) {
      total += static_cast<size_t>(group.replicas.value);
    }
    if (host) {
      check_host_port_room(total);
    }
    plan.containers.reserve(total);
    m_next_gpu = 0;

    ResolvedNode head_node = resolve(m_spec, head.node, head.where, "the head");
    plan.containers.push_back(make_container(plan, head_node, "head", 1, 0, head.where));
    size_t index = 1;
    for (const WorkerGroupSpec& group : m_spec.workers) {
      ResolvedNode node = resolve(m_spec, group.node, group.where,
                                  fmt::format("worker group \"{}\"", group.group.value));
      check_gpu_room(node, group);
      size_t digits = std::to_string(group.replicas.value).size();
      if (plan.project.size() + group.group.value.size() + digits + 2 > 63) {
        throw SpecError(
            fmt::format("container names of group \"{}\" would be longer than 63 characters",
                        group.group.value),
            "container names are DNS names; shorten the project or the group name",
            group.group.where);
      }
      for (int64_t replica = 1; replica <= group.replicas.value; ++replica) {
        plan.containers.push_back(make_container(plan, node, group.group.value,
                                                 static_cast<int>(replica), index++, group.where));
      }
    }
    std::set<std::string> volumes;
    for (const PlannedContainer& container : plan.containers) {
      for (const Mount& mount : container.mounts) {
        if (mount.volume) {
          volumes.insert(mount.source);
        }
      }
    }
    plan.volumes.assign(volumes.begin(), volumes.end());
    plan.warnings = std::move(m_warnings);
    return plan;
  }

 private:
  void check_head_ports() {
    const HeadSpec& head = m_spec.head;
    std::vector<std::pair<const char*, const Located<int>*>> ports = {
        {"gcs", &head.ports.gcs}, {"dashboard", &head.ports.dashboard}, {"client", &head.ports.client}};
    if (head.ports.serve) {
      ports.emplace_back("serve", &*head.ports.serve);
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (ports[i].second->value == ports[j].second->value) {
          const SourceLocation& where =
              ports[i].second->where.line > 0 ? ports[i].second->where : ports[j].second->where;
          throw SpecError(fmt::format("ports.{} and ports.{} both use host port {}",
                                      ports[j].first, ports[i].first, ports[i].second->value),
                          "give each published port its own number", where);
        }
      }
    }
    if (head.bind_written && head.bind.value == "0.0.0.0") {
      m_warnings.push_back(
          {Severity::warning,
           m_spec.network.mode == NetworkMode::host
               ? "the head's dashboard listens on every interface (bind: 0.0.0.0)"
               : "the head's ports are published on every interface (bind: 0.0.0.0)",
           "Ray's dashboard and Jobs API run code for anyone who reaches them (CVE-2023-48022); "
           "bind to 127.0.0.1 and tunnel, or firewall these ports",
           head.bind.where});
    }
  }

  // In host mode each node gets a block of pinned ports from port_base; the
  // blocks must fit below 65536 and miss the head's own ports.
  void check_host_port_room(size_t nodes) {
    const NetworkSpec& network = m_spec.network;
    int64_t block = k_ports_per_node + network.worker_ports.value;
    int64_t last = network.port_base.value + block * static_cast<int64_t>(nodes) - 1;
    SourceLocation where = network.port_base.where.line > 0 ? network.port_base.where : network.where;
    if (last > 65535) {
      throw SpecError(
          fmt::format("host networking needs {} ports for {} nodes from port {}, past 65535",
                      block * static_cast<int64_t>(nodes), nodes, network.port_base.value),
          "lower network.port_base or network.worker_ports, or run fewer nodes per host", where);
    }
    const HeadSpec& head = m_spec.head;
    std::vector<const Located<int>*> fixed = {&head.ports.gcs, &head.ports.dashboard,
                                              &head.ports.client};
    if (head.ports.serve) {
      fixed.push_back(&*head.ports.serve);
    }
    for (const Located<int>* port : fixed) {
      if (port->value >= network.port_base.value && port->value <= last) {
        throw SpecError(
            fmt::format("head port {} falls in the ports pinned for nodes ({}-{})", port->value,
                        network.port_base.value, last),
            "move network.port_base above the head's ports, e.g. port_base: 20000",
            port->where.line > 0 ? port->where : where);
      }
    }
  }

  void check_gpu_room(const ResolvedNode& node, const WorkerGroupSpec& group) {
    int64_t needed = node.gpus * group.replicas.value;
    int64_t left = static_cast<int64_t>(m_spec.gpu_pool.size()) - static_cast<int64_t>(m_next_gpu);
    if (needed <= left) {
      return;
    }
    SourceLocation where = node.gpus_where ? *node.gpus_where : group.where;
    if (m_spec.gpu_pool.empty()) {
      throw SpecError(
          fmt::format("worker group \"{}\" asks for {} GPU{} a replica, but the spec lists no GPUs",
                      group.group.value, node.gpus, node.gpus == 1 ? "" : "s"),
          "list the devices this host may hand out at the top level, e.g. gpus: [0, 1]", where);
    }
    throw SpecError(
        fmt::format("worker group \"{}\" needs {} GPUs ({} replicas x {}), but only {} of the {} "
                    "in the pool are left",
                    group.group.value, needed, group.replicas.value, node.gpus, std::max<int64_t>(left, 0),
                    m_spec.gpu_pool.size()),
        "add devices to the top-level gpus: list, or lower replicas or gpus", where);
  }

  PlannedContainer make_container(const Plan& plan, const ResolvedNode& node,
                                  const std::string& group, int replica, size_t index,
                                  const SourceLocation& where) {
    bool is_head = index == 0;
    bool host = m_spec.network.mode == NetworkMode::host;
    const HeadSpec& head = m_spec.head;
    PlannedContainer c;
    c.role = is_head ? "head" : "worker";
    c.group = group;
    c.replica = replica;
    c.name = is_head ? plan.project + "-head" : fmt::format("{}-{}-{}", plan.project, group, replica);
    c.image = node.image;
    c.pull = node.pull;
    c.memory = node.memory;
    c.cpus = node.cpus;
    c.restart = node.restart;

    if (is_head && node.gpus > static_cast<int64_t>(m_spec.gpu_pool.size())) {
      throw SpecError(fmt::format("the head asks for {} GPU{}, but the pool has {}", node.gpus,
                                  node.gpus == 1 ? "" : "s", m_spec.gpu_pool.size()),
                      "add devices to the top-level gpus: list, or lower gpus",
                      node.gpus_where ? *node.gpus_where : where);
    }
    for (int64_t i = 0; i < node.gpus; ++i) {
      c.gpus.push_back(m_spec.gpu_pool[m_next_gpu++].value);
    }

    std::map<std::string, std::optional<std::string>> options;
    options["block"] = std::nullopt;
    options["node-name"] = c.name;
    options["num-gpus"] = std::to_string(c.gpus.size());
    if (node.num_cpus) {
      options["num-cpus"] = std::to_string(*node.num_cpus);
    } else if (node.cpus) {
      options["num-cpus"] = std::to_string(std::max<int64_t>(1, static_cast<int64_t>(*node.cpus)));
    }
    if (!node.resources.empty()) {
      options["resources"] = resources_json(node.resources);
    }
    if (!node.ray_labels.empty()) {
      std::string labels;
      for (const auto& [key, value] : node.ray_labels) {
        labels += (labels.empty() ? "" : ",") + key + "=" + value;
      }
      options["labels"] = labels;
    }
    if (is_head) {
      options["head"] = std::nullopt;
      options["port"] = std::to_string(head.ports.gcs.value);
      options["dashboard-port"] = std::to_string(head.ports.dashboard.value);
      options["ray-client-server-port"] = std::to_string(head.ports.client.value);
      // On a bridge network the dashboard must listen on the container's
      // interface to be published at all; the publication binds to `bind`.
      options["dashboard-host"] = host ? head.bind.value : "0.0.0.0";
    } else {
      options["address"] = plan.gcs_address;
    }
    if (host) {
      int block = k_ports_per_node + m_spec.network.worker_ports.value;
      int first = m_spec.network.port_base.value + static_cast<int>(index) * block;
      for (size_t i = 0; i < std::size(k_pinned_ports); ++i) {
        options[k_pinned_ports[i]] = std::to_string(first + static_cast<int>(i));
      }
      options["min-worker-port"] = std::to_string(first + k_ports_per_node);
      options["max-worker-port"] = std::to_string(first + block - 1);
      if (m_spec.network.node_ip) {
        options["node-ip-address"] = m_spec.network.node_ip->value;
      }
    }
    for (const RayArg& arg : node.ray_args) {
      if (host && options.count(arg.key) && arg.key != "node-name") {
        throw SpecError(fmt::format("--{} is set by raylaunch in host networking", arg.key),
                        arg.key == "node-ip-address"
                            ? "set network.node_ip instead"
                            : "set network.port_base and network.worker_ports instead",
                        arg.where);
      }
      std::optional<RayFlag> flag = find_ray_flag(arg.key);
      if (flag && flag->kind == RayFlagKind::flag) {
        if (arg.value == "true") {
          options[arg.key] = std::nullopt;
        } else {
          options.erase(arg.key);
        }
      } else {
        options[arg.key] = arg.value;
      }
    }
    c.command = render_ray_start(options);

    if (is_head && !host) {
      const std::string& ip = head.bind.value;
      c.ports.push_back({"gcs", ip, head.ports.gcs.value, head.ports.gcs.value});
      c.ports.push_back({"dashboard", ip, head.ports.dashboard.value, head.ports.dashboard.value});
      c.ports.push_back({"client", ip, head.ports.client.value, head.ports.client.value});
      if (head.ports.serve) {
        c.ports.push_back({"serve", ip, head.ports.serve->value, head.ports.serve->value});
      }
    }

    c.shm_size = plan_shm(node, options,
                          is_head ? std::string("the head") : fmt::format("group \"{}\"", group));

    c.env = node.env;
    for (const auto& [key, value] : c.env) {
      auto said = node.env_secret.find(key);
      if (said != node.env_secret.end() ? said->second : is_secret_name(key)) {
        c.secret_env.insert(key);
      }
    }
    if (m_spec.auth.token) {  // the loader refused RAY_AUTH_* in env
      c.env["RAY_AUTH_MODE"] = "token";
      c.env["RAY_AUTH_TOKEN"] = m_spec.auth.resolved_token;
      c.secret_env.insert("RAY_AUTH_TOKEN");
    }
    c.env["RAYLAUNCH_PROJECT"] = plan.project;
    c.env["RAYLAUNCH_GROUP"] = group;
    c.env["RAYLAUNCH_REPLICA"] = std::to_string(replica);
    c.env["RAY_ADDRESS"] = plan.gcs_address;

    for (const VolumeSpec& volume : node.volumes) {
      // `{name}`, `{group}` and `{replica}` give each replica a folder of its
      // own, e.g. Ray's logs in ./logs/{name}.
      std::string source = expand_placeholders(volume.source, c);
      c.mounts.push_back({volume.named, volume.named ? plan.project + "_" + source : source,
                          volume.target, volume.read_only});
    }

    c.labels = node.labels;
    c.labels["io.raylaunch.project"] = plan.project;
    c.labels["io.raylaunch.role"] = c.role;
    c.labels["io.raylaunch.group"] = group;
    c.labels["io.raylaunch.replica"] = std::to_string(replica);
    c.labels["io.raylaunch.version"] = k_version;
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
    if (is_head) {
      std::string host_ip = head.bind.value == "0.0.0.0" ? "127.0.0.1" : head.bind.value;
      c.labels["io.raylaunch.dashboard"] =
          fmt::format("http://{}:{}", host_ip, head.ports.dashboard.value);
    }
    c.config_hash = config_hash(c, plan.network.name);
    c.labels["io.raylaunch.config-hash"] = c.config_hash;
    return c;
  }

  // Ray puts its object store in /dev/shm and falls back to slow disk when it
  // is smaller (Docker's default is 64 MiB). Ray's own rule for containers:
  // 30% of the memory, with a 10% margin.
  int64_t plan_shm(const ResolvedNode& node,
                   const std::map<std::string, std::optional<std::string>>& options,
                   const std::string& name) {
    std::optional<int64_t> wanted;
    std::string reason;
    auto object_store = options.find("object-store-memory");
    if (object_store != options.end() && object_store->second) {
      const std::string& text = *object_store->second;
      int64_t bytes = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
      constexpr int64_t k_max_object_store = int64_t(1) << 50;  // 1 PiB, past any machine
      if (error != std::errc() || end != text.data() + text.size() || bytes <= 0 ||
          bytes > k_max_object_store) {
        auto arg = std::find_if(node.ray_args.begin(), node.ray_args.end(),
                                [](const RayArg& a) { return a.key == "object-store-memory"; });
        throw SpecError(fmt::format("object-store-memory must be a number of bytes, got \"{}\"", text),
                        "Ray takes bytes here, e.g. object-store-memory: \"2000000000\"",
                        arg == node.ray_args.end() ? SourceLocation{} : arg->where);
      }
      wanted = bytes;
      reason = "the object-store-memory in ray_args";
    } else if (node.memory) {
      wanted = static_cast<int64_t>(std::llround(*node.memory * k_object_store_share));
      reason = fmt::format("30% of memory {}", format_bytes(*node.memory));
    }
    int64_t sized = wanted ? round_up_mib(static_cast<int64_t>(std::llround(*wanted * k_shm_margin)))
                           : k_default_shm_size;
    if (node.shm_size) {
      int64_t shm = node.shm_size->value;
      if (wanted && shm < *wanted && m_warned_shm.insert(name).second) {
        m_warnings.push_back(
            {Severity::warning,
             fmt::format("shm_size {} of {} is below the {} Ray's object store will want ({})",
                         format_bytes(shm), name, format_bytes(*wanted), reason),
             fmt::format("Ray would fall back to /tmp and run slowly; raise shm_size to at least "
                         "{}, or leave it out and raylaunch sizes it",
                         format_bytes(sized)),
             node.shm_size->where});
      }
      return shm;
    }
    return sized;
  }

  static int64_t round_up_mib(int64_t bytes) {
    const int64_t mib = 1024 * 1024;
    return (bytes + mib - 1) / mib * mib;
  }

  static std::string format_bytes(int64_t bytes) {
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if (bytes >= gib) {
      return fmt::format("{:.2f}GiB", bytes / gib);
    }
    return fmt::format("{:.0f}MiB", bytes / (1024.0 * 1024.0));
  }

  const ClusterSpec& m_spec;
  size_t m_next_gpu = 0;
  std::vector<Diagnostic> m_warnings;
  std::set<std::string> m_warned_shm;
};

}  // namespace

bool is_secret_name(const std::string& name) {
  std::string upper;
  for (char c : name) {
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const char* word : {"PASSWORD", "TOKEN", "SECRET", "KEY"}) {
    if (upper.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

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
    case PullPolicy::missing:
      return "missing";
  }
  return "missing";
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
      ports += fmt::format("{}{}:{}->{}", ports.empty() ? "" : ",", port.host_ip, port.host_port,
                           port.container_port);
    }
    std::string gpus;
    for (const std::string& gpu : c.gpus) {
      gpus += (gpus.empty() ? "" : ",") + gpu;
    }
    std::string command;
    for (size_t i = 2; i < c.command.size(); ++i) {
      command += (command.empty() ? "" : " ") + c.command[i];
    }
    out += fmt::format("{}  image={}  gpus={}  ports={}  shm={}  ray start {}\n", c.name, c.image,
                       gpus.empty() ? "-" : gpus, ports.empty() ? "-" : ports, c.shm_size, command);
  }
  return out;
}

}  // namespace raylaunch
