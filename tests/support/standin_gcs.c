/* standin_gcs.c - the ray stand-in (a test fixture, not Ray): the GCS port's line protocol: joins, health checks, connections. */
#include "standin.h"
#include "standin_serve.h"

/* Every connection of the head's loop (serve), in accept order. */
struct conn **g_conns;
size_t g_nconns;

void add_conn(struct conn *c)
{
    if (g_nconns % 64 == 0)
        g_conns = xrealloc(g_conns, (g_nconns + 64) * sizeof *g_conns);
    g_conns[g_nconns++] = c;
}

struct conn *new_conn(int fd)
{
    struct conn *c = xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->fd = fd;
    add_conn(c);
    return c;
}

struct conn *conn_of_fd(int fd)
{
    size_t i;
    for (i = 0; i < g_nconns; i++)
        if (g_conns[i]->fd == fd)
            return g_conns[i];
    return NULL;
}

void queue_reply(struct conn *c, char *text, size_t len, int close_after)
{
    free(c->out);
    c->out = text;
    c->out_len = len;
    c->out_off = 0;
    c->closing = close_after;
}

void queue_error(struct conn *c, const char *msg)
{
    queue_reply(c, xstrdup(msg), strlen(msg), 1);
}

int token_ok(const char *given)
{
    if (g_head_token == NULL)
        return 1; /* auth disabled: any token is ignored */
    return given != NULL && tokens_equal(given, g_head_token);
}

/* JOIN's optional fields, key=value with percent-encoded values. */
const char *join_field(char *word, const char *key)
{
    size_t kl = strlen(key);
    if (strncmp(word, key, kl) == 0 && word[kl] == '=') {
        pct_decode(word + kl + 1, 0);
        return word + kl + 1;
    }
    return NULL;
}

int is_join_field(const char *word)
{
    static const char *keys[] = {"ip=", "name=", "mem=", "osm=", "nm=", "om=", "res=",
                                 "labels=", "iid=", "ntype=", "itype="};
    size_t i;
    for (i = 0; i < COUNT(keys); i++)
        if (strncmp(word, keys[i], strlen(keys[i])) == 0)
            return 1;
    return 0;
}

