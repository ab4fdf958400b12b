#pragma once

#include <raylaunch/spec/interpolate.hpp>
#include <raylaunch/spec/model.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace raylaunch {

struct LoadOptions {
  /// `-p/--project-name`: wins over `name:` and the folder's name.
  std::optional<std::string> project_name;
  /// The process environment; the `.env` file beside the spec fills in only
  /// what this leaves unset (the environment wins, as in compose).
  VariableLookup environment;
  /// Read `.env` beside the spec (load_spec only).
  bool read_dotenv = true;
  /// Called with each warning as it is found, so it is seen even when an
  /// error follows (the warnings are in LoadResult too).
  std::function<void(const Diagnostic&)> on_warning;
};

/// What loading found that is worth saying but not fatal (unset variables).
struct LoadResult {
  ClusterSpec spec;
  std::vector<Diagnostic> warnings;
};

/// Reads and validates the spec at `path`. Throws SpecError pointing at the
/// YAML (`file:line:column`) for anything wrong; UsageError for a bad `-p`.
LoadResult load_spec(const std::string& path, const LoadOptions& options);

/// The same for text already in memory; `file` names it in messages and
/// `spec_dir` anchors relative volume paths.
LoadResult load_spec_from_string(const std::string& text, const std::string& file,
                                 const LoadOptions& options, const std::string& spec_dir = ".");

/// The process's own environment, as a VariableLookup.
VariableLookup process_environment();

/// Whether `name` is a valid project name: `[a-z0-9][a-z0-9_-]*`.
bool is_valid_project_name(const std::string& name);

}  // namespace raylaunch
