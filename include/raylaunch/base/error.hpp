#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

namespace raylaunch {

/// A place in a spec file, 1-based as printed (`file:line:column`).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

/// A problem the user can fix: a bad spec, Docker missing, a failed container.
/// Bugs are assert()s, not Errors. run_cli() catches Error in exactly one place.
class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string hint = {}, std::optional<SourceLocation> where = {});
  const std::string& message() const noexcept { return m_message; }
  const std::string& hint() const noexcept { return m_hint; }
  const std::optional<SourceLocation>& where() const noexcept { return m_where; }

 private:
  std::string m_message;
  std::string m_hint;
  std::optional<SourceLocation> m_where;
};

/// The spec's shape or meaning is wrong; exit code 2.
class SpecError : public Error {
  using Error::Error;
};

/// The command line is wrong; exit code 2.
class UsageError : public Error {
  using Error::Error;
};

/// Docker is missing or a command failed; exit code 1.
class ExecError : public Error {
  using Error::Error;
};

enum class Severity { error, warning };

/// One message for the user, printed like ninja's and mold's errors: the
/// location, the source line, a caret under the column, then the hint.
struct Diagnostic {
  Severity severity = Severity::error;
  std::string message;
  std::string hint;
  std::optional<SourceLocation> where;
};

/// Renders `diagnostic`. `source` is the text of the file `where` points into
/// (empty when it is not at hand; the source line is then left out).
std::string format_diagnostic(const Diagnostic& diagnostic, const std::string& source);

/// Renders an Error the same way.
std::string format_error(const Error& error, const std::string& source);

/// Exit code of a bug: an exception nobody expected (EX_SOFTWARE).
inline constexpr int k_internal_error_exit = 70;

/// Runs `body` (the whole program) and returns its exit code. An exception
/// that escapes it is a bug, since run_cli() turns every Error into a
/// message: it is printed on `err` as `raylaunch: internal error: <what>`
/// with a request to report it, and the exit code is 70. The same happens,
/// on stderr, when std::terminate is called (an exception leaving a thread).
int run_guarded(const std::function<int()>& body, std::ostream& err);

}  // namespace raylaunch
