// `raylaunch export kuberay`: the cluster as one KubeRay RayCluster, so a
// team can move from one Docker host to Kubernetes without writing the spec
// again. KubeRay builds `ray start` itself from rayStartParams and the pod's
// resources; this file gives it what raylaunch decided and leaves out what
// KubeRay decides (docs/moving-on.md has the table).
#include <raylaunch/export/export.hpp>
#include <raylaunch/plan/ports.hpp>

#include "kuberay_pod.hpp"
#include "support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace raylaunch {

namespace {

// Options KubeRay sets itself (`block`, the workers' `address`, the head's
// `dashboard-host`), ones raylaunch sets for Docker only (`node-name`, the
// container name), and Ray's own defaults, which KubeRay also assumes.
bool left_to_kuberay(const std::string& key, const std::string& value) {
  static const std::set<std::string> k_kuberay = {"block",          "address",   "head",
                                                  "dashboard-host", "resources", "labels"};
  static const std::map<std::string, std::string> k_defaults = {
      {"port", "6379"}, {"dashboard-port", "8265"}, {"ray-client-server-port", "10001"}};
  if (k_kuberay.count(key) != 0) {
    return true;
  }
  if (auto found = k_defaults.find(key); found != k_defaults.end()) {
    return found->second == value;
  }
  return key == "node-name";  // the container's name; a pod has its own
}

// In host networking raylaunch pins each node's ports apart; every pod has a
// network of its own, and KubeRay's probes need its own agent port.
bool pinned_for_host_network(const std::string& key) {
  static const std::set<std::string> k_pinned = {"node-manager-port",
                                                 "object-manager-port",
                                                 "runtime-env-agent-port",
                                                 "dashboard-agent-grpc-port",
                                                 "dashboard-agent-listen-port",
                                                 "metrics-export-port",
                                                 "min-worker-port",
                                                 "max-worker-port",
                                                 "node-ip-address"};
  return k_pinned.count(key) != 0;
}

// rayStartParams are strings; a bare flag is "true", as KubeRay renders it.
Json ray_start_params(const ClusterSpec& spec, const ExportNode& node) {
  Json params = Json::object();
  // In its pod the head listens where it would on one bridge network.
  std::map<std::string, std::string> inside;
  if (node.head) {
    for (const HeadPort& port : head_ports_inside(spec, false)) {
      inside[port.name] = std::to_string(port.container);
    }
  }
  static const std::map<std::string, std::string> k_head_options = {
      {"port", "gcs"}, {"dashboard-port", "dashboard"}, {"ray-client-server-port", "client"}};
  for (const auto& [key, value] : node.options) {
    std::string text = value ? *value : "true";
    if (auto port = k_head_options.find(key); node.head && port != k_head_options.end()) {
      text = inside.at(port->second);
    }
    bool host = spec.network.mode == NetworkMode::host;
    if (left_to_kuberay(key, text) || (host && pinned_for_host_network(key))) {
      continue;
    }
    params[key] = text;
  }
  return params;
}

// Ray's resources and node labels have fields of their own in KubeRay's
// group specs; in rayStartParams the JSON would need shell quoting.
void add_ray_resources(const ExportNode& node, Json& group) {
  if (!node.node.resources.empty()) {
    Json resources = Json::object();
    for (const auto& [name, amount] : node.node.resources) {
      resources[name] = format_number(amount);
    }
    group["resources"] = resources;
  }
  if (!node.node.ray_labels.empty()) {
    Json labels = Json::object();
    for (const auto& [key, value] : node.node.ray_labels) {
      labels[key] = value;
    }
    group["labels"] = labels;
  }
}

Json group_spec(const ClusterSpec& spec, const ExportNode& node, const KubeNames& names,
                ExportWarnings& warnings) {
  Json group = Json::object();
  if (node.head) {
    group["serviceType"] = "ClusterIP";
  } else {
    group["groupName"] = node.group;
    group["replicas"] = node.replicas;
    group["minReplicas"] = node.scaling ? node.scaling->min.value : node.replicas;
    group["maxReplicas"] = node.scaling ? node.scaling->max.value : node.replicas;
    if (node.scaling) {
      // Per group, read by Ray's autoscaler v2 (KubeRay 1.2 and later).
      group["idleTimeoutSeconds"] = (node.scaling->idle_timeout_ms.value + 999) / 1000;
    }
  }
  group["rayStartParams"] = ray_start_params(spec, node);
  add_ray_resources(node, group);
  group["template"] = kuberay_pod_template(spec, node, names, warnings);
  return group;
}

SourceLocation image_written_at(const ClusterSpec& spec, const ExportNode& node) {
  std::optional<Located<std::string>> top = spec.image;
  return written_at(node.spec->image, spec.defaults.image ? spec.defaults.image : top, node.where);
}

// `rayproject/ray:2.52.1-gpu` runs Ray 2.52.1.
std::optional<std::string> ray_version_of(const std::string& image) {
  std::string reference = image.substr(0, image.find('@'));
  size_t colon = reference.rfind(':');
  size_t slash = reference.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return std::nullopt;
  }
  static const std::regex k_version("([0-9]+\\.[0-9]+\\.[0-9]+)(-.*)?");
  std::smatch match;
  std::string tag = reference.substr(colon + 1);
  if (!std::regex_match(tag, match, k_version)) {
    return std::nullopt;
  }
  return match[1].str();
}

