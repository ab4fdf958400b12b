#pragma once

// The spec's keys, declared once. The loader's unknown-key check and its "did
// you mean" read this table, and the ranges and examples of its numbers come
// from it, so a JSON schema, shell completion and docs/spec-reference.md can
// be generated from (or checked against) what the loader really accepts.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// The most nodes a cluster may have, the head included: far more than one
/// Docker host runs, and few enough that a spec is read and planned in well
/// under a second however it is written.
inline constexpr int64_t k_max_nodes = 10000;

/// The most env entries a node may have, its own and those from `defaults`
/// (a name in both counts once).
inline constexpr size_t k_max_env_entries = 1000;

/// The most bytes of env a node may have, NAME=VALUE for every entry, its own
/// and those from `defaults`: docker run takes the env in its arguments,
/// which the kernel caps (2 MiB with the usual 8 MiB stack), and a spec
/// multiplies it by up to 10,000 nodes.
inline constexpr size_t k_max_env_bytes = 65536;

/// The mappings of a spec, each with a fixed set of keys.
enum class KeySection {
  top,           // the top level of the spec
  node,          // fields `defaults`, `head` and every worker group share
  head,          // `head` only, besides the node fields
  worker_group,  // each `workers` item only, besides the node fields
  network,
  head_ports,  // `head.ports`
  auth,
  env_entry,  // `env: {NAME: {value: ..., secret: ...}}`
  host,       // each `hosts: {NAME: ...}` entry
  autoscale,  // `autoscale:`: how `raylaunch autoscale` runs
  // `serve:`: Serve's config (ServeDeploySchema) and its parts.
  serve,
  serve_app,          // each `applications` item
  serve_deployment,   // each `deployments` item of an app
  serve_autoscaling,  // a deployment's `autoscaling_config`
  serve_actor,        // a deployment's `ray_actor_options`
  serve_http,         // `http_options`
  serve_grpc,         // `grpc_options`
  serve_logging,      // `logging_config`, at the top, in an app or a deployment
};

/// What a key's value is.
enum class KeyType {
  string,       // a scalar taken as text; `pattern` when it must match one
  integer,      // a whole number within `range`
  number,       // a number within `range`, fractions allowed
  size,         // bytes, or a number with a unit (k, m, g, t, powers of 1024), within `range`
  boolean,      // true or false (True, TRUE, False, FALSE too)
  enumeration,  // one of `values`
  list,         // a sequence of `items`
  mapping,      // `section`'s keys when it has one, else any key to `items`; with both,
                // any key (matching `pattern`) to a mapping of `section`'s keys
  environment,  // a mapping of NAME to a value, nothing or {value, secret}; or a list of
                // NAME[=VALUE]
  any,          // any YAML value, passed on as JSON (Serve's user_config, args, runtime_env)
};

/// The values a number, integer or size may take (bytes for a size).
struct KeyRange {
  std::optional<double> min = {};
  std::optional<double> max = {};
  bool min_exclusive = false;  // `min` itself is refused (cpus: more than 0)
};

/// One key of a section.
struct SpecKey {
  std::string_view name = {};
  KeyType type = KeyType::string;
  /// One line: what the key means, as docs/spec-reference.md says it.
  std::string_view meaning = {};
  /// integer, number, size; for a list or mapping of numbers, each value's.
  std::optional<KeyRange> range = {};
  /// What applies when the key is not written, as YAML; empty: nothing (unset,
  /// or computed as `meaning` says).
  std::string_view default_value = {};
  /// enumeration: the values allowed, in the order messages list them.
  std::vector<std::string_view> values = {};
  /// The regular expression the loader matches, when it matches one: a
  /// string's text, a list's items, a mapping's keys.
  std::string_view pattern = {};
  /// list, or mapping without a section: what each item or value is.
  std::optional<KeyType> items = {};
  /// mapping, or list of mappings: the section that declares its keys.
  std::optional<KeySection> section = {};
  /// A value to show after "e.g. <key>: " (for a list or mapping, one item's value).
  std::string_view example = {};
};

/// A section and its own keys, in the order the docs list them.
struct SpecSection {
  KeySection id = KeySection::top;
  /// Where it is written, e.g. "head.ports", "workers[]"; "" for the top level.
  std::string_view path = {};
  std::string_view meaning = {};
  /// The head and worker groups take every node key, before their own.
  std::optional<KeySection> extends = {};
  std::vector<SpecKey> keys = {};
};

/// Every section of the spec, the top level first.
const std::vector<SpecSection>& spec_sections();

const SpecSection& spec_section(KeySection id);

/// Every key `id` accepts, in the order "did you mean" tries them and the
/// "keys allowed here" hint lists them: for the head and worker groups the
/// node keys first, then their own.
std::vector<std::string> allowed_keys(KeySection id);

/// The key `name` that `id` accepts (its own, or one it extends); nullptr when
/// there is none.
const SpecKey* find_spec_key(KeySection id, std::string_view name);

/// The word of `words` that `word` is most likely a typo of; nullopt when
/// none is close. Ties go to the earlier word. The spec's keys and the command
/// line's commands and options share it.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& words);

}  // namespace raylaunch
