// Turns the YAML a user wrote into the typed ClusterSpec, and is the only file
// that includes yaml-cpp. Every value keeps where it was written, so any later
// complaint can point at the line, and every mistake is caught here, before a
// container exists.
#include <raylaunch/spec/loader.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <raylaunch/spec/ray_flags.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>


namespace raylaunch {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> k_top_keys = {"name", "image",   "network", "gpus",
                                             "auth", "defaults", "head",    "workers"};
const std::vector<std::string> k_node_keys = {
    "image", "num_cpus", "gpus",      "memory",    "cpus",     "shm_size", "env",
    "volumes", "labels", "ray_labels", "resources", "ray_args", "restart",  "pull"};
const std::vector<std::string> k_network_keys = {"mode", "subnet", "node_ip", "port_base",
                                                 "worker_ports"};
const std::vector<std::string> k_port_keys = {"gcs", "dashboard", "client", "serve"};

// `ray_args` keys that raylaunch renders itself from a spec field; a second
// source for the same option would make the plan ambiguous.
const std::map<std::string, std::string> k_managed_ray_args = {
    {"head", "the head is the node under `head:`"},
    {"address", "workers join the head by its DNS name"},
    {"block", "raylaunch always passes --block"},
    {"num-cpus", "set num_cpus"},
    {"num-gpus", "set gpus (devices per replica) and the top-level gpus pool"},
    {"resources", "set resources: {name: amount}"},
    {"labels", "set ray_labels: {key: value}"},
    {"port", "set head.ports.gcs"},
    {"dashboard-port", "set head.ports.dashboard"},
    {"ray-client-server-port", "set head.ports.client"},
    {"dashboard-host", "set head.bind"},
};

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

std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const std::string& word : words) {
    out += out.empty() ? word : separator + word;
  }
  return out;
}

bool is_ipv4(const std::string& text) {
  static const std::regex k_ipv4(R"((\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}))");
  std::smatch match;
  if (!std::regex_match(text, match, k_ipv4)) {
    return false;
  }
  for (size_t i = 1; i <= 4; ++i) {
    if (std::stoi(match[i].str()) > 255) {
      return false;
    }
  }
  return true;
}

bool is_group_name(const std::string& name) {
  static const std::regex k_group("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  return std::regex_match(name, k_group);
}

// The offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t first_invalid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size() || (length == 2 && c < 0xc2)) {
      return i;
    }
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) {
        return i;
      }
    }
    i += length;
  }
  return std::string::npos;
}

class Loader {
 public:
  Loader(const std::string& file, const std::string& source, VariableLookup lookup,
         std::vector<Diagnostic>& warnings, std::function<void(const Diagnostic&)> on_warning)
      : m_file(file),
        m_source(source),
        m_lookup(std::move(lookup)),
        m_warnings(warnings),
        m_on_warning(std::move(on_warning)) {}

  ClusterSpec load(const std::string& spec_dir, const std::optional<std::string>& project_name) {
    // YAML is UTF-8, and every output raylaunch writes (JSON above all) must be too.
    if (size_t bad = first_invalid_utf8(m_source); bad != std::string::npos) {
      int line = 1 + static_cast<int>(std::count(m_source.begin(), m_source.begin() + bad, '\n'));
      size_t line_start = m_source.rfind('\n', bad == 0 ? 0 : bad - 1);
      int column = static_cast<int>(bad - (line_start == std::string::npos || bad == 0 ? 0 : line_start + 1)) + 1;
      throw SpecError(fmt::format("the spec is not valid UTF-8 (byte 0x{:02X})",
                                  static_cast<unsigned char>(m_source[bad])),
                      "save the file as UTF-8", SourceLocation{m_file, line, column});
    }
    YAML::Node root;
    try {
      root = YAML::Load(m_source);
    } catch (const YAML::ParserException& e) {
      throw syntax_error(e);
    }
    check_lengths(root);
    ClusterSpec spec;
    spec.file = m_file;
    spec.source = m_source;
    spec.spec_dir = spec_dir;
    if (!root.IsDefined() || root.IsNull()) {
      throw SpecError("the spec is empty", "start from examples/quickstart.yml",
                      SourceLocation{m_file, 1, 1});
    }
    expect_map(root, "the spec");
    check_keys(root, k_top_keys, "at the top of the spec");

    load_name(root, spec, project_name);
    if (YAML::Node image = root["image"]) {
      spec.image = image_of(image, "image");
    }
    if (YAML::Node network = root["network"]) {
      load_network(network, spec.network);
    }
    if (YAML::Node gpus = root["gpus"]) {
      load_gpu_pool(gpus, spec);
    }
    if (YAML::Node auth = root["auth"]) {
      load_auth(auth, spec.auth);
    }
    if (YAML::Node defaults = root["defaults"]) {
      expect_map(defaults, "defaults");
      check_keys(defaults, k_node_keys, "under defaults");
      load_node(defaults, spec.defaults, spec_dir);
    }
    if (YAML::Node head = root["head"]) {
      load_head(head, spec.head, spec_dir);
      for (auto it = root.begin(); it != root.end(); ++it) {
        if (it->first.Scalar() == "head") {
          spec.head.where = at(it->first);  // "the head has no image" points at `head:`
        }
      }
    } else {
      spec.head.where = at(root);
    }
    if (YAML::Node workers = root["workers"]) {
      load_workers(workers, spec, spec_dir);
    }
    if (spec.auth.token) {
      std::vector<const NodeSpec*> nodes = {&spec.defaults, &spec.head.node};
      for (const WorkerGroupSpec& group : spec.workers) {
        nodes.push_back(&group.node);
      }
      for (const NodeSpec* node : nodes) {
        for (const char* key : {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}) {
          if (auto found = node->env.find(key); found != node->env.end()) {
            throw SpecError(fmt::format("env {} is set by auth:", key),
                            "leave it out; auth: {mode: token} sets it on every node",
                            found->second.where);
          }
        }
      }
    }
    return spec;
  }

