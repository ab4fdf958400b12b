// Compose users write `${VAR:-default}` in their files and expect it to work
// the same here; this file implements that grammar and `.env` files.
#include <raylaunch/spec/interpolate.hpp>

#include <fmt/format.h>

#include <cctype>

namespace raylaunch {

namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Returns the index of the `}` closing the `${` whose body starts at `from`.
size_t find_closing_brace(std::string_view text, size_t from) {
  int depth = 1;
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

class Interpolator {
 public:
  Interpolator(const VariableLookup& lookup, std::vector<std::string>* unset, size_t max_size)
      : m_lookup(lookup), m_unset(unset), m_max_size(max_size) {}

  // `base` is where `text` starts in the caller's string, for error offsets.
  std::string expand(std::string_view text, size_t base) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$') {
        out += text[i];
        continue;
      }
      if (i + 1 >= text.size()) {
        out += '$';
        continue;
      }
      char next = text[i + 1];
      if (next == '$') {
        out += '$';
        ++i;
      } else if (next == '{') {
        size_t close = find_closing_brace(text, i + 2);
        if (close == std::string_view::npos) {
          throw InterpolationFailure{"unterminated \"${\": no closing \"}\"",
                                     "close the variable with \"}\", or write \"$$\" for a literal \"$\"",
                                     base + i};
        }
        out += expand_braced(text.substr(i + 2, close - i - 2), base + i + 2, base + i);
        check_size(out, base + i);
        i = close;
      } else if (is_name_start(next)) {
        size_t end = i + 1;
        while (end < text.size() && is_name_char(text[end])) {
          ++end;
        }
        out += value_or_empty(std::string(text.substr(i + 1, end - i - 1)));
        check_size(out, base + i);
        i = end - 1;
      } else {
        // A lone `$` before something that is no variable stays as written.
        out += '$';
      }
    }
    check_size(out, base);
    return out;
  }

 private:
  // Variables may hold anything (a 1 MB .env line, a value used 1,000 times),
  // so the value is bounded as it grows, not after.
  void check_size(const std::string& out, size_t at) const {
    if (out.size() > m_max_size) {
      throw InterpolationFailure{
          fmt::format("interpolation makes the value longer than the {} characters allowed",
                      m_max_size),
          "check the variables used here; long data belongs in a file mounted with volumes:", at};
    }
  }

  std::string value_or_empty(const std::string& name) {
    std::optional<std::string> value = m_lookup(name);
    if (!value) {
      if (m_unset) {
        m_unset->push_back(name);
      }
      return {};
    }
    return *value;
  }

  std::string expand_braced(std::string_view body, size_t base, size_t dollar) {
    size_t end = 0;
    while (end < body.size() && is_name_char(body[end])) {
      ++end;
    }
    std::string name(body.substr(0, end));
    if (name.empty() || !is_name_start(name[0])) {
      throw InterpolationFailure{fmt::format("invalid interpolation \"${{{}}}\"", body),
                                 "variable names start with a letter or \"_\"; write \"$$\" for a "
                                 "literal \"$\"",
                                 dollar};
    }
    std::string_view rest = body.substr(end);
    if (rest.empty()) {
      return value_or_empty(name);
    }
    bool colon = rest[0] == ':';
    std::string_view op = rest.substr(colon ? 1 : 0);
    if (op.empty() || (op[0] != '-' && op[0] != '?' && op[0] != '+')) {
      throw InterpolationFailure{fmt::format("invalid interpolation \"${{{}}}\"", body),
                                 "use ${VAR}, ${VAR:-default}, ${VAR:?message} or ${VAR:+alt}",
                                 dollar};
    }
    size_t arg_at = base + end + (colon ? 2 : 1);
    std::string_view arg = op.substr(1);
    std::optional<std::string> value = m_lookup(name);
    bool missing = !value || (colon && value->empty());
    switch (op[0]) {
      case '-':
        return missing ? expand(arg, arg_at) : *value;
      case '+':
        return missing ? std::string() : expand(arg, arg_at);
      default: {
        if (!missing) {
          return *value;
        }
        std::string said = expand(arg, arg_at);
        throw InterpolationFailure{
            fmt::format("required variable {} is missing a value{}", name,
                        said.empty() ? std::string() : ": " + said),
            fmt::format("set {} in the environment or in the .env file beside the spec", name),
            dollar};
      }
    }
  }

  const VariableLookup& m_lookup;
  std::vector<std::string>* m_unset;
  size_t m_max_size;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::string interpolate(std::string_view text, const VariableLookup& lookup,
                        std::vector<std::string>* unset, size_t max_size) {
  Interpolator interpolator(lookup, unset, max_size);
  return interpolator.expand(text, 0);
}

std::map<std::string, std::string> parse_env_file(std::string_view text) {
  std::map<std::string, std::string> values;
  // Editors on Windows start UTF-8 files with a byte order mark; it is no part of the first key.
  size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (start <= text.size()) {
    size_t newline = text.find('\n', start);
    std::string_view line =
        text.substr(start, newline == std::string_view::npos ? std::string_view::npos
                                                             : newline - start);
    std::string_view stripped = trim(line);
    if (!stripped.empty() && stripped[0] != '#') {
      if (stripped.substr(0, 7) == "export ") {
        stripped = trim(stripped.substr(7));
      }
      size_t eq = stripped.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        throw InterpolationFailure{fmt::format("invalid line in .env file: \"{}\"", stripped),
                                   "write KEY=VALUE, one a line", start};
      }
      std::string key(trim(stripped.substr(0, eq)));
      std::string_view value = trim(stripped.substr(eq + 1));
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      } else if (size_t hash = value.find(" #"); hash != std::string_view::npos) {
        value = trim(value.substr(0, hash));
      }
      values[key] = std::string(value);
    }
    if (newline == std::string_view::npos) {
      break;
    }
    start = newline + 1;
  }
  return values;
}

std::string format_size(int64_t bytes) {
  static const std::pair<int64_t, const char*> k_units[] = {
      {1099511627776LL, "t"}, {1073741824LL, "g"}, {1048576LL, "m"}, {1024LL, "k"}};
  for (const auto& [size, suffix] : k_units) {
    if (bytes >= size && bytes % size == 0) {
      return fmt::format("{}{}", bytes / size, suffix);
    }
  }
  return fmt::format("{}b", bytes);
}

}  // namespace raylaunch
