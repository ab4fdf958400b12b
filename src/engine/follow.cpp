// `logs -f` of every node (see follow.hpp).
#include <raylaunch/engine/follow.hpp>

#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

#include "child.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sstream>

namespace raylaunch {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long a container whose log ended may take to show it restarts (its
// engine marks it `restarting` at once, but the log can end first).
constexpr auto k_restart_grace = 2s;
constexpr auto k_state_every = 250ms;

// Lines of one source: what came after its last whole line waits for the rest.
struct Lines {
  std::string prefix;
  std::string partial;
};

// Writes the whole lines of `data`, keeping a part line for later.
bool write_lines(Lines& lines, std::string_view data, std::ostream& out) {
  lines.partial.append(data);
  size_t start = 0;
  for (size_t end = lines.partial.find('\n'); end != std::string::npos;
       end = lines.partial.find('\n', start)) {
    out << lines.prefix << std::string_view(lines.partial).substr(start, end + 1 - start);
    start = end + 1;
  }
  lines.partial.erase(0, start);
  return static_cast<bool>(out.flush());
}

// One node's log: the docker that follows it now, or the wait for its restart.
struct Followed {
  const LogSource* source = nullptr;
  Lines lines;
  child::Child docker;  // pid -1 when none runs
  bool waiting = false;  // its log ended: does the container come back?
  Clock::time_point ended;
  Clock::time_point asked;
  bool done = false;
};

// The container's "status restarting exit-code started-at", read with
// `runner`; empty when it cannot be read (removed).
std::vector<std::string> state_of(CommandRunner& runner, const LogSource& source) {
  CommandResult result = runner.run({source.state_argv, engine_timeout(), {}});
  std::vector<std::string> fields;
  std::istringstream words(result.exit_code == 0 ? result.out : "");
  for (std::string word; words >> word;) {
    fields.push_back(word);
  }
  return fields.size() == 4 ? fields : std::vector<std::string>{};
}

void stop(Followed& each) {
  if (each.docker.pid > 0) {
    ::kill(each.docker.pid, SIGTERM);
  }
}

}  // namespace

std::string log_prefix(const std::string& name, size_t width) {
  return name + std::string(width + 1 - std::min(width, name.size()), ' ') + " | ";
}

int follow_logs(const std::vector<LogSource>& sources, std::ostream& out,
                const std::atomic<int>& signal, CommandRunner* runner, std::ostream* notes) {
  size_t width = 0;
  for (const LogSource& source : sources) {
    width = std::max(width, source.name.size());
  }
  child::SigpipeIgnored failed_writes;  // a reader that goes away is a failed write
  std::vector<Followed> followed(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    followed[i].source = &sources[i];
    followed[i].lines.prefix = log_prefix(sources[i].name, width);
  }
  try {
    for (Followed& each : followed) {
      log_debug(quote_for_display(each.source->argv));
      each.docker = child::spawn(each.source->argv, child::Piped::together);
    }
  } catch (...) {
    for (Followed& each : followed) {
      if (each.docker.pid > 0) {
        stop(each);
        child::wait_for(each.docker.pid);
        ::close(each.docker.out);
      }
    }
    throw;
  }
  bool written = true;
  int failed = 0;
  char buffer[65536];
  auto ended = [&](Followed& each) {
    ::close(each.docker.out);
    if (!each.lines.partial.empty() && written) {
      written = write_lines(each.lines, "\n", out);
    }
    int code = child::wait_for(each.docker.pid);
    each.docker = {};
    bool restartable = runner != nullptr && !each.source->state_argv.empty();
    if (code != 0 || !restartable || signal.load() != 0) {
      failed = std::max(failed, code);
      each.done = true;
      return;
    }
    each.waiting = true;
    each.ended = Clock::now();
    each.asked = Clock::time_point{};
  };
  // While a node waits: back when it runs again (its log from its new start),
  // gone for good when it stays stopped, or was removed.
  auto look = [&](Followed& each) {
    if (Clock::now() - each.asked < k_state_every) {
      return;
    }
    each.asked = Clock::now();
    std::vector<std::string> state = state_of(*runner, *each.source);
    if (!state.empty() && state[0] == "running") {
      std::vector<std::string> argv = each.source->resume_argv;
      argv.insert(argv.end(), {"--since", state[3], each.source->name});
      log_debug(quote_for_display(argv));
      each.docker = child::spawn(argv, child::Piped::together);
      each.waiting = false;
      return;
    }
    bool coming_back = !state.empty() && (state[0] == "restarting" || state[1] == "true");
    if (coming_back || Clock::now() - each.ended < k_restart_grace) {
      return;
    }
    each.waiting = false;
    each.done = true;
    if (notes != nullptr) {
      *notes << (state.empty()
                     ? fmt::format("raylaunch: {} was removed; its log ends here\n",
                                   each.source->name)
                     : fmt::format("raylaunch: {} stopped for good (exit {}); its log ends here\n",
                                   each.source->name, state[2]))
             << std::flush;
    }
  };
  for (;;) {
    if (!written || signal.load() != 0) {
      break;
    }
    std::vector<pollfd> polled;
    std::vector<Followed*> owners;
    bool any = false;
    for (Followed& each : followed) {
      if (each.waiting) {
        look(each);
      }
      if (each.docker.pid > 0) {
        polled.push_back({each.docker.out, POLLIN, 0});
        owners.push_back(&each);
      }
      any = any || !each.done;
    }
    if (!any) {
      break;
    }
    if (::poll(polled.data(), polled.size(), 100) < 0) {
      if (errno == EINTR) {
        continue;  // a signal: the loop looks at it
      }
      break;
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      if (polled[i].revents == 0) {
        continue;
      }
      ssize_t got = ::read(polled[i].fd, buffer, sizeof(buffer));
      if (got > 0) {
        written = write_lines(owners[i]->lines, std::string_view(buffer, static_cast<size_t>(got)),
                              out) &&
                  written;
      } else if (!(got < 0 && errno == EINTR)) {
        ended(*owners[i]);
      }
    }
  }
  for (Followed& each : followed) {
    if (each.docker.pid > 0) {
      if (!each.lines.partial.empty() && written) {
        written = write_lines(each.lines, "\n", out);
      }
      stop(each);  // those still following
      failed = std::max(failed, child::wait_for(each.docker.pid));
      ::close(each.docker.out);
    }
  }
  if (int caught = signal.load(); caught != 0) {
    return 128 + caught;
  }
  return !written || failed != 0 ? 1 : 0;
}

}  // namespace raylaunch
