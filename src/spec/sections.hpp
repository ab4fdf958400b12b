#pragma once

// The spec's sections, each read from its YAML node into the typed spec.
// sections.cpp has the top-level ones, node_fields.cpp the fields every node
// shares.

#include <raylaunch/spec/model.hpp>

#include "value_reader.hpp"
#include "yaml_reader.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace raylaunch {

/// `name:`, unless `project_name` (-p) wins; else the folder's name.
void load_name(const ValueReader& reader, const YamlNode& root, ClusterSpec& spec,
               const std::optional<std::string>& project_name);
void load_network(const ValueReader& reader, const YamlNode& node, NetworkSpec& network);
void load_auth(const ValueReader& reader, const YamlNode& node, AuthSpec& auth);
/// Whether `text` is a dotted IPv4 address.
bool is_ipv4(const std::string& text);
/// A list of GPU devices (`what` names it in messages) into `pool`.
void load_gpu_list(const ValueReader& reader, const YamlNode& node, const std::string& what,
                   std::vector<Located<std::string>>& pool, std::optional<SourceLocation>& where);
/// The top-level `gpus:` list.
void load_gpu_pool(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec);
/// The head; `defaults` is what it inherits, for the limits that count both.
void load_head(const ValueReader& reader, const YamlNode& node, HeadSpec& head,
               const std::string& spec_dir, const NodeSpec* defaults);
void load_workers(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec,
                  const std::string& spec_dir);

/// A group's min_replicas, max_replicas and idle_timeout, after its replicas
/// were read; the top-level `autoscale:` (autoscale.cpp).
void load_group_scaling(const ValueReader& reader, const YamlNode& item, WorkerGroupSpec& group);
void load_autoscale(const ValueReader& reader, const YamlNode& node, AutoscaleSpec& autoscale);
/// `serve:` (src/spec/serve.cpp): inline or `config: FILE`; publishes
/// head.ports.serve (8000) unless the head names it.
void load_serve(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec);

/// `hosts:` (src/spec/hosts.cpp), and the `host:`/`hosts:` of the head or a
/// group; check_hosts() then checks the names and addresses across the spec.
void load_hosts(const ValueReader& reader, const YamlNode& node, ClusterSpec& spec);
void load_placement(const ValueReader& reader, const YamlNode& node, bool spread,
                    std::vector<Located<std::string>>& hosts);
void check_hosts(ClusterSpec& spec);

/// Tells the redactor every secret env value of the spec (by name or
/// `secret: true`, interpolated) and the token auth.token_env names, before
/// any field is read, so no message can print them (env_secrets.cpp).
void remember_env_secrets(const ValueReader& reader, const YamlNode& root);

/// The node fields of `node`, a map whose keys were checked already;
/// relative volume paths are under `spec_dir`. `defaults`, when given, is
/// what the node inherits: its env entries count towards the node's limit.
void load_node(const ValueReader& reader, const YamlNode& node, NodeSpec& out,
               const std::string& spec_dir, const NodeSpec* defaults = nullptr);

/// A node's `ray_args`, each option checked as `ray start` checks it
/// (ray_args.cpp).
void load_ray_args(const ValueReader& reader, const YamlNode& node, NodeSpec& out);

/// A `ray_labels` key as Ray's label syntax takes it, else a located error.
void check_ray_label_key(const ValueReader& reader, const YamlNode& key);

/// A label name or value as Ray takes it: at most 63 characters,
/// [a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?.
bool is_label_name(std::string_view text);

/// The `volumes:` list of a node.
void load_volumes(const ValueReader& reader, const YamlNode& node, NodeSpec& out,
                  const std::string& spec_dir);

}  // namespace raylaunch
