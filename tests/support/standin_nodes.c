/* standin_nodes.c - the ray stand-in (a test fixture, not Ray): the head's node table and `ray status` text. */
#include "standin.h"

/* ------------------------------------------------------------------ */
/* The head: its node table                                            */
/* ------------------------------------------------------------------ */


struct node *g_nodes; /* g_nodes[0] is the head; workers in join order */
size_t g_nnodes, g_nodes_cap;
const char *g_head_token; /* required token, or NULL */
char g_head_ip[64];
long g_gcs_port;
char g_webui[320];        /* the dashboard as "host:port", or "" */
long g_agent_port = DEFAULT_AGENT_PORT;
long g_job_start_ms = DEFAULT_JOB_START_MS;
long g_health_timeout_ms = DEFAULT_HEALTH_TIMEOUT_MS; /* 0: no health checks */
long g_health_period_ms = DEFAULT_HEALTH_PERIOD_MS;   /* 0: at join only */

void init_node(struct node *n, const char *id, long cpus, long gpus, const char *host,
                      int fd)
{
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", id);
    snprintf(n->host, sizeof n->host, "%s", host);
    n->cpus = cpus;
    n->gpus = gpus;
    n->fd = fd;
    n->alive = 1;
    n->start_ms = wall_ms();
    n->name = xstrdup("");
    n->resources = xstrdup("");
    n->labels = xstrdup("");
}

/* Appends a copy of *src (its strings now belong to the table). */
struct node *append_node(const struct node *src)
{
    if (g_nnodes == g_nodes_cap) {
        g_nodes_cap = g_nodes_cap ? g_nodes_cap * 2 : 16;
        g_nodes = xrealloc(g_nodes, g_nodes_cap * sizeof *g_nodes);
    }
    g_nodes[g_nnodes] = *src;
    return &g_nodes[g_nnodes++];
}

struct node *add_node(const char *id, long cpus, long gpus, const char *host,
                             int fd)
{
    struct node n;
    init_node(&n, id, cpus, gpus, host, fd);
    return append_node(&n);
}

void free_node(struct node *n)
{
    free(n->name);
    free(n->resources);
    free(n->labels);
}

struct node *node_of_fd(int fd)
{
    size_t i;
    for (i = 1; i < g_nnodes; i++)
        if (g_nodes[i].alive && g_nodes[i].fd == fd)
            return &g_nodes[i];
    return NULL;
}

void remove_node_at(size_t i)
{
    free_node(&g_nodes[i]);
    memmove(&g_nodes[i], &g_nodes[i + 1], (g_nnodes - i - 1) * sizeof *g_nodes);
    g_nnodes--;
}

/* Ray's GCS keeps at most MAX_DEAD_NODES dead nodes: the oldest go. */
void trim_dead(void)
{
    size_t i, dead = 0;
    for (i = 0; i < g_nnodes; i++)
        dead += !g_nodes[i].alive;
    for (i = 1; i < g_nnodes && dead > MAX_DEAD_NODES; i++)
        if (!g_nodes[i].alive) {
            remove_node_at(i); /* the oldest dead one */
            dead--;
            i--;
        }
}

/* A worker's connection closed: the node stays in the table as DEAD, with
 * Ray's death message (a LEAVE first means it was stopped on purpose). */
void node_died(int fd)
{
    struct node *n = node_of_fd(fd);
    if (n == NULL)
        return;
    n->alive = 0;
    n->fd = -1;
    n->end_ms = wall_ms();
    n->state_message = n->leaving ? "Expected termination: received SIGTERM" : HEARTBEAT_DEATH;
    trim_dead();
}

/* A worker started without --block checked its JOIN and went away again:
 * it leaves no trace (Ray's node would keep running in the background). */
void node_detached(int fd)
{
    struct node *n = node_of_fd(fd);
    if (n != NULL)
        remove_node_at((size_t)(n - g_nodes));
}