/* "IP:PORT", "[IP]:PORT" for IPv6. */
void host_port(char *out, size_t cap, const char *ip, int port)
{
    snprintf(out, cap, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
}

/* Starts a health check of ip:port. Returns the probe's connection, or
 * NULL when it failed at once (the reason in err). A numeric address
 * never blocks; a name (the stand-in does not insist on an IP) is
 * resolved with a blocking lookup first. */
struct conn *start_probe(const char *ip, int port, char *err, size_t errcap)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    struct conn *p;
    int fd, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(ip, portstr, &hints, &res);
    if (rc == EAI_NONAME) {
        hints.ai_flags = 0;
        rc = getaddrinfo(ip, portstr, &hints, &res);
    }
    if (rc != 0) {
        snprintf(err, errcap, "cannot resolve %s: %s", ip,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return NULL;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return NULL;
    }
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        snprintf(err, errcap, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    p = new_conn(fd);
    p->is_probe = 1;
    p->connecting = rc != 0;
    p->deadline = now_ms() + g_health_timeout_ms;
    host_port(p->target, sizeof p->target, ip, port);
    return p;
}

/* The JOIN on c was health-checked: the node turns ALIVE and gets "OK",
 * or (failure: why) it is listed DEAD at once, as Ray's GCS would after
 * its health checks failed, and the worker is told why. */
void join_checked(struct conn *c, const char *failure)
{
    struct node *n = c->pending, *added, *old = node_by_id(n->id);
    c->pending = NULL;
    if (old != NULL && old->is_head)
        old = NULL; /* cannot happen: the id was checked */
    if (old != NULL && old->alive) {
        /* The same node joins again on a new connection (it lost the old
         * one and reconnected before this head noticed): one entry, on
         * the new connection; the old one closes without a death. */
        struct conn *oc = conn_of_fd(old->fd);
        if (oc != NULL) {
            oc->joined = 0;
            close_conn(oc);
        }
        if (failure == NULL) {
            int64_t start = old->start_ms;
            free_node(old);
            *old = *n;
            old->start_ms = start;
            old->fd = c->fd;
            old->hc_next = now_ms() + g_health_period_ms;
            c->joined = 1;
            c->deadline = 0;
            queue_reply(c, xstrdup("OK\n"), 3, 0);
            free(n);
            return;
        }
        old->alive = 0;
        old->fd = -1;
        old->end_ms = wall_ms();
        old->state_message = HEARTBEAT_DEATH;
        fprintf(stderr, "Health check of node %s failed (%s): the node is DEAD.\n",
                n->id + 5, failure);
        free_node(n);
        free(n);
        queue_error(c, "ERR dead\n");
        return;
    }
    if (failure == NULL) {
        n->fd = c->fd;
        added = append_node(n);
        added->hc_next = now_ms() + g_health_period_ms;
        c->joined = 1;
        c->deadline = 0;
        queue_reply(c, xstrdup("OK\n"), 3, 0);
    } else {
        struct sbuf b = {NULL, 0, 0};
        char target[80];
        host_port(target, sizeof target, n->ip, n->nm_port);
        fprintf(stderr, "Health check of node %s at %s failed (%s): the node is DEAD.\n",
                n->id + 5, target, failure);
        n->fd = -1;
        n->alive = 0;
        n->end_ms = wall_ms();
        n->state_message = HEARTBEAT_DEATH;
        append_node(n);
        trim_dead();
        sbuf_printf(&b, "ERR unreachable %s\n", failure);
        queue_reply(c, b.data, b.len, 1);
    }
    free(n);
}

/* A periodic check of the ALIVE node `id` ended. */
void periodic_checked(const char *id, const char *target, const char *failure)
{
    struct node *n = NULL;
    struct conn *c;
    size_t i;
    for (i = 1; i < g_nnodes; i++)
        if (g_nodes[i].alive && strcmp(g_nodes[i].id, id) == 0)
            n = &g_nodes[i];
    if (n == NULL)
        return; /* it left meanwhile */
    n->hc_busy = 0;
    n->hc_next = now_ms() + g_health_period_ms;
    if (failure == NULL) {
        n->hc_failures = 0;
        return;
    }
    if (++n->hc_failures < HEALTH_FAILURE_THRESHOLD)
        return;
    fprintf(stderr, "Node %s at %s missed %d health checks in a row (the last: %s): "
                    "the node is DEAD.\n",
            id + 5, target, n->hc_failures, failure);
    c = conn_of_fd(n->fd);
    n->alive = 0;
    n->fd = -1;
    n->end_ms = wall_ms();
    n->state_message = HEARTBEAT_DEATH;
    if (c != NULL) {
        /* As Ray's GCS tells a raylet it marked dead: the worker exits. */
        c->joined = 0;
        queue_error(c, "ERR dead\n");
    }
    trim_dead();
}

/* Reports a probe's outcome (failure: why, or NULL) once. */
void probe_report(struct conn *p, const char *failure)
{
    struct conn *owner = p->owner;
    if (p->probe_done)
        return;
    p->probe_done = 1;
    p->owner = NULL;
    if (owner != NULL) {
        owner->probe = NULL;
        join_checked(owner, failure);
    } else if (p->probe_node[0]) {
        periodic_checked(p->probe_node, p->target, failure);
    }
}

/* The probe's socket is ready: connected (or not), or its answer came. */
void probe_event(struct conn *p, short revents)
{
    char buf[HEALTH_ANSWER_MAX], *nl;
    ssize_t n;

    if (p->connecting) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr != 0) {
            probe_report(p, strerror(soerr));
            close_conn(p);
            return;
        }
        p->connecting = 0; /* now wait for the answer */
        return;
    }
    if (p->in == NULL) {
        p->in_cap = HEALTH_ANSWER_MAX;
        p->in = xmalloc(p->in_cap);
    }
    n = recv(p->fd, buf, p->in_cap - 1 - p->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        probe_report(p, n == 0 ? "the connection closed without an answer" : strerror(errno));
        close_conn(p);
        return;
    }
    memcpy(p->in + p->in_len, buf, (size_t)n);
    p->in_len += (size_t)n;
    p->in[p->in_len] = '\0';
    nl = strchr(p->in, '\n');
    if (nl == NULL && p->in_len < p->in_cap - 1)
        return;
    probe_report(p, nl != NULL && nl - p->in == 2 && strncmp(p->in, "OK", 2) == 0
                        ? NULL : "an answer that is not a node's");
    close_conn(p);
}

