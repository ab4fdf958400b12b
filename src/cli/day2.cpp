// The day-2 commands: `logs`, `exec` and `status`. They need only the
// project's name, and find each node on the engine of its host (the spec's
// hosts, or --host without a spec).
#include "commands.hpp"

#include <fmt/format.h>

#include <raylaunch/engine/follow.hpp>
#include <raylaunch/execute/parallel.hpp>

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace raylaunch::cli {

namespace {

// A node as the user names it (`head`, `cpu-2`, or a container name) to its container.
std::string container_of(const std::string& project, const std::string& node) {
  if (node == "head") {
    return project + "-head";
  }
  return node.rfind(project + "-", 0) == 0 ? node : project + "-" + node;
}

// Each engine the project may have nodes on: the one given, or its hosts'.
std::vector<DockerEndpoint> endpoints_of(const DockerEndpoint& endpoint, const Target& target) {
  std::vector<DockerEndpoint> out;
  for (const PlannedHost& host : target.hosts) {
    out.push_back(endpoint.for_host(host));
  }
  return out.empty() ? std::vector<DockerEndpoint>{endpoint} : out;
}

// The project's containers on each engine, asked all at once: a host that
// hangs costs its bound, not the others' answers.
struct Listing {
  std::vector<std::vector<ObservedContainer>> containers;  // by endpoint
  std::vector<std::string> unreachable;                    // by endpoint: why, or ""
};

Listing list_everywhere(CommandRunner& runner, const std::vector<DockerEndpoint>& endpoints,
                        const std::string& project) {
  Listing listing;
  listing.containers.resize(endpoints.size());
  listing.unreachable.resize(endpoints.size());
  std::vector<std::function<void()>> calls;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    calls.emplace_back([&, i] {
      try {
        DockerEngine engine(runner, endpoints[i]);
        listing.containers[i] = engine.containers(project);
      } catch (const ExecError& error) {
        if (endpoints.size() == 1) {
          throw;  // one engine: its error, with its hint, is the whole answer
        }
        listing.unreachable[i] = error.message();
      }
    });
  }
  run_concurrently(calls);
  return listing;
}

// The planned host of `container`, when the spec is at hand; "" otherwise.
std::string planned_host(const Target& target, const std::string& container) {
  if (target.plan) {
    for (const PlannedContainer& c : target.plan->containers) {
      if (c.name == container) {
        return c.host;
      }
    }
  }
  return "";
}

// The endpoint whose engine has `container`: with one engine that one, as
// docker names the missing container itself; else the host that lists it.
// When it is on none that answered, the hosts that did not are named (the
// one the spec puts it on first).
DockerEndpoint endpoint_with(CommandRunner& runner, const std::vector<DockerEndpoint>& endpoints,
                             const Target& target, const std::string& container) {
  if (endpoints.size() == 1) {
    return endpoints.front();
  }
  Listing listing = list_everywhere(runner, endpoints, target.project);
  std::string unreachable;
  std::string home = planned_host(target, container);
  for (size_t i = 0; i < endpoints.size(); ++i) {
    for (const ObservedContainer& c : listing.containers[i]) {
      if (c.name == container) {
        return endpoints[i];
      }
    }
    if (!listing.unreachable[i].empty()) {
      if (!home.empty() && endpoints[i].name == home) {
        throw ExecError(fmt::format("container {} is planned on host \"{}\", which does not "
                                    "answer: {}",
                                    container, home, listing.unreachable[i]),
                        "check that host's engine (`docker info`) and try again");
      }
      unreachable += fmt::format("\n  {}", listing.unreachable[i]);
    }
  }
  if (!unreachable.empty()) {
    throw ExecError(fmt::format("container {} of project \"{}\" is on none of the hosts that "
                                "answered; these did not:{}",
                                container, target.project, unreachable),
                    "check those hosts' engines (`docker info`) and try again");
  }
  throw ExecError(
      fmt::format("no host has container {} of project \"{}\"", container, target.project),
      "`raylaunch status` lists the project's nodes and their hosts");
}

// Every container of the project, by name, each with the engine of its host;
// the hosts whose engine did not answer, with why.
struct Nodes {
  std::vector<std::unique_ptr<DockerEngine>> engines;
  std::vector<std::pair<DockerEngine*, std::string>> containers;
  size_t width = 0;  // the longest name
  std::vector<std::string> unreachable;
};

Nodes nodes_of(CommandRunner& runner, const std::vector<DockerEndpoint>& endpoints,
               const std::string& project) {
  Listing listing = list_everywhere(runner, endpoints, project);
  Nodes nodes;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    nodes.engines.push_back(std::make_unique<DockerEngine>(runner, endpoints[i]));
    for (const ObservedContainer& c : listing.containers[i]) {
      nodes.containers.emplace_back(nodes.engines.back().get(), c.name);
      nodes.width = std::max(nodes.width, c.name.size());
    }
    if (!listing.unreachable[i].empty()) {
      nodes.unreachable.push_back(listing.unreachable[i]);
    }
  }
  std::sort(nodes.containers.begin(), nodes.containers.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  if (nodes.containers.empty() && nodes.unreachable.empty()) {
    throw ExecError(fmt::format("project \"{}\" has no containers", project),
                    "`docker ps --filter label=io.raylaunch.project` lists raylaunch's containers");
  }
  return nodes;
}

// The hosts `logs` could not read, named after every reachable node's lines.
[[noreturn]] void unread_hosts(const Nodes& nodes) {
  std::string why;
  for (const std::string& each : nodes.unreachable) {
    why += (why.empty() ? "" : "\n") + each;
  }
  throw ExecError(fmt::format("the logs of some hosts' nodes could not be read:\n{}", why),
                  "the other nodes' logs are above; run `raylaunch logs` again once those "
                  "hosts answer");
}

// A node named on the command line must be the project's own container: a
// name of ours may be held by a container made by hand or by another
// project whose names overlap, and raylaunch acts only on its own.
void check_ours(DockerEngine& engine, const std::string& project, const std::string& container) {
  std::optional<std::string> owner = engine.owner_of(container);
  if (!owner || *owner == project) {
    return;  // ours, or missing: docker says so itself
  }
  if (owner->empty()) {
    throw ExecError(fmt::format("container {} is not raylaunch's (it has no io.raylaunch.project "
                                "label)",
                                container),
                    fmt::format("raylaunch acts only on project \"{}\"'s own containers; use "
                                "docker itself for this one",
                                project));
  }
  throw ExecError(fmt::format("container {} belongs to raylaunch project \"{}\", not \"{}\"",
                              container, *owner, project),
                  fmt::format("the two projects' names overlap; pass -p {} to reach it", *owner));
}

}  // namespace

