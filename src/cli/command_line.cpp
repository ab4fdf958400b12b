// Defines the command line, one function per command: its options, their
// defaults and ranges, its help and example. Nothing here runs a command.
#include "command_line.hpp"

#include <fmt/format.h>

#include "option_values.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace raylaunch::cli {

namespace {

// The longest wait an option may ask for: a day.
constexpr int64_t k_max_seconds = 86400;

// The options every command takes, before or after its name: the program and
// each command define them on the same variables (the command's show in its
// --help). After `logs`, `-f` is --follow, so there the spec is --file only.
// Without `docker`, --docker and --context are still accepted (on the
// program) but left out of the command's help.
void add_globals(CLI::App& app, Options& o, bool docker, bool short_file = true) {
  CommonOptions& common = o.common;
  const char* group = "Global options (before or after the command)";
  app.add_option(short_file ? "-f,--file" : "--file", common.file,
                 "The cluster spec (default: raylaunch.yml here)")
      ->group(group);
  app.add_option("-p,--project-name", common.project_name,
                 "The project's name (default: the spec's name:)")
      ->group(group);
  if (docker) {
    app.add_option("--docker", common.docker,
                   "The docker program (default: $RAYLAUNCH_DOCKER or docker)")
        ->group(group);
    app.add_option("--context", common.context, "The Docker context to use")->group(group);
    app.add_option("--host", common.hosts,
                   "Without a spec: another Docker engine the project has nodes on "
                   "(ssh://, tcp://, unix://); repeatable")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(group);
    app.add_option("--progress", o.engine.progress,
                   "auto (plain when CI=true or stderr is not a terminal), tty, plain or json")
        ->check(CLI::IsMember({"auto", "tty", "plain", "json"}))
        ->group(group);
  }
  app.add_flag("--verbose", common.verbose,
               "Log every docker command with its exit status and time on stderr")
      ->group(group);
  app.add_option("--log-level", common.log_level,
                 "debug (as --verbose), info (up's decisions), warn or off; "
                 "default: $RAYLAUNCH_LOG_LEVEL, else off")
      ->check(CLI::IsMember({"debug", "info", "warn", "off"}))
      ->group(group);
}

// The help's closing lines: an example, then where the global options go.
void with_example(CLI::App& command, const std::string& example) {
  command.footer(fmt::format("Example:\n  {}\n\n{}", example, k_global_rule));
}

// A subcommand of `parent` with the global options.
CLI::App* subcommand(CLI::App& parent, Options& o, const char* name, const char* help,
                     bool docker = true) {
  CLI::App* command = parent.add_subcommand(name, help);
  add_globals(*command, o, docker, std::string_view(name) != "logs");
  return command;
}

// The commands that change the cluster take the project's lock.
void add_lock(CLI::App& command, EngineOptions& engine) {
  command
      .add_option("--lock-timeout", engine.lock_timeout,
                  "Seconds to wait for another raylaunch on this project (default 300)")
      ->check(whole_number(0, k_max_seconds));
}

CLI::App* define_config(CLI::App& app, Options& o) {
  CLI::App* config = subcommand(app, o, "config", "Print the resolved plan of the spec", false);
  config->add_option("--format", o.config.format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}));
  config->add_flag("-q,--quiet", o.config.quiet, "Only validate; print nothing");
  with_example(*config, "raylaunch config -f cluster.yml --format json");
  return config;
}

// `up`'s options that `run` shares.
void add_up_options(CLI::App& command, UpCommand& up, EngineOptions& engine) {
  command
      .add_option("--timeout", up.timeout, "Seconds to wait for every node to join (default 180)")
      ->check(whole_number(1, k_max_seconds));
  command.add_option("--parallel", up.parallel, "Docker commands at once (default 8)")
      ->check(whole_number(1, 64));
  add_lock(command, engine);
}

CLI::App* define_up(CLI::App& app, Options& o) {
  CLI::App* up =
      subcommand(app, o, "up", "Create or converge the cluster, wait until Ray has every node");
  up->add_flag("--dry-run", o.up.dry_run, "Print the docker commands, run none");
  up->add_flag("--no-wait", o.up.no_wait,
               "Return when the containers run, before Ray has every node");
  up->add_flag("-d,--detach", o.up.no_wait,
               "Same as --no-wait (compose's habit; the nodes always run detached)");
  up->add_flag("--wait", o.up.wait, "Wait until Ray has every node (the default)");
  CLI::Option* force = up->add_flag("--force-recreate", o.up.force_recreate,
                                    "Re-create every container, changed or not");
  up->add_flag("--no-recreate", o.up.no_recreate,
               "Never re-create an existing container; only create missing ones")
      ->excludes(force);
  add_up_options(*up, o.up, o.engine);
  with_example(*up, "raylaunch -f cluster.yml up --timeout 300");
  return up;
}

CLI::App* define_down(CLI::App& app, Options& o) {
  CLI::App* down = subcommand(app, o, "down", "Remove the cluster's containers and network");
  down->add_option("-t,--timeout", o.down.timeout, "Seconds to wait for Ray to stop (default 10)")
      ->check(whole_number(0, 3600));
  down->add_flag("-v,--volumes", o.down.volumes, "Also remove the project's volumes");
  add_lock(*down, o.engine);
  with_example(*down, "raylaunch down -p demo -v");
  return down;
}