std::optional<std::string> ray_version(const ClusterSpec& spec,
                                       const std::vector<ExportNode>& nodes,
                                       ExportWarnings& warnings) {
  std::optional<std::string> head = ray_version_of(nodes.front().node.image);
  if (!head) {
    warnings.add(
        fmt::format("cannot tell the Ray version from image \"{}\": rayVersion is left out",
                    nodes.front().node.image),
        "tag the image with Ray's version, e.g. rayproject/ray:2.52.1, or add "
        "spec.rayVersion to the manifest by hand",
        image_written_at(spec, nodes.front()));
  }
  for (const ExportNode& node : nodes) {
    std::optional<std::string> version = ray_version_of(node.node.image);
    if (head && version && version != head) {
      warnings.add(fmt::format("worker group \"{}\" runs Ray {} but the head runs Ray {}: a "
                               "RayCluster has one rayVersion",
                               node.group, *version, *head),
                   "run one Ray version in the whole cluster", image_written_at(spec, node));
    }
  }
  return head;
}

void warn_about_network(const ClusterSpec& spec, const std::vector<ExportNode>& nodes,
                        ExportWarnings& warnings) {
  if (spec.network.mode == NetworkMode::host) {
    warnings.add(
        "network.mode host has no counterpart in a RayCluster: every pod has a network "
        "of its own, so the ports raylaunch pins for each node are left out",
        "KubeRay's head Service connects the pods; the dashboard listens on 0.0.0.0 in "
        "the head pod",
        spec.network.where);
  }
  if (spec.network.subnet) {
    warnings.add(
        "network.subnet has no counterpart in a RayCluster: pods take their addresses "
        "from the Kubernetes cluster's pod network",
        "leave it out of the manifest; KubeRay's head Service finds the head",
        spec.network.subnet->where);
  }
  if (spec.hosts_where) {
    warnings.add("hosts: has no counterpart in a RayCluster: Kubernetes places the pods on its "
                 "nodes, and each pod has an address of its own",
                 "steer pods to machines with a nodeSelector or node affinity",
                 *spec.hosts_where);
  }
  if (spec.head.bind_written) {
    warnings.add(
        "head.bind has no counterpart in a RayCluster: the head's ports are reached "
        "through its ClusterIP Service, from inside the Kubernetes cluster",
        "kubectl port-forward reaches the dashboard from your machine", spec.head.bind.where);
  }
  for (const ExportNode& node : nodes) {
    if (node.node.gpus > 0) {
      warnings.add(
          "GPU device ids have no meaning in Kubernetes: each pod asks for nvidia.com/gpu "
          "and the device plugin picks the devices",
          "pick GPU models with a nodeSelector or node affinity",
          spec.gpu_pool_where ? *spec.gpu_pool_where : node.where);
      return;
    }
  }
}

