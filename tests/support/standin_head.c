/* standin_head.c - the ray stand-in (a test fixture, not Ray): the head's poll loop, listeners and ports. */
#include "standin.h"
#include "standin_serve.h"

/* Ends the head: its jobs' process groups are killed (Ray's drivers
 * fate-share with their supervisor), then it exits with status 0. */
void shutdown_head(void)
{
    size_t i;
    gcs_grpc_stop();
    for (i = 0; i < g_njobs; i++)
        if (g_jobs[i]->state == JOB_RUNNING && g_jobs[i]->pid > 0)
            kill(-g_jobs[i]->pid, SIGKILL);
    exit(0); /* atexit removes the state files */
}

void accept_all(int lfd, int http)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                fprintf(stderr, "accept: %s\n", strerror(errno));
            return; /* EAGAIN: no more pending */
        }
        c = new_conn(fd);
        c->http = http;
        c->deadline = now_ms() + (http ? HTTP_IO_TIMEOUT_MS : PROTO_TIMEOUT_MS);
    }
}

/* Every `ray start` node listens on its node manager and object manager
 * ports (Ray's raylet and object manager), on 0.0.0.0. */
int g_node_lfds[2] = {-1, -1};
int g_node_ports[2]; /* ... and their numbers */

/* Answers every connection waiting on one of those ports: "OK\n", then
 * closes it. The head's health checks read that; the answer is 3 bytes
 * into a fresh socket, so the send never blocks. */
void answer_health(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: no more pending (EMFILE: the next poll) */
        if (send(fd, "OK\n", 3, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* the checker is gone already */
        }
        close(fd);
    }
}


/* The head's event loop: one thread, poll() over the GCS port, the
 * dashboard port, the signal pipe, the node's own two ports, every
 * connection and the health checks it makes, with deadlines for slow
 * clients and timers for jobs and checks. Never returns. */
void serve(int lfd, int hfd)
{
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    struct sigaction sa;

    if (pipe2(g_sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(1);
    }
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child_signal;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    g_serving = 1;

    for (;;) {
        size_t i, k, polled;
        int64_t now = now_ms(), next, hc;
        int timeout;

        if (g_stop_requested)
            shutdown_head();
        next = res_tick(now); /* first: it places the demand jobs wait for */
        hc = jobs_tick(now);
        if (hc && (next == 0 || hc < next))
            next = hc;
        hc = health_tick(now);
        if (hc && (next == 0 || hc < next))
            next = hc;
        hc = serve_tick(now);
        if (hc && (next == 0 || hc < next))
            next = hc;
        for (i = 0; i < g_nconns; i++)
            if (g_conns[i]->deadline && (next == 0 || g_conns[i]->deadline < next))
                next = g_conns[i]->deadline;
        timeout = next == 0 ? -1 : next <= now ? 0 : (int)(next - now);

        if (cap < g_nconns + SERVE_FIXED || pfds == NULL) {
            cap = (g_nconns + SERVE_FIXED) * 2;
            pfds = xrealloc(pfds, cap * sizeof *pfds);
        }
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        pfds[1].fd = hfd; /* -1 without a dashboard: poll skips it */
        pfds[1].events = POLLIN;
        pfds[2].fd = g_sig_pipe[0];
        pfds[2].events = POLLIN;
        pfds[3].fd = g_node_lfds[0];
        pfds[3].events = POLLIN;
        pfds[4].fd = g_node_lfds[1];
        pfds[4].events = POLLIN;
        pfds[5].fd = serve_proxy_fd(); /* -1 while Serve does not run */
        pfds[5].events = POLLIN;
        for (i = 0; i < g_nconns; i++) {
            struct conn *c = g_conns[i];
            pfds[i + SERVE_FIXED].fd = c->fd;
            pfds[i + SERVE_FIXED].events =
                (c->is_probe ? c->connecting : c->out != NULL) ? POLLOUT : POLLIN;
        }
        polled = g_nconns;
        if (poll(pfds, polled + SERVE_FIXED, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }
        if (pfds[2].revents & POLLIN) {
            char drain[64];
            while (read(g_sig_pipe[0], drain, sizeof drain) > 0) {
            }
        }
        if (g_stop_requested)
            shutdown_head();
        reap_children();
        for (i = 3; i < 5; i++)
            if (pfds[i].fd >= 0 && (pfds[i].revents & POLLIN))
                answer_health(pfds[i].fd);

        now = now_ms();
        for (i = 0; i < polled; i++) {
            short re = pfds[i + SERVE_FIXED].revents;
            struct conn *c = g_conns[i]; /* the array may grow meanwhile */
            if (c->fd < 0)
                continue;
            if (c->is_probe) {
                if (re)
                    probe_event(c, re);
            } else if (re & POLLOUT)
                conn_writable(c);
            else if (re & (POLLIN | POLLHUP | POLLERR)) {
                if (c->grpc_query)
                    gcs_grpc_readable(c);
                else if (c->joined)
                    joined_readable(c);
                else if (c->http)
                    http_readable(c);
                else
                    proto_readable(c);
            }
            if (c->fd >= 0 && c->deadline && now >= c->deadline)
                close_conn(c); /* too slow, or half-open; a check: timed out */
        }

        /* Drop closed connections, keeping the order of the rest. */
        for (i = 0, k = 0; i < g_nconns; i++) {
            if (g_conns[i]->fd < 0)
                free(g_conns[i]);
            else
                g_conns[k++] = g_conns[i];
        }
        g_nconns = k;

        if (pfds[0].revents & POLLIN)
            accept_all(lfd, 0);
        if (hfd >= 0 && (pfds[1].revents & POLLIN))
            accept_all(hfd, 1);
        if (pfds[5].fd >= 0 && pfds[5].fd == serve_proxy_fd() && (pfds[5].revents & POLLIN))
            accept_all(pfds[5].fd, HTTP_SERVE_PROXY);
    }
}

/* Lets the head hold many connections: raises the soft open-file limit. */
void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < 65536 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The address other machines reach this one at, like Ray's
 * get_node_ip_address(): the source address of the default route. */
void detect_node_ip(char *out, size_t cap)
{
    struct sockaddr_in dst, me;
    socklen_t len = sizeof me;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    snprintf(out, cap, "127.0.0.1");
    if (fd < 0)
        return;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons(80);
    inet_pton(AF_INET, "8.8.8.8", &dst.sin_addr); /* no packet is sent */
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &len) == 0)
        inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)cap);
    close(fd);
}