CLI::App* define_status(CLI::App& app, Options& o) {
  CLI::App* status = subcommand(app, o, "status", "Show the containers and Ray's view of them");
  status->alias("ps");
  status->add_flag("--json", o.engine.json, "Print a JSON document");
  with_example(*status, "raylaunch ps -f cluster.yml --json");
  return status;
}

CLI::App* define_logs(CLI::App& app, Options& o) {
  CLI::App* logs = subcommand(app, o, "logs", "Show a node's log (every node's without NODE)");
  logs->add_option("node", o.logs.node, "The node: head, GROUP-N, or a container name");
  logs->add_flag("-f,--follow", o.logs.follow,
                 "Keep printing new lines (of every node without NODE), until Ctrl-C");
  logs->add_option("--tail", o.logs.tail, "Only the last N lines (or all)")->check(tail_lines());
  logs->add_flag("-t,--timestamps", o.logs.timestamps, "Docker's RFC 3339 time before each line");
  logs->add_option("--since", o.logs.since,
                   "Only lines since a time (2025-01-02T13:23:37Z) or a while (42m), as docker");
  with_example(*logs, "raylaunch -f cluster.yml logs cpu-2 -f --tail 100");
  return logs;
}

CLI::App* define_exec(CLI::App& app, Options& o) {
  CLI::App* exec = subcommand(app, o, "exec", "Run a command in a node: exec NODE -- CMD...");
  exec->add_option("node", o.exec.node, "The node: head, GROUP-N, or a container name")->required();
  exec->add_flag("-T,--no-TTY", o.exec.no_tty,
                 "No tty, even on a terminal (the default only when stdin and stdout are one)");
  exec->add_flag("-i,--interactive", o.exec.interactive,
                 "Pass stdin on (always done, as with docker compose exec)");
  exec->add_option("-e,--env", o.exec.env, "KEY=VALUE (or KEY, from here) in the command's "
                                           "environment; repeatable")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) {
            return value.empty() || value.front() == '='
                       ? fmt::format("expected KEY=VALUE or KEY, got \"{}\"", value)
                       : std::string();
          },
          "KEY=VALUE"));
  exec->add_option("-w,--workdir", o.exec.workdir, "The folder to run the command in");
  exec->add_option("-u,--user", o.exec.user, "The user to run as: NAME or UID[:GID]");
  exec->add_option("command", o.exec.command, "The command and its arguments")->required();
  with_example(*exec, "raylaunch exec head -- ray status");
  return exec;
}

// The job options `submit` and `run` share; `--` ends them, then the entrypoint.
void add_job_options(CLI::App& command, SubmitOptions& submit) {
  command.add_option("--submission-id", submit.submission_id,
                     "The job's id (default: one Ray makes)");
  command.add_option("--working-dir", submit.working_dir,
                     "A local folder, shipped to the cluster; the job runs in it");
  command.add_option("--runtime-env-json", submit.runtime_env_json,
                     "Ray's runtime_env as JSON, e.g. '{\"env_vars\": {\"A\": \"1\"}}'");
  command
      .add_option("--entrypoint-num-cpus", submit.entrypoint_num_cpus,
                  "CPUs reserved for the entrypoint")
      ->check(decimal_number(0, 100000));
  command
      .add_option("--entrypoint-num-gpus", submit.entrypoint_num_gpus,
                  "GPUs reserved for the entrypoint")
      ->check(decimal_number(0, 64));
  command.add_option("--metadata", submit.metadata, "KEY=VALUE attached to the job; repeatable")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) {
            std::size_t equals = value.find('=');
            return equals != std::string::npos && equals > 0
                       ? std::string()
                       : fmt::format("expected KEY=VALUE, got \"{}\"", value);
          },
          "KEY=VALUE"));
  command.add_option("entrypoint", submit.entrypoint, "The job's command, after --")->required();
}

CLI::App* define_submit(CLI::App& app, Options& o) {
  CLI::App* submit =
      subcommand(app, o, "submit", "Run a job on the cluster through Ray's Jobs API");
  CLI::Option* no_wait = submit->add_flag(
      "--no-wait", o.submit.no_wait, "Print the submission id and return; do not follow the job");
  submit
      ->add_flag_callback(
          "--wait", [&o] { o.submit.no_wait = false; },
          "Follow the job's log until it ends; exit 0 only if it succeeded (the default)")
      ->excludes(no_wait);
  add_job_options(*submit, o.submit);
  with_example(*submit, "raylaunch submit -f cluster.yml --working-dir . -- python smoke.py");
  return submit;
}

