/* standin_checks.c - the ray stand-in (a test fixture, not Ray): `ray start`'s checks: options, labels, ports, GPUs, the object store. */
#include "standin.h"

/* Ray's cli_logger: "pretty" prints bare lines; "record" (the default when
 * stdin is not a TTY, so under `docker run` without -t) prints each as a
 * log record: "<time>\t<LEVEL> scripts.py:<line> -- <message>". */
int g_log_pretty;

void set_log_style(const struct command *cmd)
{
    const char *style = opt(cmd, "--log-style");
    if (style != NULL && strcmp(style, "pretty") == 0)
        g_log_pretty = 1;
    else if (style != NULL && strcmp(style, "record") == 0)
        g_log_pretty = 0;
    else
        g_log_pretty = isatty(STDIN_FILENO);
}

/* One line as Python's logging writes it with Ray's LOGGER_FORMAT
 * ("%(asctime)s\t%(levelname)s %(filename)s:%(lineno)s -- %(message)s").
 * The line numbers are the stand-in's guesses, not Ray 2.52's. */
void log_record(FILE *stream, const char *level, const char *file, int line,
                       const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stream, "%s,%03ld\t%s %s:%d -- %s\n", when, ts.tv_nsec / 1000000, level, file,
            line, msg);
}

/* A line of the CLI logger at `level` (PANIC and ERR go to stderr). */
void cli_line(const char *level, int line, const char *msg)
{
    FILE *stream = strcmp(level, "INFO") == 0 ? stdout : stderr;
    fflush(stdout);
    if (g_log_pretty)
        fprintf(stream, "%s\n", msg);
    else if (*msg != '\0') /* record style skips empty lines */
        log_record(stream, level, "scripts.py", line, msg);
}

/* Ray's cli_logger.abort(template, args...): the message at PANIC, then a
 * ClickException carrying the template itself, {} and all, that Click
 * prints as "Error: <template>" (not in pretty style: a silent one).
 * Exit status 1. `message` is the template with its {} filled in. */
void cli_abort(int line, const char *tmpl, const char *message)
{
    cli_line("PANIC", line, message);
    if (!g_log_pretty)
        fprintf(stderr, "Error: %s\n", tmpl);
    exit(1);
}

/* An exception `ray start` does not catch: Python prints a traceback and
 * exits 1. `where` says where Ray raises it. */
void python_raise(const char *where, const char *cls, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr,
            "Traceback (most recent call last):\n"
            "  File \"/usr/local/bin/ray\", in <module>  (raylaunch's ray stand-in: "
            "Ray raises this in %s)\n"
            "%s: ",
            where, cls);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* An integer option as Click gave it (already checked), or `dflt`. */
long long opt_ll(const struct command *cmd, const char *name, long long dflt)
{
    const char *s = opt(cmd, name);
    long long v;
    if (s == NULL || parse_py_int(s, &v) != 0)
        return dflt;
    return v;
}

/* ---- --labels, as Ray's label_utils ---- */

int label_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* re.fullmatch of Ray's LABEL_REGEX, [a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?,
 * on s[0..n). */
