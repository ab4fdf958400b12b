// The GCS autoscaler service over gRPC: the one file that includes grpc++.
// Ray's messages are turned into the plain types of gcs_autoscaler.hpp here.
#include <raylaunch/ray/gcs_autoscaler.hpp>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "autoscaler.grpc.pb.h"

namespace raylaunch {

namespace rpc = ray::rpc::autoscaler;

std::string to_string(RayNodeStatus status) {
  switch (status) {
    case RayNodeStatus::running:
      return "RUNNING";
    case RayNodeStatus::dead:
      return "DEAD";
    case RayNodeStatus::idle:
      return "IDLE";
    case RayNodeStatus::draining:
      return "DRAINING";
    case RayNodeStatus::unspecified:
      break;
  }
  return "UNSPECIFIED";
}

namespace {

ResourceShape shape_of(const google::protobuf::Map<std::string, double>& map) {
  return ResourceShape(map.begin(), map.end());
}

RayNodeStatus status_of(rpc::NodeStatus status) {
  switch (status) {
    case rpc::RUNNING:
      return RayNodeStatus::running;
    case rpc::DEAD:
      return RayNodeStatus::dead;
    case rpc::IDLE:
      return RayNodeStatus::idle;
    case rpc::DRAINING:
      return RayNodeStatus::draining;
    default:
      return RayNodeStatus::unspecified;
  }
}

GcsNode node_of(const rpc::NodeState& from) {
  GcsNode node;
  node.node_id = from.node_id();
  node.instance_id = from.instance_id();
  node.type_name = from.ray_node_type_name();
  node.status = status_of(from.status());
  node.idle_ms = from.idle_duration_ms();
  node.total = shape_of(from.total_resources());
  node.available = shape_of(from.available_resources());
  node.head = node.total.count("node:__internal_head__") != 0;
  for (const auto& [label, value] : from.dynamic_labels()) {
    if (label.starts_with("_PG_")) {
      node.placement_groups.push_back(label);
    }
  }
  return node;
}

// A gang's bundles: bundle_selectors[0] where Ray fills it, else `requests`.
GangDemand gang_of(const rpc::GangResourceRequest& from) {
  GangDemand gang;
  const auto& requests = from.bundle_selectors_size() > 0
                             ? from.bundle_selectors(0).resource_requests()
                             : from.requests();
  for (const rpc::ResourceRequest& request : requests) {
    gang.bundles.push_back(shape_of(request.resources_bundle()));
    for (const rpc::PlacementConstraint& constraint : request.placement_constraints()) {
      if (constraint.has_anti_affinity()) {
        gang.strategy = GangDemand::Strategy::strict_spread;
        gang.label = constraint.anti_affinity().label_name();
      } else if (constraint.has_affinity()) {
        gang.strategy = GangDemand::Strategy::strict_pack;
        gang.label = constraint.affinity().label_name();
      }
    }
  }
  return gang;
}

std::string said(const grpc::Status& status) {
  return fmt::format("{} (gRPC status {})", status.error_message(),
                     static_cast<int>(status.error_code()));
}

}  // namespace

struct GcsAutoscalerClient::Impl {
  std::string token;
  std::chrono::milliseconds timeout;
  std::unique_ptr<rpc::AutoscalerStateService::Stub> stub;

  void prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    if (!token.empty()) {
      context.AddMetadata("authorization", "Bearer " + token);
    }
  }
};

GcsAutoscalerClient::GcsAutoscalerClient(std::string target, std::string token,
                                         std::chrono::milliseconds timeout)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->token = std::move(token);
  m_impl->timeout = timeout;
  grpc::ChannelArguments args;
  // Fail a call at once while the head is away, rather than waiting for it.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  m_impl->stub = rpc::AutoscalerStateService::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

GcsAutoscalerClient::~GcsAutoscalerClient() = default;

std::optional<GcsState> GcsAutoscalerClient::state(std::string& error) {
  grpc::ClientContext context;
  m_impl->prepare(context);
  rpc::GetClusterResourceStateRequest request;
  request.set_last_seen_cluster_resource_state_version(0);
  rpc::GetClusterResourceStateReply reply;
  grpc::Status status = m_impl->stub->GetClusterResourceState(&context, request, &reply);
  if (!status.ok()) {
    error = said(status);
    return std::nullopt;
  }
  const rpc::ClusterResourceState& from = reply.cluster_resource_state();
  GcsState state;
  state.session = from.cluster_session_name();
  for (const rpc::NodeState& node : from.node_states()) {
    state.nodes.push_back(node_of(node));
  }
  for (const rpc::ResourceRequestByCount& demand : from.pending_resource_requests()) {
    if (demand.count() > 0) {
      state.pending.push_back({shape_of(demand.request().resources_bundle()), demand.count()});
    }
  }
  for (const rpc::GangResourceRequest& gang : from.pending_gang_resource_requests()) {
    GangDemand demand = gang_of(gang);
    if (!demand.bundles.empty()) {  // Ray emits empty entries for placed groups
      state.gangs.push_back(std::move(demand));
    }
  }
  for (const rpc::ClusterResourceConstraint& constraint : from.cluster_resource_constraints()) {
    for (const rpc::ResourceRequestByCount& demand : constraint.resource_requests()) {
      state.constraint.push_back(
          {shape_of(demand.request().resources_bundle()), demand.count()});
    }
  }
  return state;
}

DrainAnswer GcsAutoscalerClient::drain_idle(const std::string& node_id,
                                            const std::string& message) {
  grpc::ClientContext context;
  m_impl->prepare(context);
  rpc::DrainNodeRequest request;
  request.set_node_id(node_id);
  request.set_reason(rpc::DRAIN_NODE_REASON_IDLE_TERMINATION);
  request.set_reason_message(message);
  request.set_deadline_timestamp_ms(0);
  rpc::DrainNodeReply reply;
  grpc::Status status = m_impl->stub->DrainNode(&context, request, &reply);
  DrainAnswer answer;
  if (!status.ok()) {
    answer.error = said(status);
    return answer;
  }
  answer.ok = true;
  answer.accepted = reply.is_accepted();
  answer.rejection = reply.rejection_reason_message();
  return answer;
}

}  // namespace raylaunch
