// Messages on stderr: errors and warnings as raylaunch tells them (the spec's
// line and a caret), or one JSON event a line under `--progress json`, so
// that there every line on stderr is JSON; and the one line of a command
// that a signal stopped.
#include "commands.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <raylaunch/base/redact.hpp>
#include <raylaunch/spec/loader.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace raylaunch::cli {

namespace {

// The id of JSON diagnostics ("raylaunch up"); "" prints them for people.
std::string g_json_id;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void print_json(nlohmann::ordered_json event) {
  // Docker's words may hold bytes that are not UTF-8 (as in progress events).
  std::cerr << event.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << '\n';
  std::cerr.flush();
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

}  // namespace

void json_diagnostics(const std::string& id) { g_json_id = id; }

void print_diagnostic(const Diagnostic& diagnostic) {
  Diagnostic safe = diagnostic;
  safe.message = redact(diagnostic.message);
  safe.hint = redact(diagnostic.hint);
  if (!g_json_id.empty()) {
    bool error = diagnostic.severity == Severity::error;
    nlohmann::ordered_json event = {{"id", g_json_id},
                                    {"status", error ? "Error" : "Warning"},
                                    {"state", error ? "error" : "warning"},
                                    {error ? "error" : "warning", safe.message},
                                    {"hint", safe.hint}};
    if (diagnostic.where && !diagnostic.where->file.empty()) {
      event["where"] = fmt::format("{}:{}:{}", diagnostic.where->file, diagnostic.where->line,
                                   diagnostic.where->column);
    }
    print_json(std::move(event));
    return;
  }
  std::string source;
  if (diagnostic.where && !diagnostic.where->file.empty()) {
    std::shared_ptr<const std::string> spec = remembered_source(diagnostic.where->file);
    source = spec ? *spec : read_text(diagnostic.where->file);
  }
  std::cerr << format_diagnostic(safe, redact(source));
}

void print_interrupted(int signal, const std::string& left) {
  std::string text = fmt::format("interrupted by {}{}", signal_name(signal),
                                 left.empty() ? "" : ": " + redact(left));
  if (!g_json_id.empty()) {
    print_json({{"id", g_json_id},
                {"status", "Interrupted"},
                {"state", "error"},
                {"error", text},
                {"signal", signal_name(signal)}});
    return;
  }
  std::cerr << "raylaunch: " << text << '\n';
  std::cerr.flush();
}

}  // namespace raylaunch::cli
