// The checks every key of the spec shares, in one place, so a wrong type reads
// the same whichever key it is under: "<field> must be an integer, got ...".
#include "value_reader.hpp"

#include <fmt/format.h>

#include <raylaunch/base/text.hpp>
#include <raylaunch/spec/numbers.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <regex>
#include <set>

namespace raylaunch {

namespace {

// Docker refuses longer image names (the part before the tag and digest).
constexpr size_t k_max_image_name = 255;

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const std::string& word : words) {
    out += out.empty() ? word : separator + word;
  }
  return out;
}

const char* kind_of(const YamlNode& node) {
  if (node.is_map()) {
    return "a mapping";
  }
  if (node.is_sequence()) {
    return "a list";
  }
  if (node.is_null()) {
    return "nothing";
  }
  return "a scalar";
}

// How a value that is not of its type is quoted in messages.
std::string got(const YamlNode& node, const std::string& text) {
  return node.is_null() ? std::string("nothing") : fmt::format("\"{}\"", text);
}

}  // namespace

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& words) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& candidate : words) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

const SpecKey& declared_key(KeySection section, std::string_view name) {
  const SpecKey* key = find_spec_key(section, name);
  assert(key != nullptr && "the loader reads only keys the table declares");
  return *key;
}

ValueReader::ValueReader(std::string file, VariableLookup lookup, std::vector<Diagnostic>& warnings,
                         std::function<void(const Diagnostic&)> on_warning)
    : m_file(std::move(file)),
      m_lookup(std::move(lookup)),
      m_warnings(warnings),
      m_on_warning(std::move(on_warning)) {}

ValueReader ValueReader::reading(std::string file, bool interpolate) const {
  ValueReader other(std::move(file), m_lookup, m_warnings, m_on_warning);
  other.m_interpolate = interpolate;
  return other;
}

void ValueReader::fail(const YamlNode& node, std::string message, std::string hint) const {
  throw SpecError(std::move(message), std::move(hint), node.where);
}

void ValueReader::expect_map(const YamlNode& node, const std::string& what) const {
  if (!node.is_map()) {
    fail(node, fmt::format("{} must be a mapping, got {}", what, kind_of(node)),
         "write key: value pairs, one a line, indented under it");
  }
}

void ValueReader::expect_sequence(const YamlNode& node, const std::string& what,
                                  const std::string& hint) const {
  if (!node.is_sequence()) {
    fail(node, fmt::format("{} must be a list, got {}", what, kind_of(node)), hint);
  }
}

void ValueReader::refuse_repeated_key(std::set<std::string>& seen, const YamlNode& key,
                                      const std::string& what) const {
  if (!seen.insert(key.text).second) {
    fail(key, fmt::format("key \"{}\" is given twice in {}", key.text, what), "keep one of them");
  }
}

void ValueReader::check_unique_keys(const YamlNode& map, const std::string& what) const {
  std::set<std::string> seen;
  for (const YamlEntry& entry : map.entries) {
    refuse_repeated_key(seen, entry.key, what);
  }
}

void ValueReader::check_keys(const YamlNode& map, KeySection section,
                             const std::string& where) const {
  const std::vector<std::string> allowed = allowed_keys(section);
  std::set<std::string> seen;
  for (const YamlEntry& entry : map.entries) {
    const std::string& name = entry.key.text;
    if (!seen.insert(name).second) {
      fail(entry.key, fmt::format("key \"{}\" is given twice {}", name, where),
           "keep one of them; YAML keeps only one value per key");
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::optional<std::string> guess = closest(name, allowed);
      fail(entry.key, fmt::format("unknown key \"{}\" {}", name, where),
           guess ? fmt::format("did you mean \"{}\"?", *guess)
                 : fmt::format("the keys allowed here are: {}", join(allowed, ", ")));
    }
  }
}

void ValueReader::warn_unset(const YamlNode& node, const std::vector<std::string>& unset) const {
  for (const std::string& name : unset) {
    Diagnostic warning{Severity::warning,
                       fmt::format("variable {} is not set, using an empty string", name),
                       fmt::format("set {} or write ${{{}:-default}}", name, name), node.where};
    if (m_on_warning) {
      m_on_warning(warning);
    }
    m_warnings.push_back(std::move(warning));
  }
}

