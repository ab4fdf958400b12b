// Where each node runs. Without `hosts:` every node is on one engine, as
// before: the head and the workers take the blocks of pinned ports in order.
// With hosts, each host hands out its own blocks, so nodes on different
// machines may reuse the same ports, and every node is reached at its host's
// address.
#include <raylaunch/plan/placement.hpp>

#include <raylaunch/plan/ports.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace raylaunch {

namespace {

const HostSpec& find_host(const ClusterSpec& spec, const std::string& name) {
  for (const HostSpec& host : spec.hosts) {
    if (host.name.value == name) {
      return host;
    }
  }
  // The loader placed every node on a host of the spec.
  throw SpecError(fmt::format("unknown host \"{}\"", name), "name a host of hosts:",
                  spec.hosts_where.value_or(SourceLocation{}));
}

std::string bind_of(const HostSpec& host) {
  if (host.bind) {
    return host.bind->value;
  }
  return host.address ? host.address->value : "127.0.0.1";
}

}  // namespace

bool spans_hosts(const ClusterSpec& spec) { return spec.hosts.size() > 1; }

std::string host_of_replica(const WorkerGroupSpec& group, int64_t replica) {
  if (group.hosts.empty()) {
    return "";
  }
  size_t at = static_cast<size_t>(replica - 1) % group.hosts.size();
  return group.hosts[at].value;
}

std::vector<PlannedHost> planned_hosts(const ClusterSpec& spec) {
  std::vector<PlannedHost> hosts;
  for (const HostSpec& host : spec.hosts) {
    hosts.push_back({host.name.value, host.docker ? host.docker->value : "",
                     host.context ? host.context->value : "",
                     host.address ? host.address->value : ""});
  }
  return hosts;
}

std::string plan_gcs_address(const ClusterSpec& spec, const std::string& project) {
  int port = spec.head.ports.gcs.value;
  if (spec.network.mode != NetworkMode::host && !spans_hosts(spec)) {
    // Inside the project network, at the port Ray listens on in the head.
    return fmt::format("{}-head:{}", project, head_port_inside(spec, false, "gcs"));
  }
  std::string ip = "127.0.0.1";
  if (spec.hosts.empty()) {
    ip = spec.network.node_ip ? spec.network.node_ip->value : ip;
  } else if (const HostSpec& head = find_host(spec, spec.head.host->value); head.address) {
    ip = head.address->value;
  }
  return fmt::format("{}:{}", ip, port);
}

namespace {

std::string head_host(const ClusterSpec& spec) {
  return spec.hosts.empty() ? "" : spec.head.host->value;
}

bool places_on(const WorkerGroupSpec& group, const std::string& host) {
  if (group.hosts.empty()) {
    return host.empty();
  }
  return std::any_of(group.hosts.begin(), group.hosts.end(),
                     [&](const Located<std::string>& h) { return h.value == host; });
}

// The groups that place replicas on `host`, in the spec's order.
std::vector<const WorkerGroupSpec*> groups_on(const ClusterSpec& spec, const std::string& host) {
  std::vector<const WorkerGroupSpec*> groups;
  for (const WorkerGroupSpec& group : spec.workers) {
    if (places_on(group, host)) {
      groups.push_back(&group);
    }
  }
  return groups;
}

}  // namespace

size_t pinned_block(const ClusterSpec& spec, const std::string& host,
                    const WorkerGroupSpec* group, int64_t replica) {
  if (group == nullptr) {
    return 0;
  }
  size_t first = head_host(spec) == host ? 1 : 0;
  std::vector<const WorkerGroupSpec*> groups = groups_on(spec, host);
  size_t turn = static_cast<size_t>(
      std::find(groups.begin(), groups.end(), group) - groups.begin());
  // Replicas 1, 1+n, 1+2n, ... of a group over n hosts land on hosts[0]; the
  // k-th of them on this host takes the group's k-th turn.
  size_t n = std::max<size_t>(group->hosts.size(), 1);
  size_t k = static_cast<size_t>(replica - 1) / n;
  return first + k * groups.size() + turn;
}

NodePlace Placer::head() { return place(head_host(m_spec), nullptr, 0); }

NodePlace Placer::worker(const WorkerGroupSpec& group, int64_t replica) {
  return place(host_of_replica(group, replica), &group, replica);
}

NodePlace Placer::place(const std::string& host, const WorkerGroupSpec* group, int64_t replica) {
  bool is_head = group == nullptr;
  bool host_mode = m_spec.network.mode == NetworkMode::host;
  NodePlace out;
  out.host = host;
  out.index = pinned_block(m_spec, host, group, replica);
  out.pinned = host_mode || spans_hosts(m_spec);
  out.published = out.pinned && !host_mode;
  if (m_spec.hosts.empty()) {
    out.bind = m_spec.head.bind.value;
    if (host_mode && m_spec.network.node_ip) {
      out.node_ip = m_spec.network.node_ip->value;
    }
    return out;
  }
  const HostSpec& spec_host = find_host(m_spec, host);
  out.bind = is_head && m_spec.head.bind_written ? m_spec.head.bind.value : bind_of(spec_host);
  if (out.pinned && spec_host.address) {
    out.node_ip = spec_host.address->value;
  }
  return out;
}

std::map<std::string, size_t> Placer::nodes_per_host(const ClusterSpec& spec) {
  std::map<std::string, size_t> count;
  std::map<std::string, size_t> blocks;  // per host, one past the highest block taken
  count[head_host(spec)] += 1;
  blocks[head_host(spec)] = 1;
  for (const WorkerGroupSpec& group : spec.workers) {
    size_t n = std::max<size_t>(group.hosts.size(), 1);
    for (size_t i = 0; i < n; ++i) {
      // Replicas i+1, i+1+n, ... run on hosts[i].
      size_t replicas = static_cast<size_t>(group.planned_replicas());
      size_t on_host = replicas / n + (i < replicas % n ? 1 : 0);
      std::string host = group.hosts.empty() ? "" : group.hosts[i].value;
      count[host] += on_host;
      if (on_host > 0) {
        // The last of them, replica i+1+(on_host-1)n, takes the highest block.
        size_t last = pinned_block(spec, host, &group,
                                   static_cast<int64_t>(i + 1 + (on_host - 1) * n));
        blocks[host] = std::max(blocks[host], last + 1);
      }
    }
  }
  if (spec.network.mode == NetworkMode::host || spans_hosts(spec)) {
    size_t most = 0;
    size_t most_nodes = 0;
    for (const auto& [host, taken] : blocks) {
      if (taken > most) {
        most = taken;
        most_nodes = count[host];
      }
    }
    check_host_port_room(spec, most, most_nodes);
  }
  return count;
}

std::vector<PortBinding> published_ports(const ClusterSpec& spec, const NodePlace& place,
                                         bool is_head) {
  std::vector<PortBinding> out;
  if (is_head && spec.network.mode != NetworkMode::host) {
    out = head_port_bindings(spec, place.bind, place.pinned);
  }
  if (!place.published) {
    return out;
  }
  std::map<std::string, std::string> pinned = pinned_node_ports(spec.network, place.index);
  for (const auto& [option, port] : pinned) {
    if (option != "min-worker-port" && option != "max-worker-port") {
      int number = std::stoi(port);
      out.push_back({option.substr(0, option.size() - 5), place.bind, number, number});
    }
  }
  int first = std::stoi(pinned.at("min-worker-port"));
  int last = std::stoi(pinned.at("max-worker-port"));
  out.push_back({"worker", place.bind, first, first, last - first + 1});
  return out;
}

}  // namespace raylaunch