 private:
  SourceLocation location_of(size_t pos) const {
    pos = std::min(pos, m_source.size());
    int line = 1 + static_cast<int>(std::count(m_source.begin(), m_source.begin() + pos, '\n'));
    size_t start = pos == 0 ? std::string::npos : m_source.rfind('\n', pos - 1);
    int column = static_cast<int>(pos - (start == std::string::npos ? 0 : start + 1)) + 1;
    return {m_file, line, column};
  }

  // yaml-cpp marks an empty value (`key:` with nothing after it) at the next
  // token, often the next line or past the end of the file; the user wrote
  // nothing right after the colon or dash, so point there.
  SourceLocation at(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (node.IsNull() && mark.pos >= 0) {
      size_t pos = std::min(static_cast<size_t>(mark.pos), m_source.size());
      bool explicit_null = pos < m_source.size() && (m_source[pos] == '~' ||
                                                     m_source.compare(pos, 4, "null") == 0);
      if (!explicit_null) {
        while (pos > 0 && std::isspace(static_cast<unsigned char>(m_source[pos - 1]))) {
          --pos;
        }
        return location_of(pos);
      }
    }
    return {m_file, mark.line + 1, mark.column + 1};
  }

  // yaml-cpp reports an unclosed `{` or `[` where it gave up looking, at the
  // end; the mistake is the bracket, so find it. Tabs get their own words.
  SpecError syntax_error(const YAML::ParserException& e) const {
    size_t pos = e.mark.pos >= 0 ? std::min(static_cast<size_t>(e.mark.pos), m_source.size())
                                 : m_source.size();
    if (e.msg.find("flow not found") != std::string::npos) {
      if (std::optional<size_t> open = unclosed_bracket(pos)) {
        char c = m_source[*open];
        return SpecError(fmt::format("invalid YAML: \"{}\" is never closed", c),
                         fmt::format("close it with \"{}\" on the same line, or write the entries "
                                     "one a line without brackets",
                                     c == '{' ? '}' : ']'),
                         location_of(*open));
      }
    }
    SourceLocation where = location_of(pos);
    std::string line = line_text(where.line);
    if (!line.empty() && line[0] == '\t') {
      return SpecError("invalid YAML: a tab indents this line",
                       "YAML indents with spaces only; replace the tab with spaces",
                       SourceLocation{m_file, where.line, 1});
    }
    if (where.line > 1 && line.empty() && pos >= m_source.size()) {
      where = location_of(m_source.find_last_not_of(" \t\r\n") + 1);
    }
    return SpecError(fmt::format("invalid YAML: {}", e.msg),
                     "check the indentation and quoting around this place", where);
  }

  // No value in a spec is anywhere near this long; refusing longer ones keeps
  // every later check (std::regex recurses per character) cheap and safe.
  static constexpr size_t k_max_scalar = 4096;
  static constexpr size_t k_max_key = 256;