// Offsets of interpolation errors are added to the column when the scalar
// sits on one line as written.
std::string ValueReader::text_of(const YamlNode& node, const std::string& what) const {
  if (!node.is_scalar()) {
    fail(node, fmt::format("{} must be a scalar, got {}", what, kind_of(node)),
         "write a single value here");
  }
  check_closed_quote(node);
  const std::string& raw = node.text;
  std::vector<std::string> unset;
  std::string value;
  try {
    value = m_interpolate ? interpolate(raw, m_lookup, &unset, k_max_value_length) : raw;
  } catch (const InterpolationFailure& failure) {
    SourceLocation where = node.where;
    if (raw.find('\n') == std::string::npos) {
      where.column += static_cast<int>(failure.offset) + (node.quote != 0 ? 1 : 0);
    }
    throw SpecError(fmt::format("{}: {}", what, failure.message), failure.hint, where);
  }
  warn_unset(node, unset);
  check_bytes(node, what, value);
  return value;
}

// Values end up in docker's argv (C strings, cut at a NUL) and in JSON (UTF-8
// only). The spec itself was checked as read; a variable or a YAML escape
// ("\0", "\xff") can still bring such bytes in.
void ValueReader::check_bytes(const YamlNode& node, const std::string& what,
                              const std::string& value) const {
  if (value.find('\0') != std::string::npos) {
    fail(node, fmt::format("{} contains a NUL byte", what),
         "Docker takes values as C strings, which end at a NUL byte; remove it");
  }
  if (size_t bad = first_invalid_utf8(value); bad != std::string::npos) {
    fail(node,
         fmt::format("{} is not valid UTF-8 (byte 0x{:02X})", what,
                     static_cast<unsigned char>(value[bad])),
         "a variable brings the byte in; save .env as UTF-8, or set the variable to UTF-8 text");
  }
}

Located<std::string> ValueReader::string_of(const YamlNode& node, const std::string& what) const {
  if (node.is_null()) {
    fail(node, fmt::format("{} must be a string, got nothing", what),
         fmt::format("write a value after \"{}:\" or remove the key", what));
  }
  return {text_of(node, what), node.where};
}

Located<std::string> ValueReader::image_of(const YamlNode& node, const std::string& what) const {
  Located<std::string> image = string_of(node, what);
  static const std::regex k_image(std::string(declared_key(KeySection::top, "image").pattern));
  // Docker's limit on the name, the part before the tag and the digest.
  size_t name_end = std::min(image.value.find('@'), image.value.size());
  size_t tag = image.value.rfind(':', name_end);
  if (tag != std::string::npos && image.value.find('/', tag) == std::string::npos) {
    name_end = tag;
  }
  if (name_end > k_max_image_name || !std::regex_match(image.value, k_image)) {
    fail(node, fmt::format("invalid image reference \"{}\"", image.value),
         "write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]: PATH is lowercase letters and digits "
         "with \".\", \"_\", \"__\" or \"-\" between them and \"/\" between parts, at most 255 "
         "characters with HOST; TAG is at most 128 letters, digits, \"_\", \".\" and \"-\", not "
         "starting with \".\" or \"-\"; e.g. rayproject/ray:2.52.1");
  }
  return image;
}

// Every number of the spec is read here, by read_decimal's one rule; a number
// too large to hold is out of the range like any other.
Located<int64_t> ValueReader::int_of(const YamlNode& node, const std::string& what, int64_t min,
                                     int64_t max, const std::string& example) const {
  std::string text = node.is_null() ? std::string() : text_of(node, what);
  std::optional<double> value = read_decimal(text, false);
  if (!value) {
    fail(node, fmt::format("{} must be an integer, got {}", what, got(node, text)),
         fmt::format("write a whole number, e.g. {}: {}", what, example));
  }
  if (*value < static_cast<double>(min) || *value > static_cast<double>(max)) {
    fail(node, fmt::format("{} must be between {} and {}, got {}", what, min, max, text),
         fmt::format("e.g. {}: {}", what, example));
  }
  return {static_cast<int64_t>(*value), node.where};
}

