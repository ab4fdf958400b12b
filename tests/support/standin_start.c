/* standin_start.c - the ray stand-in (a test fixture, not Ray): `ray start`: the head and the worker. */
#include "standin.h"
#include "standin_serve.h"

/* ------------------------------------------------------------------ */
/* ray start: what a node has (both kinds)                             */
/* ------------------------------------------------------------------ */


/* Bytes this container may still use, as Ray's estimate_available_memory:
 * MemAvailable, capped by a cgroup limit. */
double available_memory(void)
{
    char line[256];
    double avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            long long kb;
            if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
                avail = (double)kb * 1024;
        }
        fclose(f);
    }
    {
        char limit[64] = "", usage[64] = "";
        long long lim, use;
        if ((read_small_file("/sys/fs/cgroup/memory.max", limit, sizeof limit) == 0 &&
             read_small_file("/sys/fs/cgroup/memory.current", usage, sizeof usage) == 0) ||
            (read_small_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", limit,
                             sizeof limit) == 0 &&
             read_small_file("/sys/fs/cgroup/memory/memory.usage_in_bytes", usage,
                             sizeof usage) == 0)) {
            if (sscanf(limit, "%lld", &lim) == 1 && sscanf(usage, "%lld", &use) == 1 &&
                lim < (1LL << 60) && lim > use && (avail == 0 || (double)(lim - use) < avail))
                avail = (double)(lim - use);
        }
    }
    return avail;
}

void read_node_spec(const struct command *cmd, struct node_spec *s)
{
    const char *res = opt(cmd, "--resources");
    long mem = -1, osm = -1;
    double avail;

    memset(s, 0, sizeof *s);
    s->cpus = opt_count(cmd, "--num-cpus", sysconf(_SC_NPROCESSORS_ONLN));
    s->gpus = opt_count(cmd, "--num-gpus", 0);
    if (res != NULL) {
        char err[200], *frag;
        if (object_fragment(res, 1, &frag, err, sizeof err) != 0)
            fail(1, "--resources must be a JSON object such as "
                    "'{\"accel\": 1}', got '%s'.", res);
        if (strstr(frag, "\"CPU\":") || strstr(frag, "\"GPU\":"))
            fail(1, "Use the --num-cpus and --num-gpus arguments instead of "
                    "--resources for CPU and GPU.");
        s->resources_json = xmalloc(strlen(frag) + 3);
        sprintf(s->resources_json, "{%s}", frag);
        free(frag);
    }
    if (opt(cmd, "--labels") != NULL)
        s->labels_json = labels_option(opt(cmd, "--labels"));
    mem = opt_count(cmd, "--memory", -1);
    osm = opt_count(cmd, "--object-store-memory", -1);
    /* Ray's defaults: 30% of the available memory for the object store
     * (capped: default_object_store), the rest for tasks. */
    avail = (mem < 0 || osm < 0) ? available_memory() : 0;
    s->object_store_memory = osm >= 0 ? (double)osm : default_object_store(avail);
    if (mem >= 0)
        s->memory = (double)mem;
    else if (avail > s->object_store_memory)
        s->memory = (double)(long long)(avail - s->object_store_memory);
}

/* ------------------------------------------------------------------ */
/* ray start: the head                                                 */
/* ------------------------------------------------------------------ */