/* Starts the periodic checks that are due. Returns when the next is due
 * (monotonic ms), 0 for none. */
int64_t health_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    char err[200];

    if (g_health_timeout_ms == 0 || g_health_period_ms == 0)
        return 0;
    for (i = 1; i < g_nnodes; i++) {
        struct node *n = &g_nodes[i];
        struct conn *p;
        if (!n->alive || n->nm_port == 0 || n->hc_busy)
            continue;
        if (now < n->hc_next) {
            if (next == 0 || n->hc_next < next)
                next = n->hc_next;
            continue;
        }
        p = start_probe(n->ip, n->nm_port, err, sizeof err);
        if (p == NULL) {
            char target[80];
            host_port(target, sizeof target, n->ip, n->nm_port);
            periodic_checked(n->id, target, err); /* may change the table */
            return now;
        }
        snprintf(p->probe_node, sizeof p->probe_node, "%s", n->id);
        n->hc_busy = 1;
    }
    return next;
}

int join_pending(const char *id)
{
    size_t i;
    for (i = 0; i < g_nconns; i++)
        if (g_conns[i]->pending && strcmp(g_conns[i]->pending->id, id) == 0)
            return 1;
    return 0;
}

/* JOIN <node_id> <cpus> <gpus> <hostname> [key=value...] [TOKEN]. With
 * nm=PORT the node turns ALIVE only once the head reached it there. */