// Project names may hold "_", which Kubernetes names may not.
std::string kube_name(const ClusterSpec& spec, ExportWarnings& warnings) {
  std::string name = spec.name.value;
  std::replace(name.begin(), name.end(), '_', '-');
  while (!name.empty() && name.back() == '-') {
    name.pop_back();
  }
  if (name != spec.name.value) {
    warnings.add(fmt::format("the RayCluster is named \"{}\": Kubernetes names cannot hold \"_\" "
                             "or end with \"-\"",
                             name),
                 "name the project with letters, digits and \"-\"", spec.name.where);
  }
  return name;
}

std::vector<std::string> secret_env_names(const std::vector<ExportNode>& nodes) {
  std::set<std::string> names;
  for (const ExportNode& node : nodes) {
    for (const auto& [key, value] : node.node.env) {
      if (is_secret_env(node.node, key)) {
        names.insert(key);
      }
    }
  }
  return {names.begin(), names.end()};
}

// What the volume lines of the header say, for the kinds of volume in use.
std::vector<std::string> volume_notes(const std::vector<ExportNode>& nodes) {
  bool named = false;
  bool host = false;
  for (const ExportNode& node : nodes) {
    for (const VolumeSpec& volume : node.node.volumes) {
      (volume.named ? named : host) = true;
    }
  }
  std::vector<std::string> lines;
  if (named) {
    lines.push_back("Named volumes are emptyDir volumes: their data lives as long as the pod.");
  }
  if (host) {
    lines.push_back("Host paths are hostPath volumes: the folder on the node that runs the pod.");
  }
  return lines;
}

// serve:'s config as the YAML text serveConfigV2 holds. A local working_dir
// has no counterpart: KubeRay cannot upload a folder.
std::string serve_config_v2(const ServeSpec& serve, ExportWarnings& warnings) {
  Json config = Json::parse(serve.config_json);
  for (const ServeAppSpec& app : serve.apps) {
    if (app.local_working_dir) {
      warnings.add(fmt::format("application \"{}\"'s working_dir is a local folder, which "
                               "KubeRay cannot upload: the RayService names it as written",
                               app.name.value),
                   "give a remote URI (s3://, gs://, https://...zip) for Kubernetes",
                   app.local_working_dir->where);
    }
  }
  std::string text = render_yaml(config, {});
  return text;
}

// The file's header says what it does not hold and how to create it.
std::vector<std::string> kuberay_header(const ClusterSpec& spec, const KubeNames& names,
                                        const std::vector<ExportNode>& nodes,
                                        const KubeRayOptions& options) {
  std::string ns = options.kube_namespace.empty() ? "" : " -n " + options.kube_namespace;
  std::vector<std::string> lines = {
      fmt::format("RayCluster \"{}\": raylaunch project \"{}\", exported by raylaunch {}.",
                  names.cluster, spec.name.value, k_version),
      fmt::format("Apply with: kubectl apply{} -f FILE (needs the KubeRay operator; ray.io/v1 as "
                  "of KubeRay 1.7).",
                  ns)};
  for (std::string& line : volume_notes(nodes)) {
    lines.push_back(std::move(line));
  }
  if (std::vector<std::string> secrets = secret_env_names(nodes); !secrets.empty()) {
    lines.push_back(
        fmt::format("Secret values are not in this file: create the Secret \"{}\" "
                    "first, one key per variable:",
                    names.env_secret));
    std::string command = fmt::format("  kubectl create secret generic {}{}", names.env_secret, ns);
    for (const std::string& secret : secrets) {
      command += fmt::format(" --from-literal={0}=\"${0}\"", secret);
    }
    lines.push_back(command);
  }
  if (spec.auth.token && spec.auth.token_env.empty()) {
    lines.push_back(
        fmt::format("Token auth: KubeRay makes the token and keeps it in the Secret "
                    "\"{}\" (key auth_token).",
                    names.cluster));
  } else if (spec.auth.token) {
    lines.push_back(
        fmt::format("Token auth: create the Secret \"{}-ray-token\" with the token "
                    "from {} first:",
                    names.cluster, spec.auth.token_env));
    lines.push_back(
        fmt::format("  kubectl create secret generic {}-ray-token{} "
                    "--from-literal=auth_token=\"${}\"",
                    names.cluster, ns, spec.auth.token_env));
  }
  return lines;
}

}  // namespace

