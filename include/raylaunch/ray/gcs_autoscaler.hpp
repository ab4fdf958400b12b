#pragma once

// Ray's GCS autoscaler service (ray.rpc.autoscaler.AutoscalerStateService,
// gRPC on the GCS port): the nodes Ray knows with their state, and the demand
// it cannot place. Plain types here; src/ray/gcs_autoscaler.cpp is the one
// file that includes gRPC.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

/// A resource shape: Ray's resource names (CPU, GPU, memory, custom) to amounts.
using ResourceShape = std::map<std::string, double>;

enum class RayNodeStatus { unspecified, running, dead, idle, draining };
std::string to_string(RayNodeStatus status);

struct GcsNode {
  std::string node_id;  // the 28 raw bytes Ray uses
  std::string instance_id;  // RAY_CLOUD_INSTANCE_ID: raylaunch's container name
  std::string type_name;    // RAY_NODE_TYPE_NAME: the worker group
  RayNodeStatus status = RayNodeStatus::unspecified;
  int64_t idle_ms = 0;
  ResourceShape total;
  ResourceShape available;
  /// `_PG_<hex>` for each placement group with bundles on the node.
  std::vector<std::string> placement_groups;
  /// Whether it is the head (`node:__internal_head__` in its total).
  bool head = false;
};

/// `count` requests of one shape (tasks, actors, job drivers, Serve replicas).
struct ResourceDemand {
  ResourceShape shape;
  int64_t count = 0;
};

/// A placement group waiting to be placed: all its bundles, or none.
struct GangDemand {
  enum class Strategy { pack, strict_spread, strict_pack };
  Strategy strategy = Strategy::pack;
  std::string label;  // _PG_<hex>, when strict
  std::vector<ResourceShape> bundles;
};

struct GcsState {
  std::string session;
  std::vector<GcsNode> nodes;  // alive first, then dead
  std::vector<ResourceDemand> pending;
  std::vector<GangDemand> gangs;
  /// request_resources: the cluster's total must hold these.
  std::vector<ResourceDemand> constraint;
};

struct DrainAnswer {
  bool ok = false;        // the call succeeded (else `error`)
  bool accepted = false;  // only when ok
  std::string rejection;  // why Ray kept the node
  std::string error;
};

/// A client of one head's GCS. Calls are bounded by `timeout`; failures are
/// answers, not exceptions.
class GcsAutoscalerClient {
 public:
  /// `target` is host:port of the GCS; `token` Ray's auth token ("" for none).
  GcsAutoscalerClient(std::string target, std::string token, std::chrono::milliseconds timeout);
  ~GcsAutoscalerClient();
  GcsAutoscalerClient(const GcsAutoscalerClient&) = delete;
  GcsAutoscalerClient& operator=(const GcsAutoscalerClient&) = delete;

  /// GetClusterResourceState, always with version 0 (a higher one than the
  /// GCS's counter aborts a freshly restarted GCS). nullopt and `error` when
  /// the GCS did not answer.
  std::optional<GcsState> state(std::string& error);
  /// DrainNode with IDLE_TERMINATION (Ray refuses it for a node with work)
  /// and no deadline.
  DrainAnswer drain_idle(const std::string& node_id, const std::string& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace raylaunch
