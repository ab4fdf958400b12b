/* standin_jobs.c - the ray stand-in (a test fixture, not Ray): jobs: their state, processes and logs; packages on disk. */
#include "standin.h"

/* ------------------------------------------------------------------ */
/* The head: jobs (Ray's Jobs API). An entrypoint runs as `sh -c` in   */
/* its own session, output to the session's logs/job-driver-ID.log.    */
/* ------------------------------------------------------------------ */

const char *const JOB_STATE_NAMES[] = {"PENDING", "RUNNING", "STOPPED",
                                              "SUCCEEDED", "FAILED"};


struct job **g_jobs;
size_t g_njobs, g_jobs_cap;

/* --- packages: what Ray keeps in the GCS, the stand-in keeps in       */
/* session_.../packages/NAME; working dirs unpack into                  */
/* session_.../runtime_resources/working_dir_files/NAME-without-.zip.  */

/* Whether NAME may name a package: 1 to 200 characters, none of them '/'
 * or a control character, no "..", not starting with '.'. */
int pkg_name_ok(const char *name)
{
    size_t len = strlen(name), i;
    if (len == 0 || len > PKG_NAME_MAX || name[0] == '.' || strstr(name, "..") != NULL)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f || name[i] == '/')
            return 0;
    return 1;
}

/* out = the session's folder SUB (made, level by level, when missing)
 * + "/" + NAME. A folder that cannot be made shows when the file is used. */
void session_file(char *out, size_t cap, const char *sub, const char *name)
{
    size_t base = strlen(g_session_dir) + 1, i;
    snprintf(out, cap, "%s/%s", g_session_dir, sub);
    for (i = base;; i++) {
        char c = out[i];
        if (c == '/' || c == '\0') {
            out[i] = '\0';
            mkdir(out, 0777);
            out[i] = c;
            if (c == '\0')
                break;
        }
    }
    snprintf(out + strlen(out), cap - strlen(out), "/%s", name);
}

int job_terminal(const struct job *j)
{
    return j->state == JOB_STOPPED || j->state == JOB_SUCCEEDED || j->state == JOB_FAILED;
}

struct job *find_job(const char *id)
{
    size_t i;
    for (i = 0; i < g_njobs; i++)
        if (strcmp(g_jobs[i]->id, id) == 0)
            return g_jobs[i];
    return NULL;
}

/* Ray's JobInfo.__post_init__ messages. */
void job_message(struct sbuf *b, const struct job *j)
{
    if (j->message != NULL) {
        sbuf_adds(b, j->message);
        return;
    }
    switch (j->state) {
    case JOB_PENDING:
        sbuf_adds(b, "Job has not started yet.");
        if (j->wants_resources)
            sbuf_adds(b, " It may be waiting for resources (CPUs, GPUs, memory, "
                         "custom resources) to become available.");
        if (j->runtime_env != NULL && strcmp(j->runtime_env, "{}") != 0)
            sbuf_adds(b, " It may be waiting for the runtime environment to be set up.");
        break;
    case JOB_RUNNING: sbuf_adds(b, "Job is currently running."); break;
    case JOB_STOPPED: sbuf_adds(b, "Job was intentionally stopped."); break;
    case JOB_SUCCEEDED: sbuf_adds(b, "Job finished successfully."); break;
    case JOB_FAILED: sbuf_adds(b, "Job failed."); break;
    }
}

/* The job as Ray's JobDetails, in its field order. The entrypoint never
 * connects to the cluster, so job_id and driver_info are null, as in Ray
 * for an entrypoint that does not call ray.init(). */
void job_json(struct sbuf *b, const struct job *j)
{
    struct sbuf msg = {NULL, 0, 0};
    job_message(&msg, j);
    sbuf_adds(b, "{\"type\": \"SUBMISSION\", \"job_id\": null, \"submission_id\": ");
    json_strz(b, j->id);
    sbuf_adds(b, ", \"driver_info\": null, \"status\": ");
    json_strz(b, JOB_STATE_NAMES[j->state]);
    sbuf_adds(b, ", \"entrypoint\": ");
    json_strz(b, j->entrypoint);
    sbuf_adds(b, ", \"message\": ");
    json_str(b, msg.data, msg.len);
    sbuf_adds(b, ", \"error_type\": ");
    json_strz(b, j->error_type);
    sbuf_printf(b, ", \"start_time\": %lld, \"end_time\": ", (long long)j->start_time);
    if (j->end_time)
        sbuf_printf(b, "%lld", (long long)j->end_time);
    else
        sbuf_adds(b, "null");
    sbuf_printf(b, ", \"metadata\": %s, \"runtime_env\": %s, \"driver_agent_http_address\": ",
                j->metadata ? j->metadata : "null", j->runtime_env ? j->runtime_env : "null");
    if (j->on_node) {
        sbuf_printf(b, "\"http://%s:%ld\", \"driver_node_id\": \"%s\"",
                    j->node[0] ? j->node_ip : g_head_ip, g_agent_port,
                    j->node[0] ? j->node : g_nodes[0].id + 5);
    } else {
        sbuf_adds(b, "null, \"driver_node_id\": null");
    }
    sbuf_adds(b, ", \"driver_exit_code\": ");
    if (j->has_exit_code)
        sbuf_printf(b, "%d", j->exit_code);
    else
        sbuf_adds(b, "null");
    sbuf_adds(b, "}");
    free(msg.data);
}

