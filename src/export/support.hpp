#pragma once

// What both exports share: the warnings they collect, where in the YAML a
// node's inherited field was written, and the YAML writer with a header of
// comments.

#include <raylaunch/base/error.hpp>
#include <raylaunch/plan/ray_start.hpp>
#include <raylaunch/plan/resolve.hpp>
#include <raylaunch/spec/model.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace raylaunch {

using Json = nlohmann::ordered_json;

/// The warnings of one export, each said once per place.
class ExportWarnings {
 public:
  void add(const std::string& message, const std::string& hint, const SourceLocation& where);
  std::vector<Diagnostic> take() { return std::move(m_list); }

 private:
  std::vector<Diagnostic> m_list;
  std::set<std::string> m_said;
};

/// The head or one worker group, with its fields resolved and its `ray start`
/// options as a replica would get them.
struct ExportNode {
  const NodeSpec* spec = nullptr;
  SourceLocation where;
  std::string group;  // "head" for the head
  bool head = false;
  int64_t replicas = 1;
  /// min_replicas, max_replicas and idle_timeout of an autoscaled group.
  std::optional<GroupScaling> scaling;
  ResolvedNode node;
  RayStartOptions options;
  int64_t shm_size = 0;
};

/// The head, then the worker groups in the spec's order; a group with
/// `replicas: 0` is there too (a RayCluster still describes it).
std::vector<ExportNode> export_nodes(const ClusterSpec& spec, const std::string& gcs_address);

/// Where `own`, else `inherited`, was written; else `fallback`.
template <class T>
SourceLocation written_at(const std::optional<Located<T>>& own,
                          const std::optional<Located<T>>& inherited,
                          const SourceLocation& fallback) {
  if (own) {
    return own->where;
  }
  return inherited ? inherited->where : fallback;
}

/// Where the entry `key` of a merged map (env, labels) was written.
template <class T>
SourceLocation entry_written_at(const std::map<std::string, Located<T>>& own,
                                const std::map<std::string, Located<T>>& inherited,
                                const std::string& key, const SourceLocation& fallback) {
  if (auto found = own.find(key); found != own.end()) {
    return found->second.where;
  }
  auto found = inherited.find(key);
  return found != inherited.end() ? found->second.where : fallback;
}

/// Whether env `key` of `node` is secret: as the spec says, else by its name.
bool is_secret_env(const ResolvedNode& node, const std::string& key);

/// `text` with every `$` doubled: a literal `$` both for compose's
/// interpolation and for Kubernetes' `$(VAR)` expansion in env values.
std::string double_dollars(const std::string& text);

/// `doc` as block YAML after `comments` (each a `# ` line); strings are
/// double-quoted, so no value is ever read back as another type.
std::string render_yaml(const Json& doc, const std::vector<std::string>& comments);

}  // namespace raylaunch
