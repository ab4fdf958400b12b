// Spec values, variables and daemon messages are printed on a terminal; these
// helpers keep their bytes from acting on it and from breaking UTF-8 output.
#include <raylaunch/base/text.hpp>

#include <fmt/format.h>

namespace raylaunch {

size_t utf8_length_at(std::string_view text, size_t at) {
  auto c = static_cast<unsigned char>(text[at]);
  size_t length = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xe  ? 3
                  : (c >> 3) == 0x1e ? 4
                                     : 0;
  if (length == 0 || at + length > text.size() || (length == 2 && c < 0xc2)) {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[at + k]) >> 6) != 0x2) {
      return 0;
    }
  }
  return length;
}

size_t first_invalid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t length = utf8_length_at(text, i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

std::string escape_control(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = utf8_length_at(text, i);
    if (length == 0 || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      out += fmt::format("\\x{:02X}", c);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace raylaunch
