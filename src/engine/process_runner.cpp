// The one place raylaunch starts processes; the only file that includes
// Boost.Process. stdout and stderr are read concurrently through asio so a
// child that fills one pipe while we read the other cannot deadlock us.
#include <raylaunch/engine/command_runner.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <future>
#include <mutex>

namespace raylaunch {

namespace {

namespace bp = boost::process;

[[noreturn]] void failed_to_start(const Command& command, const std::error_code& error) {
  if (error == std::errc::argument_list_too_long) {
    size_t per_value = 32 * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    throw ExecError(fmt::format("the kernel refuses so long a command line (E2BIG): {}",
                                too_long_reason(command, per_value)),
                    "shorten that value; give a node big data in a file through volumes:");
  }
  throw ExecError(fmt::format("cannot run \"{}\": {}", command.argv[0], error.message()),
                  "check that the program exists and may be executed");
}

// The longest argv element or variable, and what it is the value of.
struct Longest {
  std::string what;
  size_t size = 0;
};

Longest longest_value(const Command& command) {
  Longest longest;
  for (size_t i = 1; i < command.argv.size(); ++i) {
    const std::string& arg = command.argv[i];
    if (arg.size() <= longest.size) {
      continue;
    }
    bool pair = arg.find('=') != std::string::npos;
    std::string name = arg.substr(0, arg.find('='));
    const std::string& before = command.argv[i - 1];
    if (arg.rfind("--", 0) == 0) {
      longest.what = fmt::format("the value of {}", name);  // --temp-dir=...
    } else if (before.size() > 1 && before[0] == '-' && before != "--") {
      // --env BIG=..., --label k=..., --volume SRC:DST
      longest.what = fmt::format("the value of {}{}", before, pair ? " " + name : "");
    } else {
      longest.what = fmt::format("argument {} of {}", i, command.argv[0]);
    }
    longest.size = arg.size();
  }
  for (const auto& [name, value] : command.env) {
    if (name.size() + 1 + value.size() > longest.size) {
      longest = {fmt::format("the environment variable {}", name), name.size() + 1 + value.size()};
    }
  }
  return longest;
}

class ProcessRunner final : public CommandRunner {
 public:
  CommandResult run(const Command& command) override {
    boost::filesystem::path program = command.argv.at(0);
    if (command.argv[0].find('/') == std::string::npos) {
      program = bp::search_path(command.argv[0]);
      if (program.empty()) {
        throw ExecError(fmt::format("program \"{}\" not found", command.argv[0]),
                        "install it or pass its path");
      }
    }
    std::vector<std::string> args(command.argv.begin() + 1, command.argv.end());
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    std::error_code start_error;
    bp::environment env = boost::this_process::environment();
    for (const auto& [name, value] : command.env) {
      env[name] = value;
    }
    bp::child child(bp::exe = program, bp::args = args, bp::std_in.close(), bp::std_out > out,
                    bp::std_err > err, env, io, start_error);
    if (start_error) {
      failed_to_start(command, start_error);
    }
    CommandResult result;
    if (command.timeout) {
      io.run_for(*command.timeout);
      if (!io.stopped()) {
        result.timed_out = true;
        std::error_code ignored;
        child.terminate(ignored);
        io.run();
      }
    } else {
      io.run();
    }
    std::error_code wait_error;
    child.wait(wait_error);
    result.out = out.get();
    result.err = err.get();
    result.exit_code = result.timed_out ? 124 : child.exit_code();
    return result;
  }
};

class PrintingRunner final : public CommandRunner {
 public:
  PrintingRunner(std::ostream& out, CommandRunner* reader) : m_out(out), m_reader(reader) {}

  CommandResult run(const Command& command) override {
    if (m_reader != nullptr && is_read_only_docker_command(command.argv)) {
      return m_reader->run(command);
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << quote_for_display(command.argv) << '\n';
    return {};
  }

 private:
  std::ostream& m_out;
  CommandRunner* m_reader;
  std::mutex m_mutex;
};

}  // namespace

std::unique_ptr<CommandRunner> make_process_runner() { return std::make_unique<ProcessRunner>(); }

std::unique_ptr<CommandRunner> make_printing_runner(std::ostream& out, CommandRunner* reader) {
  return std::make_unique<PrintingRunner>(out, reader);
}

bool is_read_only_docker_command(const std::vector<std::string>& argv) {
  size_t at = 1;
  if (argv.size() > 2 && argv[1] == "--context") {
    at = 3;
  }
  if (argv.size() <= at) {
    return false;
  }
  const std::string& verb = argv[at];
  const std::string object = argv.size() > at + 1 ? argv[at + 1] : "";
  if (verb == "ps" || verb == "info" || verb == "version" || verb == "inspect") {
    return true;
  }
  if ((verb == "network" || verb == "volume" || verb == "image") &&
      (object == "ls" || object == "inspect")) {
    return true;
  }
  // `id` in a throwaway container without network (user_probe_args) only
  // reads which user an image runs as.
  static const std::vector<std::string> k_user_probe = {"run",  "--rm",         "--network",
                                                        "none", "--entrypoint", "id"};
  return argv.size() == at + k_user_probe.size() + 1 &&
         std::equal(k_user_probe.begin(), k_user_probe.end(), argv.begin() + at);
}

std::string too_long_reason(const Command& command, size_t per_value_limit) {
  Longest longest = longest_value(command);
  if (longest.size > per_value_limit) {
    return fmt::format("{} is {} bytes, more than the {} Linux takes in one value", longest.what,
                       longest.size, per_value_limit);
  }
  return fmt::format("its arguments and environment are more than Linux takes in all; the "
                     "longest is {} ({} bytes)",
                     longest.what, longest.size);
}

std::string quote_for_display(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    bool plain = !arg.empty() && arg.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_./:=,@+%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace raylaunch