/* Reads a job's log as Ray's get_logs: the whole file, or, past
 * RAY_JOB_LOG_MAX_READ_BYTES in the head's environment (16 MiB when unset or
 * not a non-negative integer), its end from the first whole line, after
 * Ray's note. A missing file is an empty log. */
char *read_job_log(const struct job *j, size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    char chunk[65536];
    struct stat st;
    int fd = open(j->log_path, O_RDONLY | O_CLOEXEC);
    long max_read = env_ms("RAY_JOB_LOG_MAX_READ_BYTES", JOB_LOG_MAX_READ);
    ssize_t n;

    sbuf_add(&b, "", 0);
    if (fd < 0) {
        *len = 0;
        return b.data;
    }
    if (fstat(fd, &st) == 0 && st.st_size > max_read) {
        char c;
        lseek(fd, st.st_size - max_read, SEEK_SET);
        while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
        }
        sbuf_printf(&b, "[LOG TRUNCATED \xe2\x80\x94 showing last %.0f MiB of %.1f %s total]\n",
                    max_read / (1024.0 * 1024),
                    st.st_size >= 1024L * 1024 * 1024 ? st.st_size / (1024.0 * 1024 * 1024)
                                                       : st.st_size / (1024.0 * 1024),
                    st.st_size >= 1024L * 1024 * 1024 ? "GiB" : "MiB");
    }
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        sbuf_add(&b, chunk, (size_t)n);
    close(fd);
    *len = b.len;
    return b.data;
}

/* Ray's message for a failed entrypoint: its last 10 log lines, at most
 * 20,000 characters. */
char *failure_message(const struct job *j, int code)
{
    struct sbuf m = {NULL, 0, 0};
    size_t len, start, lines = 0;
    char *log = read_job_log(j, &len);

    start = len;
    while (start > 0) {
        if (log[start - 1] == '\n' && start != len && ++lines == JOB_TAIL_LINES)
            break;
        start--;
    }
    if (len - start > JOB_TAIL_CHARS)
        start = len - JOB_TAIL_CHARS;
    if (len - start > 0) {
        sbuf_printf(&m, "Job entrypoint command failed with exit code %d, last available "
                        "logs (truncated to 20,000 chars):\n", code);
        sbuf_add(&m, log + start, len - start);
    } else {
        sbuf_printf(&m, "Job entrypoint command failed with exit code %d. No logs available.",
                    code);
    }
    free(log);
    return m.data;
}

/* Is the job's demand placed? Notes the node (Ray runs the driver there;
 * the stand-in runs it in the head's container all the same). */
int job_placed(struct job *j)
{
    const char *hex;
    if (standin_demand_placed(j->claim, &hex) == 0)
        return 0;
    snprintf(j->node, sizeof j->node, "%s", hex);
    snprintf(j->node_ip, sizeof j->node_ip, "%s",
             standin_node_ip(hex) ? standin_node_ip(hex) : "");
    return 1;
}

void job_finish(struct job *j, enum job_state state)
{
    standin_demand_release(j->claim); /* its node may turn IDLE */
    j->claim = 0;
    j->state = state;
    j->end_time = wall_ms();
    j->pid = 0;
    j->kill_at = 0;
}

/* In a child of the head: default signals, a new session, stdin from
 * /dev/null, stdout and stderr to outfd. */
void child_setup(int outfd)
{
    struct sigaction sa;
    sigset_t none;
    int devnull;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        if (devnull > 2)
            close(devnull);
    }
    dup2(outfd, 1);
    dup2(outfd, 2);
}

