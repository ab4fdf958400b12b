#pragma once

#include <string>
#include <string_view>

namespace raylaunch {

/// The SHA-256 of `data` as 64 lowercase hex digits (FIPS 180-4), computed by
/// OpenSSL. Used for the config hash that decides whether a container must be
/// re-created. Throws std::runtime_error only if OpenSSL fails, which is a bug.
std::string sha256_hex(std::string_view data);

}  // namespace raylaunch