/* Listens on host:port (host NULL: every IPv4 address). Returns the
 * socket, or -1 with errno set. */
int listen_on(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int one = 1, fd, rc, e;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = host ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        e = errno;
        close(fd);
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* --node-manager-port / --object-manager-port: 0 (Ray's default) is a
 * port the system picks. */
long port_option(const struct command *cmd, const char *name)
{
    long port = 0;
    const char *v = opt(cmd, name);
    if (v != NULL && (parse_long(v, &port) != 0 || port < 0 || port > 65535))
        fail(1, "%s must be between 0 and 65535, got '%s'.", name, v);
    return port;
}

/* Binds the node's own ports on 0.0.0.0 into g_node_lfds, as Ray's raylet
 * binds its node manager and object manager; a port that is taken ends
 * `ray start` with status 1, as the raylet dies at start. Returns the
 * node manager's port (the one picked when it was 0). */
int bind_node_ports(long nm, long om)
{
    static const char *const what[2] = {"node manager", "object manager"};
    static const char *const option[2] = {"--node-manager-port", "--object-manager-port"};
    long want[2];
    int i;

    want[0] = nm;
    want[1] = om;
    for (i = 0; i < 2; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = listen_on(NULL, (int)want[i]);
        if (fd < 0) {
            int e = errno;
            if (e == EADDRINUSE) /* glibc's text, as Ray's (musl says "Address in use") */
                fprintf(stderr, "Failed to bind the %s on port %ld: Address already in use "
                                "(another process on this host uses it; give each node on a "
                                "host its own %s)\n",
                        what[i], want[i], option[i]);
            else
                fprintf(stderr, "Failed to bind the %s on port %ld: %s (%s)\n", what[i],
                        want[i], strerror(e), option[i]);
            exit(1);
        }
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
            g_node_ports[i] = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        g_node_lfds[i] = fd;
    }
    return g_node_ports[0];
}

void close_node_ports(void)
{
    int i;
    for (i = 0; i < 2; i++) {
        if (g_node_lfds[i] >= 0)
            close(g_node_lfds[i]);
        g_node_lfds[i] = -1;
    }
}

void print_block_banner(void)
{
    printf("--block\n"
           "  This command will now block forever until terminated by a signal.\n"
           "  (Stand-in: SIGTERM or SIGINT ends it with status 0.)\n");
}

/* The first line `ray start` prints, once its options are checked. */
void print_standin_note(void)
{
    printf("(raylaunch's ray stand-in for tests; this is not Ray.)\n");
}

void write_pid_file(void)
{
    char text[32];
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (write_small_file(PID_FILE, text) == 0)
        g_wrote_pid_file = 1;
    else
        fprintf(stderr, "warning: cannot write %s: %s\n", PID_FILE, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* ray start: the checks Ray makes before it starts anything. Each     */
/* refuses what Ray 2.52's `ray start` refuses, in Ray's order, with   */
/* Ray's words and exit status: Click's usage errors (exit 2) are made */
/* by parse_options; here come the CLI logger's aborts and the Python  */
/* exceptions that end `ray start` with a traceback (both exit 1).      */
/* ------------------------------------------------------------------ */