  void check_lengths(const YAML::Node& node) const {
    if (node.IsScalar() && node.Scalar().size() > k_max_scalar) {
      fail(node, fmt::format("a value of {} characters is longer than the {} allowed",
                             node.Scalar().size(), k_max_scalar),
           "shorten it; long data belongs in a file mounted with volumes:");
    }
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) {
        check_lengths(item);
      }
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar().size() > k_max_key) {
          fail(it->first, fmt::format("a key of {} characters is longer than the {} allowed",
                                      it->first.Scalar().size(), k_max_key),
               "shorten it");
        }
        check_lengths(it->second);
      }
    }
  }

  std::string line_text(int line) const {
    size_t start = 0;
    for (int i = 1; i < line; ++i) {
      start = m_source.find('\n', start);
      if (start == std::string::npos) {
        return {};
      }
      ++start;
    }
    return m_source.substr(start, m_source.find('\n', start) - start);
  }

  // The last `{` or `[` before `end` that no bracket closes, outside quotes and comments.
  std::optional<size_t> unclosed_bracket(size_t end) const {
    std::vector<size_t> open;
    char quote = 0;
    for (size_t i = 0; i < end; ++i) {
      char c = m_source[i];
      if (quote != 0) {
        if (quote == '"' && c == '\\') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(m_source[i - 1])))) {
        i = std::min(m_source.find('\n', i), end);
      } else if ((c == '"' || c == '\'') && !open.empty()) {
        quote = c;
      } else if (c == '{' || c == '[') {
        open.push_back(i);
      } else if ((c == '}' || c == ']') && !open.empty()) {
        open.pop_back();
      }
    }
    if (open.empty()) {
      return std::nullopt;
    }
    return open.back();
  }

  // yaml-cpp 0.7 lets a quoted scalar that is never closed run to the end of
  // the file, swallowing the keys after it; refuse it where it starts.
  void check_closed_quote(const YAML::Node& node) const {
    if (node.Mark().pos < 0) {
      return;
    }
    size_t pos = static_cast<size_t>(node.Mark().pos);
    if (pos >= m_source.size() || (m_source[pos] != '"' && m_source[pos] != '\'')) {
      return;
    }
    char quote = m_source[pos];
    for (size_t i = pos + 1; i < m_source.size(); ++i) {
      if (quote == '"' && m_source[i] == '\\') {
        ++i;
      } else if (m_source[i] == quote) {
        if (quote == '\'' && i + 1 < m_source.size() && m_source[i + 1] == '\'') {
          ++i;  // '' is a quote inside single quotes
          continue;
        }
        return;
      }
    }
    fail(node, fmt::format("invalid YAML: the {} quote here is never closed",
                           quote == '"' ? "double" : "single"),
         fmt::format("close the value with {}", quote));
  }

  [[noreturn]] void fail(const YAML::Node& node, std::string message, std::string hint) const {
    throw SpecError(std::move(message), std::move(hint), at(node));
  }

  static const char* kind_of(const YAML::Node& node) {
    if (node.IsMap()) {
      return "a mapping";
    }
    if (node.IsSequence()) {
      return "a list";
    }
    if (node.IsNull()) {
      return "nothing";
    }
    return "a scalar";
  }

  void expect_map(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap()) {
      fail(node, fmt::format("{} must be a mapping, got {}", what, kind_of(node)),
           "write key: value pairs, one a line, indented under it");
    }
  }

  void check_unique_keys(const YAML::Node& map, const std::string& what) const {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!seen.insert(it->first.Scalar()).second) {
        fail(it->first, fmt::format("key \"{}\" is given twice in {}", it->first.Scalar(), what),
             "keep one of them");
      }
    }
  }

  void expect_sequence(const YAML::Node& node, const std::string& what,
                       const std::string& hint) const {
    if (!node.IsSequence()) {
      fail(node, fmt::format("{} must be a list, got {}", what, kind_of(node)), hint);
    }
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      YAML::Node key = it->first;  // a copy: `it->first` lives in a temporary proxy
      std::string name = key.Scalar();
      if (!seen.insert(name).second) {
        fail(key, fmt::format("key \"{}\" is given twice {}", name, where),
             "keep one of them; YAML keeps only one value per key");
      }
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::optional<std::string> guess = closest(name, allowed);
        fail(key, fmt::format("unknown key \"{}\" {}", name, where),
             guess ? fmt::format("did you mean \"{}\"?", *guess)
                   : fmt::format("the keys allowed here are: {}", join(allowed, ", ")));
      }
    }
  }

  // The scalar's text after interpolation. Offsets of interpolation errors are
  // added to the column when the scalar sits on one line as written.
  std::string text_of(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) {
      fail(node, fmt::format("{} must be a scalar, got {}", what, kind_of(node)),
           "write a single value here");
    }
    check_closed_quote(node);
    const std::string& raw = node.Scalar();
    std::vector<std::string> unset;
    try {
      std::string value = interpolate(raw, m_lookup, &unset);
      for (const std::string& name : unset) {
        Diagnostic warning{Severity::warning,
                           fmt::format("variable {} is not set, using an empty string", name),
                           fmt::format("set {} or write ${{{}:-default}}", name, name), at(node)};
        if (m_on_warning) {
          m_on_warning(warning);
        }
        m_warnings.push_back(std::move(warning));
      }
      return value;
    } catch (const InterpolationFailure& failure) {
      SourceLocation where = at(node);
      size_t pos = static_cast<size_t>(node.Mark().pos);
      bool quoted = pos < m_source.size() && (m_source[pos] == '"' || m_source[pos] == '\'');
      if (raw.find('\n') == std::string::npos) {
        where.column += static_cast<int>(failure.offset) + (quoted ? 1 : 0);
      }
      throw SpecError(fmt::format("{}: {}", what, failure.message), failure.hint, where);
    }
  }

  Located<std::string> string_of(const YAML::Node& node, const std::string& what) const {
    if (node.IsNull()) {
      fail(node, fmt::format("{} must be a string, got nothing", what),
           fmt::format("write a value after \"{}:\" or remove the key", what));
    }
    return {text_of(node, what), at(node)};
  }

  Located<std::string> image_of(const YAML::Node& node, const std::string& what) const {
    Located<std::string> image = string_of(node, what);
    static const std::regex k_image(R"([a-zA-Z0-9][a-zA-Z0-9._/:@+-]*)");
    if (!std::regex_match(image.value, k_image)) {
      fail(node, fmt::format("invalid image reference \"{}\"", image.value),
           "write a reference such as rayproject/ray:2.52.1");
    }
    return image;
  }

  Located<int64_t> int_of(const YAML::Node& node, const std::string& what, int64_t min,
                          int64_t max, const std::string& example) const {
    std::string text = node.IsNull() ? std::string() : text_of(node, what);
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      fail(node,
           fmt::format("{} must be an integer, got {}", what,
                       node.IsNull() ? std::string("nothing") : fmt::format("\"{}\"", text)),
           fmt::format("write a whole number, e.g. {}: {}", what, example));
    }
    if (value < min || value > max) {
      fail(node, fmt::format("{} must be between {} and {}, got {}", what, min, max, value),
           fmt::format("e.g. {}: {}", what, example));
    }
    return {value, at(node)};
  }

  Located<double> number_of(const YAML::Node& node, const std::string& what, double min,
                            const std::string& example, bool min_inclusive = true,
                            double max = 1e12) const {
    std::string text = node.IsNull() ? std::string() : text_of(node, what);
    char* end = nullptr;
    double value = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
      fail(node,
           fmt::format("{} must be a number, got {}", what,
                       node.IsNull() ? std::string("nothing") : fmt::format("\"{}\"", text)),
           fmt::format("e.g. {}: {}", what, example));
    }
    if (min_inclusive ? value < min : value <= min) {
      fail(node,
           fmt::format("{} must be {} {}, got {}", what, min_inclusive ? "at least" : "more than",
                       min, text),
           fmt::format("e.g. {}: {}", what, example));
    }
    if (value > max) {
      fail(node, fmt::format("{} must be at most {}, got {}", what, max, text),
           fmt::format("e.g. {}: {}", what, example));
    }
    return {value, at(node)};
  }

  Located<int64_t> size_of(const YAML::Node& node, const std::string& what,
                           const std::string& example) const {
    std::string text = node.IsNull() ? std::string() : text_of(node, what);
    std::optional<int64_t> bytes = parse_size(text);
    if (!bytes) {
      fail(node,
           fmt::format("{} must be a size, got {}", what,
                       node.IsNull() ? std::string("nothing") : fmt::format("\"{}\"", text)),
           fmt::format("write bytes or a number with a unit (k, m, g, t), e.g. {}: {}", what,
                       example));
    }
    if (*bytes <= 0) {
      fail(node, fmt::format("{} must be more than 0, got \"{}\"", what, text),
           fmt::format("e.g. {}: {}", what, example));
    }
    return {*bytes, at(node)};
  }

  bool bool_of(const YAML::Node& node, const std::string& what) const {
    std::string text = node.IsNull() ? std::string() : text_of(node, what);
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
    fail(node,
         fmt::format("{} must be true or false, got {}", what,
                     node.IsNull() ? std::string("nothing") : fmt::format("\"{}\"", text)),
         fmt::format("write {}: true or {}: false", what, what));
  }

  std::map<std::string, Located<std::string>> string_map_of(const YAML::Node& node,
                                                            const std::string& what) const {
    std::map<std::string, Located<std::string>> out;
    if (node.IsNull()) {
      return out;
    }
    expect_map(node, what);
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second) {
        fail(it->first, fmt::format("key \"{}\" is given twice in {}", key, what),
             "keep one of them");
      }
      if (key.empty()) {
        fail(it->first, fmt::format("{} has an empty key", what), "give every entry a name");
      }
      out[key] = {it->second.IsNull() ? std::string() : text_of(it->second, what + "." + key),
                  at(it->first)};
    }
    return out;
  }

  void load_name(const YAML::Node& root, ClusterSpec& spec,
                 const std::optional<std::string>& project_name) const {
    if (project_name) {
      if (!is_valid_project_name(*project_name)) {
        throw UsageError(
            fmt::format("invalid project name \"{}\": must consist only of lowercase letters, "
                        "digits, \"-\" and \"_\", and start with a letter or digit",
                        *project_name),
            "e.g. -p my-cluster");
      }
      if (project_name->size() > 40) {
        throw UsageError(fmt::format("project name \"{}\" is longer than 40 characters", *project_name),
                         "container names become DNS names of at most 63 characters; shorten it");
      }
      spec.name = {*project_name, SourceLocation{m_file, 0, 0}};
      return;
    }
    if (YAML::Node name = root["name"]) {
      spec.name = string_of(name, "name");
      if (!is_valid_project_name(spec.name.value)) {
        fail(name,
             fmt::format("invalid project name \"{}\": must consist only of lowercase letters, "
                         "digits, \"-\" and \"_\", and start with a letter or digit",
                         spec.name.value),
             "Docker and DNS refuse other names; e.g. name: my-cluster");
      }
      if (spec.name.value.size() > 40) {
        fail(name, fmt::format("project name \"{}\" is longer than 40 characters", spec.name.value),
             "container names become DNS names of at most 63 characters; shorten it");
      }
      return;
    }
    // Like compose: the folder's name, lowercased, with what Docker refuses dropped.
    std::string folder = fs::absolute(fs::path(m_file)).parent_path().filename().string();
    std::string normalized;
    for (char c : folder) {
      char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '_') {
        normalized += lower;
      }
    }
    while (!normalized.empty() && (normalized[0] == '-' || normalized[0] == '_')) {
      normalized.erase(0, 1);
    }
    if (normalized.empty() || normalized.size() > 40) {
      throw SpecError("the spec has no name and its folder's name cannot serve as one",
                      "add name: my-cluster at the top of the spec, or pass -p NAME",
                      SourceLocation{m_file, 1, 1});
    }
    spec.name = {normalized, SourceLocation{m_file, 1, 1}};
  }

  void load_network(const YAML::Node& node, NetworkSpec& network) const {
    expect_map(node, "network");
    check_keys(node, k_network_keys, "under network");
    network.where = at(node);
    if (YAML::Node mode = node["mode"]) {
      std::string text = string_of(mode, "network.mode").value;
      if (text == "bridge") {
        network.mode = NetworkMode::bridge;
      } else if (text == "host") {
        network.mode = NetworkMode::host;
      } else {
        fail(mode, fmt::format("network.mode must be bridge or host, got \"{}\"", text),
             "bridge gives the project its own network; host shares the host's");
      }
    }
    if (YAML::Node subnet = node["subnet"]) {
      if (network.mode == NetworkMode::host) {
        fail(subnet, "network.subnet applies only to mode: bridge",
             "remove subnet, or use mode: bridge");
      }
      Located<std::string> value = string_of(subnet, "network.subnet");
      size_t slash = value.value.find('/');
      bool valid = slash != std::string::npos && is_ipv4(value.value.substr(0, slash));
      if (valid) {
        std::string bits = value.value.substr(slash + 1);
        valid = !bits.empty() && bits.size() <= 2 &&
                std::all_of(bits.begin(), bits.end(), ::isdigit) && std::stoi(bits) >= 8 &&
                std::stoi(bits) <= 30;
      }
      if (!valid) {
        fail(subnet, fmt::format("network.subnet must be an IPv4 CIDR, got \"{}\"", value.value),
             "e.g. subnet: 172.28.0.0/24 (prefix length 8 to 30)");
      }
      network.subnet = value;
    }
    if (YAML::Node node_ip = node["node_ip"]) {
      if (network.mode != NetworkMode::host) {
        fail(node_ip, "network.node_ip applies only to mode: host",
             "on a bridge network nodes find the head by its DNS name");
      }
      Located<std::string> value = string_of(node_ip, "network.node_ip");
      if (!is_ipv4(value.value)) {
        fail(node_ip, fmt::format("network.node_ip must be an IPv4 address, got \"{}\"", value.value),
             "e.g. node_ip: 192.168.1.10, the address other machines reach this host at");
      }
      network.node_ip = value;
    }
    for (const char* key : {"port_base", "worker_ports"}) {
      if (node[key] && network.mode != NetworkMode::host) {
        fail(node[key], fmt::format("network.{} applies only to mode: host", key),
             "on a bridge network each node has its own ports; remove it");
      }
    }
    if (YAML::Node base = node["port_base"]) {
      Located<int64_t> value = int_of(base, "port_base", 1024, 65000, "20000");
      network.port_base = {static_cast<int>(value.value), value.where};
    }
    if (YAML::Node range = node["worker_ports"]) {
      Located<int64_t> value = int_of(range, "worker_ports", 10, 10000, "100");
      network.worker_ports = {static_cast<int>(value.value), value.where};
    }
  }

  void load_auth(const YAML::Node& node, AuthSpec& auth) const {
    expect_map(node, "auth");
    check_keys(node, {"mode", "token_env"}, "under auth");
    auth.where = at(node);
    std::string mode = node["mode"] ? string_of(node["mode"], "auth.mode").value : "token";
    if (mode != "token" && mode != "disabled") {
      fail(node["mode"], fmt::format("auth.mode must be token or disabled, got \"{}\"", mode),
           "token turns on Ray's token authentication (Ray 2.52 and later)");
    }
    auth.token = mode == "token";
    if (YAML::Node token_env = node["token_env"]) {
      auth.token_env = string_of(token_env, "auth.token_env").value;
      auth.where = at(token_env);
      static const std::regex k_env_name("[A-Za-z_][A-Za-z0-9_]*");
      if (!std::regex_match(auth.token_env, k_env_name)) {
        fail(token_env, fmt::format("invalid environment variable name \"{}\"", auth.token_env),
             "name the variable that holds the token, e.g. token_env: RAY_CLUSTER_TOKEN");
      }
    }
  }

  void load_gpu_pool(const YAML::Node& node, ClusterSpec& spec) const {
    if (node.IsScalar() && node.Scalar() == "auto") {
      fail(node, "gpus: auto is not supported yet",
           "list the devices this host may hand out, e.g. gpus: [0, 1]");
    }
    expect_sequence(node, "gpus", "list the device ids or UUIDs, e.g. gpus: [0, 2]");
    spec.gpu_pool_where = at(node);
    std::set<std::string> seen;
    static const std::regex k_device("[0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+");
    for (const YAML::Node& item : node) {
      Located<std::string> device = string_of(item, "gpus");
      if (!std::regex_match(device.value, k_device)) {
        fail(item, fmt::format("invalid GPU device \"{}\"", device.value),
             "write a device index such as 0, or a UUID such as GPU-8b3c...");
      }
      if (std::all_of(device.value.begin(), device.value.end(), ::isdigit)) {
        // 0 and 00 name one device.
        device.value.erase(0, std::min(device.value.find_first_not_of('0'), device.value.size() - 1));
      }
      if (!seen.insert(device.value).second) {
        fail(item, fmt::format("GPU device \"{}\" is listed twice", device.value),
             "list each device once");
      }
      spec.gpu_pool.push_back(device);
    }
  }

  void load_head(const YAML::Node& node, HeadSpec& head, const std::string& spec_dir) const {
    head.where = at(node);
    if (node.IsNull()) {
      return;
    }
    expect_map(node, "head");
    std::vector<std::string> keys = k_node_keys;
    keys.push_back("ports");
    keys.push_back("bind");
    check_keys(node, keys, "under head");
    load_node(node, head.node, spec_dir);
    if (YAML::Node ports = node["ports"]) {
      expect_map(ports, "head.ports");
      check_keys(ports, k_port_keys, "under head.ports");
      auto port = [&](const char* key, Located<int>& into) {
        if (YAML::Node value = ports[key]) {
          static const std::map<std::string, std::string> k_examples = {
              {"gcs", "6379"}, {"dashboard", "8265"}, {"client", "10001"}, {"serve", "8000"}};
          Located<int64_t> number =
              int_of(value, fmt::format("ports.{}", key), 1, 65535, k_examples.at(key));
          into = {static_cast<int>(number.value), number.where};
        }
      };
      port("gcs", head.ports.gcs);
      port("dashboard", head.ports.dashboard);
      port("client", head.ports.client);
      if (ports["serve"]) {
        head.ports.serve = Located<int>{};
        port("serve", *head.ports.serve);
      }
    }
    if (YAML::Node bind = node["bind"]) {
      head.bind = string_of(bind, "bind");
      head.bind_written = true;
      if (!is_ipv4(head.bind.value)) {
        fail(bind, fmt::format("bind must be an IPv4 address, got \"{}\"", head.bind.value),
             "e.g. bind: 127.0.0.1 (the default) or bind: 0.0.0.0 for every interface");
      }
    }
  }

  void load_workers(const YAML::Node& node, ClusterSpec& spec, const std::string& spec_dir) const {
    if (node.IsNull()) {
      return;
    }
    expect_sequence(node, "workers", "write a list of groups, each starting with \"- group: NAME\"");
    std::map<std::string, SourceLocation> names;
    std::vector<std::string> keys = k_node_keys;
    keys.push_back("group");
    keys.push_back("replicas");
    for (const YAML::Node& item : node) {
      expect_map(item, "a worker group");
      WorkerGroupSpec group;
      group.where = at(item);
      YAML::Node name = item["group"];
      if (!name) {
        fail(item, "a worker group has no group name", "start the group with \"- group: NAME\"");
      }
      group.group = string_of(name, "group");
      check_keys(item, keys, fmt::format("in worker group \"{}\"", group.group.value));
      if (!is_group_name(group.group.value) || group.group.value.size() > 30) {
        fail(name,
             fmt::format("invalid group name \"{}\": must be lowercase letters, digits and \"-\", "
                         "start and end with a letter or digit, at most 30 characters",
                         group.group.value),
             "the group becomes part of container and DNS names; e.g. group: gpu-a10");
      }
      if (group.group.value == "head") {
        fail(name, "a worker group cannot be named \"head\"",
             "\"head\" names the head node; call the group e.g. \"main\"");
      }
      auto [previous, inserted] = names.emplace(group.group.value, group.group.where);
      if (!inserted) {
        fail(name, fmt::format("two worker groups are named \"{}\"", group.group.value),
             fmt::format("the first is at {}:{}:{}; give each group its own name",
                         previous->second.file, previous->second.line, previous->second.column));
      }
      if (YAML::Node replicas = item["replicas"]) {
        group.replicas = int_of(replicas, "replicas", 0, 100000, "3");
      } else {
        group.replicas.where = group.group.where;
      }
      load_node(item, group.node, spec_dir);
      spec.workers.push_back(std::move(group));
    }
  }

  void load_node(const YAML::Node& node, NodeSpec& out, const std::string& spec_dir) const {
    if (YAML::Node image = node["image"]) {
      out.image = image_of(image, "image");
    }
    if (YAML::Node value = node["num_cpus"]) {
      out.num_cpus = int_of(value, "num_cpus", 0, 100000, "4");
    }
    if (YAML::Node value = node["gpus"]) {
      out.gpus = int_of(value, "gpus", 0, 64, "1");
    }
    if (YAML::Node value = node["memory"]) {
      out.memory = size_of(value, "memory", "8g");
      if (out.memory->value < 6 * 1024 * 1024) {
        fail(value,
             fmt::format("memory must be at least 6m, Docker's smallest limit, got \"{}\"",
                         value.Scalar()),
             "e.g. memory: 8g");
      }
    }
    if (YAML::Node value = node["cpus"]) {
      out.cpus = number_of(value, "cpus", 0.0, "2.5", false, 4096);
    }
    if (YAML::Node value = node["shm_size"]) {
      out.shm_size = size_of(value, "shm_size", "4g");
    }
    if (YAML::Node value = node["env"]) {
      load_env(value, out);
    }
    if (YAML::Node value = node["volumes"]) {
      load_volumes(value, out, spec_dir);
    }
    if (YAML::Node value = node["labels"]) {
      out.labels = string_map_of(value, "labels");
      for (const auto& [key, label] : out.labels) {
        if (key.rfind("io.raylaunch.", 0) == 0) {
          throw SpecError(fmt::format("label \"{}\" uses raylaunch's own prefix", key),
                          "labels under io.raylaunch. are set by raylaunch; choose another prefix",
                          label.where);
        }
      }
    }
    if (YAML::Node value = node["ray_labels"]) {
      out.ray_labels = string_map_of(value, "ray_labels");
      for (auto it = value.begin(); it != value.end(); ++it) {
        std::string key = it->first.Scalar();
        const std::string& label = out.ray_labels.at(key).value;
        bool key_bad = key.find_first_of("=,") != std::string::npos;
        if (key_bad || label.find_first_of("=,") != std::string::npos) {
          fail(key_bad ? it->first : it->second,
               key_bad ? fmt::format("ray label \"{}\" contains \"=\" or \",\"", key)
                       : fmt::format("the value \"{}\" of ray label \"{}\" contains \"=\" or \",\"",
                                     label, key),
               "Ray reads labels as key=value,key=value; leave those characters out");
        }
      }
    }
    if (YAML::Node value = node["resources"]) {
      load_resources(value, out);
    }
    if (YAML::Node value = node["ray_args"]) {
      load_ray_args(value, out);
    }
    if (YAML::Node value = node["restart"]) {
      out.restart = restart_of(value);
    }
    if (YAML::Node value = node["pull"]) {
      std::string text = string_of(value, "pull").value;
      PullPolicy policy = PullPolicy::missing;
      if (text == "always") {
        policy = PullPolicy::always;
      } else if (text == "never") {
        policy = PullPolicy::never;
      } else if (text != "missing") {
        fail(value, fmt::format("pull must be missing, always or never, got \"{}\"", text),
             "missing pulls only images not present (the default)");
      }
      out.pull = Located<PullPolicy>{policy, at(value)};
    }
  }

  void load_env(const YAML::Node& node, NodeSpec& out) const {
    static const std::regex k_env_name("[A-Za-z_][A-Za-z0-9_.]*");
    auto add = [&](const std::string& key, Located<std::string> value, const YAML::Node& where) {
      if (!std::regex_match(key, k_env_name)) {
        fail(where, fmt::format("invalid environment variable name \"{}\"", key),
             "names are letters, digits and \"_\", not starting with a digit");
      }
      if (key.rfind("RAYLAUNCH_", 0) == 0 || key == "RAY_ADDRESS") {
        fail(where, fmt::format("env {} is set by raylaunch", key),
             "raylaunch sets RAYLAUNCH_PROJECT, RAYLAUNCH_GROUP, RAYLAUNCH_REPLICA and RAY_ADDRESS");
      }
      out.env[key] = std::move(value);
    };
    if (node.IsSequence()) {
      std::set<std::string> seen_in_list;
      // compose's list form: - KEY=VALUE
      for (const YAML::Node& item : node) {
        std::string text = string_of(item, "env").value;
        size_t eq = text.find('=');
        std::string key = text.substr(0, eq);
        if (!seen_in_list.insert(key).second) {
          fail(item, fmt::format("env {} is given twice", key), "keep one of them");
        }
        if (eq == std::string::npos) {
          if (std::optional<std::string> value = m_lookup(key)) {
            add(key, {*value, at(item)}, item);
          }
          continue;
        }
        add(key, {text.substr(eq + 1), at(item)}, item);
      }
      return;
    }
    expect_map(node, "env");
    check_unique_keys(node, "env");
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      // `KEY:` with no value passes the variable through, and leaves it out
      // when it is not set, as compose does.
      if (it->second.IsNull()) {
        if (std::optional<std::string> value = m_lookup(key)) {
          add(key, {*value, at(it->first)}, it->first);
        }
        continue;
      }
      if (it->second.IsMap()) {
        // KEY: {value: ..., secret: true}
        check_keys(it->second, {"value", "secret"}, fmt::format("under env.{}", key));
        YAML::Node value = it->second["value"];
        if (!value) {
          fail(it->second, fmt::format("env.{} has no value", key), "write {value: ..., secret: true}");
        }
        if (YAML::Node secret = it->second["secret"]) {
          out.env_secret[key] = bool_of(secret, fmt::format("env.{}.secret", key));
        }
        add(key, {text_of(value, "env." + key), at(value)}, it->first);
        continue;
      }
      add(key, {text_of(it->second, "env." + key), at(it->second)}, it->first);
    }
  }

  void load_volumes(const YAML::Node& node, NodeSpec& out, const std::string& spec_dir) const {
    expect_sequence(node, "volumes", "write a list such as - ./logs:/tmp/ray");
    out.volumes_where = at(node);
    static const std::regex k_volume_name("[a-zA-Z0-9{][a-zA-Z0-9_.{}-]*");
    for (const YAML::Node& item : node) {
      if (item.IsNull()) {
        fail(item, "a volume entry is empty", "write SOURCE:TARGET after the dash, or remove the line");
      }
      std::string text = string_of(item, "volumes").value;
      std::vector<std::string> parts;
      std::stringstream stream(text);
      for (std::string part; std::getline(stream, part, ':');) {
        parts.push_back(part);
      }
      VolumeSpec volume;
      volume.where = at(item);
      if (parts.size() == 3 && (parts[2] == "ro" || parts[2] == "rw")) {
        volume.read_only = parts[2] == "ro";
        parts.pop_back();
      }
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        fail(item, fmt::format("volume \"{}\" must be SOURCE:TARGET[:ro]", text),
             "e.g. - ./logs:/tmp/ray or - /data/models:/models:ro");
      }
      volume.target = parts[1];
      if (volume.target[0] != '/') {
        fail(item, fmt::format("volume target \"{}\" must be an absolute path", volume.target),
             "e.g. - ./logs:/tmp/ray");
      }
      const std::string& source = parts[0];
      if (source[0] == '/' || source[0] == '.' || source[0] == '~') {
        fs::path path = source;
        if (source[0] == '~') {
          std::optional<std::string> home = m_lookup("HOME");
          if ((source.size() > 1 && source[1] != '/') || !home || home->empty()) {
            fail(item, fmt::format("cannot resolve \"{}\"", source),
                 "only ~/ is understood, and HOME must be set; or write an absolute path");
          }
          path = fs::path(*home) / source.substr(source.size() > 1 ? 2 : 1);
        } else if (source[0] == '.') {
          path = fs::path(spec_dir) / source;
        }
        volume.source = path.lexically_normal().string();
        if (volume.source.size() > 1 && volume.source.back() == '/') {
          volume.source.pop_back();
        }
      } else if (std::regex_match(source, k_volume_name)) {
        volume.source = source;
        volume.named = true;
      } else {
        fail(item, fmt::format("invalid volume source \"{}\"", source),
             "a host path starts with /, ./ or ~/; a named volume is letters, digits, _.-");
      }
      for (const VolumeSpec& earlier : out.volumes) {
        if (earlier.target == volume.target) {
          fail(item, fmt::format("two volumes mount on {}", volume.target),
               "give each volume its own target");
        }
      }
      out.volumes.push_back(std::move(volume));
    }
  }

  void load_resources(const YAML::Node& node, NodeSpec& out) const {
    expect_map(node, "resources");
    check_unique_keys(node, "resources");
    static const std::regex k_resource_name("[A-Za-z_][A-Za-z0-9_.:-]*");
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!std::regex_match(key, k_resource_name)) {
        fail(it->first, fmt::format("invalid resource name \"{}\"", key),
             "use letters, digits and _.:-, e.g. accelerator_a10");
      }
      if (key == "CPU" || key == "GPU" || key == "memory" || key == "object_store_memory") {
        fail(it->first, fmt::format("resource \"{}\" is one of Ray's own", key),
             key == "CPU" ? "set num_cpus" : key == "GPU" ? "set gpus" : "Ray sizes it itself");
      }
      out.resources[key] = number_of(it->second, "resources." + key, 0.0, "1");
    }
  }

  void load_ray_args(const YAML::Node& node, NodeSpec& out) const {
    expect_map(node, "ray_args");
    std::set<std::string> given;
    std::vector<std::string> known;
    for (const RayFlag& flag : ray_start_flags()) {
      if (!flag.removed) {
        known.emplace_back(flag.name);
      }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      while (!key.empty() && key[0] == '-') {
        key.erase(0, 1);
      }
      std::replace(key.begin(), key.end(), '_', '-');
      std::optional<RayFlag> flag = find_ray_flag(key);
      if (!flag) {
        std::optional<std::string> guess = closest(key, known);
        fail(it->first, fmt::format("ray start has no option --{}", key),
             guess ? fmt::format("did you mean \"{}\"?", *guess)
                   : "`ray start --help` lists the options Ray accepts");
      }
      if (flag->removed) {
        fail(it->first, fmt::format("--{} was removed from ray start in Ray 2.48", key),
             "leave it out; Ray 2.48 and later refuse it");
      }
      if (auto managed = k_managed_ray_args.find(key); managed != k_managed_ray_args.end()) {
        fail(it->first, fmt::format("--{} is set by raylaunch", key), managed->second);
      }
      if (!given.insert(key).second) {
        fail(it->first, fmt::format("--{} is given twice in ray_args", key), "keep one of them");
      }
      RayArg arg;
      arg.key = key;
      arg.where = at(it->second.IsNull() ? it->first : it->second);
      if (flag->kind == RayFlagKind::value) {
        if (it->second.IsNull()) {
          fail(it->first, fmt::format("--{} needs a value", key),
               fmt::format("write {}: VALUE", it->first.Scalar()));
        }
        arg.value = text_of(it->second, "ray_args." + key);
      } else {
        arg.is_bool = true;
        arg.value = bool_of(it->second, "ray_args." + key) ? "true" : "false";
      }
      out.ray_args.push_back(std::move(arg));
    }
  }

  Located<RestartPolicy> restart_of(const YAML::Node& node) const {
    std::string text = string_of(node, "restart").value;
    RestartPolicy policy;
    if (text == "no") {
      policy.kind = RestartPolicy::Kind::no;
    } else if (text == "always") {
      policy.kind = RestartPolicy::Kind::always;
    } else if (text == "unless-stopped") {
      policy.kind = RestartPolicy::Kind::unless_stopped;
    } else if (text.rfind("on-failure", 0) == 0) {
      policy.kind = RestartPolicy::Kind::on_failure;
      std::string rest = text.substr(10);
      if (!rest.empty()) {
        int retries = 0;
        auto [end, error] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), retries);
        if (rest[0] != ':' || error != std::errc() || end != rest.data() + rest.size() ||
            retries < 1) {
          fail(node, fmt::format("invalid restart policy \"{}\"", text),
               "write on-failure or on-failure:N with N at least 1");
        }
        policy.max_retries = retries;
      }
    } else {
      fail(node, fmt::format("invalid restart policy \"{}\"", text),
           "write no, always, on-failure[:N] or unless-stopped");
    }
    return {policy, at(node)};
  }

  std::string m_file;
  const std::string& m_source;
  VariableLookup m_lookup;
  std::vector<Diagnostic>& m_warnings;
  std::function<void(const Diagnostic&)> m_on_warning;
};

}  // namespace

