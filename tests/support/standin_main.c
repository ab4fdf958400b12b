/*
 * standin_main.c - raylaunch's "ray stand-in": a TEST FIXTURE, not Ray.
 *
 * Real Ray cannot be installed where raylaunch's tests run, so this small
 * static program is installed as /usr/local/bin/ray in a test image
 * (see scripts/standin-image.sh). It imitates the parts of Ray 2.52 that
 * raylaunch drives or reads, closely enough to test cluster bring-up in
 * Docker, and no more:
 *
 *   ray start [options]      head (--head) or worker (--address=H:P); makes
 *                            Ray's session folders under /tmp/ray
 *   ray status [--address=H:P]
 *   ray job submit|status|logs|stop   (speaks the head's HTTP Jobs API)
 *   ray stop [-f|--force] [-g N|--grace-period N]
 *   ray --version
 *
 * The head keeps a table of nodes (ALIVE, and DEAD once they leave), prints
 * it in the layout of Ray's `ray status`, and serves a small part of Ray's
 * dashboard HTTP API (/api/v0/nodes, health, version, cluster status, Jobs,
 * package uploads) from the same single-threaded poll() loop. Jobs run as
 * `sh -c ENTRYPOINT` in the head's container, in their unpacked working_dir
 * when they have one. It runs no tasks and has no object store.
 * Every node listens on its node and object manager ports, as Ray's
 * raylet, and the head health-checks each worker at the address it
 * advertises, as Ray's GCS: when it joins and then periodically.
 * `ray start` refuses what Ray's refuses (option types, reserved ports,
 * worker ranges, head-only options, labels, GPUs, /dev/shm) with Ray's
 * words and exit status, and a worker that loses its head retries for
 * RAY_gcs_rpc_server_reconnect_timeout_s before it exits, as Ray's raylet.
 * Nodes talk a tiny line protocol over TCP; tests/support/README.md
 * describes it and lists what is imitated and what is not.
 *
 * Its files, by concern (they share standin.h):
 *   standin_main.c      main, the option tables, `ray job` and `ray stop`
 *   standin_util.c      time, errors, Python's number syntax, strings, files
 *   standin_json.c      a JSON parser and writer
 *   standin_cli.c       signals, option parsing
 *   standin_session.c   node ids, tokens, session folders, protocol replies
 *   standin_nodes.c     the head's node table, `ray status` text
 *   standin_jobs.c      jobs: state, processes, logs; packages on disk
 *   standin_gcs.c       the GCS port's line protocol: joins, health checks
 *   standin_http.c      the dashboard's HTTP server, token gate, dispatch
 *   standin_http_api.c  GET /api/v0/nodes and the Jobs API
 *   standin_head.c      the head's poll loop, listeners and ports
 *   standin_checks.c    what `ray start` refuses
 *   standin_start.c     `ray start`: the head and the worker
 *   standin_client.c    `ray status`, the Jobs API client
 *   standin_serve*.c    Ray Serve: its REST API, apps, replicas, proxy (standin_serve.h)
 *
 * Build: scripts/standin-image.sh (musl-gcc -static, every standin_*.c).
 */
#include "standin.h"

