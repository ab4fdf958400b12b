// `logs -f` of every node (see follow.hpp).
#include <raylaunch/engine/follow.hpp>

#include <raylaunch/base/log.hpp>

#include "child.hpp"

#include <signal.h>

#include <algorithm>

namespace raylaunch {

namespace {

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

// Starts every source; if one cannot start, stops those already started.
std::vector<child::Child> start_all(const std::vector<LogSource>& sources) {
  std::vector<child::Child> children;
  try {
    for (const LogSource& source : sources) {
      log_debug(quote_for_display(source.argv));
      children.push_back(child::spawn(source.argv, child::Piped::together));
    }
  } catch (...) {
    for (const child::Child& started : children) {
      ::kill(started.pid, SIGTERM);
      child::wait_for(started.pid);
    }
    throw;
  }
  return children;
}

}  // namespace

std::string log_prefix(const std::string& name, size_t width) {
  return name + std::string(width + 1 - std::min(width, name.size()), ' ') + " | ";
}

int follow_logs(const std::vector<LogSource>& sources, std::ostream& out,
                const std::atomic<int>& signal) {
  size_t width = 0;
  for (const LogSource& source : sources) {
    width = std::max(width, source.name.size());
  }
  std::vector<Lines> lines;
  for (const LogSource& source : sources) {
    lines.push_back({log_prefix(source.name, width), ""});
  }
  child::SigpipeIgnored failed_writes;  // a reader that goes away is a failed write
  std::vector<child::Child> children = start_all(sources);
  std::vector<int> pipes;
  for (const child::Child& each : children) {
    pipes.push_back(each.out);
  }
  bool written = true;
  child::read_all(
      pipes,
      [&](size_t i, std::string_view data) {
        written = write_lines(lines[i], data, out) && written;
        return true;
      },
      [&] { return written && signal.load() == 0; });
  bool stopped = !written || signal.load() != 0;
  int failed = 0;
  for (size_t i = 0; i < children.size(); ++i) {
    if (!lines[i].partial.empty() && written) {
      written = write_lines(lines[i], "\n", out);
    }
    if (stopped) {
      ::kill(children[i].pid, SIGTERM);  // those still following
    }
    failed = std::max(failed, child::wait_for(children[i].pid));
  }
  if (int caught = signal.load(); caught != 0) {
    return 128 + caught;
  }
  return !written || failed != 0 ? 1 : 0;
}

}  // namespace raylaunch