void handle_join(struct conn *c, char **words, int n)
{
    long cpus, gpus, nm = 0, om = 0;
    const char *token = NULL, *ip = NULL, *name = NULL, *v;
    const char *iid = "", *ntype = "", *itype = ""; /* the worker's RAY_* identity */
    char *res = NULL, *labels = NULL, err[200];
    double mem = 0, osm = 0;
    struct node node;
    struct conn *p;
    int i;

    if (n > 5 && !is_join_field(words[n - 1]))
        token = words[--n];
    if (!token_ok(token)) {
        queue_error(c, "ERR unauthenticated\n");
        return;
    }
    if (n < 5 || !is_node_id(words[1]) || parse_long(words[2], &cpus) != 0 ||
        parse_long(words[3], &gpus) != 0 || cpus < 0 || gpus < 0)
        goto bad;
    for (i = 5; i < n; i++) {
        if ((v = join_field(words[i], "ip")) != NULL)
            ip = v;
        else if ((v = join_field(words[i], "name")) != NULL)
            name = v;
        else if ((v = join_field(words[i], "iid")) != NULL)
            iid = v;
        else if ((v = join_field(words[i], "ntype")) != NULL)
            ntype = v;
        else if ((v = join_field(words[i], "itype")) != NULL)
            itype = v;
        else if ((v = join_field(words[i], "mem")) != NULL) {
            if (parse_double(v, &mem) != 0 || mem < 0)
                goto bad;
        } else if ((v = join_field(words[i], "osm")) != NULL) {
            if (parse_double(v, &osm) != 0 || osm < 0)
                goto bad;
        } else if ((v = join_field(words[i], "nm")) != NULL) {
            if (parse_long(v, &nm) != 0 || nm < 0 || nm > 65535)
                goto bad;
        } else if ((v = join_field(words[i], "om")) != NULL) {
            if (parse_long(v, &om) != 0 || om < 0 || om > 65535)
                goto bad;
        } else if ((v = join_field(words[i], "res")) != NULL) {
            free(res);
            res = NULL;
            if (object_fragment(v, 1, &res, err, sizeof err) != 0)
                goto bad;
        } else if ((v = join_field(words[i], "labels")) != NULL) {
            free(labels);
            labels = NULL;
            if (object_fragment(v, 0, &labels, err, sizeof err) != 0)
                goto bad;
        } else {
            goto bad;
        }
    }
    if (join_pending(words[1]) || (node_by_id(words[1]) && node_by_id(words[1])->is_head)) {
        free(res);
        free(labels);
        queue_error(c, "ERR duplicate node id\n");
        return;
    }
    if (node_by_id(words[1]) && !node_by_id(words[1])->alive) {
        /* A node this head has marked DEAD comes back (its connection
         * dropped, then it reconnected): as Ray's GCS, the head tells it
         * it is dead, and the raylet exits. */
        free(res);
        free(labels);
        queue_error(c, "ERR dead\n");
        return;
    }
    init_node(&node, words[1], cpus, gpus, words[4], c->fd);
    snprintf(node.ip, sizeof node.ip, "%s", ip ? ip : words[4]);
    free(node.name);
    node.name = xstrdup(name && *name ? name : node.ip);
    node.memory = mem;
    node.object_store_memory = osm;
    node.nm_port = (int)nm;
    node.om_port = (int)om;
    snprintf(node.instance_id, sizeof node.instance_id, "%s", iid);
    snprintf(node.node_type, sizeof node.node_type, "%s", ntype);
    snprintf(node.instance_type, sizeof node.instance_type, "%s", itype);
    if (res) {
        free(node.resources);
        node.resources = res;
    }
    if (labels) {
        free(node.labels);
        node.labels = labels;
    }
    c->pending = xmalloc(sizeof node);
    *c->pending = node;
    if (nm == 0 || g_health_timeout_ms == 0) {
        join_checked(c, NULL); /* a worker that does not say where it listens */
        return;
    }
    /* No answer until the check ends: the probe's deadline bounds it. */
    c->deadline = 0;
    p = start_probe(node.ip, (int)nm, err, sizeof err);
    if (p == NULL) {
        join_checked(c, err);
        return;
    }
    p->owner = c;
    c->probe = p;
    return;
bad:
    free(res);
    free(labels);
    queue_error(c, "ERR bad request\n");
}

/* Handles one request line from a connection that has not joined. */
void handle_request(struct conn *c, char *line)
{
    char *words[16];
    int n = 0;
    char *save = NULL, *w;

    for (w = strtok_r(line, " \r", &save); w && n < 16; w = strtok_r(NULL, " \r", &save))
        words[n++] = w;

    if (n >= 1 && n <= 2 && strcmp(words[0], "STATUS") == 0) {
        size_t len;
        char *text;
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        text = status_text(&len);
        queue_reply(c, text, len, 1);
    } else if (n >= 1 && n <= 2 && strcmp(words[0], "SESSION") == 0) {
        /* A worker asks for the session name, as Ray's raylet reads it
         * from the GCS before it makes its session folders. */
        struct sbuf b = {NULL, 0, 0};
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        sbuf_printf(&b, "SESSION %s\n", g_session_name);
        queue_reply(c, b.data, b.len, 1);
    } else if (n >= 1 && n <= 2 && strcmp(words[0], "DASHBOARD") == 0) {
        /* `ray job` given a GCS address asks where the dashboard is. */
        struct sbuf b = {NULL, 0, 0};
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        if (g_webui[0] == '\0') {
            queue_error(c, "ERR no dashboard\n");
            return;
        }
        sbuf_printf(&b, "DASHBOARD http://%s\n", g_webui);
        queue_reply(c, b.data, b.len, 1);
    } else if (n >= 5 && strcmp(words[0], "JOIN") == 0) {
        handle_join(c, words, n);
    } else {
        queue_error(c, "ERR bad request\n");
    }
}

