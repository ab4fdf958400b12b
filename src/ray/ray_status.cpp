// `up --wait` and `status` need Ray's own count of live nodes; `ray status`
// is the one command every Ray image has, so its text is parsed here.
#include <raylaunch/ray/ray_status.hpp>

#include <cstdlib>
#include <sstream>

namespace raylaunch {

RayStatus parse_ray_status(const std::string& text) {
  RayStatus status;
  enum class Section { none, alive, pending, failures, usage } section = Section::none;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.rfind("======== Autoscaler status", 0) == 0) {
      status.has_status = true;
      continue;
    }
    if (line.empty() || line[0] != ' ') {
      if (line == "Active:" || line == "Idle:" || line == "Healthy:") {
        section = Section::alive;
      } else if (line == "Pending:") {
        section = Section::pending;
      } else if (line == "Recent failures:") {
        section = Section::failures;
      } else if (line == "Total Usage:" || line == "Usage:") {
        section = Section::usage;
      } else {
        section = Section::none;
      }
      continue;
    }
    std::string item = line.substr(1);
    if (item.empty() || item[0] == '(') {
      continue;  // "(no pending nodes)" and the like
    }
    switch (section) {
      case Section::alive: {
        // " 1 node_<id>" or, grouped by node type, " 3 worker-group"
        char* end = nullptr;
        long count = std::strtol(item.c_str(), &end, 10);
        status.alive += end != item.c_str() && count > 0 ? static_cast<int>(count) : 1;
        break;
      }
      case Section::pending:
        ++status.pending;
        break;
      case Section::failures:
        ++status.failed;
        break;
      case Section::usage: {
        // " 0.0/192.0 CPU"
        size_t slash = item.find('/');
        size_t space = item.find(' ', slash);
        if (slash != std::string::npos && space != std::string::npos) {
          double total = std::atof(item.substr(slash + 1, space - slash - 1).c_str());
          std::string what = item.substr(space + 1);
          if (what == "CPU") {
            status.cpus_total = total;
          } else if (what == "GPU") {
            status.gpus_total = total;
          }
        }
        break;
      }
      case Section::none:
        break;
    }
  }
  return status;
}

}  // namespace raylaunch
