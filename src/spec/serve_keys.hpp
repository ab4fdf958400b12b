#pragma once

// The sections of `serve:` in the key table (serve_keys.cpp).

#include <raylaunch/spec/keys.hpp>
#include <vector>

namespace raylaunch {

/// `serve:` and its parts, `serve:` first.
std::vector<SpecSection> serve_sections();

}  // namespace raylaunch
