// A secret env value must not reach any output, however it got into the
// spec. The redactor masks values it has been told of, so they are told here,
// before any field is read: an error about another field that holds the same
// value (`image: ${DB_PASSWORD}`) then cannot print it.
#include <raylaunch/base/redact.hpp>

#include "sections.hpp"

#include <algorithm>
#include <cctype>

namespace raylaunch {

namespace {

// The value after interpolation; nullopt when it cannot be had (the loader
// says why when it reaches that field).
std::optional<std::string> value_of(const ValueReader& reader, const std::string& text) {
  try {
    return interpolate(text, [&](const std::string& name) { return reader.lookup(name); });
  } catch (const InterpolationFailure&) {
    return std::nullopt;
  }
}

// `secret:` as written (true or false in any case); nullopt when absent or
// not a boolean, so the name decides.
std::optional<bool> said_secret(const YamlNode& entry_value) {
  const YamlNode* secret = entry_value.find("secret");
  if (secret == nullptr || !secret->is_scalar()) {
    return std::nullopt;
  }
  std::string word = secret->text;
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (word == "true" || word == "false") {
    return word == "true";
  }
  return std::nullopt;
}

void remember(const ValueReader& reader, const std::string& name, const YamlNode* value,
              std::optional<bool> secret) {
  if (!secret.value_or(is_secret_name(name))) {
    return;
  }
  std::optional<std::string> text = value == nullptr || value->is_null()
                                         ? reader.lookup(name)  // passed through by name
                                         : value->is_scalar() ? value_of(reader, value->text)
                                                              : std::nullopt;
  if (text) {
    remember_secret(*text);
  }
}

void remember_env(const ValueReader& reader, const YamlNode& env) {
  for (const YamlEntry& entry : env.entries) {
    const YamlNode& value = entry.value;
    if (value.is_map()) {
      remember(reader, entry.key.text, value.find("value"), said_secret(value));
    } else {
      remember(reader, entry.key.text, &value, std::nullopt);
    }
  }
  for (const YamlNode& item : env.items) {
    if (!item.is_scalar()) {
      continue;
    }
    size_t eq = item.text.find('=');
    YamlNode value;
    if (eq != std::string::npos) {
      value.kind = YamlNode::Kind::scalar;
      value.text = item.text.substr(eq + 1);
    }
    remember(reader, item.text.substr(0, eq), &value, std::nullopt);
  }
}

}  // namespace

void remember_env_secrets(const ValueReader& reader, const YamlNode& root) {
  std::vector<const YamlNode*> nodes = {root.find("defaults"), root.find("head")};
  if (const YamlNode* workers = root.find("workers")) {
    for (const YamlNode& group : workers->items) {
      nodes.push_back(&group);
    }
  }
  for (const YamlNode* node : nodes) {
    if (const YamlNode* env = node != nullptr ? node->find("env") : nullptr) {
      remember_env(reader, *env);
    }
  }
  const YamlNode* auth = root.find("auth");
  const YamlNode* token_env = auth != nullptr ? auth->find("token_env") : nullptr;
  if (token_env != nullptr && token_env->is_scalar()) {
    if (std::optional<std::string> token = reader.lookup(token_env->text)) {
      remember_secret(*token);
    }
  }
}

}  // namespace raylaunch