/* PENDING -> RUNNING: starts `sh -c ENTRYPOINT` in a new session. */
void job_launch(struct job *j)
{
    int logfd;
    pid_t pid;
    struct sbuf line = {NULL, 0, 0};

    j->state = JOB_RUNNING;
    j->on_node = 1;
    logfd = open(j->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "PermissionError: [Errno %d] %s: '%s'", errno, strerror(errno),
                    j->log_path);
        j->message = m.data;
        j->error_type = "JOB_ENTRYPOINT_COMMAND_START_ERROR";
        job_finish(j, JOB_FAILED);
        return;
    }
    sbuf_printf(&line, "Running entrypoint for job %s: %s\n", j->id, j->entrypoint);
    if (write(logfd, line.data, line.len) < 0) {
        /* the entrypoint's own output says the rest */
    }
    free(line.data);

    pid = fork();
    if (pid == 0) {
        char addr[128];
        size_t i;

        child_setup(logfd);
        snprintf(addr, sizeof addr, "%s:%ld", g_head_ip, g_gcs_port);
        setenv("RAY_ADDRESS", addr, 1);
        setenv("PYTHONUNBUFFERED", "1", 1);
        for (i = 0; i < j->nenv; i++)
            putenv(j->env[i]);
        if (j->cwd != NULL) {
            /* Ray's working_dir plugin: the folder is the cwd and comes
             * first on PYTHONPATH. */
            const char *pp = getenv("PYTHONPATH");
            struct sbuf path = {NULL, 0, 0};
            sbuf_adds(&path, j->cwd);
            if (pp != NULL && *pp)
                sbuf_printf(&path, ":%s", pp);
            setenv("PYTHONPATH", path.data, 1);
            if (chdir(j->cwd) != 0) {
                fprintf(stderr, "cd: %s: %s\n", j->cwd, strerror(errno));
                _exit(127);
            }
        }
        execl("/bin/sh", "sh", "-c", j->entrypoint, (char *)NULL);
        fprintf(stderr, "sh: %s\n", strerror(errno));
        _exit(127);
    }
    close(logfd);
    if (pid < 0) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "OSError: [Errno %d] %s", errno, strerror(errno));
        j->message = m.data;
        j->error_type = "JOB_ENTRYPOINT_COMMAND_START_ERROR";
        job_finish(j, JOB_FAILED);
        return;
    }
    j->pid = pid;
}

/* A runtime_env that cannot be set up fails the job as Ray's job manager
 * does: the message (and the driver log) get the agent's exception. */
void job_setup_failed(struct job *j, const char *fmt, ...)
{
    struct sbuf m = {NULL, 0, 0};
    char line[1024];
    va_list ap;
    int fd;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sbuf_printf(&m, "runtime_env setup failed: Failed to set up runtime environment.\n"
                    "Traceback (most recent call last):\n"
                    "  (raylaunch's ray stand-in)\n%s\n", line);
    fd = open(j->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, m.data, m.len) < 0) {
            /* the job's message says it all the same */
        }
        close(fd);
    }
    free(j->message);
    j->message = m.data;
    j->error_type = "RUNTIME_ENV_SETUP_FAILURE";
    job_finish(j, JOB_FAILED);
}

/* The folder a working_dir package unpacks to, and the one it is
 * unpacked in first (renamed when complete). */
void workdir_paths(const char *pkg, char *dir, char *tmp, size_t cap)
{
    char stem[PKG_NAME_MAX + 1];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(pkg) - 4), pkg); /* no .zip */
    session_file(dir, cap, "runtime_resources/working_dir_files", stem);
    snprintf(tmp, cap, "%s.unpacking", dir);
}

/* Sets up a due PENDING job's runtime_env (its working_dir): 1 when it
 * may run, 0 while an unzip is under way, -1 when the job failed. */
int job_prepare(struct job *j)
{
    char pkg[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], logpath[PATH_MAX];
    const char *name;
    struct stat st;
    size_t i, len;
    int logfd;
    pid_t pid;

    if (j->working_dir == NULL || j->cwd != NULL)
        return 1;
    len = strlen(j->working_dir);
    name = len >= 6 ? j->working_dir + 6 : "";
    if (strncmp(j->working_dir, "gcs://", 6) != 0 || !pkg_name_ok(name) || len < 11 ||
        strcmp(j->working_dir + len - 4, ".zip") != 0) {
        job_setup_failed(j, "ValueError: the ray stand-in takes a working_dir only as "
                            "gcs://<package>.zip, got '%.300s'", j->working_dir);
        return -1;
    }
    session_file(pkg, sizeof pkg, "packages", name);
    if (stat(pkg, &st) != 0) {
        job_setup_failed(j, "OSError: Failed to download runtime_env file package %s from "
                            "the GCS to the Ray worker node. The package may have prematurely "
                            "been deleted from the GCS due to a long upload time or a problem "
                            "with Ray. Try setting the environment variable "
                            "RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S  to a value larger "
                            "than the upload time in seconds (the default is 600). If this "
                            "fails, try re-running after making any change to a file in the "
                            "file package.", j->working_dir);
        return -1;
    }
    workdir_paths(name, dir, tmp, sizeof dir);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        j->cwd = xstrdup(dir); /* unpacked before, as Ray's URI cache */
        return 1;
    }
    for (i = 0; i < g_njobs; i++)
        if (g_jobs[i]->setup_pid > 0 && strcmp(g_jobs[i]->working_dir, j->working_dir) == 0)
            return 0; /* another job unpacks it: wait for that */

    /* unzip in a child, so the head's loop never waits for it; its output
     * goes to logs/runtime_env_setup-<submission_id>.log. */
    snprintf(logpath, sizeof logpath, "%s/logs/runtime_env_setup-%s.log", g_session_dir, j->id);
    logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid = logfd < 0 ? -1 : fork();
    if (pid == 0) {
        child_setup(logfd);
        execl("/bin/sh", "sh", "-c",
              "rm -rf \"$2\" && mkdir -p \"$2\" && unzip -o -q \"$1\" -d \"$2\" ||"
              " { rm -rf \"$2\"; exit 1; }", "sh", pkg, tmp, (char *)NULL);
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    if (pid < 0) {
        job_setup_failed(j, "OSError: [Errno %d] %s", errno, strerror(errno));
        return -1;
    }
    j->setup_pid = pid;
    return 0;
}

