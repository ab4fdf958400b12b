// Where raylaunch runs the commands whose output it reads whole; the only
// file that includes Boost.Process. (Those that share the terminal, `exec`
// and `logs -f`, are started in child.cpp.) stdout and stderr are read concurrently through asio so a
// child that fills one pipe while we read the other cannot deadlock us.
#include <raylaunch/engine/command_runner.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <fmt/format.h>

#include <raylaunch/base/error.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

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


boost::filesystem::path program_of(const Command& command) {
  boost::filesystem::path program = command.argv.at(0);
  if (command.argv[0].find('/') == std::string::npos) {
    program = bp::search_path(command.argv[0]);
    if (program.empty()) {
      throw ExecError(fmt::format("program \"{}\" not found", command.argv[0]),
                      "install it or pass its path");
    }
  }
  return program;
}

bp::environment environment_of(const Command& command) {
  bp::environment env = boost::this_process::environment();
  for (const auto& [name, value] : command.env) {
    env[name] = value;
  }
  return env;
}

void check_started(const Command& command, const std::error_code& start_error) {
  if (start_error) {
    failed_to_start(command, start_error);
  }
}

// Copies `source` into `sink` until either ends, counting bytes. It runs on
// a thread of its own that blocks SIGPIPE, so a reader that quits early gives
// a failed write here rather than killing raylaunch.
uint64_t pump(bp::ipstream& source, bp::opstream& sink,
              const std::function<void(uint64_t)>& on_bytes) {
  uint64_t bytes = 0;
  std::thread worker([&] {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    std::vector<char> buffer(1 << 20);
    while (source.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) ||
           source.gcount() > 0) {
      if (!sink.write(buffer.data(), source.gcount()) || !sink.flush()) {
        break;
      }
      bytes += static_cast<uint64_t>(source.gcount());
      on_bytes(bytes);
    }
    sink.pipe().close();  // the reader sees the end
    source.pipe().close();  // and a writer still at it gets EPIPE, not a hang
  });
  worker.join();
  return bytes;
}

class ProcessRunner final : public CommandRunner {
 public:
  PipeResult pipe(const Command& from, const Command& to,
                  const std::function<void(uint64_t)>& on_bytes) override {
    boost::asio::io_context io;
    std::future<std::string> from_err;
    std::future<std::string> to_out;
    std::future<std::string> to_err;
    // Each pipe is made just before the child it is for, so that the other
    // child never inherits an end of it: `load` holding the write end of
    // `save`'s output would keep us from ever seeing its end.
    bp::opstream sink;
    std::error_code start_error;
    bp::group reader_group;  // as in run(): the terminal's Ctrl-C is raylaunch's
    bp::child reader(bp::exe = program_of(to), bp::args = std::vector<std::string>(
                                                   to.argv.begin() + 1, to.argv.end()),
                     bp::std_in < sink, bp::std_out > to_out, bp::std_err > to_err,
                     environment_of(to), io, reader_group, start_error);
    check_started(to, start_error);
    bp::ipstream source;
    bp::group writer_group;
    bp::child writer(bp::exe = program_of(from), bp::args = std::vector<std::string>(
                                                     from.argv.begin() + 1, from.argv.end()),
                     bp::std_in.close(), bp::std_out > source, bp::std_err > from_err,
                     environment_of(from), io, writer_group, start_error);
    check_started(from, start_error);
    std::thread errors([&] { io.run(); });
    PipeResult result;
    result.bytes = pump(source, sink, on_bytes);
    std::error_code ignored;
    writer.wait(ignored);
    reader.wait(ignored);
    writer_group.detach();
    reader_group.detach();
    errors.join();
    result.from = {writer.exit_code(), "", from_err.get(), false};
    result.to = {reader.exit_code(), to_out.get(), to_err.get(), false};
    return result;
  }

  CommandResult run(const Command& command) override {
    boost::filesystem::path program = program_of(command);
    std::vector<std::string> args(command.argv.begin() + 1, command.argv.end());
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    std::error_code start_error;
    bp::environment env = environment_of(command);
    // A process group of its own: the terminal's Ctrl-C reaches raylaunch,
    // which decides when docker stops, and a child past its bound is killed
    // with everything it started.
    bp::group group;
    bp::child child(bp::exe = program, bp::args = args, bp::std_in.close(), bp::std_out > out,
                    bp::std_err > err, env, io, group, start_error);
    check_started(command, start_error);
    CommandResult result;
    if (command.timeout) {
      io.run_for(*command.timeout);
      if (!io.stopped()) {
        result.timed_out = true;
        result.bound = *command.timeout;
        std::error_code ignored;
        group.terminate(ignored);
        io.run();
      }
    } else {
      io.run();
    }
    if (!result.timed_out) {
      group.detach();  // what the child left running is not ours to kill
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

  PipeResult pipe(const Command& from, const Command& to,
                  const std::function<void(uint64_t)>&) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << quote_for_display(from.argv) << " | " << quote_for_display(to.argv) << '\n';
    return {};
  }

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

PipeResult CommandRunner::pipe(const Command& from, const Command&,
                               const std::function<void(uint64_t)>&) {
  throw ExecError(fmt::format("cannot stream the output of \"{}\" here", from.argv.at(0)),
                  "this runner runs single commands only");
}

std::unique_ptr<CommandRunner> make_process_runner() { return std::make_unique<ProcessRunner>(); }

std::unique_ptr<CommandRunner> make_printing_runner(std::ostream& out, CommandRunner* reader) {
  return std::make_unique<PrintingRunner>(out, reader);
}

bool is_read_only_docker_command(const std::vector<std::string>& argv) {
  size_t at = 1;
  if (argv.size() > 2 && (argv[1] == "--context" || argv[1] == "--host")) {
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
