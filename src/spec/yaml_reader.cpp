// Reads the spec's YAML into raylaunch's own located tree, and is the only file
// that includes yaml-cpp. yaml-cpp's positions and messages are turned here
// into the places and words a user can act on: where an empty value was
// written, which bracket or quote is never closed, a tab in the indentation.
#include "yaml_reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <raylaunch/base/text.hpp>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <optional>
#include <sstream>

namespace raylaunch {

namespace {

constexpr size_t k_max_key = 256;

// Counts the parser's events and stops it past a bound. yaml-cpp 0.7 loops
// on some malformed streams, making nodes without end (the fuzzer found
// several: a stray "," where a document starts, in many disguises); a first
// pass through this handler, which keeps nothing, proves the parse ends
// before the real one builds nodes.
class EventBudget final : public YAML::EventHandler {
 public:
  struct Spent {
    YAML::Mark mark;
  };
  explicit EventBudget(size_t events) : m_left(events) {}
  void OnDocumentStart(const YAML::Mark& mark) override { spend(mark); }
  void OnDocumentEnd() override { spend(m_mark); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { spend(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { spend(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    spend(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    spend(mark);
  }
  void OnSequenceEnd() override { spend(m_mark); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    spend(mark);
  }
  void OnMapEnd() override { spend(m_mark); }

 private:
  void spend(const YAML::Mark& mark) {
    m_mark = mark;
    if (m_left-- == 0) {
      throw Spent{mark};
    }
  }
  size_t m_left;
  YAML::Mark m_mark = YAML::Mark::null_mark();
};

// More events than the 100,000 values a spec may hold could ever need.
constexpr size_t k_max_parser_events = 1'000'000;

class YamlReader {
 public:
  YamlReader(const std::string& file, const std::string& source) : m_file(file), m_source(source) {
    m_line_starts.push_back(0);
    for (size_t i = 0; i < m_source.size(); ++i) {
      if (m_source[i] == '\n') {
        m_line_starts.push_back(i + 1);
      }
    }
  }

  YamlNode read() const {
    // YAML is UTF-8, and every output raylaunch writes (JSON above all) must be too.
    if (size_t bad = first_invalid_utf8(m_source); bad != std::string::npos) {
      throw SpecError(fmt::format("the spec is not valid UTF-8 (byte 0x{:02X})",
                                  static_cast<unsigned char>(m_source[bad])),
                      "save the file as UTF-8", location_of(bad));
    }
    refuse_control_characters();
    refuse_leading_comma();
    prove_parse_ends();
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(m_source);
    } catch (const YAML::ParserException& e) {
      throw syntax_error(e);
    }
    check_one_document(documents);
    YamlNode tree = convert(documents.empty() ? YAML::Node() : documents.front());
    check_lengths(tree);
    return tree;
  }

 private:
  void prove_parse_ends() const {
    std::istringstream in(m_source);
    YAML::Parser parser(in);
    EventBudget budget(k_max_parser_events);
    try {
      while (parser.HandleNextDocument(budget)) {
      }
    } catch (const EventBudget::Spent& spent) {
      throw SpecError(fmt::format("invalid YAML: the parser does not get past this place (more "
                                  "than {} events)",
                                  k_max_parser_events),
                      "check the indentation and the commas and brackets around this place",
                      location_of(static_cast<size_t>(std::max(spent.mark.pos, 0))));
    } catch (const YAML::Exception&) {
      // The real parse below reports it, at its place.
    }
  }

  // YAML allows no control characters but tab, line feed and carriage
  // return (and yaml-cpp reads a NUL as the end of a token, which let the
  // fuzzer slip a comma past the guard below).
  void refuse_control_characters() const {
    for (size_t at = 0; at < m_source.size(); ++at) {
      unsigned char c = static_cast<unsigned char>(m_source[at]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        throw SpecError(fmt::format("the spec holds a control character (byte 0x{:02X})", c),
                        "YAML allows no control characters but tab and line breaks; remove it, "
                        "or write it as an escape (\"\\x01\") in a double-quoted value",
                        location_of(at));
      }
    }
  }

  // yaml-cpp 0.7 loops, allocating without bound, on a document whose first
  // token, after any tags and anchors, is a "," (a one-byte spec takes
  // gigabytes; found by the fuzzer), so that is refused before it is asked.
  void refuse_leading_comma() const {
    // Where yaml-cpp may start a document: the top, after `---` or `...`, and
    // after a directive line (`%...`), which it takes as a document's start.
    std::vector<size_t> starts = {0};
    for (size_t line : m_line_starts) {
      bool marker = m_source.compare(line, 3, "---") == 0 || m_source.compare(line, 3, "...") == 0;
      if (marker && (line + 3 == m_source.size() ||
                     std::isspace(static_cast<unsigned char>(m_source[line + 3])))) {
        starts.push_back(line + 3);
      } else if (line < m_source.size() && m_source[line] == '%') {
        starts.push_back(line);
      }
    }
    for (size_t at : starts) {
      size_t first = first_token(at);
      if (first < m_source.size() && m_source[first] == ',') {
        throw SpecError("invalid YAML: \",\" before anything it could separate",
                        "a comma separates items inside [ ] or { } only; remove it",
                        location_of(first));
      }
    }
  }

  // From `at`, the first character that is not space, a comment, a directive
  // line, or a tag or anchor property.
  size_t first_token(size_t at) const {
    while (at < m_source.size()) {
      char c = m_source[at];
      bool line_start = at == 0 || m_source[at - 1] == '\n';
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++at;
      } else if (m_source.compare(at, 3, "\xEF\xBB\xBF") == 0) {
        at += 3;  // a byte order mark
      } else if (c == '#' || (c == '%' && line_start)) {
        at = m_source.find('\n', at);
      } else if (c == '!' || c == '&') {
        // A property ends at a space or a flow indicator, as yaml-cpp reads it.
        ++at;
        while (at < m_source.size() && !std::isspace(static_cast<unsigned char>(m_source[at])) &&
               std::string_view(",[]{}").find(m_source[at]) == std::string_view::npos) {
          ++at;
        }
      } else {
        return at;
      }
    }
    return m_source.size();
  }

  // Every empty value asks for a place, so the lines are found once, not by
  // counting newlines each time.
  SourceLocation location_of(size_t pos) const {
    pos = std::min(pos, m_source.size());
    auto line = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), pos);
    size_t start = *(line - 1);
    return {m_file, static_cast<int>(line - m_line_starts.begin()),
            static_cast<int>(pos - start) + 1};
  }

  // yaml-cpp marks an empty value (`key:` with nothing after it) at the next
  // token, often the next line or past the end of the file; the user wrote
  // nothing right after the colon or dash, so point there.
  SourceLocation at(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (node.IsNull() && mark.pos >= 0) {
      size_t pos = std::min(static_cast<size_t>(mark.pos), m_source.size());
      bool explicit_null =
          pos < m_source.size() && (m_source[pos] == '~' || m_source.compare(pos, 4, "null") == 0);
      if (!explicit_null) {
        while (pos > 0 && std::isspace(static_cast<unsigned char>(m_source[pos - 1]))) {
          --pos;
        }
        return location_of(pos);
      }
    }
    return {m_file, mark.line + 1, mark.column + 1};
  }

  // An alias is yaml-cpp's anchored node itself, so it is converted again
  // where it is used: a copy, place included. Aliases of aliases multiply
  // (ten lines can stand for 10^10 values) and an alias inside its own anchor
  // never ends, so depth and count are capped: refused in milliseconds.
  YamlNode convert(const YAML::Node& node, int depth = 0) const {
    if (depth > k_max_depth) {
      throw SpecError(fmt::format("the spec nests more than {} levels deep", k_max_depth),
                      "an alias inside its own anchor (a: &x [*x]) nests for ever; write the "
                      "values out",
                      at(node));
    }
    if (++m_values > k_max_values) {
      throw SpecError(fmt::format("the spec stands for more than {} values", k_max_values),
                      "aliases (*name) repeat what they name, and aliases of aliases multiply "
                      "it; write the values out, or use fewer aliases",
                      at(node));
    }
    YamlNode out;
    const YAML::Mark mark = node.Mark();
    out.where = at(node);
    if (mark.pos >= 0) {
      out.offset = static_cast<size_t>(mark.pos);
    }
    if (out.offset < m_source.size() &&
        (m_source[out.offset] == '"' || m_source[out.offset] == '\'')) {
      out.quote = m_source[out.offset];
    }
    if (node.IsScalar()) {
      out.kind = YamlNode::Kind::scalar;
      out.text = node.Scalar();
      out.quote_closed = out.quote == 0 || closes(out.quote, out.offset);
    } else if (node.IsSequence()) {
      out.kind = YamlNode::Kind::sequence;
      for (const YAML::Node& item : node) {
        out.items.push_back(convert(item, depth + 1));
      }
    } else if (node.IsMap()) {
      out.kind = YamlNode::Kind::map;
      for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
        out.entries.push_back({convert(it->first, depth + 1), convert(it->second, depth + 1)});
      }
    }
    return out;
  }

