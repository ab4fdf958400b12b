// The spec's JSON Schema, made from the one key table (spec/keys.cpp): each
// section a definition with exactly its keys, each key's type, range, enum,
// pattern, default and meaning as the loader reads them.
#include <raylaunch/spec/schema.hpp>

#include <nlohmann/json.hpp>

#include <raylaunch/spec/keys.hpp>

#include <string>

namespace raylaunch {

namespace {

using nlohmann::ordered_json;

// A size: whole bytes, or a number with a unit (k, m, g, t; powers of 1024).
#define RAYLAUNCH_SIZE "-?[0-9]+(\\.[0-9]+)?([bB]|[kKmMgGtT]([bB]|[iI][bB])?)?"
// The loader reads every scalar as text, so a number or a boolean may be
// written quoted ("3") (read_decimal's rule in spec/numbers.hpp; bool_of's
// words in spec/value_reader.cpp), and a value may be one variable: $VAR,
// ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message},
// ${VAR:+other}, ${VAR+other}, a default being a value of the type.
#define RAYLAUNCH_VARIABLE(value)                                          \
  "^\\$[A-Za-z_][A-Za-z0-9_]*$|^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:?[-+](" value \
  ")|:?\\?[^}]*)?\\}$"
#define RAYLAUNCH_TEXT(value) "^(" value ")$|" RAYLAUNCH_VARIABLE(value)
constexpr const char* k_size_pattern = RAYLAUNCH_TEXT(RAYLAUNCH_SIZE);
constexpr const char* k_integer_text = RAYLAUNCH_TEXT("-?[0-9]+");
constexpr const char* k_number_text = RAYLAUNCH_TEXT("-?[0-9]+(\\.[0-9]+)?");
constexpr const char* k_boolean_text = RAYLAUNCH_TEXT("true|True|TRUE|false|False|FALSE");
#undef RAYLAUNCH_TEXT
#undef RAYLAUNCH_VARIABLE
#undef RAYLAUNCH_SIZE
constexpr const char* k_interpolated = "^\\$[{A-Za-z_]";  // any variable

// `typed`, or the same value as text the loader reads as it.
ordered_json or_text(ordered_json typed, const char* pattern) {
  return {{"anyOf", {std::move(typed), {{"type", "string"}, {"pattern", pattern}}}}};
}

std::string definition_name(KeySection id) {
  const SpecSection& section = spec_section(id);
  if (section.path.empty()) {
    return "spec";
  }
  std::string name(section.path);
  for (size_t at = name.find("[]"); at != std::string::npos; at = name.find("[]")) {
    name.erase(at, 2);
  }
  for (char& c : name) {
    c = c == '.' ? '_' : c;
  }
  return name;
}

ordered_json ref(KeySection id) { return {{"$ref", "#/definitions/" + definition_name(id)}}; }

// The whole-line regular expression of a loader pattern. Text with "${" in
// it is interpolated first (${VAR}, ${VAR:-default}), so it is let through.
std::string anchored(std::string_view pattern) {
  return "^(?:" + std::string(pattern) + ")$|\\$\\{";
}

void add_range(ordered_json& out, const std::optional<KeyRange>& range) {
  if (!range) {
    return;
  }
  if (range->min) {
    out[range->min_exclusive ? "exclusiveMinimum" : "minimum"] = *range->min;
  }
  if (range->max) {
    out["maximum"] = *range->max;
  }
}

// A scalar the loader takes as text: YAML may have read it as a number or a boolean.
ordered_json text_schema(std::string_view pattern) {
  ordered_json out = {{"type", {"string", "number", "boolean"}}};
  if (!pattern.empty()) {
    out["pattern"] = anchored(pattern);
  }
  return out;
}

ordered_json value_schema(KeyType type, const SpecKey& key);

ordered_json environment_schema(const SpecKey& key) {
  ordered_json value = {
      {"anyOf", {{{"type", {"string", "number", "boolean", "null"}}}, ref(KeySection::env_entry)}}};
  ordered_json as_map = {{"type", "object"},
                         {"propertyNames", {{"pattern", anchored(key.pattern)}}},
                         {"additionalProperties", value}};
  ordered_json as_list = {{"type", "array"}, {"items", {{"type", "string"}}}};
  return {{"oneOf", {as_map, as_list}}};
}

ordered_json value_schema(KeyType type, const SpecKey& key) {
  ordered_json out;
  switch (type) {
    case KeyType::string:
      // The pattern is a string's, or a list's items' (a mapping's is its keys').
      return text_schema(key.type == KeyType::mapping ? std::string_view() : key.pattern);
    case KeyType::integer:
    case KeyType::number:
      out = {{"type", type == KeyType::integer ? "integer" : "number"}};
      add_range(out, key.range);
      return or_text(out, type == KeyType::integer ? k_integer_text : k_number_text);
    case KeyType::size:
      out = {{"type", "integer"}};
      add_range(out, key.range);
      return or_text(out, k_size_pattern);
    case KeyType::boolean:
      return or_text({{"type", "boolean"}}, k_boolean_text);
    case KeyType::enumeration:
      return or_text({{"enum", key.values}}, k_interpolated);
    case KeyType::environment:
      return environment_schema(key);
    case KeyType::any:
      return ordered_json::object();  // anything
    case KeyType::list:
    case KeyType::mapping:
      break;
  }
  if (key.section) {
    return ref(*key.section);
  }
  return value_schema(key.items.value_or(KeyType::string), key);
}

// What the key's default says, as JSON, when it is a plain value.
std::optional<ordered_json> default_of(const SpecKey& key) {
  std::string_view text = key.default_value;
  if (text.empty() || (text.starts_with('{') && text != "{}")) {
    return std::nullopt;
  }
  ordered_json parsed = ordered_json::parse(text, nullptr, false);
  return parsed.is_discarded() ? ordered_json(std::string(text)) : parsed;
}

ordered_json key_schema(const SpecKey& key) {
  ordered_json out;
  if (key.type == KeyType::list) {
    out = {{"type", "array"}, {"items", value_schema(*key.items, key)}};
  } else if (key.type == KeyType::mapping && key.items && key.section) {
    out = {{"type", "object"},
           {"propertyNames", {{"pattern", anchored(key.pattern)}}},
           {"additionalProperties", ref(*key.section)}};
  } else if (key.type == KeyType::mapping && !key.section) {
    out = {{"type", "object"}, {"additionalProperties", value_schema(*key.items, key)}};
    if (!key.pattern.empty()) {
      out["propertyNames"] = {{"pattern", anchored(key.pattern)}};
    }
  } else {
    out = value_schema(key.type, key);
  }
  out["description"] = key.meaning;
  if (std::optional<ordered_json> value = default_of(key)) {
    out["default"] = *value;
  }
  return out;
}

ordered_json section_schema(const SpecSection& section) {
  ordered_json properties = ordered_json::object();
  for (const std::string& name : allowed_keys(section.id)) {
    const SpecKey* key = find_spec_key(section.id, name);
    ordered_json schema = key_schema(*key);
    // A head with nothing after it is a head with every default.
    if (section.id == KeySection::top && name == "head") {
      schema = {{"anyOf", {{{"type", "null"}}, ref(KeySection::head)}},
                {"description", key->meaning}};
    }
    properties[name] = schema;
  }
  ordered_json out = {{"type", "object"},
                      {"description", section.meaning},
                      {"properties", properties},
                      {"additionalProperties", false}};
  // What the loader refuses to go without.
  if (section.id == KeySection::env_entry) {
    out["required"] = {"value"};
  }
  if (section.id == KeySection::worker_group) {
    out["required"] = {"group"};
  }
  return out;
}

}  // namespace

std::string spec_json_schema() {
  ordered_json definitions = ordered_json::object();
  for (const SpecSection& section : spec_sections()) {
    if (section.id != KeySection::top) {
      definitions[definition_name(section.id)] = section_schema(section);
    }
  }
  ordered_json schema = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                         {"title", "raylaunch cluster spec (raylaunch.yml)"}};
  schema.update(section_schema(spec_section(KeySection::top)));
  schema["definitions"] = definitions;
  return schema.dump(2) + "\n";
}

}  // namespace raylaunch
