#pragma once

// How raylaunch talks to Ray's head: plain HTTP/1.1 to the dashboard port.
// An interface, so unit tests answer for Ray and the real client (Boost.Beast)
// stays in one file.

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace raylaunch {

struct HttpRequest {
  std::string method = "GET";
  std::string host;  // an IP address or a name
  int port = 0;
  std::string target;  // the path and query, e.g. /api/v0/nodes?limit=10000
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
  /// When set, the body is this file's content, read as it is sent (a
  /// working-dir package), so it is never held in memory.
  std::string body_file{};
};

struct HttpResponse {
  int status = 0;  // 0: no answer at all; `error` says why
  std::string body;
  std::string error;
  bool ok() const { return status >= 200 && status < 300; }
};

/// Sends one request and reads the whole answer, within the request's
/// timeout. Never throws for network trouble: that is an HttpResponse with
/// status 0. May be called from several threads at once.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// The real client.
std::unique_ptr<HttpClient> make_http_client();

}  // namespace raylaunch
