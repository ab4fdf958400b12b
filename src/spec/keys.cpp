// The one table of the spec's keys. Keep it in step with docs/spec-reference.md:
// the loader reads its key lists, ranges, examples and patterns, so what is
// written here is what raylaunch accepts.
#include <raylaunch/spec/keys.hpp>

#include "key_makers.hpp"
#include "serve_keys.hpp"

#include <cassert>
#include <utility>

namespace raylaunch {

namespace {

using namespace keys;

// Docker's grammar of an image reference: [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST].
// HOST is DNS labels joined by "."; PATH is lowercase components joined by "/",
// each letters and digits with ".", "_", "__" or dashes between them.
constexpr std::string_view k_image_pattern =
    "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?"
    "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?";
constexpr double k_max_port = 65535;
constexpr std::string_view k_host_name_pattern = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
// Compose's durations: 10s, 1m30s, 500ms, or a bare 0.
constexpr std::string_view k_duration_pattern = "0|(([0-9]+(\\.[0-9]+)?)(h|m|s|ms|us))+";

SpecSection top_section() {
  return section(
      KeySection::top, "", "the spec: one Ray cluster on one Docker host",
      {
          text("name",
               "the project's name; prefixes every container, the network and named volumes; "
               "default: the spec folder's name",
               "[a-z0-9][a-z0-9_-]*", "my-cluster"),
          text("image", "the image of every node that names none", k_image_pattern,
               "rayproject/ray:2.52.1"),
          nested("network", KeySection::network, "how the containers are connected",
                 "{mode: bridge}"),
          list_of("gpus", KeyType::string,
                  "the GPU devices raylaunch may hand out on this host, in this order: "
                  "indexes, GPU UUIDs or MIG ids",
                  "[0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+", "0"),
          nested("auth", KeySection::auth,
                 "Ray's token authentication (Ray 2.52 and later); default: none"),
          nested("autoscale", KeySection::autoscale,
                 "how raylaunch autoscale runs the groups with max_replicas; default: every 5s"),
          nested("defaults", KeySection::node,
                 "node fields the head and every worker group inherit"),
          nested("head", KeySection::head,
                 "the head node; nothing after it means a head with every default"),
          list_of("workers", KeyType::mapping, "the worker groups, planned in the order written",
                  "", "", KeySection::worker_group),
          {.name = "hosts",
           .type = KeyType::mapping,
           .meaning = "the machines the cluster runs on, by name, each with its Docker engine; "
                      "default: one, the engine raylaunch uses",
           .pattern = k_host_name_pattern,
           .items = KeyType::mapping,
           .section = KeySection::host},
          nested("serve", KeySection::serve,
                 "Ray Serve applications up deploys once every node is alive; default: none"),
      });
}

SpecSection node_section() {
  return section(
      KeySection::node, "defaults", "the fields defaults, the head and every worker group share",
      {
          text("image", "the node's image; overrides defaults.image and the top-level image",
               k_image_pattern, "rayproject/ray:2.52.1-gpu"),
          integer("num_cpus", 0, 100000, "", "4",
                  "the CPUs Ray schedules on the node (ray start --num-cpus); unset: the whole "
                  "part of cpus, at least 1, else Ray counts them"),
          integer("gpus", 0, 64, "0", "1",
                  "GPU devices per replica, handed out from the top-level gpus pool"),
          size("memory", 6 * 1024 * 1024, false, "8g",
               "the container's memory limit (docker run --memory); default: no limit"),
          {.name = "cpus",
           .type = KeyType::number,
           .meaning = "the container's CPU limit (docker run --cpus); default: no limit",
           .range = KeyRange{.min = 0, .max = 4096, .min_exclusive = true},
           .example = "2.5"},
          size("shm_size", 0, true, "4g",
               "the size of /dev/shm, where Ray keeps its object store; default: 30% of memory "
               "times 1.1, else 2g"),
          {.name = "env",
           .type = KeyType::environment,
           .meaning = "the container's environment; a name without a value passes raylaunch's "
                      "own through",
           .default_value = "{}",
           .pattern = "[A-Za-z_][A-Za-z0-9_.]*"},
          list_of("volumes", KeyType::string,
                  "mounts, SOURCE:TARGET[:ro|rw]: a host path (/, ./, ~/) or a project volume", "",
                  "./logs:/tmp/ray"),
          map_of("labels", KeyType::string,
                 "Docker labels on the container (not under io.raylaunch.)"),
          map_of("ray_labels", KeyType::string,
                 "Ray node labels (ray start --labels); no \"=\" or \",\" in them"),
          {.name = "resources",
           .type = KeyType::mapping,
           .meaning = "custom Ray resources, name to amount (ray start --resources)",
           .range = KeyRange{.min = 0, .max = 1e12},
           .default_value = "{}",
           .pattern = "[A-Za-z_][A-Za-z0-9_.:-]*",
           .items = KeyType::number,
           .example = "1"},
          map_of("ray_args", KeyType::string,
                 "further ray start options, by name; flags take true or false"),
          text("restart",
               "the container's restart policy; on-failure:N retries at most N times (N at "
               "least 1)",
               "no|always|on-failure(:[0-9]+)?|unless-stopped", "", "unless-stopped"),
          choice("pull", {"missing", "always", "never", "ship"},
                 "when up pulls the image: when it is missing, always or never; ship copies a "
                 "missing one from the local engine instead"),
          text("stop_grace_period",
               "how long up lets the container stop (SIGTERM, then SIGKILL) before removing "
               "it when scaling down or re-creating, at most 1h; down uses its -t",
               k_duration_pattern, "1m30s", "10s"),
      });
}

SpecSection head_section() {
  return section(KeySection::head, "head",
                 "the head node: every node field, plus its ports and the address they use",
                 {
                     nested("ports", KeySection::head_ports, "the head's ports"),
                     text("bind",
                          "the IPv4 address the head's ports are published on (bridge) or the "
                          "dashboard listens on (host); with hosts: its host's bind",
                          "", "127.0.0.1", "127.0.0.1"),
                     text("host", "the machine of hosts: the head runs on", k_host_name_pattern,
                          "cpu-box"),
                 },
                 KeySection::node);
}

SpecSection worker_group_section() {
  return section(
      KeySection::worker_group, "workers[]",
      "a worker group: every node field, plus its name and size",
      {
          text("group",
               "the group's name, unique and not head, at most 30 characters; part of "
               "container and DNS names",
               "[a-z0-9]([a-z0-9-]*[a-z0-9])?", "gpu-a10"),
          integer("replicas", 0, k_max_nodes - 1, "1", "3",
                  "how many containers the group has; a cluster has at most 10000 nodes, the "
                  "head included"),
          text("host", "the machine of hosts: every replica runs on", k_host_name_pattern,
               "gpu-1"),
          list_of("hosts", KeyType::string,
                  "machines of hosts: the replicas are spread over, replica i on "
                  "hosts[(i-1) mod n]",
                  k_host_name_pattern, "gpu-1"),
          integer("max_replicas", 0, k_max_nodes - 1, "", "4",
                  "makes the group follow Ray's demand (raylaunch autoscale): at most this many "
                  "containers"),
          integer("min_replicas", 0, k_max_nodes - 1, "0", "1",
                  "with max_replicas: never fewer containers than this"),
          text("idle_timeout",
               "with max_replicas: how long Ray must report a worker idle before it is drained "
               "and removed",
               k_duration_pattern, "5m", "60s"),
      },
      KeySection::node);
}

SpecSection network_section() {
  return section(
      KeySection::network, "network", "how the containers are connected",
      {
          choice("mode", {"bridge", "host"},
                 "bridge: a project network with DNS names; host: the host's network"),
          text("subnet",
               "the project network's IPv4 CIDR, prefix length 8 to 30; bridge only; default: "
               "Docker picks",
               "", "172.28.0.0/24"),
          text("node_ip", "the IPv4 address other machines reach this host at; host only", "",
               "192.168.1.10"),
          integer("port_base", 1024, 65000, "20000", "20000",
                  "the first port of the blocks pinned for the nodes; host only"),
          integer("worker_ports", 10, 10000, "100", "100",
                  "how many Ray worker ports each node gets; host only"),
      });
}

SpecSection head_ports_section() {
  return section(KeySection::head_ports, "head.ports",
                 "the head's host ports, published (bridge) or listened on (host)",
                 {
                     integer("gcs", 1, k_max_port, "6379", "6379",
                             "the address workers join (ray start --port)"),
                     integer("dashboard", 1, k_max_port, "8265", "8265",
                             "the dashboard and Jobs API (ray start --dashboard-port)"),
                     integer("client", 1, k_max_port, "10001", "10001",
                             "Ray Client (ray start --ray-client-server-port)"),
                     integer("serve", 1, k_max_port, "", "8000",
                             "Serve's HTTP proxy, published; default: 8000 with serve:, else "
                             "none"),
                 });
}

SpecSection auth_section() {
  return section(
      KeySection::auth, "auth", "Ray's token authentication (Ray 2.52 and later)",
      {
          choice("mode", {"token", "disabled"},
                 "token gives every node RAY_AUTH_MODE=token and the token, as a secret"),
          text("token_env", "the variable that holds the token; unset: the head's, or a new one",
               "[A-Za-z_][A-Za-z0-9_]*", "RAY_CLUSTER_TOKEN"),
      });
}

SpecSection autoscale_section() {
  return section(
      KeySection::autoscale, "autoscale", "how raylaunch autoscale runs",
      {
          text("interval", "how often the controller reads Ray's demand and acts, 1s to 1h",
               k_duration_pattern, "10s", "5s"),
          {.name = "upscaling_speed",
           .type = KeyType::number,
           .meaning = "Ray's upscaling_speed: a group launches at most max(5, speed x its "
                      "nodes) containers at once",
           .range = KeyRange{.min = 0, .max = 1000, .min_exclusive = true},
           .default_value = "1",
           .example = "2"},
          text("idle_down",
               "the whole cluster goes down after this long with no job, driver or demand; "
               "default: never",
               k_duration_pattern, "30m"),
      });
}

SpecSection env_entry_section() {
  return section(KeySection::env_entry, "env.NAME",
                 "one variable with an explicit say on whether it is secret",
                 {
                     text("value", "the variable's value; required"),
                     {.name = "secret",
                      .type = KeyType::boolean,
                      .meaning = "whether the value is masked; unset: names with PASSWORD, TOKEN, "
                                 "SECRET or KEY are"},
                 });
}

SpecSection host_section() {
  return section(
      KeySection::host, "hosts.NAME", "one machine: how to reach its Docker engine, and its address",
      {
          text("docker", "its engine's endpoint, as docker --host takes it; default: the local one",
               "(ssh|tcp|unix)://.+", "ssh://ray@10.0.0.2"),
          text("context", "a Docker context that reaches its engine, instead of docker",
               "[a-zA-Z0-9][a-zA-Z0-9_.+-]*", "gpu-box"),
          text("address",
               "the IPv4 address the other machines reach it at; required with several hosts", "",
               "10.0.0.2"),
          text("bind", "the IPv4 address its published ports bind to; default: address", "",
               "10.0.0.2"),
          list_of("gpus", KeyType::string,
                  "its own GPU pool, used instead of the top-level gpus for its nodes",
                  "[0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+", "0"),
      });
}

}  // namespace

const std::vector<SpecSection>& spec_sections() {
  static const std::vector<SpecSection> k_sections = [] {
    std::vector<SpecSection> sections = {
        top_section(),     node_section(),       head_section(), worker_group_section(),
        network_section(), head_ports_section(), auth_section(), env_entry_section(),
        host_section(),    autoscale_section()};
    for (SpecSection& serve : serve_sections()) {
      sections.push_back(std::move(serve));
    }
    return sections;
  }();
  return k_sections;
}

const SpecSection& spec_section(KeySection id) {
  for (const SpecSection& section : spec_sections()) {
    if (section.id == id) {
      return section;
    }
  }
  assert(false && "every KeySection has a SpecSection");
  return spec_sections().front();
}

std::vector<std::string> allowed_keys(KeySection id) {
  const SpecSection& section = spec_section(id);
  std::vector<std::string> names;
  if (section.extends) {
    names = allowed_keys(*section.extends);
  }
  for (const SpecKey& key : section.keys) {
    names.emplace_back(key.name);
  }
  return names;
}

const SpecKey* find_spec_key(KeySection id, std::string_view name) {
  const SpecSection& section = spec_section(id);
  for (const SpecKey& key : section.keys) {
    if (key.name == name) {
      return &key;
    }
  }
  return section.extends ? find_spec_key(*section.extends, name) : nullptr;
}

}  // namespace raylaunch
