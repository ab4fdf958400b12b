#pragma once

// Answers HTTP requests for Ray's head from a function and records them, so
// the executor's use of the dashboard is tested without Ray.
#include <raylaunch/ray/http.hpp>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace raylaunch::test {

class FakeHttp final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    requests.push_back(request);
    return m_answer ? m_answer(request) : HttpResponse{0, "", "Connection refused"};
  }
  void answer_with(std::function<HttpResponse(const HttpRequest&)> answer) {
    m_answer = std::move(answer);
  }
  std::vector<HttpRequest> requests;

 private:
  std::mutex m_mutex;
  std::function<HttpResponse(const HttpRequest&)> m_answer;
};

/// A node entry of `GET /api/v0/nodes`, as Ray writes it.
inline std::string ray_node_json(const std::string& id, const std::string& name, bool head,
                                 bool alive, const std::string& message = "",
                                 long start_ms = 1000) {
  return "{\"node_id\": \"" + id + "\", \"node_ip\": \"172.28.0.2\", \"is_head_node\": " +
         (head ? "true" : "false") + ", \"state\": \"" + (alive ? "ALIVE" : "DEAD") +
         "\", \"state_message\": " + (message.empty() ? "null" : "\"" + message + "\"") +
         ", \"node_name\": \"" + name +
         "\", \"resources_total\": {\"CPU\": 2.0, \"memory\": 1073741824.0}, \"labels\": {}, "
         "\"start_time_ms\": " + std::to_string(start_ms) + ", \"end_time_ms\": 0}";
}

/// The whole answer of `GET /api/v0/nodes` around `entries`.
inline std::string ray_nodes_answer(const std::vector<std::string>& entries) {
  std::string list;
  for (const std::string& entry : entries) {
    list += (list.empty() ? "" : ", ") + entry;
  }
  return "{\"result\": true, \"msg\": \"\", \"data\": {\"result\": {\"total\": " +
         std::to_string(entries.size()) + ", \"num_after_truncation\": 0, \"num_filtered\": 0, " +
         "\"result\": [" + list + "], \"partial_failure_warning\": \"\", \"warnings\": null}}}";
}

}  // namespace raylaunch::test
