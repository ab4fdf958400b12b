// The argv of each docker call the engine makes, and the readers of the
// answers that need more than a line: public, so unit tests assert exact
// commands and parse Docker's real output.
#include <raylaunch/engine/docker_engine.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>

namespace raylaunch {

namespace {

const char* k_ps_format =
    "{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label \"io.raylaunch.role\"}}\t"
    "{{.Label \"io.raylaunch.group\"}}\t{{.Label \"io.raylaunch.replica\"}}\t"
    "{{.Label \"io.raylaunch.config-hash\"}}\t{{.Label \"io.raylaunch.cpus\"}}\t"
    "{{.Label \"io.raylaunch.gpus\"}}\t{{.Label \"io.raylaunch.dashboard\"}}\t"
    "{{.Label \"io.raylaunch.hosts\"}}\t{{.Label \"io.raylaunch.host\"}}";

const char* k_inspect_format =
    "{{.Id}}\t{{.Name}}\t{{.Image}}\t{{.State.Status}}\t{{.RestartCount}}\t"
    "{{.State.ExitCode}}\t{{.State.StartedAt}}\t"
    "{{range $name, $net := .NetworkSettings.Networks}}{{$name}}={{$net.NetworkID}} {{end}}";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) {
    parts.push_back(part);
  }
  if (!text.empty() && text.back() == separator) {
    parts.emplace_back();
  }
  return parts;
}

}  // namespace

std::vector<std::string> ps_args(const std::string& project) {
  return {"ps", "-a", "--no-trunc", "--filter", "label=io.raylaunch.project=" + project, "--format",
          k_ps_format};
}

std::vector<ObservedContainer> parse_ps(const std::string& out) {
  std::vector<ObservedContainer> containers;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      continue;
    }
    std::vector<std::string> fields = split(line, '\t');
    fields.resize(12);
    ObservedContainer c;
    c.id = fields[0];
    c.name = fields[1];
    c.state = fields[2];
    c.role = fields[3];
    c.group = fields[4];
    c.replica = std::atoi(fields[5].c_str());
    c.config_hash = fields[6];
    c.cpus = fields[7];
    c.gpus = fields[8];
    c.dashboard = fields[9];
    c.spec_hosts = fields[10];
    c.host_label = fields[11];
    containers.push_back(std::move(c));
  }
  return containers;
}

std::vector<std::string> network_ls_args(const std::string& project) {
  return {"network", "ls", "--no-trunc", "--filter", "label=io.raylaunch.project=" + project,
          "--format", "{{.Name}}\t{{.ID}}"};
}

