// One way to print a problem, whether it comes from the YAML parser, the
// loader or the planner, so every message points at the same place the same way.
#include <raylaunch/base/error.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

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

}  // namespace

std::string format_diagnostic(const Diagnostic& diagnostic, const std::string& source) {
  const char* kind = diagnostic.severity == Severity::error ? "error" : "warning";
  std::string out;
  if (diagnostic.where && diagnostic.where->line > 0) {
    const SourceLocation& at = *diagnostic.where;
    out += fmt::format("{}:{}:{}: {}: {}\n", at.file, at.line, at.column, kind, diagnostic.message);
    std::string text = line_of(source, at.line);
    if (!text.empty()) {
      std::string number = fmt::format("{:>5}", at.line);
      out += fmt::format("{} | {}\n", number, text);
      // Tabs keep their width under the caret, so it lines up in a terminal.
      std::string pad;
      for (int i = 0; i + 1 < at.column && i < static_cast<int>(text.size()); ++i) {
        pad += text[i] == '\t' ? '\t' : ' ';
      }
      out += fmt::format("{} | {}^\n", std::string(number.size(), ' '), pad);
    }
  } else if (diagnostic.where) {
    out += fmt::format("{}: {}: {}\n", diagnostic.where->file, kind, diagnostic.message);
  } else {
    out += fmt::format("raylaunch: {}: {}\n", kind, diagnostic.message);
  }
  if (!diagnostic.hint.empty()) {
    out += fmt::format("hint: {}\n", diagnostic.hint);
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