int run_logs(const CommonOptions& common, const LogsOptions& options,
             const std::atomic<int>& signal) {
  DockerEndpoint endpoint = endpoint_of(common);
  Target target = target_of(common, endpoint, "logs");
  std::vector<DockerEndpoint> endpoints = endpoints_of(endpoint, target);
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  LogOptions wanted{options.follow, options.tail, options.timestamps, options.since};
  if (!options.node.empty()) {
    std::string container = container_of(target.project, options.node);
    DockerEngine engine(*runner, endpoint_with(*runner, endpoints, target, container));
    check_ours(engine, target.project, container);
    engine.attach_logs(container, wanted);
  }
  Nodes nodes = nodes_of(*runner, endpoints, target.project);
  if (options.follow) {
    std::vector<LogSource> sources;
    for (const auto& [engine, container] : nodes.containers) {
      sources.push_back(engine->log_source(container, wanted));
    }
    if (!nodes.unreachable.empty()) {
      for (const std::string& each : nodes.unreachable) {
        print_diagnostic({Severity::warning, "not followed: " + each, "", std::nullopt});
      }
    }
    return follow_logs(sources, std::cout, signal, runner.get(), &std::cerr);
  }
  bool printed = true;
  for (const auto& [engine, container] : nodes.containers) {
    printed = engine->print_log(container, wanted, nodes.width, std::cout) && printed;
  }
  if (!nodes.unreachable.empty()) {
    std::cout.flush();
    unread_hosts(nodes);
  }
  return printed ? 0 : 1;
}

int run_exec(const CommonOptions& common, const ExecOptions& options,
             const std::atomic<int>& signal) {
  DockerEndpoint endpoint = endpoint_of(common);
  Target target = target_of(common, endpoint, "exec");
  std::unique_ptr<CommandRunner> runner = make_process_runner();
  std::string container = container_of(target.project, options.node);
  DockerEngine engine(*runner,
                      endpoint_with(*runner, endpoints_of(endpoint, target), target, container));
  check_ours(engine, target.project, container);
  // A tty only when both ends are terminals, and -T not given, as compose does.
  bool tty = !options.no_tty && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  ExecRequest request{options.command, options.env, options.workdir, options.user, tty};
  int code = engine.attach_exec(container, request, signal);
  if (signal != 0) {
    // docker exec leaves the command running in the node when it is stopped.
    throw Interrupted(fmt::format("docker exec was stopped; the command may still run in {}: "
                                  "`raylaunch exec {} -- ps` lists its processes",
                                  container, options.node));
  }
  return code;
}

int run_status(const CommonOptions& common, const EngineOptions& engine,
               const std::atomic<bool>& interrupted) {
  Target target{common.project_name, std::nullopt, {}};
  try {
    Session session(common, engine, false, interrupted);
    target = session.aim(common, "status");
    StatusOptions options{engine.json, [](const std::string& error) {
                            print_diagnostic({Severity::error, error, "", std::nullopt});
                          }};
    return session.executor.status(target.project, target.plan ? &*target.plan : nullptr,
                                   options);
  } catch (const Error& e) {
    if (engine.json) {
      // One document on stdout whatever failed; the message goes to stderr too.
      write_status_error(std::cout, target.project, target.plan ? &*target.plan : nullptr,
                         e.message());
    }
    throw;
  }
}

}  // namespace raylaunch::cli
