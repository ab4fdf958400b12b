#pragma once

// The export stage: the same planned cluster written for engines users
// already run, KubeRay's RayCluster and docker compose, so moving on from
// raylaunch never means writing the spec again by hand.

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/planner.hpp>
#include <raylaunch/spec/model.hpp>

#include <string>
#include <vector>

namespace raylaunch {

/// A rendered file and what it could not say: every part of the spec that the
/// target cannot express is a warning at the YAML, never silently dropped.
struct ExportResult {
  std::string text;
  std::vector<Diagnostic> warnings;
};

struct KubeRayOptions {
  /// `metadata.namespace` of the RayCluster; empty leaves it to kubectl.
  std::string kube_namespace;
};

/// One `ray.io/v1` RayCluster manifest meaning what `spec` means: a head
/// group and one worker group per raylaunch group, `rayStartParams` without
/// what KubeRay sets itself, resources as requests and limits, GPUs as
/// `nvidia.com/gpu`, `/dev/shm` as a memory-backed emptyDir. `plan` is
/// `plan_cluster(spec)`. Secret values are never written: env secrets are
/// `secretKeyRef`s to a Secret the file's header names.
ExportResult export_kuberay(const ClusterSpec& spec, const Plan& plan,
                            const KubeRayOptions& options = {});

/// A compose file that docker-compose 1.29 and docker compose v2 both accept:
/// one service per planned container with raylaunch's container name and
/// labels (so `raylaunch status -p` and `down -p` find it), the network, and
/// GPUs by device id. Secret values are `${NAME}` references to the
/// environment of `docker-compose up`, never the value.
ExportResult export_compose(const ClusterSpec& spec, const Plan& plan);

}  // namespace raylaunch