int label_name_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) ||
        !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (i = 1; i + 1 < n; i++)
        if (!label_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* re.fullmatch of Ray's LABEL_PREFIX_REGEX, ^(L?(\.L?)*)$ with L the name
 * pattern, and at most 253 characters: dot-separated pieces, each empty
 * or a name. can_start[i]: a piece may begin at i. */
int label_prefix_ok(const char *s, size_t n)
{
    char can_start[256];
    size_t i, j;
    if (n > 253)
        return 0;
    memset(can_start, 0, sizeof can_start);
    can_start[0] = 1;
    for (i = 0; i <= n; i++) {
        if (!can_start[i])
            continue;
        if (i == n)
            return 1; /* an empty last piece */
        if (s[i] == '.')
            can_start[i + 1] = 1; /* an empty piece */
        for (j = i + 1; j <= n && j - i <= 63; j++) {
            if (!label_name_ok(s + i, j - i))
                continue;
            if (j == n)
                return 1;
            if (s[j] == '.')
                can_start[j + 1] = 1;
        }
    }
    return 0;
}

/* Python's str.strip() of s[0..n) into out. */
char *py_strip(const char *s, size_t n)
{
    while (n > 0 && py_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && py_space((unsigned char)s[n - 1]))
        n--;
    {
        char *out = xmalloc(n + 1);
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
    }
}

/* Why a label is refused (Ray's words), or NULL. */
char *label_problem(const char *key, const char *value)
{
    struct sbuf b = {NULL, 0, 0};
    const char *slash = strrchr(key, '/'), *name = slash ? slash + 1 : key;
    if (slash != NULL && !label_prefix_ok(key, (size_t)(slash - key))) {
        sbuf_printf(&b, "Invalid label key prefix `%.*s`. Prefix must be a series of DNS "
                        "labels separated by dots (.), not longer than 253 characters in "
                        "total.",
                    (int)(slash - key), key);
        return b.data;
    }
    if (!label_name_ok(name, strlen(name))) {
        sbuf_printf(&b, "Invalid label key name `%s`. Name must be 63 chars or less beginning "
                        "and ending with an alphanumeric character ([a-z0-9A-Z]) with dashes "
                        "(-), underscores (_),dots (.), and alphanumerics between.",
                    name);
        return b.data;
    }
    if (*value != '\0' && !label_name_ok(value, strlen(value))) {
        sbuf_printf(&b, "Invalid label key value `%s`. Value must be 63 chars or less "
                        "beginning and ending with an alphanumeric character ([a-z0-9A-Z]) "
                        "with dashes (-), underscores (_),dots (.), and alphanumerics between.",
                    value);
        return b.data;
    }
    return NULL;
}

/* --labels refused: the CLI logger's abort, with Ray's detail. */
void labels_refused(const char *given, const char *detail)
{
    struct sbuf m = {NULL, 0, 0};
    sbuf_printf(&m, "`--labels=%s` is not a valid string of key-value pairs, detail error:%s"
                    "Valid values look like this: `--labels=\"key1=val1,key2=val2\"`",
                given, detail);
    cli_abort(872, "`{}` is not a valid string of key-value pairs, detail error:{}"
                   "Valid values look like this: `{}`",
              m.data);
}

/* --labels: Ray's "k1=v1,k2=v2" (or its deprecated JSON object of strings,
 * taken when it parses as one and names no ray.io/ key). Returns the labels
 * as a canonical JSON object, or NULL for none. Refuses, as Ray: a pair
 * without exactly one '=', a key whose optional DNS-subdomain prefix (before
 * the last '/') or name (at most 63 characters, alphanumeric at both ends,
 * - _ . between) is malformed, a non-empty value of that same form, and a
 * key in Ray's own ray.io/ namespace. */
char *labels_option(const char *given)
{
    struct sbuf b = {NULL, 0, 0};
    char err[200], *frag, *copy, **keys = NULL, **values = NULL, *p;
    size_t n = 0, len, i, j;
    struct jv v;

    if (json_parse(given, strlen(given), &v, err, sizeof err) == 0) {
        int ok = v.t == J_OBJ;
        for (i = 0; ok && i < v.n; i++)
            ok = v.kids[i].t == J_STR && strncmp(v.keys[i].s, "ray.io/", 7) != 0;
        jv_free(&v);
        if (ok && object_fragment(given, 0, &frag, err, sizeof err) == 0) {
            sbuf_printf(&b, "{%s}", frag);
            free(frag);
            return b.data;
        }
    }
    len = strlen(given);
    copy = xstrdup(given);
    if (len > 1 && copy[0] == '"' && copy[len - 1] == '"') { /* Ray drops such quotes */
        memmove(copy, copy + 1, len - 2);
        copy[len - 2] = '\0';
    }
    if (*copy == '\0') {
        free(copy);
        return NULL;
    }
    for (p = copy;;) { /* Python's split(","): empty pieces too */
        char *comma = strchr(p, ','), *eq, *key, *value;
        size_t plen = comma ? (size_t)(comma - p) : strlen(p);
        eq = memchr(p, '=', plen);
        if (eq == NULL || memchr(eq + 1, '=', plen - (size_t)(eq + 1 - p)) != NULL)
            labels_refused(given, "Label string is not a key-value pair.");
        key = py_strip(p, (size_t)(eq - p));
        value = py_strip(eq + 1, plen - (size_t)(eq + 1 - p));
        for (j = 0; j < n && strcmp(keys[j], key) != 0; j++) {
        }
        if (j < n) { /* a dict: the later value, the first place */
            free(values[j]);
            values[j] = value;
            free(key);
        } else {
            keys = xrealloc(keys, (n + 1) * sizeof *keys);
            values = xrealloc(values, (n + 1) * sizeof *values);
            keys[n] = key;
            values[n++] = value;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    for (i = 0; i < n; i++) {
        char *why = label_problem(keys[i], values[i]);
        if (why != NULL)
            labels_refused(given, why);
    }
    for (i = 0; i < n; i++)
        if (strncmp(keys[i], "ray.io/", 7) == 0) {
            struct sbuf why = {NULL, 0, 0};
            sbuf_printf(&why, "Custom label keys `%s` cannot start with the prefix `ray.io/`. "
                              "This is reserved for Ray defined labels.",
                        keys[i]);
            labels_refused(given, why.data);
        }
    sbuf_adds(&b, "{");
    for (i = 0; i < n; i++) {
        if (i > 0)
            sbuf_adds(&b, ", ");
        json_strz(&b, keys[i]);
        sbuf_adds(&b, ": ");
        json_strz(&b, values[i]);
        free(keys[i]);
        free(values[i]);
    }
    sbuf_adds(&b, "}");
    free(keys);
    free(values);
    free(copy);
    return b.data;
}

/* ---- ResourceIsolationConfig and RayParams._check_usage ---- */

/* Without --enable-resource-isolation, Ray's ResourceIsolationConfig
 * refuses its three settings (a set --cgroup-path, a non-zero reserve). */
void check_resource_isolation(const struct command *cmd)
{
    static const char tail[] =
        " cannot be set when resource isolation is not enabled. Set "
        "enable_resource_isolation to True if you're using ray.init or use the "
        "--enable-resource-isolation flag if you're using the ray cli.";
    const char *cg = opt(cmd, "--cgroup-path"), *cpu = opt(cmd, "--system-reserved-cpu");
    double reserved_cpu = 0;
    const char *where = "ResourceIsolationConfig.__init__";

    if (opt(cmd, "--enable-resource-isolation") != NULL)
        return; /* the stand-in has no cgroups: the values are not checked further */
    if (cg != NULL && *cg != '\0')
        python_raise(where, "ValueError", "cgroup_path%s", tail);
    if (cpu != NULL && parse_py_float(cpu, &reserved_cpu) == 0 && reserved_cpu != 0)
        python_raise(where, "ValueError", "system_reserved_cpu%s", tail);
    if (opt_ll(cmd, "--system-reserved-memory", 0) != 0)
        python_raise(where, "ValueError", "system_reserved_memory%s", tail);
}

/* RayParams._check_usage: worker ports, the client server and runtime env
 * agent ports, --temp-dir. A ValueError, so a traceback and exit 1. */
void check_usage(const struct command *cmd)
{
    const char *where = "RayParams._check_usage";
    const char *list = opt(cmd, "--worker-port-list"), *temp = opt(cmd, "--temp-dir");
    long long min = opt_ll(cmd, "--min-worker-port", DEFAULT_MIN_WORKER_PORT);
    long long max = opt_ll(cmd, "--max-worker-port", DEFAULT_MAX_WORKER_PORT);
    long long client = opt_ll(cmd, "--ray-client-server-port", DEFAULT_CLIENT_SERVER_PORT);

    if (list != NULL) {
        const char *p = list;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *piece = xmalloc(len + 1);
            long long port;
            memcpy(piece, p, len);
            piece[len] = '\0';
            if (parse_py_int(piece, &port) != 0) {
                struct sbuf r = {NULL, 0, 0};
                py_repr(&r, piece);
                python_raise(where, "ValueError",
                             "worker_port_list must be a comma-separated list of integers: "
                             "invalid literal for int() with base 10: %s",
                             r.data);
            }
            if (port < 1024 || port > 65535)
                python_raise(where, "ValueError",
                             "Ports in worker_port_list must be between 1024 and 65535. Got: %lld",
                             port);
            free(piece);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    if (min != 0 && (min < 1024 || min > 65535))
        python_raise(where, "ValueError",
                     "min_worker_port must be 0 or an integer between 1024 and 65535.");
    if (max != 0) {
        if (max < 1024 || max > 65535)
            python_raise(where, "ValueError",
                         "max_worker_port must be 0 or an integer between 1024 and 65535.");
        if (max <= min)
            python_raise(where, "ValueError",
                         "max_worker_port must be higher than min_worker_port.");
    }
    if (client < 1024 || client > 65535)
        python_raise(where, "ValueError",
                     "ray_client_server_port must be an integer between 1024 and 65535.");
    if (opt(cmd, "--runtime-env-agent-port") != NULL) {
        long long rt = opt_ll(cmd, "--runtime-env-agent-port", 0);
        if (rt < 1024 || rt > 65535)
            python_raise(where, "ValueError",
                         "runtime_env_agent_port must be an integer between 1024 and 65535.");
    }
    if (temp != NULL && temp[0] != '/')
        python_raise(where, "ValueError", "temp_dir must be absolute path or None.");
}

/* A worker: Ray's scripts.py wants --address and no head-only option. */
void check_worker_options(const struct command *cmd)
{
    static const char *const head_only[] = {"--port", "--redis-shard-ports",
                                            "--include-dashboard"};
    size_t i;
    if (opt(cmd, "--address") == NULL)
        cli_abort(1118, "`{}` is a required flag unless starting a head node with `{}`.",
                  "`--address` is a required flag unless starting a head node with `--head`.");
    for (i = 0; i < COUNT(head_only); i++)
        if (opt(cmd, head_only[i]) != NULL) {
            struct sbuf m = {NULL, 0, 0};
            sbuf_printf(&m, "`%s` should only be specified when starting head node with "
                            "`--head`.",
                        head_only[i]);
            cli_abort(1131, "`{}` should only be specified when starting head node with `{}`.",
                      m.data);
        }
}

/* ---- RayParams.update_pre_selected_port ---- */


void component_add(struct component *c, long long port)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4;
        c->ports = xrealloc(c->ports, c->cap * sizeof *c->ports);
    }
    c->ports[c->n++] = port;
}

/* A port option: 0 or unset is random, so nothing. */
void component_option(struct component *c, const struct command *cmd, const char *name,
                             long long dflt)
{
    long long v = opt_ll(cmd, name, dflt);
    if (v != 0)
        component_add(c, v);
}

/* Python's repr of Ray's _format_ports(...): the components in order,
 * "random" for none, the port for one, "N ports [...]" or "N ports from A
 * to B" (50 or more) for worker ports. */
void format_ports(struct sbuf *b, const struct component *cs, size_t ncs)
{
    size_t i, j;
    sbuf_adds(b, "{");
    for (i = 0; i < ncs; i++) {
        const struct component *c = &cs[i];
        size_t n = c->n;
        sbuf_printf(b, "%s'%s': ", i ? ", " : "", c->name);
        if (n == 0) {
            sbuf_adds(b, "'random'");
        } else if (c->words != NULL) { /* strings: one, or a list of them */
            if (n > 1)
                sbuf_adds(b, "[");
            for (j = 0; j < n; j++) {
                if (j > 0)
                    sbuf_adds(b, ", ");
                py_repr(b, c->words[j]);
            }
            if (n > 1)
                sbuf_adds(b, "]");
        } else if (n == 1) {
            sbuf_printf(b, "%lld", c->ports[0]);
        } else if (n < 50) {
            sbuf_printf(b, "'%zu ports [", n);
            for (j = 0; j < n; j++)
                sbuf_printf(b, "%s%lld", j ? ", " : "", c->ports[j]);
            sbuf_adds(b, "]'");
        } else {
            sbuf_printf(b, "'%zu ports from %lld to %lld'", n, c->ports[0], c->ports[n - 1]);
        }
    }
    sbuf_adds(b, "}");
}

/* Every pre-selected port of this node is reserved once, in Ray's order of
 * components; a port met again fails `ray start` with Ray's ValueError
 * naming the component that met it second. gcs_port: the head's GCS port
 * (Ray's gcs_server), -1 on a worker. */
void check_ports(const struct command *cmd, long gcs_port)
{
    enum { GCS, OM, NM, GCS_SERVER, CLIENT, DASH, AGENT_GRPC, AGENT_HTTP, RUNTIME_ENV,
           METRICS, REDIS, WORKERS, NCOMP };
    static const char *const names[NCOMP] = {
        "gcs", "object_manager", "node_manager", "gcs_server", "client_server", "dashboard",
        "dashboard_agent_grpc", "dashboard_agent_http", "runtime_env_agent", "metrics_export",
        "redis_shards", "worker_ports"};
    struct component cs[NCOMP];
    unsigned char *taken = calloc(65536, 1); /* 0..65535; other numbers in `odd` */
    long long *odd = NULL;
    size_t nodd = 0, i, j, k;
    const char *list = opt(cmd, "--worker-port-list"), *shards = opt(cmd, "--redis-shard-ports");
    char **words = NULL;
    size_t nwords = 0;

    if (taken == NULL)
        abort();
    memset(cs, 0, sizeof cs);
    for (i = 0; i < NCOMP; i++)
        cs[i].name = names[i];
    /* gcs (Ray's redis_port) stays unset: the head's port is gcs_server */
    component_option(&cs[OM], cmd, "--object-manager-port", 0);
    component_option(&cs[NM], cmd, "--node-manager-port", 0);
    if (gcs_port > 0)
        component_add(&cs[GCS_SERVER], gcs_port);
    component_option(&cs[CLIENT], cmd, "--ray-client-server-port", DEFAULT_CLIENT_SERVER_PORT);
    component_option(&cs[DASH], cmd, "--dashboard-port", DEFAULT_DASHBOARD_PORT);
    component_option(&cs[AGENT_GRPC], cmd, "--dashboard-agent-grpc-port", 0);
    component_option(&cs[AGENT_HTTP], cmd, "--dashboard-agent-listen-port", DEFAULT_AGENT_PORT);
    component_option(&cs[RUNTIME_ENV], cmd, "--runtime-env-agent-port", 0);
    component_option(&cs[METRICS], cmd, "--metrics-export-port", 0);
    if (gcs_port >= 0 && shards != NULL) {
        /* Ray's head splits them and keeps strings: they never equal a
         * number, only each other */
        const char *p = shards;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            words = xrealloc(words, (nwords + 1) * sizeof *words);
            words[nwords] = xmalloc(len + 1);
            memcpy(words[nwords], p, len);
            words[nwords++][len] = '\0';
            if (comma == NULL)
                break;
            p = comma + 1;
        }
        cs[REDIS].words = words;
        cs[REDIS].n = nwords;
    }
    if (list != NULL) {
        const char *p = list;
        for (;;) { /* each piece an integer: check_usage saw to it */
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char piece[64];
            long long port = 0;
            snprintf(piece, sizeof piece, "%.*s", (int)(len < 63 ? len : 63), p);
            parse_py_int(piece, &port);
            component_add(&cs[WORKERS], port);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    } else {
        long long min = opt_ll(cmd, "--min-worker-port", DEFAULT_MIN_WORKER_PORT);
        long long max = opt_ll(cmd, "--max-worker-port", DEFAULT_MAX_WORKER_PORT);
        long long port;
        for (port = min; port <= max; port++) /* Ray's range(min, max + 1) */
            component_add(&cs[WORKERS], port);
    }

    for (i = 0; i < NCOMP; i++) {
        for (j = 0; j < cs[i].n; j++) {
            int seen = 0;
            if (cs[i].words != NULL) {
                for (k = 0; k < j; k++)
                    seen |= strcmp(cs[i].words[k], cs[i].words[j]) == 0;
            } else {
                long long port = cs[i].ports[j];
                if (port >= 0 && port <= 65535) {
                    seen = taken[port];
                    taken[port] = 1;
                } else {
                    for (k = 0; k < nodd; k++)
                        seen |= odd[k] == port;
                    odd = xrealloc(odd, (nodd + 1) * sizeof *odd);
                    odd[nodd++] = port;
                }
            }
            if (seen) {
                struct sbuf info = {NULL, 0, 0};
                format_ports(&info, cs, NCOMP);
                if (cs[i].words != NULL)
                    python_raise("Node.__init__ (RayParams.update_pre_selected_port)",
                                 "ValueError",
                                 "Ray component %s is trying to use a port number %s that is "
                                 "used by other components.\nPort information: %s\nIf you "
                                 "allocate ports, please make sure the same port is not used "
                                 "by multiple components.",
                                 cs[i].name, cs[i].words[j], info.data);
                python_raise("Node.__init__ (RayParams.update_pre_selected_port)", "ValueError",
                             "Ray component %s is trying to use a port number %lld that is "
                             "used by other components.\nPort information: %s\nIf you "
                             "allocate ports, please make sure the same port is not used by "
                             "multiple components.",
                             cs[i].name, cs[i].ports[j], info.data);
            }
        }
    }
    for (i = 0; i < NCOMP; i++)
        free(cs[i].ports);
    for (i = 0; i < nwords; i++)
        free(words[i]);
    free(words);
    free(odd);
    free(taken);
}

/* ---- the raylet's resources: GPUs, the object store ---- */

/* --num-gpus beyond the devices CUDA_VISIBLE_DEVICES names (when it is
 * set): Ray's ValueError. */
void check_gpus(const struct command *cmd)
{
    const char *env = getenv("CUDA_VISIBLE_DEVICES");
    struct sbuf ids = {NULL, 0, 0};
    long long want;
    size_t n = 0;

    if (opt(cmd, "--num-gpus") == NULL || env == NULL)
        return;
    want = opt_ll(cmd, "--num-gpus", 0);
    sbuf_adds(&ids, "[");
    if (*env != '\0' && strcmp(env, "NoDevFiles") != 0) {
        const char *p = env;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *id = xmalloc(len + 1);
            memcpy(id, p, len);
            id[len] = '\0';
            if (n++ > 0)
                sbuf_adds(&ids, ", ");
            py_repr(&ids, id);
            free(id);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    sbuf_adds(&ids, "]");
    if (want > (long long)n)
        python_raise("ResourceAndLabelSpec.resolve", "ValueError",
                     "Attempting to start raylet with %lld GPU, but CUDA_VISIBLE_DEVICES "
                     "contains %s.",
                     want, ids.data);
    free(ids.data);
}

/* Bytes free in /dev/shm, as Ray's get_shared_memory_bytes (statvfs's
 * f_bsize * f_bavail); -1 when there is none. */
double shm_bytes(void)
{
    struct statvfs st;
    if (statvfs("/dev/shm", &st) != 0)
        return -1;
    return (double)st.f_bsize * (double)st.f_bavail;
}

/* Ray's default object store: 30% of the available memory, at most 200 GB
 * and (on Linux) at most max(10 GB, 95% of /dev/shm). */
double default_object_store(double avail)
{
    double osm = (double)(long long)(avail * 0.3), cap = OBJECT_STORE_MAX_DEFAULT;
    double shm = shm_bytes();
    if (shm >= 0) {
        double shm_cap = shm * 0.95 > REQUIRE_SHM_SIZE_THRESHOLD ? shm * 0.95
                                                                 : REQUIRE_SHM_SIZE_THRESHOLD;
        if (shm_cap < cap)
            cap = shm_cap;
    }
    return osm > cap ? (double)(long long)cap : osm;
}

/* Ray's determine_plasma_store_config: an object store /dev/shm cannot
 * hold goes to the temp dir with a warning, but one over 10 GB fails
 * (unless RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE is set, to anything). */
void check_object_store(double osm)
{
    double shm = shm_bytes();
    const char *slow = getenv("RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE");
    const char *tmp = getenv("RAY_TMPDIR") ? getenv("RAY_TMPDIR")
                      : getenv("TMPDIR")   ? getenv("TMPDIR")
                                           : "/tmp";
    struct sbuf m = {NULL, 0, 0};

    if (shm < 0 || shm >= osm)
        return;
    if ((slow == NULL || *slow == '\0') && osm > REQUIRE_SHM_SIZE_THRESHOLD) {
        struct sbuf a = {NULL, 0, 0}, b = {NULL, 0, 0};
        py_float(&a, osm / 1e9);
        py_float(&b, shm / 1e9);
        python_raise("services.determine_plasma_store_config", "ValueError",
                     "The configured object store size (%s GB) exceeds /dev/shm size (%s GB). "
                     "This will harm performance. Consider deleting files in /dev/shm or "
                     "increasing its size with --shm-size in Docker. To ignore this warning, "
                     "set RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE=1.",
                     a.data, b.data);
    }
    sbuf_printf(&m, "WARNING: The object store is using %s instead of /dev/shm because "
                    "/dev/shm has only %.0f bytes available. This will harm performance! You "
                    "may be able to free up space by deleting files in /dev/shm. If you are "
                    "inside a Docker container, you can increase /dev/shm size by passing "
                    "'--shm-size=%.2fgb' to 'docker run' (or add it to the run_options list in "
                    "a Ray cluster config). Make sure to set this to more than 30%% of "
                    "available RAM.",
                tmp, shm, osm * 1.1 / 1073741824.0);
    fflush(stdout);
    log_record(stderr, "WARNING", "services.py", 2175, m.data); /* Python's logging */
    free(m.data);
}
