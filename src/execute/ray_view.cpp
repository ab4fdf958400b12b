// Asking Ray about the cluster. The head's dashboard answers in milliseconds
// and names every node; `ray status` is a Python program that costs the head
// seconds of CPU per call and only counts nodes. So the dashboard is asked
// first, where it really is: the published port (no docker call needed), then,
// on a local engine's bridge network, the head container's own IP. Only when
// neither answers is `ray status` run in the head, and --verbose says so.
#include <raylaunch/execute/ray_view.hpp>

#include <fmt/format.h>

#include <raylaunch/base/log.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/execute/executor.hpp>

#include <algorithm>

namespace raylaunch {

namespace {

using namespace std::chrono_literals;

// What `ray start` prints once its node is up and registered with the GCS.
constexpr const char* k_ray_started = "Ray runtime started";

// Whether `nodes` is this cluster's list: its head is our head container.
bool is_our_cluster(const std::vector<RayNode>& nodes, const std::string& head) {
  for (const RayNode& node : nodes) {
    if (node.is_head && node.node_name == head) {
      return true;
    }
  }
  return false;
}

// Ray's TrimWhitespace (authentication_token_loader.cc).
std::string trimmed(const std::string& text) {
  const char* space = " \t\n\r\f\v";
  size_t from = text.find_first_not_of(space);
  return from == std::string::npos ? ""
                                   : text.substr(from, text.find_last_not_of(space) - from + 1);
}

// The first line of what `cat` printed, trimmed: how Ray reads a token file.
std::string token_in(const ExecOutput& read) {
  return read.exit_code == 0 ? trimmed(read.out.substr(0, read.out.find('\n'))) : "";
}

}  // namespace

// Ray's token as the head's own Ray finds it, in Ray's order
// (src/ray/rpc/authentication/authentication_token_loader.cc): RAY_AUTH_TOKEN;
// else the file RAY_AUTH_TOKEN_PATH names (and only that one, as Ray stops
// there too); else ~/.ray/auth_token of the head's user. Files are read with
// `docker exec HEAD cat PATH`, an argv; "" when no source has one.
std::string Executor::head_token(const HeadAccess& head) {
  DockerEngine& docker = engine(head.host);
  std::map<std::string, std::string> env = docker.environment(head.container);
  auto value_of = [&env](const char* name) {
    auto found = env.find(name);
    return found == env.end() ? std::string() : found->second;
  };
  if (std::string token = trimmed(value_of("RAY_AUTH_TOKEN")); !token.empty()) {
    return token;
  }
  std::string path = value_of("RAY_AUTH_TOKEN_PATH");
  if (path.empty()) {
    // The home Docker gives the container's user when the image sets none.
    std::string home = value_of("HOME");
    if (home.empty()) {
      home = token_in(docker.exec(head.container, {"printenv", "HOME"}, head.time_left()));
    }
    path = (home.empty() ? "." : home) + "/.ray/auth_token";
  }
  return token_in(docker.exec(head.container, {"cat", path}, head.time_left()));
}

HeadAccess head_access_of(const std::string& project,
                          const std::vector<ObservedContainer>& observed) {
  HeadAccess head;
  head.container = project + "-head";
  for (const ObservedContainer& o : observed) {
    if (o.role == "head") {
      head.dashboard = o.dashboard;
      head.host = o.host;
    }
  }
  return head;
}

std::optional<std::chrono::milliseconds> HeadAccess::time_left() const {
  if (!deadline) {
    return std::nullopt;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(100));
}

std::chrono::milliseconds HeadAccess::bound(std::chrono::milliseconds own) const {
  std::optional<std::chrono::milliseconds> left = time_left();
  return left ? std::min(own, *left) : own;
}

bool split_dashboard_url(const std::string& url, std::string& host, int& port) {
  const std::string scheme = "http://";
  size_t colon = url.rfind(':');
  if (url.rfind(scheme, 0) != 0 || colon == std::string::npos || colon < scheme.size()) {
    return false;
  }
  host = url.substr(scheme.size(), colon - scheme.size());
  if (host == "0.0.0.0") {
    host = "127.0.0.1";
  }
  try {
    port = std::stoi(url.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return !host.empty() && port > 0 && port < 65536;
}

// One try of the node list at `host:port`; nullopt with `why` when it fails.
std::optional<std::vector<RayNode>> Executor::nodes_at(const std::string& host, int port,
                                                       HeadAccess& head, std::string& why) {
  HttpRequest request{"GET", host, port, k_nodes_target, {}, "", head.bound(2s)};
  if (!head.token.empty()) {
    request.headers["Authorization"] = "Bearer " + head.token;
  }
  HttpResponse answer = m_http->send(request);
  if ((answer.status == 401 || answer.status == 403) && head.token.empty() && !head.token_sought) {
    // Token auth is on and no spec said so: the head's Ray has it.
    head.token_sought = true;
    head.token = head_token(head);
    if (!head.token.empty()) {
      remember_secret(head.token);
      return nodes_at(host, port, head, why);
    }
  }
  if (!answer.ok()) {
    why = answer.status == 0 ? answer.error : fmt::format("HTTP {}", answer.status);
    return std::nullopt;
  }
  std::optional<std::vector<RayNode>> nodes = parse_ray_nodes(answer.body, why);
  if (nodes && !is_our_cluster(*nodes, head.container)) {
    why = fmt::format("the Ray cluster there has no head named {}", head.container);
    return std::nullopt;
  }
  return nodes;
}

// The dashboard's node list, from the first place that answers.
bool Executor::ask_dashboard(HeadAccess& head, RayView& view) {
  std::string host;
  int port = 0;
  if (m_http == nullptr || !split_dashboard_url(head.dashboard, host, port)) {
    view.dashboard_note = "no dashboard address";
    return false;
  }
  std::vector<std::string> hosts = {host};
  std::string why;
  for (size_t i = 0; i < hosts.size(); ++i) {
    std::optional<std::vector<RayNode>> nodes = nodes_at(hosts[i], port, head, why);
    if (nodes) {
      view.source = RayView::Source::dashboard;
      view.by_name = ray_nodes_by_name(*nodes);
      view.dashboard_note = fmt::format("http://{}:{}", hosts[i], port);
      view.api_host = hosts[i];
      view.api_port = port;
      return true;
    }
    log_debug(fmt::format("Ray's dashboard at http://{}:{} did not answer: {}", hosts[i], port,
                          why));
    if (i == 0 && head.bridge && engine(head.host).endpoint().is_local()) {
      if (!head.container_ip) {
        head.container_ip = engine(head.host).container_ip(head.container, head.time_left());
      }
      if (!head.container_ip->empty() && *head.container_ip != host) {
        hosts.push_back(*head.container_ip);
      }
    }
  }
  view.dashboard_note = why;
  return false;
}

std::set<std::string> alive_by_count(const std::set<std::string>& started, int counted) {
  return counted >= static_cast<int>(started.size()) ? started : std::set<std::string>();
}

// One `docker inspect` per host for the runs' start times, then, for each
// running node not yet seen started in this run, its log since that start.
std::set<std::string> Executor::started_by_log(
    const std::vector<std::pair<std::string, std::string>>& nodes,
    std::map<std::string, std::string>& seen, std::optional<std::chrono::milliseconds> within) {
  std::map<std::string, std::vector<std::string>> by_host;
  for (const auto& [host, name] : nodes) {
    by_host[host].push_back(name);
  }
  std::set<std::string> started;
  for (const auto& [host, names] : by_host) {
    for (const ContainerFacts& c : engine(host).inspect_containers(names, within)) {
      if (c.state != "running") {
        continue;
      }
      auto known = seen.find(c.name);
      if (known == seen.end() || known->second != c.started_at) {
        std::string log = engine(host).log_since(c.name, log_since_of(c.started_at), within);
        if (log.find(k_ray_started) == std::string::npos) {
          continue;
        }
        seen[c.name] = c.started_at;
      }
      started.insert(c.name);
    }
  }
  return started;
}

RayView Executor::ask_ray(HeadAccess& head, bool cli_fallback) {
  RayView view;
  if (ask_dashboard(head, view) || !cli_fallback) {
    return view;
  }
  log_debug(fmt::format("asking `ray status` in {} instead: the dashboard did not answer ({})",
                        head.container, view.dashboard_note));
  ExecOutput status = engine(head.host).exec(head.container, {"ray", "status"},
                                              head.time_left());
  view.counted = parse_ray_status(status.out);
  if (status.exit_code == 0 && view.counted.has_status) {
    view.source = RayView::Source::cli;
  }
  return view;
}

}  // namespace raylaunch
