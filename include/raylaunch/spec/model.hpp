#pragma once

// The typed spec: what the YAML says, after interpolation and validation, with
// the source location of every value a later stage may have to complain about.

#include <raylaunch/base/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// A value and where the YAML wrote it.
template <class T>
struct Located {
  T value{};
  SourceLocation where;
};

enum class NetworkMode { bridge, host };
/// ship: a missing image is copied from the local engine (docker save | docker
/// load), for hosts without a registry.
enum class PullPolicy { missing, always, never, ship };

/// Docker's restart policies; `max_retries` only for on_failure.
struct RestartPolicy {
  enum class Kind { no, always, on_failure, unless_stopped };
  Kind kind = Kind::unless_stopped;
  int max_retries = 0;
};

/// What a volume's source may hold to differ per container; the planner
/// expands them: the container's name, its group (`head` for the head) and
/// its replica number.
inline constexpr std::string_view k_volume_placeholders[] = {"{name}", "{group}", "{replica}"};

/// One `volumes:` entry, compose's short syntax `source:target[:ro|rw]`.
struct VolumeSpec {
  std::string source;  // an absolute host path, or a named volume
  std::string target;
  bool read_only = false;
  bool named = false;  // a Docker volume of the project, not a bind mount
  SourceLocation where;
};

/// A scalar from `ray_args`, kept as YAML wrote it.
struct RayArg {
  std::string key;  // without the leading dashes
  std::string value;
  bool is_bool = false;  // written as true/false
  SourceLocation where;
};

/// Fields the head and every worker group share. Unset optionals inherit from
/// `defaults`; maps merge key by key (the node's own value wins).
struct NodeSpec {
  std::optional<Located<std::string>> image;
  std::optional<Located<int64_t>> num_cpus;
  std::optional<Located<int64_t>> gpus;  // devices per replica
  std::optional<Located<int64_t>> memory;  // bytes
  std::optional<Located<double>> cpus;
  std::optional<Located<int64_t>> shm_size;  // bytes
  std::map<std::string, Located<std::string>> env;
  /// `KEY: {value: ..., secret: true|false}`: an explicit say on whether the
  /// value is masked; without it, names like *PASSWORD*, *TOKEN*, *SECRET*,
  /// *KEY* are secret.
  std::map<std::string, bool> env_secret;
  std::vector<VolumeSpec> volumes;
  std::optional<SourceLocation> volumes_where;
  std::map<std::string, Located<std::string>> labels;
  std::map<std::string, Located<std::string>> ray_labels;
  std::map<std::string, Located<double>> resources;
  std::vector<RayArg> ray_args;
  std::optional<Located<RestartPolicy>> restart;
  std::optional<Located<PullPolicy>> pull;
  /// stop_grace_period, in whole seconds (rounded up).
  std::optional<Located<int64_t>> stop_grace;
};

/// Host ports the head publishes (bridge) or listens on (host networking).
struct HeadPorts {
  Located<int> gcs{6379, {}};
  Located<int> dashboard{8265, {}};
  Located<int> client{10001, {}};
  std::optional<Located<int>> serve;
};

struct HeadSpec {
  NodeSpec node;
  /// `host:`: the machine of `hosts:` it runs on.
  std::optional<Located<std::string>> host;
  HeadPorts ports;
  Located<std::string> bind{"127.0.0.1", {}};
  bool bind_written = false;
  SourceLocation where;
};

/// A worker group that follows Ray's demand (`max_replicas:` written):
/// `raylaunch autoscale` keeps it between min and max.
struct GroupScaling {
  Located<int64_t> min{0, {}};
  Located<int64_t> max{0, {}};
  /// How long Ray must report a node IDLE before it is drained (idle_timeout).
  Located<int64_t> idle_timeout_ms{60000, {}};
};

struct WorkerGroupSpec {
  Located<std::string> group;
  /// How many containers `up` starts (with scaling: when it creates the
  /// cluster; later ones keep what runs, between min and max).
  Located<int64_t> replicas{1, {}};
  std::optional<GroupScaling> scaling;
  /// Replica numbers the planner makes containers for: 1..replicas, or
  /// 1..max with scaling (the containers past what runs are optional).
  int64_t planned_replicas() const { return scaling ? scaling->max.value : replicas.value; }
  /// `host: A` (one entry) or `hosts: [A, B]`: replica i runs on
  /// hosts[(i-1) mod n]. Empty without `hosts:` at the top.
  std::vector<Located<std::string>> hosts;
  NodeSpec node;
  SourceLocation where;
};

struct NetworkSpec {
  NetworkMode mode = NetworkMode::bridge;
  std::optional<Located<std::string>> subnet;
  // Host networking: the address other nodes reach the head at, and the first
  // of the ports the planner pins for each node.
  std::optional<Located<std::string>> node_ip;
  Located<int> port_base{20000, {}};
  Located<int> worker_ports{100, {}};
  SourceLocation where;
};

