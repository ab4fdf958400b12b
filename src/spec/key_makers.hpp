#pragma once

// The makers of the key table's rows (keys.cpp, serve_keys.cpp): one row of
// the table is one call.

#include <raylaunch/spec/keys.hpp>

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace raylaunch::keys {

// Each kind of key has a maker, so one row of the table is one key.

// A string; `pattern` is what the loader matches it against, when it does.
inline SpecKey text(std::string_view name, std::string_view meaning, std::string_view pattern = {},
                    std::string_view example = {}, std::string_view default_value = {}) {
  return {.name = name,
          .meaning = meaning,
          .default_value = default_value,
          .pattern = pattern,
          .example = example};
}

// A whole number from `min` to `max`.
inline SpecKey integer(std::string_view name, double min, double max,
                       std::string_view default_value, std::string_view example,
                       std::string_view meaning) {
  return {.name = name,
          .type = KeyType::integer,
          .meaning = meaning,
          .range = KeyRange{.min = min, .max = max},
          .default_value = default_value,
          .example = example};
}

// A size in bytes, at least `min` (more than `min` when `exclusive`), at most 1024t.
inline SpecKey size(std::string_view name, double min, bool exclusive, std::string_view example,
                    std::string_view meaning) {
  return {.name = name,
          .type = KeyType::size,
          .meaning = meaning,
          .range = KeyRange{.min = min, .max = 0x1p50, .min_exclusive = exclusive},
          .example = example};
}

// One of `values`; the first is the default.
inline SpecKey choice(std::string_view name, std::vector<std::string_view> values,
                      std::string_view meaning) {
  std::string_view first = values.front();
  return {.name = name,
          .type = KeyType::enumeration,
          .meaning = meaning,
          .default_value = first,
          .values = std::move(values)};
}

// A mapping whose keys `section` declares.
inline SpecKey nested(std::string_view name, KeySection section, std::string_view meaning,
                      std::string_view default_value = {}) {
  return {.name = name,
          .type = KeyType::mapping,
          .meaning = meaning,
          .default_value = default_value,
          .section = section};
}

// A list of `items`, empty by default: strings that match `pattern`, or
// mappings of `section`'s keys.
inline SpecKey list_of(std::string_view name, KeyType items, std::string_view meaning,
                       std::string_view pattern = {}, std::string_view example = {},
                       std::optional<KeySection> section = {}) {
  return {.name = name,
          .type = KeyType::list,
          .meaning = meaning,
          .default_value = "[]",
          .pattern = pattern,
          .items = items,
          .section = section,
          .example = example};
}

// A mapping of any key to `items`, empty by default.
inline SpecKey map_of(std::string_view name, KeyType items, std::string_view meaning) {
  return {.name = name,
          .type = KeyType::mapping,
          .meaning = meaning,
          .default_value = "{}",
          .items = items};
}

// A section of `keys`; the head and worker groups take the node keys first.
inline SpecSection section(KeySection id, std::string_view path, std::string_view meaning,
                           std::vector<SpecKey> keys, std::optional<KeySection> extends = {}) {
  return {.id = id, .path = path, .meaning = meaning, .extends = extends, .keys = std::move(keys)};
}

}  // namespace raylaunch::keys