Located<int64_t> ValueReader::int_of(const YamlNode& node, const std::string& what,
                                     const SpecKey& key) const {
  assert(key.range && key.range->min && key.range->max);
  return int_of(node, what, static_cast<int64_t>(*key.range->min),
                static_cast<int64_t>(*key.range->max), std::string(key.example));
}

Located<double> ValueReader::number_of(const YamlNode& node, const std::string& what, double min,
                                       const std::string& example, bool min_inclusive,
                                       double max) const {
  std::string text = node.is_null() ? std::string() : text_of(node, what);
  std::optional<double> value = read_decimal(text, true);
  if (!value) {
    fail(node, fmt::format("{} must be a number, got {}", what, got(node, text)),
         fmt::format("e.g. {}: {}", what, example));
  }
  if (min_inclusive ? *value < min : *value <= min) {
    fail(node,
         fmt::format("{} must be {} {}, got {}", what, min_inclusive ? "at least" : "more than",
                     min, text),
         fmt::format("e.g. {}: {}", what, example));
  }
  if (*value > max) {
    fail(node, fmt::format("{} must be at most {}, got {}", what, max, text),
         fmt::format("e.g. {}: {}", what, example));
  }
  return {*value, node.where};
}

Located<double> ValueReader::number_of(const YamlNode& node, const std::string& what,
                                       const SpecKey& key) const {
  assert(key.range && key.range->min && key.range->max);
  return number_of(node, what, *key.range->min, std::string(key.example), !key.range->min_exclusive,
                   *key.range->max);
}

Located<int64_t> ValueReader::size_of(const YamlNode& node, const std::string& what,
                                      const SpecKey& key) const {
  assert(key.range && key.range->max);
  const std::string example(key.example);
  std::string text = node.is_null() ? std::string() : text_of(node, what);
  std::optional<double> bytes = read_size(text);
  if (!bytes) {
    fail(node, fmt::format("{} must be a size, got {}", what, got(node, text)),
         fmt::format("write bytes or a number with a unit (k, m, g, t), e.g. {}: {}", what,
                     example));
  }
  if (*bytes <= 0) {
    fail(node, fmt::format("{} must be more than 0, got \"{}\"", what, text),
         fmt::format("e.g. {}: {}", what, example));
  }
  if (*bytes > *key.range->max) {
    fail(node,
         fmt::format("{} must be at most {}, got \"{}\"", what,
                     format_size(static_cast<int64_t>(*key.range->max)), text),
         fmt::format("e.g. {}: {}", what, example));
  }
  return {static_cast<int64_t>(std::llround(*bytes)), node.where};
}

double ValueReader::duration_of(const YamlNode& node, const std::string& what,
                                const std::string& such_as, const std::string& example) const {
  std::string text = string_of(node, what).value;
  if (read_decimal(text, true)) {
    fail(node, fmt::format("{} needs a unit, got \"{}\"", what, text),
         fmt::format("write {}s for seconds, or e.g. {}", text, example));
  }
  std::optional<double> seconds = read_duration(text);
  if (!seconds) {
    fail(node, fmt::format("{} must be a duration such as {}, got \"{}\"", what, such_as, text),
         fmt::format("write numbers with the units h, m, s, ms or us, e.g. {}: {}", what,
                     example));
  }
  return *seconds;
}

bool ValueReader::bool_of(const YamlNode& node, const std::string& what) const {
  std::string text = node.is_null() ? std::string() : text_of(node, what);
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  fail(node, fmt::format("{} must be true or false, got {}", what, got(node, text)),
       fmt::format("write {}: true or {}: false", what, what));
}

std::map<std::string, Located<std::string>> ValueReader::string_map_of(
    const YamlNode& node, const std::string& what) const {
  std::map<std::string, Located<std::string>> out;
  if (node.is_null()) {
    return out;
  }
  expect_map(node, what);
  std::set<std::string> seen;
  for (const YamlEntry& entry : node.entries) {
    const std::string& key = entry.key.text;
    refuse_repeated_key(seen, entry.key, what);
    if (key.empty()) {
      fail(entry.key, fmt::format("{} has an empty key", what), "give every entry a name");
    }
    out[key] = {entry.value.is_null() ? std::string() : text_of(entry.value, what + "." + key),
                entry.key.where};
  }
  return out;
}

}  // namespace raylaunch