// `job status|logs|stop ID`: the action is the subcommand's name.
CLI::App* define_job(CLI::App& app, Options& o) {
  CLI::App* job =
      app.add_subcommand("job", "Ask about or stop a submitted job: status, logs, stop");
  job->require_subcommand(1);
  const std::pair<const char*, const char*> actions[] = {
      {"status", "Print the job's status (and Ray's message)"},
      {"logs", "Print the job's log"},
      {"stop", "Stop the job"}};
  for (const auto& [name, help] : actions) {
    CLI::App* action = subcommand(*job, o, name, help);
    action->add_option("id", o.job.id, "The submission id")->required();
    with_example(*action, fmt::format("raylaunch job {} raysubmit_XYZ{}", name,
                                      std::string_view(name) == "logs" ? " -f" : ""));
  }
  job->get_subcommand("logs")->add_flag("-f,--follow", o.job.follow, "Keep printing new lines");
  with_example(*job, "raylaunch job logs raysubmit_XYZ -f");
  return job;
}

CLI::App* define_run(CLI::App& app, Options& o) {
  CLI::App* run = subcommand(app, o, "run", "up, submit a job and follow it, then down");
  run->add_flag("--keep", o.run.keep, "Leave the cluster up afterwards");
  run->add_flag("--keep-on-failure", o.run.keep_on_failure,
                "Leave the cluster when it did not come up, to look at it");
  run->add_option("--junit", o.run.junit, "Write a JUnit XML report to FILE");
  add_up_options(*run, o.run.up, o.engine);
  add_job_options(*run, o.run.submit);
  with_example(*run, "raylaunch run -f cluster.yml --junit report.xml -- python smoke.py");
  return run;
}

CLI::App* define_autoscale(CLI::App& app, Options& o) {
  CLI::App* autoscale = subcommand(
      app, o, "autoscale",
      "Scale the groups with max_replicas on Ray's demand, until Ctrl-C (the controller)");
  autoscale->add_flag("--once", o.autoscale.once, "Run one round, then exit (for cron and tests)");
  add_lock(*autoscale, o.engine);
  with_example(*autoscale, "raylaunch autoscale -f cluster.yml --log-level info");
  return autoscale;
}

// `export kuberay|compose`: the cluster as a file for another engine; the
// subcommand given names the target.
CLI::App* define_export(CLI::App& app, Options& o) {
  CLI::App* out = app.add_subcommand("export", "Write the cluster for KubeRay or compose");
  CLI::App* kuberay = subcommand(*out, o, "kuberay", "A KubeRay RayCluster (ray.io/v1)", false);
  kuberay->add_option("--namespace", o.exporting.kube_namespace, "The RayCluster's namespace");
  with_example(*kuberay, "raylaunch export kuberay -f cluster.yml --namespace ray -o rc.yaml");
  CLI::App* compose =
      subcommand(*out, o, "compose", "A compose file (docker-compose 1.29, compose v2)", false);
  with_example(*compose, "raylaunch export compose -f cluster.yml -o compose.yml");
  for (CLI::App* target : {kuberay, compose}) {
    target->add_option("-o,--output", o.exporting.output, "Write to FILE (default: stdout)");
    target->callback([&o, target] { o.exporting.target = target->get_name(); });
  }
  out->require_subcommand(1);
  return out;
}

// `serve deploy [FILE]|status|shutdown`: Serve on the running cluster.
void define_serve(CLI::App& app, Options& o) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Deploy, show or shut down Ray Serve's apps; the containers are not touched");
  serve->require_subcommand(1);
  CLI::App* deploy = subcommand(*serve, o, "deploy", "Deploy a Serve config (default: serve:)");
  deploy->add_option("file", o.serve.file, "A Serve config file, as serve deploy takes it");
  deploy->add_flag("--no-wait", o.serve.no_wait, "Return once Serve took the config");
  deploy->add_option("--timeout", o.serve.timeout, "Seconds to wait for RUNNING (default 180)")
      ->check(whole_number(1, k_max_seconds));
  with_example(*deploy, "raylaunch serve deploy -f cluster.yml other_app.yaml");
  CLI::App* status = subcommand(*serve, o, "status", "Print Serve's apps and deployments");
  status->add_flag("--json", o.serve.json, "Print JSON");
  with_example(*status, "raylaunch serve status -f cluster.yml");
  CLI::App* shutdown = subcommand(*serve, o, "shutdown", "Shut Serve down, every app with it");
  shutdown->add_option("--timeout", o.serve.shutdown_timeout,
                       "Seconds to wait for Serve to stop (default 60)")
      ->check(whole_number(1, k_max_seconds));
  with_example(*shutdown, "raylaunch serve shutdown -f cluster.yml");
  for (CLI::App* action : {deploy, status, shutdown}) {
    action->callback([&o, action] { o.serve.action = action->get_name(); });
  }
}

}  // namespace

Commands define_commands(CLI::App& app, Options& o) {
  add_globals(app, o, true);
  Commands commands{define_config(app, o), define_up(app, o),     define_down(app, o),
                    define_status(app, o), define_logs(app, o),   define_exec(app, o),
                    define_submit(app, o), define_job(app, o),    define_run(app, o),
                    define_autoscale(app, o)};
  define_export(app, o);
  define_serve(app, o);
  define_tools(app, o.tool);
  return commands;
}

}  // namespace raylaunch::cli
