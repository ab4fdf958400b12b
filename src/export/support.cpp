// What the KubeRay and compose exports share: resolving each node the way the
// planner does (so an export cannot drift from `up`), the warnings, and a
// small YAML writer that can open a file with comments, which the plan's
// JSON-shaped output has no need for.
#include "support.hpp"

#include <raylaunch/plan/planner.hpp>
#include <raylaunch/plan/shm.hpp>

#include <fmt/format.h>

#include <regex>

namespace raylaunch {

void ExportWarnings::add(const std::string& message, const std::string& hint,
                         const SourceLocation& where) {
  std::string key = fmt::format("{}:{}:{}:{}", where.file, where.line, where.column, message);
  if (m_said.insert(key).second) {
    m_list.push_back({Severity::warning, message, hint, where});
  }
}

namespace {

// Exports describe one place for every pod or service: the nodes as if on one
// host, whatever `hosts:` says; the index picks a block of ports in host
// networking.
NodePlace one_host_place(const ClusterSpec& spec, size_t index) {
  NodePlace place;
  place.index = index;
  place.pinned = spec.network.mode == NetworkMode::host;
  place.bind = spec.head.bind.value;
  if (place.pinned && spec.network.node_ip) {
    place.node_ip = spec.network.node_ip->value;
  }
  return place;
}

}  // namespace

std::vector<ExportNode> export_nodes(const ClusterSpec& spec, const std::string& gcs_address) {
  std::vector<ExportNode> nodes;
  ExportNode head;
  head.spec = &spec.head.node;
  head.where = spec.head.where;
  head.group = "head";
  head.head = true;
  head.node = resolve_node(spec, spec.head.node, spec.head.where, "the head");
  head.options = ray_start_options(spec, head.node, spec.name.value + "-head",
                                   static_cast<size_t>(head.node.gpus), true,
                                   one_host_place(spec, 0), gcs_address);
  head.shm_size = plan_shm(head.node, head.options, "the head").size;
  nodes.push_back(std::move(head));
  for (const WorkerGroupSpec& group : spec.workers) {
    ExportNode worker;
    worker.spec = &group.node;
    worker.where = group.where;
    worker.group = group.group.value;
    worker.replicas = group.replicas.value;
    worker.scaling = group.scaling;
    std::string who = fmt::format("worker group \"{}\"", worker.group);
    worker.node = resolve_node(spec, group.node, group.where, who);
    std::string name = fmt::format("{}-{}-1", spec.name.value, worker.group);
    worker.options = ray_start_options(spec, worker.node, name,
                                       static_cast<size_t>(worker.node.gpus), false,
                                       one_host_place(spec, pinned_block(spec, "", &group, 1)),
                                       gcs_address);
    worker.shm_size = plan_shm(worker.node, worker.options, who).size;
    nodes.push_back(std::move(worker));
  }
  return nodes;
}

bool is_secret_env(const ResolvedNode& node, const std::string& key) {
  auto said = node.env_secret.find(key);
  return said != node.env_secret.end() ? said->second : is_secret_name(key);
}

std::string double_dollars(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c == '$' ? std::string("$$") : std::string(1, c);
  }
  return out;
}

namespace {

// Keys such as `nvidia.com/gpu` or `io.raylaunch.project` read the same
// plain; anything else is quoted.
std::string key_text(const std::string& key) {
  static const std::regex k_plain_key("[A-Za-z_][A-Za-z0-9_./-]*");
  return std::regex_match(key, k_plain_key) ? key : Json(key).dump();
}

bool is_block(const Json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

std::string scalar_text(const Json& value) {
  if (value.is_object()) {
    return "{}";
  }
  if (value.is_array()) {
    return "[]";
  }
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Text of several lines that a literal block (`|`) keeps exactly: one
// newline at its end, no line ending in a space, no tab or control byte, not
// starting with a space (RayService's serveConfigV2).
bool literal_block(const Json& value) {
  if (!value.is_string()) {
    return false;
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n' ||
      text.front() == ' ' || text.find('\n') == text.size() - 1) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f || (c == '\n' && i > 0 && text[i - 1] == ' ')) {
      return false;
    }
  }
  return true;
}

// Block style as kubectl writes it: a sequence under a key starts at the
// key's own indent.
class YamlEmitter {
 public:
  void block(const Json& value, size_t indent) {
    if (value.is_object()) {
      for (const auto& [key, child] : value.items()) {
        mapping_entry(key_text(key), child, indent);
      }
      return;
    }
    for (const Json& item : value) {
      sequence_item(item, indent);
    }
  }

  std::string text;

 private:
  void mapping_entry(const std::string& key, const Json& child, size_t indent) {
    text += std::string(indent, ' ') + key + ":";
    if (literal_block(child)) {
      text += " |\n";
      const std::string& lines = child.get_ref<const std::string&>();
      for (size_t start = 0; start < lines.size();) {
        size_t end = lines.find('\n', start);
        std::string line = lines.substr(start, end - start);
        text += line.empty() ? "\n" : std::string(indent + 2, ' ') + line + "\n";
        start = end + 1;
      }
      return;
    }
    if (!is_block(child)) {
      text += " " + scalar_text(child) + "\n";
      return;
    }
    text += "\n";
    block(child, child.is_array() ? indent : indent + 2);
  }

  void sequence_item(const Json& item, size_t indent) {
    std::string dash = std::string(indent, ' ') + "- ";
    if (!is_block(item)) {
      text += dash + scalar_text(item) + "\n";
      return;
    }
    YamlEmitter inner;
    inner.block(item, indent + 2);
    // The item's first line moves up onto the dash.
    text += dash + inner.text.substr(indent + 2);
  }
};

}  // namespace

std::string render_yaml(const Json& doc, const std::vector<std::string>& comments) {
  std::string out;
  for (const std::string& comment : comments) {
    out += comment.empty() ? "#\n" : "# " + comment + "\n";
  }
  YamlEmitter emitter;
  emitter.block(doc, 0);
  return out + emitter.text;
}

}  // namespace raylaunch
