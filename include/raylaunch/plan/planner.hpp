#pragma once

#include <raylaunch/base/redact.hpp>
#include <raylaunch/plan/serve.hpp>
#include <raylaunch/spec/model.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace raylaunch {

/// The version raylaunch writes into `io.raylaunch.version`.
inline constexpr const char* k_version = "0.1.0";
/// `/dev/shm` when the spec sets neither shm_size nor memory.
inline constexpr int64_t k_default_shm_size = 2LL * 1024 * 1024 * 1024;
/// Ray's share of memory for the object store, and Ray's margin on top.
inline constexpr double k_object_store_share = 0.3;
inline constexpr double k_shm_margin = 1.1;
/// stop_grace_period when the spec sets none, as compose's and `docker stop`'s.
inline constexpr std::chrono::seconds k_default_stop_grace{10};

/// A host port a node publishes (`-p host_ip:host_port:container_port`), or
/// `count` ports from there (`-p ip:a-b:a-b`).
struct PortBinding {
  std::string name;  // gcs, dashboard, client, serve; across hosts Ray's own too
  std::string host_ip;
  int host_port = 0;
  int container_port = 0;
  int count = 1;
};

struct Mount {
  bool volume = false;  // a project volume; else a bind mount of a host path
  std::string source;
  std::string target;
  bool read_only = false;
};

/// One container with every decision made: what `docker run` needs, nothing
/// left to look up.
struct PlannedContainer {
  std::string name;
  std::string host;  // the machine of `hosts:`; "" without hosts:
  std::string node_ip;  // --node-ip-address; "" lets Ray choose
  std::string role;  // head | worker
  std::string group;  // "head" for the head
  int replica = 1;
  std::string image;
  PullPolicy pull = PullPolicy::missing;
  std::vector<std::string> command;  // the full `ray start` argv
  std::vector<PortBinding> ports;
  std::vector<std::string> gpus;  // device ids or UUIDs
  int64_t shm_size = 0;
  std::optional<int64_t> memory;
  std::optional<double> cpus;
  std::map<std::string, std::string> env;
  /// Names in `env` whose values are secret: masked in every output, and
  /// given to docker through its environment, never its argv.
  std::set<std::string> secret_env;
  std::vector<Mount> mounts;
  RestartPolicy restart;
  /// How long `up` lets it stop (SIGTERM, then SIGKILL) before removing it
  /// when scaling down or re-creating (stop_grace_period). Not in the hash.
  std::chrono::seconds stop_grace{k_default_stop_grace};
  std::map<std::string, std::string> labels;  // the user's and io.raylaunch.*
  std::string config_hash;
  /// A replica of an autoscaled group: planned up to max_replicas, made only
  /// when reconcile() or the autoscaler needs it.
  bool optional = false;
};

/// An autoscaled group's bounds (`max_replicas:` written).
struct PlannedScaling {
  int64_t min = 0;
  int64_t max = 0;
  /// How many `up` makes when it creates the cluster (replicas).
  int64_t start = 0;
  std::chrono::milliseconds idle_timeout{60000};
  /// What one replica gives Ray, as far as the spec says: CPU (num_cpus,
  /// else the cpus limit rounded down, else unknown: absent), GPU, memory
  /// in bytes (at most the container's memory limit; absent without one),
  /// custom resources. Ray's own report of a running replica is truer.
  std::map<std::string, double> shape;
};

struct PlannedNetwork {
  std::string name;  // <project>_net; empty in host mode (no network is created)
  NetworkMode mode = NetworkMode::bridge;
  std::optional<std::string> subnet;
  std::map<std::string, std::string> labels;
};

/// A machine of `hosts:` and how to reach its engine.
struct PlannedHost {
  std::string name;
  std::string docker;   // docker --host ENDPOINT; "" for none
  std::string context;  // docker --context NAME; "" for none
  std::string address;  // "" when the spec gives none
};

/// The cluster as raylaunch will create it.
struct Plan {
  std::string project;
  /// `hosts:` in order; empty when every node is on the one engine raylaunch
  /// uses anyway. With several, a bridge network is made on each host.
  std::vector<PlannedHost> hosts;
  PlannedNetwork network;
  std::vector<std::string> volumes;  // project volumes to create, full names
  std::string gcs_address;  // host:port the workers join
  std::vector<PlannedContainer> containers;  // the head first, then groups in order
  /// The autoscaled groups, by name; their containers are `optional`.
  std::map<std::string, PlannedScaling> scaling;
  /// The stop grace of a container the plan no longer has (its group is gone):
  /// `defaults`' stop_grace_period, else 10 s.
  std::chrono::seconds stop_grace{k_default_stop_grace};
  std::vector<Diagnostic> warnings;
  /// `serve:`: what `up` deploys once every node is alive.
  std::optional<PlannedServe> serve;

  /// One line per container, for golden tests and `--dry-run` summaries.
  std::string to_text() const;
};

/// Makes every decision: names, labels, ports, GPU ids, `ray start` argv, shm,
/// env, mounts and the config hash. Pure and deterministic. Throws SpecError
/// pointing at the YAML when the spec cannot be satisfied (GPU pool too
/// small, two nodes on one host port, a node without an image).
Plan plan_cluster(const ClusterSpec& spec);

/// A worker replica's container name, `<project>-<group>-<replica>`: also
/// its RAY_CLOUD_INSTANCE_ID, how the autoscaler finds it in Ray.
std::string worker_name(const std::string& project, const std::string& group, int replica);

/// `restart` as Docker writes it: no, always, on-failure[:N], unless-stopped.
std::string restart_to_string(const RestartPolicy& restart);
std::string pull_to_string(PullPolicy pull);

}  // namespace raylaunch
