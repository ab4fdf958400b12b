#pragma once

// The spec's JSON Schema, made from the key table (spec/keys.hpp), so an
// editor with the YAML language server checks a spec against what the loader
// really accepts. `raylaunch schema` prints it; docs/raylaunch.schema.json is
// a copy a test keeps equal.

#include <string>

namespace raylaunch {

/// The JSON Schema (draft 7) of a spec, as indented JSON text with a final newline.
std::string spec_json_schema();

}  // namespace raylaunch