/// Ray's token authentication (Ray >= 2.52): every node gets
/// RAY_AUTH_MODE=token and the token, as a secret.
struct AuthSpec {
  bool token = false;
  /// The variable the token is read from; empty: reuse the running head's
  /// token, or generate one.
  std::string token_env;
  /// Filled in before planning (by the command line, not the loader): the
  /// token itself.
  std::string resolved_token;
  SourceLocation where;
};

/// One machine of `hosts:`: how to reach its Docker engine and the address
/// the other machines reach it at.
struct HostSpec {
  Located<std::string> name;
  /// `docker:`: an ssh://, tcp:// or unix:// endpoint (docker --host).
  std::optional<Located<std::string>> docker;
  /// `context:`: a Docker context. Neither: the engine raylaunch uses anyway.
  std::optional<Located<std::string>> context;
  /// `address:`: an IPv4 address; required when the spec has several hosts.
  std::optional<Located<std::string>> address;
  /// `bind:`: where this host's published ports bind; default: `address`.
  std::optional<Located<std::string>> bind;
  /// `gpus:`: the host's own pool, replacing the top-level one for its nodes.
  std::vector<Located<std::string>> gpu_pool;
  std::optional<SourceLocation> gpu_pool_where;
  SourceLocation where;
};

/// `autoscale:`: how `raylaunch autoscale` runs.
struct AutoscaleSpec {
  Located<int64_t> interval_ms{5000, {}};
  /// Ray's upscaling_speed: per round a group launches at most
  /// max(5, speed x its nodes) (at least 1 while it has none).
  Located<double> upscaling_speed{1.0, {}};
  /// idle_down: the whole cluster goes down after this long without work.
  std::optional<Located<int64_t>> idle_down_ms;
  SourceLocation where;
};

/// One deployment of a Serve app, as far as raylaunch checks it: what each
/// replica asks of a node and how many replicas there can be.
struct ServeDeploymentSpec {
  Located<std::string> name;
  /// num_replicas as a number; unset with "auto", autoscaling or nothing.
  std::optional<int64_t> num_replicas;
  bool autoscaling = false;  // autoscaling_config, or num_replicas: auto
  int64_t min_replicas = 1;
  int64_t max_replicas = 1;
  /// ray_actor_options: num_cpus, num_gpus, memory (bytes) and resources,
  /// each as written; unset ones keep Serve's defaults (one CPU).
  std::optional<double> num_cpus;
  std::optional<double> num_gpus;
  std::optional<double> memory;
  std::map<std::string, double> resources;
  SourceLocation asks_where;  // ray_actor_options:, else the deployment
  SourceLocation where;
};

/// One Serve application.
struct ServeAppSpec {
  Located<std::string> name;
  /// nullopt: `route_prefix: null`, no HTTP route.
  std::optional<std::string> route_prefix = "/";
  Located<std::string> import_path;
  /// runtime_env.working_dir when it is a local folder: its absolute path,
  /// packaged and uploaded by `up` and replaced by the package's URI.
  std::optional<Located<std::string>> local_working_dir;
  std::vector<ServeDeploymentSpec> deployments;
  SourceLocation where;
};

/// `serve:`: the Serve config `up` deploys (the body of Serve's
/// `PUT /api/serve/applications/`, as `serve deploy` takes it).
struct ServeSpec {
  /// The whole config as JSON, the keys as written; a local working_dir is
  /// still the folder's path here.
  std::string config_json;
  /// The file it came from (`config: FILE`, as messages name it); the
  /// spec's own file when it is written inline.
  std::string file;
  std::string dir;  // absolute folder relative working_dir paths are in
  /// http_options.port: where Serve's proxy listens inside the head.
  int http_port = 8000;
  std::vector<ServeAppSpec> apps;
  SourceLocation where;
};

/// The whole spec, as loaded from one file.
struct ClusterSpec {
  Located<std::string> name;
  std::optional<Located<std::string>> image;
  NetworkSpec network;
  std::vector<Located<std::string>> gpu_pool;
  std::optional<SourceLocation> gpu_pool_where;
  NodeSpec defaults;
  HeadSpec head;
  std::vector<WorkerGroupSpec> workers;
  /// `hosts:`, in the order written; empty: every node on one engine.
  std::vector<HostSpec> hosts;
  std::optional<SourceLocation> hosts_where;
  AuthSpec auth;
  AutoscaleSpec autoscale;
  /// Whether any worker group has `max_replicas:`.
  bool autoscaled() const {
    for (const WorkerGroupSpec& group : workers) {
      if (group.scaling) {
        return true;
      }
    }
    return false;
  }
  /// `serve:`; nullopt when the spec has none.
  std::optional<ServeSpec> serve;
  std::string file;         // the path as the user gave it, for messages
  std::string source;       // the file's text, for messages that quote it
  std::string spec_dir;     // absolute folder of the spec, for relative paths
};

}  // namespace raylaunch
