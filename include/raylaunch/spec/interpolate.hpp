#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// Looks a variable up; nullopt when it is not set at all.
using VariableLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Why interpolation failed, and at which byte of the input.
struct InterpolationFailure {
  std::string message;
  std::string hint;
  size_t offset = 0;
};

/// Expands compose's interpolation in `text`: `$VAR`, `${VAR}`, `${VAR:-default}`,
/// `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`,
/// `${VAR+alt}` and `$$` for a literal `$`. Defaults may nest. An unset variable
/// without a default expands to "" and its name is added to `unset` (compose
/// warns about it). Throws InterpolationFailure on a malformed template, a
/// required variable that is missing, or a result longer than `max_size`
/// (offset: the `$` that made it so).
std::string interpolate(std::string_view text, const VariableLookup& lookup,
                        std::vector<std::string>* unset = nullptr,
                        size_t max_size = std::string::npos);

/// Reads a `.env` file's text: `KEY=VALUE` lines, `#` comments, an optional
/// `export ` prefix, single or double quotes around the value; a UTF-8 byte
/// order mark at the start is skipped. Throws InterpolationFailure (offset =
/// byte of the bad line) on a line without `=`.
std::map<std::string, std::string> parse_env_file(std::string_view text);

/// Formats bytes the short way Docker accepts back (`8g`, `1536m`, `123b`).
std::string format_size(int64_t bytes);

}  // namespace raylaunch