int start_head(const struct command *cmd, const struct node_spec *spec, int block)
{
    char node_id[NODE_ID_LEN + 1], text[32], gcs[128];
    long port = DEFAULT_PORT, dport = DEFAULT_DASHBOARD_PORT, nm, om;
    const char *given_ip = opt(cmd, "--node-ip-address");
    const char *dhost = opt(cmd, "--dashboard-host");
    const char *dash = opt(cmd, "--include-dashboard");
    int lfd, hfd = -1, want_dashboard = dash == NULL || strcmp(dash, "true") == 0, head_nm;

    if (opt(cmd, "--address") != NULL)
        fail(1, "--address cannot be used with --head (the ray stand-in has "
                "no external GCS); use --port to choose the head's port.");
    if (opt(cmd, "--port") != NULL &&
        (parse_long(opt(cmd, "--port"), &port) != 0 || port < 0 || port > 65535))
        fail(1, "--port must be between 0 and 65535, got '%s'.", opt(cmd, "--port"));
    if (opt(cmd, "--dashboard-port") != NULL &&
        (parse_long(opt(cmd, "--dashboard-port"), &dport) != 0 || dport < 1 || dport > 65535))
        fail(1, "--dashboard-port must be between 1 and 65535, got '%s'.",
             opt(cmd, "--dashboard-port"));
    g_agent_port = opt_count(cmd, "--dashboard-agent-listen-port", DEFAULT_AGENT_PORT);
    nm = port_option(cmd, "--node-manager-port");
    om = port_option(cmd, "--object-manager-port");
    if (dhost == NULL || *dhost == '\0')
        dhost = "127.0.0.1"; /* Ray's default: the dashboard only on localhost */
    g_head_token = head_required_token();
    g_gcs_port = port;
    g_job_start_ms = env_ms("RAY_STANDIN_JOB_START_MS", DEFAULT_JOB_START_MS);
    g_health_timeout_ms = env_ms("RAY_STANDIN_HEALTH_TIMEOUT_MS", DEFAULT_HEALTH_TIMEOUT_MS);
    g_health_period_ms = env_ms("RAY_STANDIN_HEALTH_PERIOD_MS", DEFAULT_HEALTH_PERIOD_MS);
    serve_init();
    print_standin_note();

    if (given_ip != NULL)
        snprintf(g_head_ip, sizeof g_head_ip, "%s", given_ip);
    else
        detect_node_ip(g_head_ip, sizeof g_head_ip);
    printf("Local node IP: %s\n", g_head_ip); /* Ray prints it before its Node starts */

    /* Ray's Node: the pre-selected ports, then the raylet's GPUs and
     * object store (the stand-in checks them before it makes anything). */
    check_ports(cmd, port);
    check_gpus(cmd);
    check_object_store(spec->object_store_memory);

    raise_fd_limit();
    lfd = listen_on(NULL, (int)port);
    if (lfd < 0)
        fail(1, "cannot listen on port %ld: %s", port, strerror(errno));
    if (port == 0) { /* Ray's --port=0: a port the system picks */
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(lfd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        g_gcs_port = port;
    }
    snprintf(gcs, sizeof gcs, "%s:%ld", g_head_ip, port);
    new_session_name();
    create_session(gcs);
    head_nm = bind_node_ports(nm, om); /* the head's raylet, after its GCS */
    if (block && want_dashboard) {
        hfd = listen_on(dhost, (int)dport);
        if (hfd < 0)
            fprintf(stderr, "Failed to start the dashboard: cannot listen on %s:%ld: %s. "
                            "The cluster runs without it.\n",
                    dhost, dport, strerror(errno));
    }
    if (want_dashboard && (!block || hfd >= 0)) {
        int any = strcmp(dhost, "0.0.0.0") == 0 || strcmp(dhost, "::") == 0;
        snprintf(g_webui, sizeof g_webui, strchr(any ? g_head_ip : dhost, ':') ? "[%s]:%ld"
                                                                                  : "%s:%ld",
                 any ? g_head_ip : dhost, dport);
    }

    printf("\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "Next steps\n"
           "  To add another node to this Ray cluster, run\n"
           "    ray start --address='%s:%ld'\n\n"
           "  To connect to this Ray cluster:\n"
           "    import ray\n"
           "    ray.init()\n\n",
           g_head_ip, port);
    if (g_webui[0])
        printf("  To submit a Ray job using the Ray Jobs CLI:\n"
               "    RAY_ADDRESS='http://%s' ray job submit --working-dir . -- python "
               "my_script.py\n\n",
               g_webui);
    printf("  To terminate the Ray runtime, run\n"
           "    ray stop\n\n"
           "  To view the status of the cluster, use\n"
           "    ray status\n");
    if (g_webui[0])
        printf("\n  To monitor and debug Ray, view the dashboard at\n"
               "    %s\n",
               g_webui);
    if (!block) {
        /* Nothing stays running, so no state files are written. */
        close(lfd);
        close_node_ports();
        return 0;
    }

    make_node_id(node_id);
    {
        char host[256] = "";
        struct node *me;
        char err[200], *frag;
        gethostname(host, sizeof host - 1);
        me = add_node(node_id, spec->cpus, spec->gpus, host, -1);
        me->is_head = 1;
        snprintf(me->ip, sizeof me->ip, "%s", g_head_ip); /* its advertised address */
        me->nm_port = head_nm; /* the head does not health-check itself */
        free(me->name);
        me->name = xstrdup(opt(cmd, "--node-name") && *opt(cmd, "--node-name")
                               ? opt(cmd, "--node-name") : g_head_ip);
        me->memory = spec->memory;
        me->object_store_memory = spec->object_store_memory;
        if (spec->resources_json &&
            object_fragment(spec->resources_json, 1, &frag, err, sizeof err) == 0) {
            free(me->resources);
            me->resources = frag;
        }
        if (spec->labels_json &&
            object_fragment(spec->labels_json, 0, &frag, err, sizeof err) == 0) {
            free(me->labels);
            me->labels = frag;
        }
    }
    {
        struct node *me = &g_nodes[0];
        const char *v;
        if ((v = getenv("RAY_CLOUD_INSTANCE_ID")) != NULL)
            snprintf(me->instance_id, sizeof me->instance_id, "%s", v);
        if ((v = getenv("RAY_NODE_TYPE_NAME")) != NULL)
            snprintf(me->node_type, sizeof me->node_type, "%s", v);
        if ((v = getenv("RAY_CLOUD_INSTANCE_TYPE_NAME")) != NULL)
            snprintf(me->instance_type, sizeof me->instance_type, "%s", v);
    }
    g_idle_after_ms = env_ms("RAY_STANDIN_IDLE_AFTER_MS", DEFAULT_IDLE_AFTER_MS);
    g_drain_exit_ms = env_ms("RAY_STANDIN_DRAIN_EXIT_MS", DEFAULT_DRAIN_EXIT_MS);
    g_gcs_old = env_ms("RAY_STANDIN_GCS_OLD", 0) == 1;
    gcs_grpc_start(); /* Ray's GCS serves its gRPC services on this port */
    write_pid_file();
    snprintf(text, sizeof text, "%ld\n", port);
    if (write_small_file(PORT_FILE, text) == 0)
        g_wrote_port_file = 1;
    else
        fprintf(stderr, "warning: cannot write %s: %s\n", PORT_FILE, strerror(errno));
    print_block_banner();
    serve(lfd, hfd);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ray start: a worker                                                 */
/* ------------------------------------------------------------------ */

/* Connects to the head, retrying every RETRY_INTERVAL_MS while it is not
 * reachable yet (name not resolvable, connection refused, ...). */
int connect_with_retry(const char *host, const char *port)
{
    int64_t start = now_ms(), last_report = -RETRY_REPORT_MS - 1;
    char err[512] = "";

    for (;;) {
        int fd = connect_once(host, port, err, sizeof err);
        int64_t t = now_ms();
        if (fd >= 0)
            return fd;
        if (t - start >= RETRY_GIVE_UP_MS) {
            fprintf(stderr,
                    "Error: could not reach the head node at %s:%s within %d "
                    "seconds (%s).\n",
                    host, port, RETRY_GIVE_UP_MS / 1000, err);
            exit(1);
        }
        if (t - last_report >= RETRY_REPORT_MS) {
            fprintf(stderr, "Waiting for the head node at %s:%s: %s\n", host,
                    port, err);
            last_report = t;
        }
        sleep_ms(RETRY_INTERVAL_MS);
    }
}

/* Reads the head's one-line reply on fd (as read_reply), answering the
 * head's health checks on the node's own ports meanwhile: the head
 * checks a JOIN before it replies. NULL on a timeout. */
char *read_reply_serving(int fd, int timeout_ms)
{
    struct sbuf b = {NULL, 0, 0};
    int64_t deadline = now_ms() + timeout_ms;

    sbuf_add(&b, "", 0);
    for (;;) {
        struct pollfd pfds[3] = {{fd, POLLIN, 0},
                                 {g_node_lfds[0], POLLIN, 0},
                                 {g_node_lfds[1], POLLIN, 0}};
        int left = (int)(deadline - now_ms()), i;
        int ready = left > 0 ? poll(pfds, 3, left) : 0;
        char ch;
        ssize_t n;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            free(b.data);
            return NULL;
        }
        for (i = 1; i < 3; i++)
            if (pfds[i].revents & POLLIN)
                answer_health(pfds[i].fd);
        if (!(pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, &ch, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sbuf_add(&b, &ch, 1);
        if (ch == '\n')
            break;
    }
    return b.data;
}

void auth_failed(void)
{
    fail(1, "authentication failed: the token does not match the head's "
            "(set RAY_AUTH_TOKEN to the cluster's token).");
}

/* Sends the JOIN line on fd and returns the head's one-line answer ("" when
 * the connection ended, NULL when none came in time), answering health
 * checks meanwhile: the head checks a JOIN before it answers, within
 * RAY_STANDIN_HEALTH_TIMEOUT_MS (the head's; the same variable here). */
char *send_join(int fd, const struct sbuf *line)
{
    long check_ms = env_ms("RAY_STANDIN_HEALTH_TIMEOUT_MS", DEFAULT_HEALTH_TIMEOUT_MS);
    if (write_all(fd, line->data, line->len) != 0)
        return xstrdup("");
    return read_reply_serving(fd, REPLY_TIMEOUT_MS + (int)(check_ms < 600000 ? check_ms
                                                                              : 600000));
}

/* Ray's raylet, told by the GCS that it was marked dead: it exits. */
/* The node's identity as Ray's raylet reads it from its environment:
 * RAY_CLOUD_INSTANCE_ID, RAY_NODE_TYPE_NAME, RAY_CLOUD_INSTANCE_TYPE_NAME. */
void identity_fields(struct sbuf *join)
{
    static const char *const vars[][2] = {{"iid", "RAY_CLOUD_INSTANCE_ID"},
                                          {"ntype", "RAY_NODE_TYPE_NAME"},
                                          {"itype", "RAY_CLOUD_INSTANCE_TYPE_NAME"}};
    size_t i;
    for (i = 0; i < COUNT(vars); i++) {
        const char *v = getenv(vars[i][1]);
        if (v == NULL || *v == '\0')
            continue;
        sbuf_printf(join, " %s=", vars[i][0]);
        pct_encode(join, v);
    }
}

/* The head said the GCS drained this node and it is idle: as Ray's raylet,
 * it exits (status 0), and `ray start --block`, seeing it gone with an
 * expected status, kills the rest and exits 0. */
void drained_exit(void)
{
    char path[PATH_MAX];
    FILE *f;
    g_leave_fd = -1;
    snprintf(path, sizeof path, "%s/logs/raylet.out", g_session_dir);
    if ((f = fopen(path, "a")) != NULL) {
        fprintf(f, "The node is drained and idle: the raylet exits.\n");
        fclose(f);
    }
    fprintf(stderr, "\n");
    cli_line("ERR", 1263, "Remaining processes will be killed.");
    exit(0);
}

void marked_dead(void)
{
    g_leave_fd = -1;
    fprintf(stderr, "[Timeout] Exiting because this node manager has mistakenly been "
                    "marked as dead by the GCS: GCS failed to check the health of this "
                    "node for %d times. This is likely because the machine or raylet "
                    "has become overloaded.\n",
            HEALTH_FAILURE_THRESHOLD);
    exit(1);
}

/* The raylet gave up on its GCS after the reconnect window: Ray's raylet
 * line (in Ray it goes to logs/raylet.out; the stand-in writes it there and
 * to stderr), then what `ray start --block` prints when its raylet dies. */
void gcs_gone(long window_s)
{
    struct sbuf m = {NULL, 0, 0};
    char path[PATH_MAX];
    FILE *f;
    sbuf_printf(&m, "Failed to connect to GCS within %ld seconds. GCS may have been killed. "
                    "It's either GCS is terminated by `ray stop` or is killed unexpectedly. "
                    "If it is killed unexpectedly, see the log file gcs_server.out. "
                    "https://docs.ray.io/en/master/ray-observability/user-guides/"
                    "configure-logging.html#logging-directory-structure. The program will "
                    "terminate.",
                window_s);
    snprintf(path, sizeof path, "%s/logs/raylet.out", g_session_dir);
    if ((f = fopen(path, "a")) != NULL) {
        fprintf(f, "%s\n", m.data);
        fclose(f);
    }
    fprintf(stderr, "%s\n", m.data);
    cli_line("ERR", 1254, "Some Ray subprocesses exited unexpectedly:");
    cli_line("ERR", 1258, g_log_pretty ? "  raylet [exit code=1]" : "raylet [exit code=1]");
    cli_line("ERR", 1263, "Remaining processes will be killed.");
    exit(1);
}

int start_worker(const struct command *cmd, const struct node_spec *spec, int block)
{
    const char *address = opt(cmd, "--address");
    const char *token = client_token();
    char host[256], port[8], node_id[NODE_ID_LEN + 1], hostname[256] = "";
    char ip[64] = "127.0.0.1", me[80];
    struct sbuf line = {NULL, 0, 0}, join = {NULL, 0, 0};
    char *reply;
    int fd, nm_port;
    long nm, om, window_s;
    int64_t lost_at = 0, next_try = 0;

    /* --address and the head-only options: check_worker_options */
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "--address must look like HOST:PORT, got '%s'.", address);
    nm = port_option(cmd, "--node-manager-port");
    om = port_option(cmd, "--object-manager-port");

    print_standin_note();
    gethostname(hostname, sizeof hostname - 1);
    if (hostname[0] == '\0' || strpbrk(hostname, " \t\r\n") != NULL)
        snprintf(hostname, sizeof hostname, "unknown");
    make_node_id(node_id);

    if (block)
        write_pid_file(); /* early, so that `ray stop` works while waiting */

    /* As Ray's raylet: the session name comes from the head, then the
     * session folders, then the node registers. */
    fd = connect_with_retry(host, port);
    sbuf_printf(&line, "SESSION%s%s\n", token ? " " : "", token ? token : "");
    if (write_all(fd, line.data, line.len) != 0)
        fail(1, "lost the connection to the head node at %s:%s while joining.", host, port);
    free(line.data);
    reply = read_reply(fd, 1, REPLY_TIMEOUT_MS);
    close(fd);
    if (reply != NULL && strncmp(reply, "ERR unauthenticated", 19) == 0)
        auth_failed();
    if (reply == NULL || strncmp(reply, "SESSION session_", 16) != 0 ||
        strlen(reply) >= sizeof g_session_name + 8)
        fail(1, "the head node at %s:%s did not tell its session name.", host, port);
    reply[strcspn(reply, "\n")] = '\0';
    snprintf(g_session_name, sizeof g_session_name, "%s", reply + 8);
    free(reply);

    /* Ray's Node: the pre-selected ports, then the raylet's GPUs and object
     * store (the stand-in checks them before it makes its folders). */
    check_ports(cmd, -1);
    check_gpus(cmd);
    check_object_store(spec->object_store_memory);
    create_session(NULL);

    /* The raylet starts (its ports bound, a port in use ends it here),
     * then registers. */
    nm_port = bind_node_ports(nm, om);
    fd = connect_with_retry(host, port);
    if (opt(cmd, "--node-ip-address") != NULL) {
        snprintf(ip, sizeof ip, "%s", opt(cmd, "--node-ip-address"));
    } else {
        struct sockaddr_storage mine;
        socklen_t len = sizeof mine;
        if (getsockname(fd, (struct sockaddr *)&mine, &len) == 0)
            getnameinfo((struct sockaddr *)&mine, len, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST);
    }
    sbuf_printf(&join, "JOIN %s %ld %ld %s ip=", node_id, spec->cpus, spec->gpus, hostname);
    pct_encode(&join, ip);
    sbuf_adds(&join, " name=");
    pct_encode(&join, opt(cmd, "--node-name") && *opt(cmd, "--node-name")
                          ? opt(cmd, "--node-name") : ip);
    sbuf_printf(&join, " mem=%.0f osm=%.0f nm=%d om=%d", spec->memory,
                spec->object_store_memory, nm_port, g_node_ports[1]);
    if (spec->resources_json) {
        sbuf_adds(&join, " res=");
        pct_encode(&join, spec->resources_json);
    }
    if (spec->labels_json) {
        sbuf_adds(&join, " labels=");
        pct_encode(&join, spec->labels_json);
    }
    identity_fields(&join);
    if (token != NULL)
        sbuf_printf(&join, " %s", token);
    sbuf_printf(&join, "\n");
    if (join.len > MAX_LINE - 1)
        fail(1, "the JOIN line is longer than %d bytes (too many --resources or --labels).",
             MAX_LINE - 1);

    reply = send_join(fd, &join);
    if (reply == NULL || reply[0] == '\0')
        fail(1, "the head node at %s:%s did not accept this node.", host, port);
    if (strncmp(reply, "ERR unauthenticated", 19) == 0)
        auth_failed();
    if (strncmp(reply, "ERR dead", 8) == 0)
        marked_dead();
    host_port(me, sizeof me, ip, nm_port);
    if (strncmp(reply, "ERR unreachable ", 16) == 0) {
        reply[strcspn(reply, "\n")] = '\0';
        fail(1, "The head node at %s:%s could not reach this node at %s (node manager): %s; "
                "check --node-ip-address and that the port is reachable from the head.",
             host, port, me, reply + 16);
    }
    if (strcmp(reply, "OK\n") != 0) {
        reply[strcspn(reply, "\n")] = '\0';
        fail(1, "the head node at %s:%s refused this node: %s", host, port, reply);
    }
    free(reply);

    printf("Local node IP: %s\n\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "To terminate the Ray runtime, run\n"
           "  ray stop\n",
           ip);
    if (!block) {
        write_all(fd, "DETACH\n", 7);
        close(fd);
        return 0;
    }

    {
        char text[300];
        snprintf(text, sizeof text, "%s\n", address);
        if (write_small_file(HEAD_ADDR_FILE, text) == 0)
            g_wrote_addr_file = 1;
    }
    print_block_banner();
    g_leave_fd = fd; /* from now on SIGTERM says LEAVE first */

    /* Stay connected, answering the head's health checks on the node's
     * own ports. The head sends nothing more on fd, so readable there
     * means the connection ended (or the head sent an error). As Ray's
     * raylet, a worker that loses its head keeps running and tries to
     * reach it again for RAY_gcs_rpc_server_reconnect_timeout_s seconds
     * (its environment's, default 60): a head back on the same address in
     * that time takes it again (same node id, same JOIN); then it exits. */
    window_s = env_ms("RAY_gcs_rpc_server_reconnect_timeout_s", DEFAULT_RECONNECT_S);
    for (;;) {
        struct pollfd pfds[3] = {{fd, POLLIN, 0},
                                 {g_node_lfds[0], POLLIN, 0},
                                 {g_node_lfds[1], POLLIN, 0}};
        char buf[256];
        ssize_t n;
        int i, timeout = -1;

        if (fd < 0) {
            int64_t now = now_ms(), give_up = lost_at + (int64_t)window_s * 1000;
            if (now >= give_up)
                gcs_gone(window_s);
            if (now >= next_try) {
                char err[512];
                int64_t left = give_up - now;
                g_connect_timeout_ms = left < CONNECT_TIMEOUT_MS ? (int)left : CONNECT_TIMEOUT_MS;
                fd = connect_once(host, port, err, sizeof err);
                next_try = now_ms() + RETRY_INTERVAL_MS;
                if (fd < 0)
                    continue;
                reply = send_join(fd, &join);
                if (reply != NULL && strcmp(reply, "OK\n") == 0) {
                    free(reply);
                    fprintf(stderr, "Reconnected to the head node at %s:%s; this node is "
                                    "ALIVE again.\n",
                            host, port);
                    g_leave_fd = fd;
                    continue;
                }
                close(fd);
                fd = -1;
                if (reply != NULL && strncmp(reply, "ERR unauthenticated", 19) == 0)
                    auth_failed();
                if (reply != NULL && strncmp(reply, "ERR dead", 8) == 0)
                    marked_dead();
                if (reply != NULL && strncmp(reply, "ERR unreachable ", 16) == 0) {
                    reply[strcspn(reply, "\n")] = '\0';
                    fail(1, "The head node at %s:%s could not reach this node at %s (node "
                            "manager): %s; check --node-ip-address and that the port is "
                            "reachable from the head.",
                         host, port, me, reply + 16);
                }
                free(reply); /* no answer, or the head went away again: retry */
                continue;
            }
            timeout = (int)((next_try < give_up ? next_try : give_up) - now);
        }
        if (poll(pfds, 3, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }
        for (i = 1; i < 3; i++)
            if (pfds[i].revents & POLLIN)
                answer_health(pfds[i].fd);
        if (fd < 0 || !(pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            buf[n] = '\0';
            if (strncmp(buf, "ERR dead", 8) == 0)
                marked_dead(); /* the head's health checks failed */
            if (strncmp(buf, "DRAINED", 7) == 0)
                drained_exit(); /* the GCS accepted a drain; the node is idle */
            if (strncmp(buf, "ERR", 3) == 0)
                fprintf(stderr, "The head node said: %s", buf);
            continue;
        }
        g_leave_fd = -1;
        close(fd);
        fd = -1;
        lost_at = next_try = now_ms();
        fprintf(stderr, "Lost connection to the head node at %s:%s; trying to reconnect for "
                        "%ld s (RAY_gcs_rpc_server_reconnect_timeout_s).\n",
                host, port, window_s);
    }
}

int cmd_start(const struct command *cmd)
{
    int block = opt(cmd, "--block") != NULL;
    struct node_spec spec;

    /* In Ray's order: the CLI logger's style, --resources and --labels,
     * ResourceIsolationConfig, RayParams, then (a worker) --address and
     * the head-only options. The rest comes as the node starts. */
    set_log_style(cmd);
    setvbuf(stdout, NULL, _IOLBF, 0);
    read_node_spec(cmd, &spec);
    check_resource_isolation(cmd);
    check_usage(cmd);
    if (opt(cmd, "--head") == NULL)
        check_worker_options(cmd);
    install_signal_handlers();
    atexit(remove_state_files);
    if (opt(cmd, "--head") != NULL)
        return start_head(cmd, &spec, block);
    return start_worker(cmd, &spec, block);
}

/* ------------------------------------------------------------------ */
/* The CLI's start-up delay: `ray status` and `ray job` are Python     */
/* programs that start an interpreter and import ray before doing      */
/* anything. The stand-in sleeps RAY_STANDIN_CLI_DELAY_MS (default      */
/* 1000) instead, so that tests and benchmarks never reward calling it.*/
/* ------------------------------------------------------------------ */

void cli_startup_delay(void)
{
    long ms = env_ms("RAY_STANDIN_CLI_DELAY_MS", DEFAULT_CLI_DELAY_MS);
    if (ms > 0)
        sleep_ms((int)(ms > 600000 ? 600000 : ms));
}