/* The table's entry for node `id` (an ALIVE one first), or NULL. */
struct node *node_by_id(const char *id)
{
    struct node *found = NULL;
    size_t i;
    for (i = 0; i < g_nnodes; i++)
        if (strcmp(g_nodes[i].id, id) == 0 && (found == NULL || g_nodes[i].alive))
            found = &g_nodes[i];
    return found;
}

/* Checks a JSON object whose values are all numbers (`numbers`) or all
 * strings, and writes its members as a JSON fragment (numbers as floats)
 * into *frag. Returns 0, or -1 with a reason in err. */
int object_fragment(const char *json, int numbers, char **frag, char *err,
                           size_t errcap)
{
    struct jv v;
    struct sbuf b = {NULL, 0, 0};
    size_t i;

    if (json_parse(json, strlen(json), &v, err, errcap) != 0)
        return -1;
    if (v.t != J_OBJ) {
        snprintf(err, errcap, "not a JSON object");
        jv_free(&v);
        return -1;
    }
    sbuf_add(&b, "", 0);
    for (i = 0; i < v.n; i++) {
        struct jv *val = &v.kids[i];
        if (numbers ? val->t != J_NUM || val->num < 0 : val->t != J_STR) {
            snprintf(err, errcap, "the value of '%s' is not %s", v.keys[i].s,
                     numbers ? "a non-negative number" : "a string");
            jv_free(&v);
            free(b.data);
            return -1;
        }
        if (i > 0)
            sbuf_adds(&b, ", ");
        json_str(&b, v.keys[i].s, v.keys[i].len);
        sbuf_adds(&b, ": ");
        if (numbers)
            py_float(&b, val->num);
        else
            json_str(&b, val->s, val->len);
    }
    jv_free(&v);
    *frag = b.data;
    return 0;
}

/* " 1.0/4.0 CPU" */
static void usage_line(struct sbuf *b, double used, double total, const char *name)
{
    sbuf_adds(b, " ");
    py_float(b, used < 1e-9 ? 0.0 : used);
    sbuf_adds(b, "/");
    py_float(b, total);
    sbuf_printf(b, " %s\n", name);
}

/* Ray's `ray status` text, autoscaler v2 layout: the alive nodes, the
 * CPUs and GPUs claimed, the request_resources constraint, pending demand. */
char *status_text(size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    struct timespec ts;
    struct tm tm;
    char when[32];
    long cpus = 0, gpus = 0;
    double used, total;
    size_t i, mark;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    sbuf_printf(&b, "======== Autoscaler status: %s.%06ld ========\n", when,
                ts.tv_nsec / 1000);
    sbuf_printf(&b, "Node status\n%s\nActive:\n", DASHES);
    for (i = 0; i < g_nnodes; i++) {
        if (!g_nodes[i].alive)
            continue;
        sbuf_printf(&b, " 1 %s\n", g_nodes[i].id);
        cpus += g_nodes[i].cpus;
        gpus += g_nodes[i].gpus;
    }
    sbuf_printf(&b, "Pending:\n (no pending nodes)\n"
                    "Recent failures:\n (no failures)\n\n");
    sbuf_printf(&b, "Resources\n%s\nTotal Usage:\n", DASHES);
    res_sync(now_ms());
    res_usage("CPU", &used, &total);
    usage_line(&b, used, (double)cpus, "CPU");
    if (gpus > 0) {
        res_usage("GPU", &used, &total);
        usage_line(&b, used, (double)gpus, "GPU");
    }
    sbuf_printf(&b, " 0B/0B memory\n 0B/0B object_store_memory\n\n"
                    "From request_resources:\n");
    mark = b.len;
    constraint_text(&b);
    if (b.len == mark)
        sbuf_adds(&b, " (none)\n");
    sbuf_adds(&b, "Pending Demands:\n");
    mark = b.len;
    res_pending_text(&b);
    pg_pending_text(&b);
    if (b.len == mark)
        sbuf_adds(&b, " (no resource demands)\n");
    *len = b.len;
    return b.data;
}
