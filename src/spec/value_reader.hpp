#pragma once

// Reading one typed value from a located YAML node: the checks and messages
// every key shares (kinds, integers, numbers, sizes, booleans, key sets), and
// interpolation with its warnings.

#include <raylaunch/spec/interpolate.hpp>
#include <raylaunch/spec/keys.hpp>
#include <raylaunch/spec/model.hpp>

#include "yaml_reader.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace raylaunch {

/// The key `name` of `section`; asserts that the table declares it.
const SpecKey& declared_key(KeySection section, std::string_view name);

/// Reads values of one spec. Every read throws SpecError at the node for a
/// value of the wrong kind, type or range; `what` names the field in messages.
class ValueReader {
 public:
  ValueReader(std::string file, VariableLookup lookup, std::vector<Diagnostic>& warnings,
              std::function<void(const Diagnostic&)> on_warning);

  const std::string& file() const { return m_file; }
  /// A reader of another file of the same spec (its warnings go with this
  /// one's); without `interpolate`, text is taken as written (a Serve config
  /// file, which `serve deploy` reads as it is).
  ValueReader reading(std::string file, bool interpolate) const;
  /// The variable `name` from the environment or `.env`.
  std::optional<std::string> lookup(const std::string& name) const { return m_lookup(name); }

  [[noreturn]] void fail(const YamlNode& node, std::string message, std::string hint) const;

  void expect_map(const YamlNode& node, const std::string& what) const;
  void expect_sequence(const YamlNode& node, const std::string& what,
                       const std::string& hint) const;
  /// Refuses a key written twice in the map `what`.
  void check_unique_keys(const YamlNode& map, const std::string& what) const;
  /// Refuses a key written twice and one `section` does not declare, with a
  /// "did you mean"; `where` ends the message, e.g. "under network".
  void check_keys(const YamlNode& map, KeySection section, const std::string& where) const;

  /// A scalar's text after interpolation.
  std::string text_of(const YamlNode& node, const std::string& what) const;
  Located<std::string> string_of(const YamlNode& node, const std::string& what) const;
  Located<std::string> image_of(const YamlNode& node, const std::string& what) const;
  // Numbers are read against their key in the table: its range, and its
  // example in the hints.
  Located<int64_t> int_of(const YamlNode& node, const std::string& what, const SpecKey& key) const;
  Located<double> number_of(const YamlNode& node, const std::string& what,
                            const SpecKey& key) const;
  /// Bytes, more than 0 (a larger minimum is the caller's to check).
  Located<int64_t> size_of(const YamlNode& node, const std::string& what,
                           const SpecKey& key) const;
  /// A compose duration (1m30s, 500ms), in seconds; a bare number is refused
  /// for want of a unit. `such_as` and `example` go in the messages.
  double duration_of(const YamlNode& node, const std::string& what, const std::string& such_as,
                     const std::string& example) const;
  bool bool_of(const YamlNode& node, const std::string& what) const;
  /// A mapping of strings; a key without a value maps to "".
  std::map<std::string, Located<std::string>> string_map_of(const YamlNode& node,
                                                            const std::string& what) const;

 private:
  Located<int64_t> int_of(const YamlNode& node, const std::string& what, int64_t min, int64_t max,
                          const std::string& example) const;
  Located<double> number_of(const YamlNode& node, const std::string& what, double min,
                            const std::string& example, bool min_inclusive, double max) const;
  /// Refuses `key` when `seen` has it already, else adds it.
  void refuse_repeated_key(std::set<std::string>& seen, const YamlNode& key,
                           const std::string& what) const;
  void warn_unset(const YamlNode& node, const std::vector<std::string>& unset) const;
  /// Refuses a NUL byte and bytes that are not UTF-8 in `value`, read from `node`.
  void check_bytes(const YamlNode& node, const std::string& what, const std::string& value) const;

  std::string m_file;
  VariableLookup m_lookup;
  std::vector<Diagnostic>& m_warnings;
  std::function<void(const Diagnostic&)> m_on_warning;
  bool m_interpolate = true;
};

}  // namespace raylaunch