/* Drops an upload that will not complete: its partial file goes. */
void upload_abort(struct conn *c)
{
    if (c->up_tmp == NULL)
        return;
    close(c->up_fd);
    unlink(c->up_tmp);
    free(c->up_tmp);
    free(c->up_dst);
    c->up_tmp = c->up_dst = NULL;
}

void close_conn(struct conn *c)
{
    if (c->is_probe && !c->probe_done) { /* its deadline passed */
        char why[96];
        snprintf(why, sizeof why,
                 c->connecting ? "connection timed out after %ld ms" : "no answer within %ld ms",
                 g_health_timeout_ms);
        probe_report(c, why);
    }
    if (c->probe != NULL) { /* a JOIN whose worker went away during its check */
        struct conn *p = c->probe;
        c->probe = NULL;
        p->owner = NULL;
        p->probe_done = 1;
        close_conn(p);
    }
    if (c->pending != NULL) {
        free_node(c->pending);
        free(c->pending);
        c->pending = NULL;
    }
    upload_abort(c);
    serve_conn_closed(c);
    if (c->joined)
        node_died(c->fd);
    close(c->fd);
    free(c->out);
    free(c->in);
    free(c->body);
    c->out = c->in = c->body = NULL;
    c->fd = -1;
}

/* A joined worker's connection: LEAVE (it is being stopped) or DETACH
 * (it was started without --block), then EOF. */
void joined_readable(struct conn *c)
{
    char scratch[512];
    ssize_t n = recv(c->fd, scratch, sizeof scratch - 1, 0);
    if (n > 0) {
        scratch[n] = '\0';
        if (strstr(scratch, "LEAVE") != NULL) {
            struct node *node = node_of_fd(c->fd);
            if (node)
                node->leaving = 1;
        }
        if (strstr(scratch, "DETACH") != NULL) {
            node_detached(c->fd);
            c->joined = 0;
        }
        return;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        close_conn(c);
}

/* Reads what the peer sent into c->in (made `cap` bytes on first use) and
 * keeps it NUL-terminated. 1: bytes added; 0: none yet; -1: the peer is
 * gone and the connection closed. */
int conn_fill(struct conn *c, size_t cap)
{
    ssize_t n;

    if (c->in == NULL) {
        c->in_cap = cap;
        c->in = xmalloc(c->in_cap);
    }
    n = recv(c->fd, c->in + c->in_len, c->in_cap - 1 - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        close_conn(c);
        return -1;
    }
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    return 1;
}

void proto_readable(struct conn *c)
{
    char *nl;

    if (gcs_grpc_handoff(c))
        return; /* HTTP/2: the GCS's gRPC service */
    if (c->pending != NULL) {
        /* A JOIN under its health check: nothing more is expected but
         * its end, which cancels the check. */
        char scratch[256];
        ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            close_conn(c);
        return;
    }
    if (conn_fill(c, MAX_LINE) <= 0)
        return;
    nl = strchr(c->in, '\n');
    if (nl != NULL) {
        *nl = '\0';
        handle_request(c, c->in);
        c->in_len = 0;
    } else if (c->in_len >= c->in_cap - 1) {
        queue_error(c, "ERR line too long\n");
    }
}

/* ------------------------------------------------------------------ */
/* The head: the dashboard's HTTP API (a part of it). HTTP/1.1, one     */
/* request per connection, Connection: close, Content-Length always.   */
/* Plain-text bodies and error texts follow Ray's (aiohttp's) wording. */
/* ------------------------------------------------------------------ */
