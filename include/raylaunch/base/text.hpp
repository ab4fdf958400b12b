#pragma once

// Bytes a user wrote, looked at as text: whether they are UTF-8, and how to
// show them on a terminal without letting them steer it.

#include <cstddef>
#include <string>
#include <string_view>

namespace raylaunch {

/// The length of the well-formed UTF-8 character at `at` in `text` (1 to 4),
/// or 0 when the byte there starts none.
size_t utf8_length_at(std::string_view text, size_t at);

/// The offset of the first byte of `text` that is not part of well-formed
/// UTF-8, or npos.
size_t first_invalid_utf8(std::string_view text);

/// `text` with every control byte (but tab and newline) and every byte that
/// is not part of UTF-8 written `\xNN`, so printing it cannot move the
/// cursor, clear the screen or change colours.
std::string escape_control(std::string_view text);

}  // namespace raylaunch
