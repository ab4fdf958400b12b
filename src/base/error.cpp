// One way to print a problem, whether it comes from the YAML parser, the
// loader or the planner, so every message points at the same place the same way.
#include <raylaunch/base/error.hpp>

#include <fmt/format.h>

#include <raylaunch/base/text.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <utility>

namespace raylaunch {

Error::Error(std::string message, std::string hint, std::optional<SourceLocation> where)
    : std::runtime_error(message),
      m_message(std::move(message)),
      m_hint(std::move(hint)),
      m_where(std::move(where)) {}

namespace {

std::string line_of(const std::string& source, int line) {
  int current = 1;
  size_t start = 0;
  while (current < line) {
    size_t newline = source.find('\n', start);
    if (newline == std::string::npos) {
      return {};
    }
    start = newline + 1;
    ++current;
  }
  size_t end = source.find('\n', start);
  std::string text = source.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!text.empty() && text.back() == '\r') {
    text.pop_back();
  }
  return text;
}

// A line may be a megabyte: at most this many of its bytes are shown, around the column.
constexpr size_t k_shown_bytes = 200;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) >> 6) == 0x2; }

// The bytes [first, second) of `line` to show: all of a short line, else a
// window around `at` that starts and ends between characters.
std::pair<size_t, size_t> window(std::string_view line, size_t at) {
  if (line.size() <= k_shown_bytes) {
    return {0, line.size()};
  }
  size_t end = std::min(line.size(), std::max(at, k_shown_bytes / 2) + k_shown_bytes / 2);
  size_t begin = end - k_shown_bytes;
  while (begin > 0 && is_continuation(line[begin])) {
    --begin;
  }
  while (end < line.size() && is_continuation(line[end])) {
    ++end;
  }
  return {begin, end};
}

struct ShownLine {
  std::string text;  // escaped, and cut with "..." where the window ends before the line
  std::string pad;   // what goes before the caret so it stands under byte `at`
};

// Tabs keep their width under the caret, so it lines up in a terminal; an
// escaped byte is four columns wide, a character of any length one.
ShownLine show_line(std::string_view line, size_t at) {
  auto [begin, end] = window(line, at);
  ShownLine shown;
  if (begin > 0) {
    shown.text = "...";
    shown.pad = "   ";
  }
  for (size_t i = begin; i < end;) {
    size_t length = std::max<size_t>(utf8_length_at(line, i), 1);
    std::string_view bytes = line.substr(i, length);
    std::string unit = escape_control(bytes);
    if (i < at) {
      shown.pad += bytes == "\t" ? std::string("\t") : std::string(unit == bytes ? 1 : 4, ' ');
    }
    shown.text += unit;
    i += length;
  }
  if (end < line.size()) {
    shown.text += "...";
  }
  return shown;
}

}  // namespace

std::string format_diagnostic(const Diagnostic& diagnostic, const std::string& source) {
  const char* kind = diagnostic.severity == Severity::error ? "error" : "warning";
  // A message quotes what the user wrote, which may hold any byte.
  std::string message = escape_control(diagnostic.message);
  std::string out;
  if (diagnostic.where && diagnostic.where->line > 0) {
    const SourceLocation& at = *diagnostic.where;
    out += fmt::format("{}:{}:{}: {}: {}\n", at.file, at.line, at.column, kind, message);
    std::string text = line_of(source, at.line);
    if (!text.empty()) {
      ShownLine shown = show_line(text, static_cast<size_t>(std::max(at.column, 1)) - 1);
      std::string number = fmt::format("{:>5}", at.line);
      out += fmt::format("{} | {}\n", number, shown.text);
      out += fmt::format("{} | {}^\n", std::string(number.size(), ' '), shown.pad);
    }
  } else if (diagnostic.where) {
    out += fmt::format("{}: {}: {}\n", diagnostic.where->file, kind, message);
  } else {
    out += fmt::format("raylaunch: {}: {}\n", kind, message);
  }
  if (!diagnostic.hint.empty()) {
    out += fmt::format("hint: {}\n", escape_control(diagnostic.hint));
  }
  return out;
}

std::string format_error(const Error& error, const std::string& source) {
  return format_diagnostic({Severity::error, error.message(), error.hint(), error.where()}, source);
}

}  // namespace raylaunch

namespace raylaunch {

namespace {

std::string internal_error(const std::string& what) {
  return fmt::format(
      "raylaunch: internal error: {}\n"
      "raylaunch: this is a bug in raylaunch; please report it with the command you ran and "
      "this message\n",
      what);
}

std::string what_of(const std::exception_ptr& escaped) {
  try {
    std::rethrow_exception(escaped);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

[[noreturn]] void on_terminate() {
  std::exception_ptr escaped = std::current_exception();
  std::string text = internal_error(escaped ? what_of(escaped) : "std::terminate was called");
  std::fputs(text.c_str(), stderr);
  std::_Exit(k_internal_error_exit);
}

}  // namespace

int run_guarded(const std::function<int()>& body, std::ostream& err) {
  std::set_terminate(on_terminate);
  try {
    return body();
  } catch (...) {
    err << internal_error(what_of(std::current_exception())) << std::flush;
    return k_internal_error_exit;
  }
}

}  // namespace raylaunch