  // Whether the quote at `pos` is closed before the end of the file.
  bool closes(char quote, size_t pos) const {
    for (size_t i = pos + 1; i < m_source.size(); ++i) {
      if (quote == '"' && m_source[i] == '\\') {
        ++i;
      } else if (m_source[i] == quote) {
        if (quote == '\'' && i + 1 < m_source.size() && m_source[i + 1] == '\'') {
          ++i;  // '' is a quote inside single quotes
          continue;
        }
        return true;
      }
    }
    return false;
  }

  // yaml-cpp reads only the first document of a file and drops the rest
  // unsaid; a spec is one document, so a second one with anything in it is
  // refused at its "---" (or at its first value, after a "..." end marker).
  void check_one_document(const std::vector<YAML::Node>& documents) const {
    for (size_t i = 1; i < documents.size(); ++i) {
      if (documents[i].IsNull()) {
        continue;
      }
      SourceLocation where = at(documents[i]);
      auto offset = [&](const YAML::Node& node) {
        return std::min(static_cast<size_t>(std::max(node.Mark().pos, 0)), m_source.size());
      };
      size_t floor = offset(documents[i - 1]);  // the "---" is after the document before
      for (size_t line = m_source.rfind('\n', offset(documents[i]));
           line != std::string::npos && line >= floor; line = m_source.rfind('\n', line - 1)) {
        if (m_source.compare(line + 1, 3, "---") == 0) {
          where = location_of(line + 1);
          break;
        }
        if (line == 0) {
          break;
        }
      }
      throw SpecError("the spec holds a second YAML document",
                      "raylaunch reads one document a file; remove this \"---\" and what follows "
                      "it, or merge it into the first",
                      where);
    }
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
      } else if (c == '#' &&
                 (i == 0 || std::isspace(static_cast<unsigned char>(m_source[i - 1])))) {
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

  void check_lengths(const YamlNode& node) const {
    if (node.is_scalar() && node.text.size() > k_max_value_length) {
      throw SpecError(fmt::format("a value of {} characters is longer than the {} allowed",
                                  node.text.size(), k_max_value_length),
                      "shorten it; long data belongs in a file mounted with volumes:", node.where);
    }
    for (const YamlNode& item : node.items) {
      check_lengths(item);
    }
    for (const YamlEntry& entry : node.entries) {
      if (entry.key.is_scalar() && entry.key.text.size() > k_max_key) {
        throw SpecError(fmt::format("a key of {} characters is longer than the {} allowed",
                                    entry.key.text.size(), k_max_key),
                        "shorten it", entry.key.where);
      }
      check_lengths(entry.value);
    }
  }

  const std::string& m_file;
  const std::string& m_source;
  std::vector<size_t> m_line_starts;  // the offset each line starts at
  // No spec needs more: a cluster of 10,000 replicas is one `replicas:` value.
  static constexpr int k_max_depth = 64;
  static constexpr size_t k_max_values = 100000;
  mutable size_t m_values = 0;  // values converted so far
};

}  // namespace

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const YamlEntry& entry : entries) {
    if (entry.key.is_scalar() && entry.key.text == key) {
      return &entry.value;
    }
  }
  return nullptr;
}

YamlNode read_yaml(const std::string& file, const std::string& source) {
  return YamlReader(file, source).read();
}

void check_closed_quote(const YamlNode& node) {
  if (node.is_scalar() && !node.quote_closed) {
    throw SpecError(fmt::format("invalid YAML: the {} quote here is never closed",
                                node.quote == '"' ? "double" : "single"),
                    fmt::format("close the value with {}", node.quote), node.where);
  }
}

}  // namespace raylaunch
