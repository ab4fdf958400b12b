/* standin_autoscaler.c - the ray stand-in (a test fixture, not Ray): the
 * GCS's AutoscalerStateService (Ray's autoscaler.proto), answered here and
 * served over gRPC by ray-standin-gcs-grpc (gcs_grpc.cc), to which
 * standin_grpc_link.c hands the GCS port's HTTP/2 connections. That program
 * asks this one one line at a time: "METHOD\tAUTHORIZATION\tREQUEST_JSON";
 * the answer is "OK\tREPLY_JSON", "ERR\tGRPC_CODE\tMESSAGE" or "CRASH\tWHY"
 * (the real GCS aborts; so does that program). Requests and replies are
 * protobuf's JSON mapping of the messages, with the proto's field names. */
#include "standin.h"

int64_t g_gcs_version;             /* cluster_resource_state_version */
int g_gcs_crashed;                 /* a request version above it "crashed" the GCS */
char g_gcs_crash[256];
static char *g_constraint;         /* the last ClusterResourceConstraint, or NULL */
static char *g_as_state;           /* the stored AutoscalingState, or NULL */
static long long g_as_version = -1;
static char *g_cluster_config;     /* the last ClusterConfig, or NULL */
struct sbuf g_drain_calls;         /* JSON objects, ", "-separated */
long g_drain_exit_ms = DEFAULT_DRAIN_EXIT_MS;
int g_gcs_old;                     /* RAY_STANDIN_GCS_OLD=1: an old GCS's layout */

/* Failures tests inject (POST /api/standin/autoscaler/failures): the next
 * `count` calls of `method` ("" any) end with gRPC status `code`. */
struct failure {
    char method[48];
    int code;
    long count;
};
static struct failure g_failures[8];
static size_t g_nfailures;

int inject_failure(const char *method, int code, long count)
{
    if (g_nfailures == COUNT(g_failures) || code < 1 || code > 16 || count < 1 ||
        strlen(method) >= sizeof g_failures[0].method)
        return -1;
    snprintf(g_failures[g_nfailures].method, sizeof g_failures[0].method, "%s", method);
    g_failures[g_nfailures].code = code;
    g_failures[g_nfailures++].count = count;
    return 0;
}

