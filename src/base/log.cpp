// The log behind --verbose, on spdlog: the only file that includes it.
#include <raylaunch/base/log.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/redact.hpp>

#include <cstdlib>
#include <memory>

namespace raylaunch {

namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> k_logger;
  return k_logger;
}

}  // namespace

void init_log(const std::string& level, std::ostream* out) {
  std::string name = level;
  if (name.empty()) {
    const char* from_env = std::getenv("RAYLAUNCH_LOG_LEVEL");
    name = from_env != nullptr ? from_env : "off";
  }
  spdlog::level::level_enum value = spdlog::level::from_str(name);
  if (value == spdlog::level::off && name != "off") {
    throw UsageError(fmt::format("unknown log level \"{}\"", name),
                     "use debug, info, warn or off (RAYLAUNCH_LOG_LEVEL or --verbose)");
  }
  spdlog::sink_ptr sink;
  if (out != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto made = std::make_shared<spdlog::logger>("raylaunch", std::move(sink));
  made->set_pattern("raylaunch: %l: %v");
  made->set_level(value);
  logger() = std::move(made);
}

bool debug_log_enabled() {
  return logger() != nullptr && logger()->should_log(spdlog::level::debug);
}

void log_debug(const std::string& line) {
  if (debug_log_enabled()) {
    logger()->debug(redact(line));
  }
}

void log_info(const std::string& line) {
  if (logger() != nullptr && logger()->should_log(spdlog::level::info)) {
    logger()->info(redact(line));
  }
}

}  // namespace raylaunch