/* The options real `ray start` accepts (Ray 2.52), and only those. */
const struct opt_spec START_OPTS[] = {
    {"--node-ip-address", OPT_VALUE},
    {"--address", OPT_VALUE},
    {"--port", OPT_INT},
    {"--node-name", OPT_VALUE},
    {"--redis-username", OPT_VALUE},
    {"--redis-password", OPT_VALUE},
    {"--redis-shard-ports", OPT_VALUE},
    {"--object-manager-port", OPT_INT},
    {"--node-manager-port", OPT_INT},
    {"--min-worker-port", OPT_INT},
    {"--max-worker-port", OPT_INT},
    {"--worker-port-list", OPT_VALUE},
    {"--ray-client-server-port", OPT_INT},
    {"--memory", OPT_INT},
    {"--object-store-memory", OPT_INT},
    {"--num-cpus", OPT_INT},
    {"--num-gpus", OPT_INT},
    {"--resources", OPT_VALUE},
    {"--head", OPT_FLAG},
    {"--include-dashboard", OPT_BOOL},
    {"--dashboard-host", OPT_VALUE},
    {"--dashboard-port", OPT_INT},
    {"--dashboard-agent-listen-port", OPT_INT},
    {"--dashboard-agent-grpc-port", OPT_INT},
    {"--runtime-env-agent-port", OPT_INT},
    {"--block", OPT_FLAG},
    {"--plasma-directory", OPT_VALUE},
    {"--object-spilling-directory", OPT_VALUE},
    {"--autoscaling-config", OPT_VALUE},
    {"--no-redirect-output", OPT_FLAG},
    {"--temp-dir", OPT_VALUE},
    {"--system-config", OPT_JSON},
    {"--enable-object-reconstruction", OPT_FLAG},
    {"--metrics-export-port", OPT_INT},
    {"--no-monitor", OPT_FLAG},
    {"--tracing-startup-hook", OPT_VALUE},
    {"--ray-debugger-external", OPT_FLAG},
    {"--disable-usage-stats", OPT_FLAG},
    {"--labels", OPT_VALUE},
    {"--labels-file", OPT_VALUE},
    {"--include-log-monitor", OPT_BOOL},
    {"--enable-resource-isolation", OPT_FLAG},
    {"--system-reserved-cpu", OPT_FLOAT},
    {"--system-reserved-memory", OPT_INT},
    {"--cgroup-path", OPT_VALUE},
    {"--log-style", OPT_CHOICE},
    {"--log-color", OPT_CHOICE},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

const struct opt_spec STATUS_OPTS[] = {
    {"--address", OPT_VALUE},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

const struct opt_spec STOP_OPTS[] = {
    {"-f", OPT_FLAG},
    {"--force", OPT_FLAG},
    {"-g", OPT_INT},
    {"--grace-period", OPT_INT},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

const struct opt_spec JOB_SUBMIT_OPTS[] = {
    {"--address", OPT_VALUE},
    {"--job-id", OPT_VALUE},
    {"--submission-id", OPT_VALUE},
    {"--runtime-env", OPT_VALUE},
    {"--runtime-env-json", OPT_VALUE},
    {"--working-dir", OPT_VALUE},
    {"--metadata-json", OPT_VALUE},
    {"--entrypoint-num-cpus", OPT_FLOAT},
    {"--entrypoint-num-gpus", OPT_FLOAT},
    {"--entrypoint-memory", OPT_INT},
    {"--entrypoint-resources", OPT_VALUE},
    {"--entrypoint-label-selector", OPT_VALUE},
    {"--no-wait", OPT_FLAG},
    JOB_COMMON_OPTS,
};
const struct opt_spec JOB_STATUS_OPTS[] = {
    {"--address", OPT_VALUE},
    JOB_COMMON_OPTS,
};
const struct opt_spec JOB_LOGS_OPTS[] = {
    {"--address", OPT_VALUE},
    {"-f", OPT_FLAG},
    {"--follow", OPT_FLAG},
    JOB_COMMON_OPTS,
};
const struct opt_spec JOB_STOP_OPTS[] = {
    {"--address", OPT_VALUE},
    {"--no-wait", OPT_FLAG},
    JOB_COMMON_OPTS,
};

int cmd_job(int argc, char **argv)
{
    static const char *submit_values[COUNT(JOB_SUBMIT_OPTS)];
    static const char *status_values[COUNT(JOB_STATUS_OPTS)];
    static const char *logs_values[COUNT(JOB_LOGS_OPTS)];
    static const char *stop_values[COUNT(JOB_STOP_OPTS)];
    static struct command subs[] = {
        {"job submit", "Submits a job to be run on the cluster.", JOB_SUBMIT_OPTS,
         COUNT(JOB_SUBMIT_OPTS), submit_values, "ENTRYPOINT...", 1, -1, NULL, 0},
        {"job status", "Queries for the current status of a job.", JOB_STATUS_OPTS,
         COUNT(JOB_STATUS_OPTS), status_values, "JOB_ID", 1, 1, NULL, 0},
        {"job logs", "Gets the logs of a job.", JOB_LOGS_OPTS, COUNT(JOB_LOGS_OPTS),
         logs_values, "JOB_ID", 1, 1, NULL, 0},
        {"job stop", "Attempts to stop a job.", JOB_STOP_OPTS, COUNT(JOB_STOP_OPTS),
         stop_values, "JOB_ID", 1, 1, NULL, 0},
    };
    size_t i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 1 || strcmp(argv[0], "--help") == 0) {
        if (argc < 1) {
            fprintf(stderr, "Usage: ray job [OPTIONS] COMMAND [ARGS]...\n"
                            "Try 'ray job --help' for help.\n\nError: Missing command.\n");
            return 2;
        }
        printf("Usage: ray job [OPTIONS] COMMAND [ARGS]...\n\n"
               "  Submit, stop, delete, or list Ray jobs.\n"
               "  (raylaunch's ray stand-in for tests; this is not Ray.)\n\nCommands:\n");
        for (i = 0; i < COUNT(subs); i++)
            printf("  %-7s %s\n", subs[i].name + 4, subs[i].summary);
        return 0;
    }
    for (i = 0; i < COUNT(subs); i++) {
        struct command *cmd = &subs[i];
        if (strcmp(argv[0], cmd->name + 4) != 0)
            continue;
        parse_options(cmd, argc - 1, argv + 1);
        switch (i) {
        case 0: return job_submit(cmd);
        case 1: return job_status(cmd);
        case 2: return job_logs(cmd);
        default: return job_stop_cmd(cmd);
        }
    }
    fprintf(stderr, "Usage: ray job [OPTIONS] COMMAND [ARGS]...\n"
                    "Try 'ray job --help' for help.\n\nError: No such command '%s'.\n",
            argv[0]);
    return 2;
}

/* ------------------------------------------------------------------ */
/* ray stop                                                            */
/* ------------------------------------------------------------------ */

/* Is pid a live (not zombie) stand-in process? */
int standin_alive(pid_t pid)
{
    char path[64], buf[512];
    FILE *f;

    if (kill(pid, 0) != 0 && errno != EPERM)
        return 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 1; /* no /proc: trust kill() */
    if (fgets(buf, sizeof buf, f) != NULL) {
        /* "pid (comm) S ...": the state follows the last ')'. */
        char *rp = strrchr(buf, ')');
        char *lp = strchr(buf, '(');
        fclose(f);
        if (rp == NULL || lp == NULL)
            return 1;
        if (rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
            return 0;
        /* A recycled pid belonging to something else is not ours. */
        return (size_t)(rp - lp - 1) == 3 && strncmp(lp + 1, "ray", 3) == 0;
    }
    fclose(f);
    return 1;
}

int cmd_stop(const struct command *cmd)
{
    int force = opt(cmd, "-f") != NULL || opt(cmd, "--force") != NULL;
    const char *g = opt(cmd, "--grace-period") ? opt(cmd, "--grace-period") : opt(cmd, "-g");
    long grace = DEFAULT_GRACE_S, pid;
    char text[32];
    int64_t deadline;

    if (g != NULL && (parse_long(g, &grace) != 0 || grace < 0))
        fail(1, "--grace-period must be a non-negative integer, got '%s'.", g);
    if (read_small_file(PID_FILE, text, sizeof text) != 0 ||
        parse_long(text, &pid) != 0 || pid <= 0 || pid == (long)getpid() ||
        !standin_alive((pid_t)pid)) {
        printf("Did not find any active Ray processes.\n");
        return 0;
    }
    kill((pid_t)pid, force ? SIGKILL : SIGTERM);
    deadline = now_ms() + grace * 1000;
    while (standin_alive((pid_t)pid) && now_ms() < deadline)
        sleep_ms(100);
    if (standin_alive((pid_t)pid)) {
        printf("Stopped only 0 out of 1 Ray processes within the grace period "
               "%ld seconds. Remaining processes [%ld] will be forcefully "
               "terminated.\n",
               grace, pid);
        kill((pid_t)pid, SIGKILL);
        return 0;
    }
    printf("Stopped all 1 Ray processes.\n");
    return 0;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

void top_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "Usage: ray [OPTIONS] COMMAND [ARGS]...\n"
                    "Try 'ray --help' for help.\n\nError: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *start_values[COUNT(START_OPTS)];
    static const char *status_values[COUNT(STATUS_OPTS)];
    static const char *stop_values[COUNT(STOP_OPTS)];
    static struct command commands[] = {
        {"start", "Start Ray processes manually on the local machine.", START_OPTS,
         COUNT(START_OPTS), start_values, NULL, 0, 0, NULL, 0},
        {"status", "Print cluster status, including autoscaling info.", STATUS_OPTS,
         COUNT(STATUS_OPTS), status_values, NULL, 0, 0, NULL, 0},
        {"stop", "Stop Ray processes manually on the local machine.", STOP_OPTS,
         COUNT(STOP_OPTS), stop_values, NULL, 0, 0, NULL, 0},
    };
    size_t i;

    if (argc < 2)
        top_usage_error("Missing command.%s", "");
    if (strcmp(argv[1], "--version") == 0) {
        printf("ray, version " STANDIN_VERSION " (raylaunch ray stand-in for tests)\n");
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0) {
        printf("Usage: ray [OPTIONS] COMMAND [ARGS]...\n\n"
               "  raylaunch's ray stand-in for tests; this is not Ray.\n\n"
               "Options:\n  --version\n  --help\n\nCommands:\n");
        for (i = 0; i < COUNT(commands); i++)
            printf("  %-7s %s\n", commands[i].name, commands[i].summary);
        printf("  %-7s %s\n", "job", "Submit, stop, delete, or list Ray jobs.");
        return 0;
    }
    if (argv[1][0] == '-')
        top_usage_error("No such option: %s", argv[1]);

    if (strcmp(argv[1], "job") == 0) {
        cli_startup_delay();
        return cmd_job(argc - 2, argv + 2);
    }
    for (i = 0; i < COUNT(commands); i++) {
        struct command *cmd = &commands[i];
        if (strcmp(argv[1], cmd->name) != 0)
            continue;
        if (i == 1)
            cli_startup_delay(); /* ray start pays none: see the README */
        parse_options(cmd, argc - 2, argv + 2);
        if (i == 0)
            return cmd_start(cmd);
        if (i == 1)
            return cmd_status(cmd);
        return cmd_stop(cmd);
    }
    top_usage_error("No such command '%s'.", argv[1]);
    return 2;
}
