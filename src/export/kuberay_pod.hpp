#pragma once

// The pod template of one RayCluster group: the Ray container, its env,
// resources, ports and volumes, and the pod's labels.

#include "support.hpp"

#include <string>

namespace raylaunch {

/// Names the manifest gives to what it refers to.
struct KubeNames {
  std::string cluster;     // metadata.name of the RayCluster
  std::string env_secret;  // the Secret the env secrets are read from
};

/// `template:` of the head group or a worker group for `node`. What a pod
/// cannot express (host paths, named volumes that outlive a container,
/// restart limits, labels Kubernetes refuses) is added to `warnings`.
Json kuberay_pod_template(const ClusterSpec& spec, const ExportNode& node, const KubeNames& names,
                          ExportWarnings& warnings);

/// `bytes` as a Kubernetes quantity: `16Gi`, `512Mi`, or plain bytes.
std::string kube_bytes(int64_t bytes);

}  // namespace raylaunch