bool is_valid_project_name(const std::string& name) {
  static const std::regex k_project("[a-z0-9][a-z0-9_-]*");
  return std::regex_match(name, k_project);
}

VariableLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

LoadResult load_spec_from_string(const std::string& text, const std::string& file,
                                 const LoadOptions& options, const std::string& spec_dir) {
  LoadResult result;
  VariableLookup lookup = options.environment ? options.environment : process_environment();
  Loader loader(file, text, lookup, result.warnings, options.on_warning);
  result.spec = loader.load(spec_dir, options.project_name);
  return result;
}

LoadResult load_spec(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError(fmt::format("cannot read spec \"{}\": {}", path,
                                 fs::exists(path) ? "permission denied" : "no such file"),
                     "pass the spec with -f FILE, or run where raylaunch.yml is");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  fs::path dir = fs::absolute(fs::path(path)).parent_path();

  VariableLookup environment = options.environment ? options.environment : process_environment();
  std::map<std::string, std::string> dotenv;
  fs::path dotenv_path = dir / ".env";
  if (options.read_dotenv && fs::is_regular_file(dotenv_path)) {
    std::ifstream env_in(dotenv_path, std::ios::binary);
    std::stringstream env_text;
    env_text << env_in.rdbuf();
    try {
      dotenv = parse_env_file(env_text.str());
    } catch (const InterpolationFailure& failure) {
      std::string all = env_text.str();
      int line = 1 + static_cast<int>(std::count(all.begin(), all.begin() + failure.offset, '\n'));
      throw SpecError(failure.message, failure.hint,
                      SourceLocation{dotenv_path.string(), line, 1});
    }
  }
  LoadOptions resolved = options;
  resolved.environment = [environment, dotenv](const std::string& name) {
    std::optional<std::string> value = environment(name);
    if (value) {
      return value;
    }
    auto found = dotenv.find(name);
    return found == dotenv.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  return load_spec_from_string(text, path, resolved, dir.string());
}

}  // namespace raylaunch