/* The code of an injected failure for this call (used up), or 0. */
static int injected(const char *method)
{
    size_t i;
    for (i = 0; i < g_nfailures; i++)
        if (g_failures[i].method[0] == '\0' || strcmp(g_failures[i].method, method) == 0) {
            int code = g_failures[i].code;
            if (--g_failures[i].count == 0)
                g_failures[i] = g_failures[--g_nfailures];
            return code;
        }
    return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 28 bytes of a node id (56 hex digits) in base64, as protobuf's JSON. */
static void hex_b64(struct sbuf *b, const char *hex)
{
    unsigned char raw[28];
    size_t i;
    for (i = 0; i < 28; i++)
        raw[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
    sbuf_adds(b, "\"");
    for (i = 0; i < 28; i += 3) {
        unsigned v = raw[i] << 16 | (i + 1 < 28 ? raw[i + 1] << 8 : 0) |
                     (i + 2 < 28 ? raw[i + 2] : 0);
        char q[5] = {B64[v >> 18 & 63], B64[v >> 12 & 63],
                     i + 1 < 28 ? B64[v >> 6 & 63] : '=', i + 2 < 28 ? B64[v & 63] : '=', 0};
        sbuf_adds(b, q);
    }
    sbuf_adds(b, "\"");
}

/* Base64 to hex; returns the number of bytes decoded. */
static size_t b64_hex(const char *s, char *hex, size_t cap)
{
    unsigned v = 0;
    int bits = 0;
    size_t n = 0;
    for (; *s && *s != '='; s++) {
        const char *p = strchr(B64, *s == '-' ? '+' : *s == '_' ? '/' : *s);
        if (p == NULL)
            return 0;
        v = v << 6 | (unsigned)(p - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (2 * n + 3 > cap)
                return 0;
            snprintf(hex + 2 * n++, 3, "%02x", v >> bits & 0xff);
        }
    }
    hex[2 * n] = '\0';
    return n;
}

/* A JSON member as an int64: protobuf's JSON writes them as strings. */
static long long jv_ll(struct jv *v)
{
    if (v == NULL)
        return 0;
    if (v->t == J_STR)
        return strtoll(v->s, NULL, 10);
    return v->t == J_NUM ? (long long)v->num : 0;
}

static const char *const STATUS_NAMES[] = {"UNSPECIFIED", "RUNNING", "DEAD", "IDLE",
                                           "DRAINING"};

static void node_state_json(struct sbuf *b, const struct node *n, int64_t now)
{
    int64_t idle;
    int st = node_status(n, now, &idle);
    sbuf_adds(b, "{\"node_id\": ");
    hex_b64(b, n->id + 5);
    sbuf_adds(b, ", \"instance_id\": ");
    json_strz(b, n->instance_id);
    sbuf_adds(b, ", \"ray_node_type_name\": ");
    json_strz(b, n->node_type);
    sbuf_printf(b, ", \"node_state_version\": %lld, \"status\": \"%s\", \"node_ip_address\": ",
                (long long)g_gcs_version, STATUS_NAMES[st]);
    json_strz(b, n->ip);
    sbuf_adds(b, ", \"instance_type_name\": ");
    json_strz(b, n->instance_type);
    if (st == 2) { /* DEAD: only what identifies it */
        sbuf_adds(b, "}");
        return;
    }
    sbuf_adds(b, ", \"available_resources\": ");
    shape_json(b, &n->avail);
    sbuf_adds(b, ", \"total_resources\": ");
    shape_json(b, &n->total);
    sbuf_adds(b, ", \"dynamic_labels\": {");
    pg_node_labels(b, n->id + 5);
    sbuf_printf(b, "}, \"idle_duration_ms\": %lld", (long long)idle);
    if (!g_gcs_old) { /* field 13 is newer */
        sbuf_printf(b, ", \"labels\": {\"ray.io/node-id\": \"%s\"", n->id + 5);
        if (n->labels[0])
            sbuf_printf(b, ", %s", n->labels);
        sbuf_adds(b, "}");
    }
    sbuf_adds(b, "}");
}

/* ClusterResourceState, bumping the version counter as Ray's GCS does. */
static void cluster_state_json(struct sbuf *b)
{
    int64_t now = now_ms();
    size_t i;
    int pass, first = 1;
    res_tick(now);
    g_gcs_version++;
    sbuf_printf(b, "{\"cluster_resource_state_version\": %lld, "
                   "\"last_seen_autoscaler_state_version\": %lld, \"node_states\": [",
                (long long)g_gcs_version, g_as_version < 0 ? 0LL : g_as_version);
    for (pass = 1; pass >= 0; pass--) /* alive nodes, then dead ones */
        for (i = 0; i < g_nnodes; i++)
            if (g_nodes[i].alive == pass && g_nodes[i].res_ready) {
                sbuf_adds(b, first ? "" : ", ");
                first = 0;
                node_state_json(b, &g_nodes[i], now);
            }
    sbuf_adds(b, "], \"pending_resource_requests\": ");
    res_pending_json(b);
    sbuf_adds(b, ", \"pending_gang_resource_requests\": ");
    pg_gangs_json(b);
    sbuf_printf(b, ", \"cluster_resource_constraints\": [%s], \"cluster_session_name\": ",
                g_constraint ? g_constraint : "");
    json_strz(b, g_session_name);
    sbuf_adds(b, "}");
}

static void replace_json(char **slot, struct jv *v)
{
    free(*slot);
    *slot = v ? json_dump(v) : NULL;
}

/* DrainNode, as Ray's GCS and raylet decide it (reference §4.1). */
static void drain_node(struct sbuf *out, struct jv *req, char *err, size_t errcap, int *code)
{
    char hex[80] = "";
    struct jv *id = jv_get(req, "node_id"), *msgv = jv_get(req, "reason_message");
    long long reason = jv_ll(jv_get(req, "reason"));
    long long deadline = jv_ll(jv_get(req, "deadline_timestamp_ms"));
    const char *msg = jv_str(msgv) ? jv_str(msgv) : "";
    const char *reject = NULL;
    struct node *n;

    if (deadline < 0) {
        *code = (int)env_ms("RAY_STANDIN_DRAIN_INVALID_CODE", 10);
        snprintf(err, errcap, "Draining deadline must be non-negative, received %lld",
                 deadline);
    } else {
        if (jv_str(id) == NULL || b64_hex(jv_str(id), hex, sizeof hex) != 28)
            hex[0] = '\0'; /* no such node: accepted */
        n = hex[0] ? node_by_hex(hex) : NULL;
        if (n != NULL && !n->draining) {
            if (reason == 1 && n->nclaims > 0) {
                reject = "The node to be idle terminated is no longer idle.";
            } else {
                n->draining = 1;
                n->drain_reason = reason == 1 ? 1 : 2; /* 0 is taken as preemption */
                snprintf(n->drain_message, sizeof n->drain_message, "%s", msg);
                n->drain_deadline_ms = deadline;
            }
        }
        sbuf_printf(out, "{\"is_accepted\": %s", reject ? "false" : "true");
        if (reject && !g_gcs_old) /* field 2 is newer */
            sbuf_printf(out, ", \"rejection_reason_message\": \"%s\"", reject);
        sbuf_adds(out, "}");
    }
    /* recorded for tests: GET /api/standin/autoscaler */
    if (g_drain_calls.len)
        sbuf_adds(&g_drain_calls, ", ");
    sbuf_adds(&g_drain_calls, "{\"node_id\": ");
    json_strz(&g_drain_calls, hex);
    sbuf_printf(&g_drain_calls, ", \"reason\": %lld, \"reason_message\": ", reason);
    json_strz(&g_drain_calls, msg);
    sbuf_printf(&g_drain_calls, ", \"deadline_timestamp_ms\": %lld, \"reply\": ", deadline);
    if (deadline < 0)
        sbuf_printf(&g_drain_calls, "{\"grpc_code\": %d, \"message\": \"%s\"}", *code, err);
    else
        sbuf_adds(&g_drain_calls, out->data);
    sbuf_adds(&g_drain_calls, "}");
}

/* Answers one request line of ray-standin-gcs-grpc; the reply (with its
 * newline) goes to *out. */
void gcs_answer(char *line, struct sbuf *out)
{
    char *method = line, *auth = strchr(line, '\t'), *json, err[300] = "";
    struct sbuf reply = {NULL, 0, 0};
    struct jv req;
    int code = 0;

    if (auth == NULL || (json = strchr(auth + 1, '\t')) == NULL) {
        sbuf_adds(out, "ERR\t13\tstand-in: a malformed request line\n");
        return;
    }
    *auth++ = '\0';
    *json++ = '\0';
    if (g_head_token != NULL &&
        (strncmp(auth, "Bearer ", 7) != 0 || !tokens_equal(auth + 7, g_head_token))) {
        sbuf_adds(out, "ERR\t16\tInvalid or missing authentication token\n");
        return;
    }
    if ((code = injected(method)) != 0) {
        sbuf_printf(out, "ERR\t%d\tstand-in: an injected failure\n", code);
        return;
    }
    if (json_parse(json, strlen(json), &req, err, sizeof err) != 0) {
        sbuf_printf(out, "ERR\t13\tstand-in: the request is not JSON: %s\n", err);
        return;
    }
    sbuf_add(&reply, "", 0);
    if (strcmp(method, "GetClusterResourceState") == 0) {
        long long seen = jv_ll(jv_get(&req, "last_seen_cluster_resource_state_version"));
        if (seen > g_gcs_version) {
            g_gcs_crashed = 1;
            snprintf(g_gcs_crash, sizeof g_gcs_crash,
                     "Check failed: request.last_seen_cluster_resource_state_version() <= "
                     "last_cluster_resource_state_version_ (%lld vs. %lld)",
                     seen, (long long)g_gcs_version);
            fprintf(stderr, "[GCS crash] %s\n", g_gcs_crash);
            sbuf_printf(out, "CRASH\t%s\n", g_gcs_crash);
            jv_free(&req);
            free(reply.data);
            return;
        }
        sbuf_adds(&reply, "{\"cluster_resource_state\": ");
        cluster_state_json(&reply);
        sbuf_adds(&reply, "}");
    } else if (strcmp(method, "GetClusterStatus") == 0) {
        sbuf_adds(&reply, "{");
        if (g_as_state)
            sbuf_printf(&reply, "\"autoscaling_state\": %s, ", g_as_state);
        sbuf_adds(&reply, "\"cluster_resource_state\": ");
        cluster_state_json(&reply);
        sbuf_adds(&reply, "}");
    } else if (strcmp(method, "ReportAutoscalingState") == 0) {
        struct jv *st = jv_get(&req, "autoscaling_state");
        long long v = jv_ll(st ? jv_get(st, "autoscaler_state_version") : NULL);
        if (st != NULL && v >= g_as_version) { /* a lower version is dropped */
            replace_json(&g_as_state, st);
            g_as_version = v;
        }
        sbuf_adds(&reply, "{}");
    } else if (strcmp(method, "RequestClusterResourceConstraint") == 0) {
        struct jv *c = jv_get(&req, "cluster_resource_constraint");
        struct jv *rr = c ? jv_get(c, "resource_requests") : NULL;
        replace_json(&g_constraint, rr && rr->t == J_ARR && rr->n > 0 ? c : NULL);
        sbuf_adds(&reply, "{}");
    } else if (strcmp(method, "ReportClusterConfig") == 0 && g_gcs_old) {
        code = 12; /* an old GCS has no such method */
        snprintf(err, sizeof err, "Method not found: %s", method);
    } else if (strcmp(method, "ReportClusterConfig") == 0) {
        replace_json(&g_cluster_config, jv_get(&req, "cluster_config"));
        sbuf_adds(&reply, "{}");
    } else if (strcmp(method, "DrainNode") == 0) {
        drain_node(&reply, &req, err, sizeof err, &code);
    } else {
        code = 12;
        snprintf(err, sizeof err, "Method not found: %s", method);
    }
    jv_free(&req);
    if (code)
        sbuf_printf(out, "ERR\t%d\t%s\n", code, err);
    else
        sbuf_printf(out, "OK\t%s\n", reply.data);
    free(reply.data);
}

/* A drained node with nothing on it: its raylet exits (g_drain_exit_ms
 * later), as Ray's raylet that is draining and idle; the head is never
 * told to (it stays DRAINING). Returns when it is next due, or 0. */
int64_t drain_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    for (i = 1; i < g_nnodes; i++) {
        struct node *n = &g_nodes[i];
        if (!n->alive || !n->draining || n->drain_told || n->nclaims > 0 || n->fd < 0)
            continue;
        if (n->drain_exit_at == 0)
            n->drain_exit_at = now + g_drain_exit_ms;
        if (now >= n->drain_exit_at) {
            char line[32];
            int len = snprintf(line, sizeof line, "DRAINED %d\n", n->drain_reason);
            send(n->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
            n->drain_told = 1;
        } else if (next == 0 || n->drain_exit_at < next) {
            next = n->drain_exit_at;
        }
    }
    return next;
}

/* A drained node's death message, as Ray's state API words NodeDeathInfo
 * (the reason's text, then its message). */
void drain_death_message(const struct node *n, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s",
             n->drain_reason == 1 ? "Terminated due to idle (no Ray activity)"
                                  : "Terminated due to preemption",
             n->drain_message[0] ? ": " : "", n->drain_message);
}

/* GET /api/standin/autoscaler: what tests assert on. */
void autoscaler_debug_json(struct sbuf *b)
{
    sbuf_printf(b, "{\"cluster_resource_state_version\": %lld, \"crashed\": %s, "
                   "\"crash_message\": ",
                (long long)g_gcs_version, g_gcs_crashed ? "true" : "false");
    json_strz(b, g_gcs_crashed ? g_gcs_crash : NULL);
    sbuf_printf(b, ", \"grpc_service\": %s, \"autoscaling_state\": %s, "
                   "\"cluster_resource_constraint\": %s, \"cluster_config\": %s, "
                   "\"drain_calls\": [%s]}",
                gcs_grpc_running() ? "true" : "false", g_as_state ? g_as_state : "null",
                g_constraint ? g_constraint : "null",
                g_cluster_config ? g_cluster_config : "null",
                g_drain_calls.data ? g_drain_calls.data : "");
}

/* `ray status` "From request_resources" lines:
 * " {'CPU': 4.0}: 2 from request_resources()". */
void constraint_text(struct sbuf *b)
{
    struct jv v, *rr;
    char err[160];
    size_t i;
    if (g_constraint == NULL ||
        json_parse(g_constraint, strlen(g_constraint), &v, err, sizeof err) != 0)
        return;
    rr = jv_get(&v, "resource_requests");
    for (i = 0; rr && rr->t == J_ARR && i < rr->n; i++) {
        struct jv *bundle = jv_get(jv_get(&rr->kids[i], "request"), "resources_bundle");
        struct shape s;
        char *text = bundle ? json_dump(bundle) : xstrdup("{}");
        if (shape_from_json(text, &s, err, sizeof err) == 0) {
            sbuf_adds(b, " ");
            shape_py(b, &s);
            sbuf_printf(b, ": %lld from request_resources()\n",
                        jv_ll(jv_get(&rr->kids[i], "count")));
        }
        free(text);
    }
    jv_free(&v);
}
