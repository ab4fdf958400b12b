#pragma once

// raylaunch's own located YAML tree. yaml_reader.cpp fills it from yaml-cpp,
// so the rest of the loader never sees yaml-cpp and every node already knows
// the place a message about it must point at.

#include <raylaunch/base/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// The longest scalar a spec may hold, as written and after interpolation: no
/// value is anywhere near it, and every later check (std::regex recurses per
/// character) stays cheap and safe.
inline constexpr size_t k_max_value_length = 4096;

struct YamlEntry;

/// One node of the spec as YAML read it, before interpolation. An alias is a
/// copy of the node its anchor names, place included.
struct YamlNode {
  enum class Kind { null, scalar, sequence, map };

  Kind kind = Kind::null;
  /// A scalar's text as YAML read it; empty for every other kind.
  std::string text;
  std::vector<YamlNode> items;     // a sequence's items
  std::vector<YamlEntry> entries;  // a map's entries in document order, duplicates kept
  /// Where messages about the node point. An empty value points right after
  /// the colon or dash that has nothing after it; `~` and `null` point at
  /// themselves.
  SourceLocation where;
  /// The byte yaml-cpp marked the node at; npos when it has no place.
  size_t offset = std::string::npos;
  /// The quote the node starts with as written (`"` or `'`), else 0.
  char quote = 0;
  /// False for a scalar whose opening quote nothing closes.
  bool quote_closed = true;

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_map() const { return kind == Kind::map; }

  /// The value of a map's first entry whose key is the scalar `key`;
  /// nullptr when there is none or the node is no map.
  const YamlNode* find(std::string_view key) const;
};

struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

/// Reads `source`, the text of `file`, into a located tree (the first
/// document only). Throws SpecError for text that is not UTF-8, that YAML
/// cannot read (an unclosed bracket and a tab indentation get their own
/// words) and for a key or value too long to be meant. An empty document is a
/// null node.
YamlNode read_yaml(const std::string& file, const std::string& source);

/// Throws SpecError at `node` when it is a scalar whose opening quote is never
/// closed (yaml-cpp 0.7 lets such a scalar swallow the rest of the file).
void check_closed_quote(const YamlNode& node);

}  // namespace raylaunch
