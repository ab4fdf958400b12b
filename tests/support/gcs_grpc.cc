// gcs_grpc.cc - ray-standin-gcs-grpc: the gRPC server of the ray stand-in's
// GCS port (a TEST FIXTURE, not Ray). It serves AutoscalerStateService
// (autoscaler.proto) on connections the stand-in's head hands it, and knows
// nothing itself: each call becomes one line to the head,
//   "METHOD\tAUTHORIZATION\tREQUEST_JSON\n"
// answered by "OK\tREPLY_JSON", "ERR\tCODE\tMESSAGE" or "CRASH\tWHY"
// (standin_autoscaler.c). The JSON is protobuf's, with the proto's names.
//
// fd 3: a unix socket on which the head sends (SCM_RIGHTS) each accepted
//       connection that starts with HTTP/2's preface; EOF ends the program.
// fd 4: a unix socket to ask the head, one request at a time.
// Build: scripts/standin-image.sh (g++ against Debian's grpc++).
#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <google/protobuf/util/json_util.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "autoscaler.grpc.pb.h"

namespace as = ray::rpc::autoscaler;

namespace {

constexpr int kPassFd = 3;
constexpr int kQueryFd = 4;
std::mutex g_mu;       // one request to the head at a time
std::string g_pending; // bytes read past the last reply

bool WriteAll(const std::string &s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(kQueryFd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One exchange with the head; false when it is gone.
bool Ask(const std::string &line, std::string *reply) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!WriteAll(line)) return false;
  for (;;) {
    size_t nl = g_pending.find('\n');
    if (nl != std::string::npos) {
      *reply = g_pending.substr(0, nl);
      g_pending.erase(0, nl + 1);
      return true;
    }
    char buf[65536];
    ssize_t n = read(kQueryFd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    g_pending.append(buf, static_cast<size_t>(n));
  }
}

std::string Clean(std::string s) {  // no tabs or newlines in a field
  for (char &c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

template <class Req, class Rep>
grpc::Status Call(grpc::ServerContext *ctx, const char *method, const Req &req, Rep *rep) {
  std::string auth = "-";
  auto it = ctx->client_metadata().find("authorization");
  if (it != ctx->client_metadata().end()) auth = std::string(it->second.data(), it->second.size());
  std::string json;
  google::protobuf::util::JsonPrintOptions po;
  po.preserve_proto_field_names = true;
  po.always_print_enums_as_ints = true;
  if (!google::protobuf::util::MessageToJsonString(req, &json, po).ok())
    return grpc::Status(grpc::StatusCode::INTERNAL, "stand-in: cannot write the request");
  std::string reply;
  if (!Ask(std::string(method) + "\t" + Clean(auth) + "\t" + json + "\n", &reply))
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stand-in: the head is gone");
  if (reply.rfind("OK\t", 0) == 0) {
    google::protobuf::util::JsonParseOptions jo;
    auto st = google::protobuf::util::JsonStringToMessage(reply.substr(3), rep, jo);
    if (!st.ok()) {
      std::fprintf(stderr, "ray-standin-gcs-grpc: %s: bad reply JSON: %s\n", method,
                   std::string(st.message()).c_str());
      return grpc::Status(grpc::StatusCode::INTERNAL, "stand-in: a malformed reply");
    }
    return grpc::Status::OK;
  }
  if (reply.rfind("CRASH\t", 0) == 0) {
    // Ray's GCS: RAY_CHECK fails and the process aborts; every client
    // then sees UNAVAILABLE.
    std::fprintf(stderr, "[GCS] %s\n*** SIGABRT received ***\n", reply.substr(6).c_str());
    std::fflush(stderr);
    _exit(134);
  }
  if (reply.rfind("ERR\t", 0) == 0) {
    size_t tab = reply.find('\t', 4);
    int code = std::atoi(reply.substr(4, tab - 4).c_str());
    std::string msg = tab == std::string::npos ? "" : reply.substr(tab + 1);
    return grpc::Status(static_cast<grpc::StatusCode>(code), msg);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "stand-in: an unknown answer");
}

class Service final : public as::AutoscalerStateService::Service {
  grpc::Status GetClusterResourceState(grpc::ServerContext *c,
                                       const as::GetClusterResourceStateRequest *q,
                                       as::GetClusterResourceStateReply *r) override {
    return Call(c, "GetClusterResourceState", *q, r);
  }
  grpc::Status ReportAutoscalingState(grpc::ServerContext *c,
                                      const as::ReportAutoscalingStateRequest *q,
                                      as::ReportAutoscalingStateReply *r) override {
    return Call(c, "ReportAutoscalingState", *q, r);
  }
  grpc::Status ReportClusterConfig(grpc::ServerContext *c,
                                   const as::ReportClusterConfigRequest *q,
                                   as::ReportClusterConfigReply *r) override {
    return Call(c, "ReportClusterConfig", *q, r);
  }
  grpc::Status RequestClusterResourceConstraint(
      grpc::ServerContext *c, const as::RequestClusterResourceConstraintRequest *q,
      as::RequestClusterResourceConstraintReply *r) override {
    return Call(c, "RequestClusterResourceConstraint", *q, r);
  }
  grpc::Status GetClusterStatus(grpc::ServerContext *c, const as::GetClusterStatusRequest *q,
                                as::GetClusterStatusReply *r) override {
    return Call(c, "GetClusterStatus", *q, r);
  }
  grpc::Status DrainNode(grpc::ServerContext *c, const as::DrainNodeRequest *q,
                         as::DrainNodeReply *r) override {
    return Call(c, "DrainNode", *q, r);
  }
};

// The next connection the head passes, or -1 when the head is gone.
int ReceiveFd() {
  char byte;
  struct iovec iov = {&byte, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr mh;
  std::memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl;
  mh.msg_controllen = sizeof ctl;
  for (;;) {
    ssize_t n = recvmsg(kPassFd, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm != nullptr && cm->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
      return fd;
    }
  }
}

}  // namespace

int main() {
  Service service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "ray-standin-gcs-grpc: cannot start the gRPC server\n");
    return 1;
  }
  for (;;) {
    int fd = ReceiveFd();
    if (fd < 0) break;
    grpc::AddInsecureChannelFromFd(server.get(), fd);
  }
  server->Shutdown();
  return 0;
}
