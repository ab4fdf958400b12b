#pragma once

#include <raylaunch/spec/interpolate.hpp>
#include <raylaunch/spec/model.hpp>

#include <functional>
#include <memory>
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

/// What messages call a spec read from standard input.
inline constexpr const char* k_stdin_name = "<stdin>";

/// Reads and validates the spec at `path` ("-": standard input, named
/// `<stdin>`, its folder the current one). Throws SpecError pointing at the
/// YAML (`file:line:column`) for anything wrong, and for a `.env` beside it
/// that cannot be read; UsageError for a bad `-p` or a spec that cannot be
/// read (missing, a folder, larger than 16 MiB).
LoadResult load_spec(const std::string& path, const LoadOptions& options);

/// Only the project's name from the spec at `path`, for the commands that
/// need nothing else: `-p`, else `name:`, else the folder's name. Throws as
/// load_spec does, but only for the file, its YAML and the name.
std::string load_project_name(const std::string& path, const LoadOptions& options);

/// The text of the spec at `path` ("-": standard input, read once: later
/// calls return the same text). Throws UsageError as load_spec does.
std::string read_spec_text(const std::string& path);

/// Keeps `text` as the source of `file`, the name messages give a spec, so a
/// message can quote its lines without reading the file again (and a spec
/// from standard input can be quoted at all).
void remember_source(const std::string& file, const std::string& text);

/// The text remembered for `file`; nullptr when there is none.
std::shared_ptr<const std::string> remembered_source(const std::string& file);

/// The same for text already in memory; `file` names it in messages and
/// `spec_dir` anchors relative volume paths.
LoadResult load_spec_from_string(const std::string& text, const std::string& file,
                                 const LoadOptions& options, const std::string& spec_dir = ".");

/// A Serve config file alone (`serve deploy FILE`), checked as `serve:
/// {config: FILE}` is; `path` names it in messages.
ServeSpec load_serve_file(const std::string& path);

/// The process's own environment, as a VariableLookup.
VariableLookup process_environment();

/// Whether `name` is a valid project name: `[a-z0-9][a-z0-9_-]*`.
bool is_valid_project_name(const std::string& name);

}  // namespace raylaunch