ExportResult export_kuberay(const ClusterSpec& spec, const Plan& plan,
                            const KubeRayOptions& options) {
  ExportWarnings warnings;
  std::vector<ExportNode> nodes = export_nodes(spec, plan.gcs_address);
  KubeNames names;
  names.cluster = kube_name(spec, warnings);
  names.env_secret = names.cluster + "-env";

  Json metadata = {{"name", names.cluster}};
  if (!options.kube_namespace.empty()) {
    metadata["namespace"] = options.kube_namespace;
  }
  metadata["labels"] = {{"io.raylaunch.project", spec.name.value}};
  Json cluster = Json::object();
  if (std::optional<std::string> version = ray_version(spec, nodes, warnings)) {
    cluster["rayVersion"] = *version;
  }
  if (spec.auth.token) {
    cluster["authOptions"] = {{"mode", "token"}};
    if (!spec.auth.token_env.empty()) {
      cluster["authOptions"]["secretName"] = names.cluster + "-ray-token";
    }
  }
  if (spec.autoscaled()) {
    // KubeRay runs Ray's own autoscaler (v2) beside the head; it reads the
    // same demand raylaunch autoscale does.
    cluster["enableInTreeAutoscaling"] = true;
    double speed = spec.autoscale.upscaling_speed.value;
    cluster["autoscalerOptions"] = {
        {"version", "v2"},
        {"upscalingMode", speed <= 1 ? "Conservative" : "Default"},
        {"idleTimeoutSeconds", 60}};
  }
  warn_about_network(spec, nodes, warnings);
  cluster["headGroupSpec"] = group_spec(spec, nodes.front(), names, warnings);
  cluster["workerGroupSpecs"] = Json::array();
  for (size_t i = 1; i < nodes.size(); ++i) {
    cluster["workerGroupSpecs"].push_back(group_spec(spec, nodes[i], names, warnings));
  }
  std::vector<std::string> header = kuberay_header(spec, names, nodes, options);
  if (spec.serve) {
    // Serve in the spec: a RayService, the RayCluster's spec as its
    // rayClusterConfig and the Serve config as serveConfigV2 (a YAML string).
    header.front().replace(0, 10, "RayService");
    header.insert(header.begin() + 1,
                  "KubeRay deploys serveConfigV2 itself and upgrades the cluster without downtime.");
    Json doc = {{"apiVersion", "ray.io/v1"},
                {"kind", "RayService"},
                {"metadata", metadata},
                {"spec",
                 {{"serveConfigV2", serve_config_v2(*spec.serve, warnings)},
                  {"rayClusterConfig", cluster}}}};
    return {render_yaml(doc, header), warnings.take()};
  }
  Json doc = {{"apiVersion", "ray.io/v1"},
              {"kind", "RayCluster"},
              {"metadata", metadata},
              {"spec", cluster}};
  return {render_yaml(doc, header), warnings.take()};
}

}  // namespace raylaunch
