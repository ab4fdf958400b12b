#pragma once

#include <string>

namespace raylaunch {

/// What every output prints instead of a secret value.
inline constexpr const char* k_masked = "******";

/// Remembers `value` as a secret: from now on redact() masks it. Values
/// shorter than 4 characters are not remembered (they would mask too much).
void remember_secret(const std::string& value);

/// `text` with every remembered secret replaced by "******". Thread-safe;
/// applied to whatever raylaunch prints that it did not compose itself
/// (Docker's messages, error texts), so a secret cannot leak through them.
std::string redact(std::string text);

}  // namespace raylaunch
