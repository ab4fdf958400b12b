// A raylaunch node is one container; in a RayCluster it becomes a pod
// template that every replica of the group shares. This file writes that
// template and says, at the YAML, what a pod cannot mean the same way.
#include "kuberay_pod.hpp"

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/ports.hpp>
#include <raylaunch/plan/ray_start.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <regex>

namespace raylaunch {

namespace {

// Set from the pod's own name, for per-replica host folders.
constexpr const char* k_pod_name_env = "RAYLAUNCH_POD_NAME";

std::string kube_cpus(double cpus) {
  if (cpus == std::floor(cpus)) {
    return format_number(cpus);
  }
  return fmt::format("{}m", static_cast<int64_t>(std::llround(cpus * 1000)));
}

// Kubernetes spells Docker's pull policies Always, Never and IfNotPresent.
std::string pull_policy(PullPolicy pull) {
  if (pull == PullPolicy::missing || pull == PullPolicy::ship) {
    return "IfNotPresent";
  }
  std::string word = pull_to_string(pull);
  word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

// Kubernetes' rule for label keys (an optional DNS prefix and a name) and values.
bool is_kube_label(const std::string& key, const std::string& value) {
  static const std::regex k_name("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  static const std::regex k_prefix(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  size_t slash = key.find('/');
  std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (slash != std::string::npos) {
    std::string prefix = key.substr(0, slash);
    if (prefix.size() > 253 || !std::regex_match(prefix, k_prefix)) {
      return false;
    }
  }
  if (name.size() > 63 || !std::regex_match(name, k_name)) {
    return false;
  }
  return value.empty() || (value.size() <= 63 && std::regex_match(value, k_name));
}

Json pod_metadata(const ClusterSpec& spec, const ExportNode& node, ExportWarnings& warnings) {
  Json labels = {{"io.raylaunch.project", spec.name.value},
                 {"io.raylaunch.role", node.head ? "head" : "worker"},
                 {"io.raylaunch.group", node.group}};
  Json annotations = Json::object();
  for (const auto& [key, value] : node.node.labels) {
    if (is_kube_label(key, value)) {
      labels[key] = value;
      continue;
    }
    annotations[key] = value;
    warnings.add(
        fmt::format("label \"{}\" is not a valid Kubernetes label; it becomes a pod annotation",
                    key),
        "Kubernetes labels are at most 63 letters, digits, \"-\", \"_\" and \".\", starting and "
        "ending with a letter or digit",
        entry_written_at(node.spec->labels, spec.defaults.labels, key, node.where));
  }
  Json metadata = {{"labels", labels}};
  if (!annotations.empty()) {
    metadata["annotations"] = annotations;
  }
  return metadata;
}

Json env_entry(const std::string& name, const Json& value_or_source, bool source) {
  return {{"name", name}, {source ? "valueFrom" : "value", value_or_source}};
}

// raylaunch's own variables that still mean something in a pod, then the
// spec's; RAY_ADDRESS and the auth variables are KubeRay's to set.
Json container_env(const ClusterSpec& spec, const ExportNode& node, const KubeNames& names,
                   bool pod_name) {
  std::map<std::string, Json> env;
  env["RAYLAUNCH_PROJECT"] = env_entry("RAYLAUNCH_PROJECT", spec.name.value, false);
  env["RAYLAUNCH_GROUP"] = env_entry("RAYLAUNCH_GROUP", node.group, false);
  for (const auto& [key, value] : node.node.env) {
    if (is_secret_env(node.node, key)) {
      Json ref = {{"secretKeyRef", {{"name", names.env_secret}, {"key", key}}}};
      env[key] = env_entry(key, ref, true);
    } else {
      env[key] = env_entry(key, double_dollars(value), false);
    }
  }
  Json out = Json::array();
  if (pod_name) {
    out.push_back(
        env_entry(k_pod_name_env, {{"fieldRef", {{"fieldPath", "metadata.name"}}}}, true));
  }
  for (const auto& [key, entry] : env) {
    out.push_back(entry);
  }
  return out;
}

Json container_resources(const ExportNode& node) {
  Json amounts = Json::object();
  if (node.node.cpus) {
    amounts["cpu"] = kube_cpus(*node.node.cpus);
  }
  if (node.node.memory) {
    amounts["memory"] = kube_bytes(*node.node.memory);
  }
  if (node.node.gpus > 0) {
    amounts["nvidia.com/gpu"] = node.node.gpus;
  }
  if (amounts.empty()) {
    return amounts;
  }
  return {{"limits", amounts}, {"requests", amounts}};
}

// Where Ray listens in the head's pod: a pod has a network of its own, as a
// container on one bridge network does.
Json head_ports(const ClusterSpec& spec) {
  static const std::map<std::string, std::string> k_names = {
      {"gcs", "gcs-server"}, {"dashboard", "dashboard"}, {"client", "client"}, {"serve", "serve"}};
  Json out = Json::array();
  for (const HeadPort& port : head_ports_inside(spec, false)) {
    out.push_back({{"containerPort", port.container}, {"name", k_names.at(port.name)}});
  }
  return out;
}

// A host path with `{name}` or `{replica}` is a folder per container: the
// part before the placeholder is the hostPath, the rest a subPathExpr on
// the pod's name.
struct HostPathMount {
  std::string path;
  std::string sub_path_expr;
  bool replica = false;
};

HostPathMount split_host_path(const std::string& source, const std::string& group) {
  std::string text = source;
  for (size_t at = text.find("{group}"); at != std::string::npos; at = text.find("{group}", at)) {
    text.replace(at, 7, group);
  }
  size_t first = std::min(text.find("{name}"), text.find("{replica}"));
  if (first == std::string::npos) {
    return {text, "", false};
  }
  size_t cut = text.rfind('/', first);
  HostPathMount out{cut == 0 ? "/" : text.substr(0, cut), text.substr(cut + 1), false};
  std::string pod = fmt::format("$({})", k_pod_name_env);
  for (const char* token : {"{name}", "{replica}"}) {
    std::string_view t(token);
    for (size_t at = out.sub_path_expr.find(t); at != std::string::npos;
         at = out.sub_path_expr.find(t, at)) {
      out.replica = out.replica || t == "{replica}";
      out.sub_path_expr.replace(at, t.size(), pod);
    }
  }
  return out;
}

struct PodVolumes {
  Json volumes = Json::array();
  Json mounts = Json::array();
  bool pod_name = false;  // a subPathExpr reads the pod's name
};

void add_volume(const VolumeSpec& volume, const ExportNode& node, PodVolumes& pod,
                ExportWarnings& warnings) {
  std::string name = fmt::format("volume-{}", pod.volumes.size());
  Json mount = {{"name", name}, {"mountPath", volume.target}};
  if (volume.named) {
    pod.volumes.push_back({{"name", name}, {"emptyDir", Json::object()}});
    warnings.add(fmt::format("named volume \"{}\" becomes an emptyDir volume: its data lives as "
                             "long as the pod",
                             volume.source),
                 "use a PersistentVolumeClaim for data that must outlive a pod", volume.where);
  } else {
    HostPathMount host = split_host_path(volume.source, node.group);
    pod.volumes.push_back({{"name", name}, {"hostPath", {{"path", host.path}}}});
    if (!host.sub_path_expr.empty()) {
      mount["subPathExpr"] = host.sub_path_expr;
      pod.pod_name = true;
    }
    warnings.add(fmt::format("host path \"{}\" becomes a hostPath volume: the folder on whichever "
                             "Kubernetes node runs the pod",
                             volume.source),
                 "put the data on every node, or use a PersistentVolumeClaim", volume.where);
    if (host.replica) {
      warnings.add(
          "{replica} has no counterpart in a pod template: each pod's name stands in "
          "for it",
          "write {name} for a folder per pod", volume.where);
    }
  }
  if (volume.read_only) {
    mount["readOnly"] = true;
  }
  pod.mounts.push_back(mount);
}

PodVolumes pod_volumes(const ExportNode& node, ExportWarnings& warnings) {
  PodVolumes pod;
  // Ray's object store lives in /dev/shm; a memory-backed emptyDir of the
  // planned size is Kubernetes' --shm-size.
  pod.volumes.push_back(
      {{"name", "shm"},
       {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", kube_bytes(node.shm_size)}}}});
  pod.mounts.push_back({{"name", "shm"}, {"mountPath", "/dev/shm"}});
  for (const VolumeSpec& volume : node.node.volumes) {
    add_volume(volume, node, pod, warnings);
  }
  return pod;
}

// unless-stopped and always are Kubernetes' default, Always.
std::optional<std::string> restart_policy(const ClusterSpec& spec, const ExportNode& node,
                                          ExportWarnings& warnings) {
  const RestartPolicy& restart = node.node.restart;
  if (restart.kind == RestartPolicy::Kind::no) {
    return "Never";
  }
  if (restart.kind != RestartPolicy::Kind::on_failure) {
    return std::nullopt;
  }
  if (restart.max_retries > 0) {
    warnings.add(fmt::format("restart: on-failure:{} has no counterpart in a pod: OnFailure "
                             "restarts the container without a limit",
                             restart.max_retries),
                 "Kubernetes backs off between restarts instead of giving up",
                 written_at(node.spec->restart, spec.defaults.restart, node.where));
  }
  return "OnFailure";
}

}  // namespace

std::string kube_bytes(int64_t bytes) {
  for (const auto& [unit, size] :
       {std::pair<const char*, int64_t>{"Gi", 1LL << 30}, {"Mi", 1LL << 20}, {"Ki", 1LL << 10}}) {
    if (bytes >= size && bytes % size == 0) {
      return fmt::format("{}{}", bytes / size, unit);
    }
  }
  return std::to_string(bytes);
}

Json kuberay_pod_template(const ClusterSpec& spec, const ExportNode& node, const KubeNames& names,
                          ExportWarnings& warnings) {
  PodVolumes volumes = pod_volumes(node, warnings);
  Json container = {{"name", node.head ? "ray-head" : "ray-worker"},
                    {"image", node.node.image},
                    {"imagePullPolicy", pull_policy(node.node.pull)},
                    {"env", container_env(spec, node, names, volumes.pod_name)}};
  if (node.head) {
    container["ports"] = head_ports(spec);
  }
  if (Json resources = container_resources(node); !resources.empty()) {
    container["resources"] = resources;
  }
  container["volumeMounts"] = volumes.mounts;
  Json pod = {{"containers", Json::array({container})}};
  if (node.scaling) {
    pod["restartPolicy"] = "Never";  // Ray's autoscaler v2 replaces workers itself
  } else if (std::optional<std::string> restart = restart_policy(spec, node, warnings)) {
    pod["restartPolicy"] = *restart;
  }
  if (node.node.stop_grace != k_default_stop_grace.count()) {
    pod["terminationGracePeriodSeconds"] = node.node.stop_grace;  // Kubernetes' default: 30
  }
  pod["volumes"] = volumes.volumes;
  return {{"metadata", pod_metadata(spec, node, warnings)}, {"spec", pod}};
}

}  // namespace raylaunch