std::vector<std::string> network_create_args(const PlannedNetwork& network) {
  std::vector<std::string> args = {"network", "create", "--driver", "bridge"};
  for (const auto& [key, value] : network.labels) {
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  if (network.subnet) {
    args.push_back("--subnet");
    args.push_back(*network.subnet);
  }
  args.push_back(network.name);
  return args;
}

std::vector<std::string> volume_ls_args(const std::string& project) {
  return {"volume", "ls", "--filter", "label=io.raylaunch.project=" + project, "--format",
          "{{.Name}}"};
}

std::vector<std::string> volume_create_args(const std::string& project, const std::string& name) {
  return {"volume", "create", "--label", "io.raylaunch.project=" + project, name};
}

std::vector<std::string> run_args(const Plan& plan, const PlannedContainer& c) {
  std::vector<std::string> args = {"run", "--detach", "--init", "--name", c.name};
  if (plan.network.mode == NetworkMode::host) {
    args.insert(args.end(), {"--network", "host"});
  } else {
    args.insert(args.end(), {"--hostname", c.name, "--network", plan.network.name});
  }
  for (const auto& [key, value] : c.labels) {
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  for (const auto& [key, value] : c.env) {
    args.push_back("--env");
    // A secret's value comes from docker's own environment (run_env).
    args.push_back(c.secret_env.count(key) ? key : key + "=" + value);
  }
  args.push_back("--shm-size");
  args.push_back(std::to_string(c.shm_size));
  if (c.memory) {
    args.push_back("--memory");
    args.push_back(std::to_string(*c.memory));
  }
  if (c.cpus) {
    args.push_back("--cpus");
    args.push_back(fmt::format("{}", *c.cpus));
  }
  if (!c.gpus.empty()) {
    // The quotes are part of the value: the CLI reads `--gpus` as CSV, and
    // without them the comma in "device=0,2" would end the device list.
    std::string devices;
    for (const std::string& gpu : c.gpus) {
      devices += (devices.empty() ? "" : ",") + gpu;
    }
    args.push_back("--gpus");
    args.push_back("\"device=" + devices + "\"");
  }
  args.push_back("--restart");
  args.push_back(restart_to_string(c.restart));
  for (const PortBinding& port : c.ports) {
    args.push_back("--publish");
    args.push_back(port.count > 1 ? fmt::format("{}:{}-{}:{}-{}", port.host_ip, port.host_port,
                                                port.host_port + port.count - 1,
                                                port.container_port,
                                                port.container_port + port.count - 1)
                                  : fmt::format("{}:{}:{}", port.host_ip, port.host_port,
                                                port.container_port));
  }
  for (const Mount& mount : c.mounts) {
    args.push_back("--volume");
    args.push_back(mount.source + ":" + mount.target + (mount.read_only ? ":ro" : ""));
  }
  args.push_back(c.image);
  args.insert(args.end(), c.command.begin(), c.command.end());
  return args;
}

std::map<std::string, std::string> run_env(const PlannedContainer& c) {
  std::map<std::string, std::string> env;
  for (const std::string& key : c.secret_env) {
    env[key] = c.env.at(key);
  }
  return env;
}

std::vector<std::string> image_inspect_args(const std::vector<std::string>& images) {
  std::vector<std::string> args = {"image", "inspect", "--format",
                                   "{{.Id}}\t{{json .Config.User}}"};
  args.insert(args.end(), images.begin(), images.end());
  return args;
}

std::vector<std::string> parse_missing_images(const std::string& err,
                                              const std::vector<std::string>& images) {
  std::vector<std::string> missing;
  for (const std::string& image : images) {
    if (err.find("No such image: " + image) != std::string::npos) {
      missing.push_back(image);
    }
  }
  return missing;
}

std::map<std::string, std::string> parse_network_ids(const std::string& out) {
  std::map<std::string, std::string> ids;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields = split(line, '\t');
    if (!fields.empty() && !fields[0].empty()) {
      ids[fields[0]] = fields.size() > 1 ? fields[1] : "";
    }
  }
  return ids;
}

std::vector<std::string> container_inspect_args(const std::vector<std::string>& containers) {
  std::vector<std::string> args = {"inspect", "--type", "container", "--format",
                                   k_inspect_format};
  args.insert(args.end(), containers.begin(), containers.end());
  return args;
}

std::vector<ContainerFacts> parse_container_facts(const std::string& out) {
  std::vector<ContainerFacts> all;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() < 8 || fields[0].empty()) {
      continue;
    }
    ContainerFacts facts;
    facts.id = fields[0];
    facts.name = fields[1].substr(fields[1].rfind('/') == 0 ? 1 : 0);
    facts.image_id = fields[2];
    facts.state = fields[3];
    facts.restart_count = std::atoi(fields[4].c_str());
    facts.exit_code = std::atoi(fields[5].c_str());
    facts.started_at = fields[6];
    std::istringstream networks(fields[7]);
    for (std::string pair; networks >> pair;) {
      size_t equals = pair.find('=');
      if (equals != std::string::npos) {
        facts.networks[pair.substr(0, equals)] = pair.substr(equals + 1);
      }
    }
    all.push_back(std::move(facts));
  }
  return all;
}

std::string log_since_of(const std::string& started_at) {
  // 2026-01-05T10:11:12.123456789Z, always UTC: docker's StartedAt.
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  if (std::sscanf(started_at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour,
                  &minute, &second, &used) != 6 ||
      year < 1970) {
    return "";
  }
  std::string fraction;
  size_t at = static_cast<size_t>(used);
  if (at < started_at.size() && started_at[at] == '.') {
    while (++at < started_at.size() && std::isdigit(static_cast<unsigned char>(started_at[at]))) {
      fraction += started_at[at];
    }
  }
  if (at + 1 != started_at.size() || started_at[at] != 'Z') {
    return "";
  }
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(timegm(&utc)) - 1;
  fraction = (fraction + "000000000").substr(0, 9);
  return fmt::format("{}.{}", seconds, fraction);
}

}  // namespace raylaunch