/* The unzip of a job's working_dir ended: the folder is put in place, or
 * the job fails as Ray's does on a package that is not a zip file. */
void job_unpacked(struct job *j, int ok)
{
    char dir[PATH_MAX], tmp[PATH_MAX];

    j->setup_pid = 0;
    workdir_paths(j->working_dir + 6, dir, tmp, sizeof dir);
    if (ok && rename(tmp, dir) != 0 && errno != EEXIST && errno != ENOTEMPTY)
        ok = 0;
    if (!ok && j->state == JOB_PENDING)
        job_setup_failed(j, "zipfile.BadZipFile: File is not a zip file");
    /* else the next jobs_tick finds the folder and starts the job */
}

/* Reaps exited children; a job's exit status decides its end state. */
void reap_children(void)
{
    for (;;) {
        int st;
        size_t i;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        if (gcs_grpc_reaped(pid, st))
            continue;
        for (i = 0; i < g_njobs; i++) {
            struct job *j = g_jobs[i];
            int code;
            if (j->setup_pid == pid) {
                job_unpacked(j, WIFEXITED(st) && WEXITSTATUS(st) == 0);
                break;
            }
            if (j->pid != pid || j->state != JOB_RUNNING)
                continue;
            /* Python's returncode: the exit status, or -signal. */
            code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
            if (j->stop_requested) {
                job_finish(j, JOB_STOPPED);
            } else if (code == 0) {
                j->has_exit_code = 1;
                j->exit_code = 0;
                job_finish(j, JOB_SUCCEEDED);
            } else {
                j->has_exit_code = 1;
                j->exit_code = code;
                j->message = failure_message(j, code);
                j->error_type = "JOB_ENTRYPOINT_COMMAND_ERROR";
                job_finish(j, JOB_FAILED);
            }
            break;
        }
    }
}

/* Starts jobs whose time has come and escalates stops. Returns the next
 * time (monotonic ms) something is due, or 0. */
int64_t jobs_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    for (i = 0; i < g_njobs; i++) {
        struct job *j = g_jobs[i];
        int64_t due = 0;
        if (j->state == JOB_PENDING) {
            if (now < j->launch_at)
                due = j->launch_at;
            else if (j->claim && !job_placed(j))
                ; /* waits for a node with room (res_tick places it) */
            else if (j->setup_pid == 0 && job_prepare(j) > 0)
                job_launch(j);
        }
        if (j->state == JOB_RUNNING && j->kill_at) {
            if (now >= j->kill_at) {
                kill(-j->pid, SIGKILL);
                j->kill_at = 0;
            } else {
                due = j->kill_at;
            }
        }
        if (due && (next == 0 || due < next))
            next = due;
    }
    return next;
}

/* Stops a job as Ray's supervisor does: SIGTERM, SIGKILL 3 s later.
 * Returns whether it was stoppable (not yet terminal). */
int job_stop(struct job *j)
{
    if (job_terminal(j))
        return 0;
    if (j->state == JOB_PENDING) {
        job_finish(j, JOB_STOPPED);
        return 1;
    }
    if (!j->stop_requested) {
        j->stop_requested = 1;
        kill(-j->pid, SIGTERM);
        j->kill_at = now_ms() + JOB_STOP_WAIT_MS;
    }
    return 1;
}

void free_job(struct job *j)
{
    size_t i;
    for (i = 0; i < j->nenv; i++)
        free(j->env[i]);
    free(j->env);
    free(j->id);
    free(j->entrypoint);
    free(j->metadata);
    free(j->runtime_env);
    free(j->working_dir);
    free(j->cwd);
    free(j->message);
    free(j);
}

/* ------------------------------------------------------------------ */
/* The head: connections. Protocol connections (the GCS port) carry    */
/* one request line, or a worker's JOIN for as long as it lives; HTTP  */
/* connections (the dashboard port) carry one request each.            */
/* ------------------------------------------------------------------ */
