/* standin_http_api.c - the ray stand-in (a test fixture, not Ray): dashboard routes: GET /api/v0/nodes and the Jobs API. */
#include "standin.h"

/* --- GET /api/v0/nodes --------------------------------------------- */


int ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int node_matches(const struct node *n, const struct node_filter *f, size_t nf)
{
    size_t i;
    for (i = 0; i < nf; i++) {
        int eq;
        if (strcmp(f[i].key, "node_id") == 0)
            eq = ieq(n->id + 5, f[i].value);
        else if (strcmp(f[i].key, "node_ip") == 0)
            eq = ieq(n->ip, f[i].value);
        else if (strcmp(f[i].key, "node_name") == 0)
            eq = ieq(n->name, f[i].value);
        else if (strcmp(f[i].key, "state") == 0)
            eq = ieq(n->alive ? "ALIVE" : "DEAD", f[i].value);
        else /* is_head_node, checked to be true or false */
            eq = n->is_head == ieq(f[i].value, "true");
        if (eq == f[i].negate)
            return 0;
    }
    return 1;
}

int cmp_node_ptr(const void *a, const void *b)
{
    const struct node *x = *(const struct node *const *)a;
    const struct node *y = *(const struct node *const *)b;
    return strcmp(x->id, y->id);
}

void node_json(struct sbuf *b, const struct node *n, int detail)
{
    sbuf_printf(b, "{\"node_id\": \"%s\", \"node_ip\": ", n->id + 5);
    json_strz(b, n->ip);
    sbuf_printf(b, ", \"is_head_node\": %s, \"state\": \"%s\", \"state_message\": ",
                n->is_head ? "true" : "false", n->alive ? "ALIVE" : "DEAD");
    if (!n->alive && n->drain_told) {
        char msg[400];
        drain_death_message(n, msg, sizeof msg);
        json_strz(b, msg);
    } else {
        json_strz(b, n->alive ? NULL : n->state_message);
    }
    sbuf_adds(b, ", \"node_name\": ");
    json_strz(b, n->name);
    sbuf_printf(b, ", \"resources_total\": {\"CPU\": %ld.0", n->cpus);
    if (n->gpus > 0)
        sbuf_printf(b, ", \"GPU\": %ld.0", n->gpus);
    sbuf_adds(b, ", \"memory\": ");
    py_float(b, n->memory);
    sbuf_adds(b, ", \"object_store_memory\": ");
    py_float(b, n->object_store_memory);
    sbuf_adds(b, ", ");
    {
        char key[80];
        snprintf(key, sizeof key, "node:%s", n->ip);
        json_strz(b, key);
    }
    sbuf_adds(b, ": 1.0");
    if (n->is_head)
        sbuf_adds(b, ", \"node:__internal_head__\": 1.0");
    if (n->resources[0])
        sbuf_printf(b, ", %s", n->resources);
    sbuf_printf(b, "}, \"labels\": {\"ray.io/node-id\": \"%s\"", n->id + 5);
    if (n->labels[0])
        sbuf_printf(b, ", %s", n->labels);
    sbuf_adds(b, "}");
    if (detail)
        sbuf_printf(b, ", \"start_time_ms\": %lld, \"end_time_ms\": %lld",
                    (long long)n->start_ms, (long long)n->end_ms);
    sbuf_adds(b, "}");
}


void http_nodes(struct conn *c, char *query)
{
    static const char *const columns[] = {"node_id", "node_ip", "is_head_node", "state",
                                          "node_name"};
    const char *keys[MAX_QUERY_PARAMS], *preds[MAX_QUERY_PARAMS], *vals[MAX_QUERY_PARAMS];
    struct node_filter filters[MAX_QUERY_PARAMS];
    size_t nk = 0, np = 0, nv = 0, i, k, nmatch = 0;
    long limit = 100, timeout = 30;
    int detail = 0;
    char msg[300], *save = NULL, *param;
    struct node **list;
    struct sbuf b = {NULL, 0, 0};

    for (param = strtok_r(query, "&", &save); param; param = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(param, '=');
        char *value = param + strlen(param); /* "" when there is no '=' */
        if (eq) {
            *eq = '\0';
            value = eq + 1;
        }
        pct_decode(param, 1);
        pct_decode(value, 1);
        if (strcmp(param, "limit") == 0) {
            if (parse_long(value, &limit) != 0) {
                snprintf(msg, sizeof msg, "invalid literal for int() with base 10: '%.200s'",
                         value);
                http_envelope_error(c, 400, msg);
                return;
            }
        } else if (strcmp(param, "timeout") == 0) {
            if (parse_long(value, &timeout) != 0) {
                snprintf(msg, sizeof msg, "invalid literal for int() with base 10: '%.200s'",
                         value);
                http_envelope_error(c, 400, msg);
                return;
            }
        } else if (strcmp(param, "detail") == 0) {
            detail = ieq(value, "true") || strcmp(value, "1") == 0;
        } else if (strcmp(param, "filter_keys") == 0 && nk < MAX_QUERY_PARAMS) {
            keys[nk++] = value;
        } else if (strcmp(param, "filter_predicates") == 0 && np < MAX_QUERY_PARAMS) {
            preds[np++] = value;
        } else if (strcmp(param, "filter_values") == 0 && nv < MAX_QUERY_PARAMS) {
            vals[nv++] = value;
        }
    }
    /* Ray's checks: the server uses 80% of the timeout and refuses 0. */
    if ((timeout * 4) / 5 <= 0) {
        http_envelope_error(c, 400, "0 second timeout is not supported.");
        return;
    }
    if (limit > 10000) {
        snprintf(msg, sizeof msg,
                 "Given limit %ld exceeds the supported limit 10000. Use a lower limit.",
                 limit);
        http_envelope_error(c, 400, msg);
        return;
    }
    if (nk != np || nk != nv) {
        http_envelope_error(c, 400, "filter_keys, filter_predicates and filter_values "
                                    "must come in triples.");
        return;
    }
    for (i = 0; i < nk; i++) {
        int known = 0;
        for (k = 0; k < COUNT(columns); k++)
            known |= strcmp(keys[i], columns[k]) == 0;
        if (!known) {
            snprintf(msg, sizeof msg,
                     "The given filter column %.100s is not supported. Supported filter "
                     "columns: ['node_id', 'node_ip', 'is_head_node', 'state', 'node_name']",
                     keys[i]);
            http_envelope_error(c, 400, msg);
            return;
        }
        if (strcmp(preds[i], "=") != 0 && strcmp(preds[i], "!=") != 0) {
            snprintf(msg, sizeof msg,
                     "Unsupported filter predicate %.100s is given. Available predicates: "
                     "=, !=.", preds[i]);
            http_envelope_error(c, 400, msg);
            return;
        }
        if (strcmp(keys[i], "is_head_node") == 0 && !ieq(vals[i], "true") &&
            !ieq(vals[i], "false")) {
            snprintf(msg, sizeof msg, "Invalid value %.100s for boolean", vals[i]);
            http_envelope_error(c, 400, msg);
            return;
        }
        filters[i].key = keys[i];
        filters[i].value = vals[i];
        filters[i].negate = preds[i][0] == '!';
    }

    list = xmalloc((g_nnodes + 1) * sizeof *list);
    for (i = 0; i < g_nnodes; i++)
        if (node_matches(&g_nodes[i], filters, nk))
            list[nmatch++] = &g_nodes[i];
    qsort(list, nmatch, sizeof *list, cmp_node_ptr);

    sbuf_printf(&b, "{\"result\": true, \"msg\": \"\", \"data\": {\"result\": {\"total\": %zu, "
                    "\"num_after_truncation\": %zu, \"num_filtered\": %zu, \"result\": [",
                g_nnodes, nmatch, nmatch);
    for (i = 0; i < nmatch && (long)i < limit; i++) {
        if (i > 0)
            sbuf_adds(&b, ", ");
        node_json(&b, list[i], detail);
    }
    sbuf_adds(&b, "], \"partial_failure_warning\": \"\", \"warnings\": null}}}");
    free(list);
    http_json(c, 200, &b);
}

/* --- Jobs ------------------------------------------------------------ */

/* "raysubmit_" + 16 letters and digits, as Ray's generate_job_id. */
void new_submission_id(char out[27])
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t r = random_seed();
    int i;
    memcpy(out, "raysubmit_", 10);
    for (i = 0; i < 16; i++) {
        if (i % 8 == 0)
            r = mix64(r + 0x9e3779b97f4a7c15ULL);
        out[10 + i] = alphabet[r % 62];
        r /= 62;
    }
    out[26] = '\0';
}

/* Checks `v` as JobSubmitRequest would; 0 if fine, else -1 having replied. */
int check_submit_body(struct conn *c, struct jv *v)
{
    static const char *const allowed[] = {
        "entrypoint", "submission_id", "job_id", "runtime_env", "metadata",
        "entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory",
        "entrypoint_resources", "entrypoint_label_selector"};
    struct jv *f;
    size_t i, k;

    if (v->t != J_OBJ) {
        http_py_error(c, 400, "TypeError: ray.dashboard.modules.job.common.JobSubmitRequest() "
                              "argument after ** must be a mapping, not %s",
                      v->t == J_ARR ? "list" : v->t == J_STR ? "str" : "int");
        return -1;
    }
    for (i = 0; i < v->n; i++) {
        int ok = 0;
        for (k = 0; k < COUNT(allowed); k++)
            ok |= strcmp(v->keys[i].s, allowed[k]) == 0;
        if (!ok) {
            http_py_error(c, 400, "TypeError: JobSubmitRequest.__init__() got an unexpected "
                                  "keyword argument '%.200s'", v->keys[i].s);
            return -1;
        }
    }
    if ((f = jv_get(v, "entrypoint")) == NULL) {
        http_py_error(c, 400, "TypeError: JobSubmitRequest.__init__() missing 1 required "
                              "positional argument: 'entrypoint'");
        return -1;
    }
    if (f->t != J_STR) {
        http_py_error(c, 400, "TypeError: entrypoint must be a string, got %s", py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "submission_id")) && f->t != J_NULL && f->t != J_STR) {
        http_py_error(c, 400, "TypeError: submission_id must be a string if provided, got %s",
                      py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "job_id")) && f->t != J_NULL && f->t != J_STR) {
        http_py_error(c, 400, "TypeError: job_id must be a string if provided, got %s",
                      py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "runtime_env")) && f->t != J_NULL && f->t != J_OBJ) {
        http_py_error(c, 400, "TypeError: runtime_env must be a dict, got %s", py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "metadata")) && f->t != J_NULL) {
        if (f->t != J_OBJ) {
            http_py_error(c, 400, "TypeError: metadata must be a dict, got %s", py_type(f));
            return -1;
        }
        for (i = 0; i < f->n; i++)
            if (f->kids[i].t != J_STR) {
                http_py_error(c, 400, "TypeError: metadata values must be strings, got %s",
                              py_type(&f->kids[i]));
                return -1;
            }
    }
    if ((f = jv_get(v, "entrypoint_num_cpus")) && f->t != J_NULL && !jv_is_number(f)) {
        http_py_error(c, 400, "TypeError: entrypoint_num_cpus must be a number, got %s",
                      py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "entrypoint_num_gpus")) && f->t != J_NULL && !jv_is_number(f)) {
        http_py_error(c, 400, "TypeError: entrypoint_num_gpus must be a number, got %s",
                      py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "entrypoint_memory")) && f->t != J_NULL &&
        !(jv_is_number(f) && (f->t != J_NUM || f->is_int))) {
        http_py_error(c, 400, "TypeError: entrypoint_memory must be an integer, got %s",
                      py_type(f));
        return -1;
    }
    if ((f = jv_get(v, "entrypoint_resources")) && f->t != J_NULL) {
        if (f->t != J_OBJ) {
            http_py_error(c, 400, "TypeError: entrypoint_resources must be a dict, got %s",
                          py_type(f));
            return -1;
        }
        for (i = 0; i < f->n; i++)
            if (!jv_is_number(&f->kids[i])) {
                http_py_error(c, 400, "TypeError: entrypoint_resources values must be "
                                      "numbers, got %s", py_type(&f->kids[i]));
                return -1;
            }
    }
    return 0;
}

void http_job_submit(struct conn *c)
{
    struct jv v, *f, *env, *wd;
    char err[200], generated[27];
    const char *id;
    struct job *j;
    struct sbuf b = {NULL, 0, 0};
    size_t i;

    if (json_parse(c->body, c->body_len, &v, err, sizeof err) != 0) {
        http_py_error(c, 400, "json.decoder.JSONDecodeError: %s", err);
        return;
    }
    if (check_submit_body(c, &v) != 0) {
        jv_free(&v);
        return;
    }
    id = jv_str(jv_get(&v, "submission_id"));
    if (id == NULL)
        id = jv_str(jv_get(&v, "job_id"));
    if (id == NULL) {
        new_submission_id(generated);
        id = generated;
    }
    if (*id == '\0' || strlen(id) > 200 || strchr(id, '/') != NULL) {
        http_py_error(c, 400, "ValueError: the ray stand-in takes submission ids of 1 to 200 "
                              "characters without '/', got '%.200s'", id);
        jv_free(&v);
        return;
    }
    if (find_job(id) != NULL) {
        http_py_error(c, 400, "ValueError: Job with submission_id %s already exists. Please "
                              "use a different submission_id.", id);
        jv_free(&v);
        return;
    }
    env = jv_get(jv_get(&v, "runtime_env"), "env_vars");
    if (env != NULL && env->t != J_NULL) {
        int ok = env->t == J_OBJ;
        for (i = 0; ok && i < env->n; i++)
            ok = env->kids[i].t == J_STR && env->keys[i].len > 0 &&
                 strchr(env->keys[i].s, '=') == NULL;
        if (!ok) {
            http_py_error(c, 400, "TypeError: runtime_env['env_vars'] must be of type "
                                  "Dict[str, str], got %s", py_type(env));
            jv_free(&v);
            return;
        }
    }

    wd = jv_get(jv_get(&v, "runtime_env"), "working_dir");
    if (wd != NULL && wd->t != J_NULL && wd->t != J_STR) {
        http_py_error(c, 400, "TypeError: `working_dir` must be a string, got %s.",
                      py_type(wd));
        jv_free(&v);
        return;
    }

    j = xmalloc(sizeof *j);
    memset(j, 0, sizeof *j);
    j->id = xstrdup(id);
    if (wd != NULL && wd->t == J_STR)
        j->working_dir = xstrdup(wd->s);
    j->entrypoint = xstrdup(jv_str(jv_get(&v, "entrypoint")));
    if ((f = jv_get(&v, "metadata")) && f->t != J_NULL)
        j->metadata = json_dump(f);
    if ((f = jv_get(&v, "runtime_env")) && f->t != J_NULL)
        j->runtime_env = json_dump(f);
    if (env != NULL && env->t == J_OBJ) {
        j->env = xmalloc((env->n + 1) * sizeof *j->env);
        for (i = 0; i < env->n; i++) {
            struct sbuf kv = {NULL, 0, 0};
            sbuf_printf(&kv, "%s=%s", env->keys[i].s, env->kids[i].s);
            j->env[j->nenv++] = kv.data;
        }
    }
    {
        /* Ray runs the entrypoint where these resources are: it waits
         * (PENDING, pending demand) until a node has room. */
        static const char *const fields[][2] = {{"entrypoint_num_cpus", "CPU"},
                                                {"entrypoint_num_gpus", "GPU"},
                                                {"entrypoint_memory", "memory"}};
        struct shape s;
        char owner[64];
        memset(&s, 0, sizeof s);
        for (i = 0; i < COUNT(fields); i++)
            if ((f = jv_get(&v, fields[i][0])) && f->t == J_NUM && jv_number(f) > 0)
                shape_add(&s, fields[i][1], jv_number(f));
        if ((f = jv_get(&v, "entrypoint_resources")) && f->t == J_OBJ)
            for (i = 0; i < f->n; i++)
                if (f->kids[i].t == J_NUM && f->kids[i].num > 0)
                    shape_add(&s, f->keys[i].s, f->kids[i].num);
        if (s.n > 0) {
            j->wants_resources = 1;
            snprintf(owner, sizeof owner, "job:%.59s", id);
            j->claim = standin_demand_add(owner, &s, 1, NULL, NULL);
        }
    }
    j->state = JOB_PENDING;
    j->start_time = wall_ms();
    j->launch_at = now_ms() + g_job_start_ms;
    snprintf(j->log_path, sizeof j->log_path, "%s/logs/job-driver-%s.log", g_session_dir, id);
    if (g_njobs == g_jobs_cap) {
        g_jobs_cap = g_jobs_cap ? g_jobs_cap * 2 : 16;
        g_jobs = xrealloc(g_jobs, g_jobs_cap * sizeof *g_jobs);
    }
    g_jobs[g_njobs++] = j;
    jv_free(&v);

    sbuf_adds(&b, "{\"job_id\": ");
    json_strz(&b, j->id);
    sbuf_adds(&b, ", \"submission_id\": ");
    json_strz(&b, j->id);
    sbuf_adds(&b, "}");
    http_json(c, 200, &b);
}

/* /api/jobs/, /api/jobs/{id}, /api/jobs/{id}/logs, /api/jobs/{id}/stop */
void http_jobs(struct conn *c, const char *method, const char *rest)
{
    char id[256];
    const char *tail = strchr(rest, '/');
    size_t idlen = tail ? (size_t)(tail - rest) : strlen(rest);
    struct sbuf b = {NULL, 0, 0};
    struct job *j;
    int is_get = strcmp(method, "GET") == 0;
    int is_post = strcmp(method, "POST") == 0;

    if (*rest == '\0') {
        if (is_post) {
            http_job_submit(c);
        } else if (is_get) {
            size_t i;
            sbuf_adds(&b, "[");
            for (i = 0; i < g_njobs; i++) {
                if (i > 0)
                    sbuf_adds(&b, ", ");
                job_json(&b, g_jobs[i]);
            }
            sbuf_adds(&b, "]");
            http_json(c, 200, &b);
        } else {
            http_text(c, 405, "405: Method Not Allowed");
        }
        return;
    }
    if (tail == NULL)
        tail = "";
    if (idlen == 0 || idlen >= sizeof id ||
        (strcmp(tail, "") != 0 && strcmp(tail, "/logs") != 0 && strcmp(tail, "/stop") != 0)) {
        http_text(c, 404, "404: Not Found");
        return;
    }
    if ((strcmp(tail, "") == 0 && !is_get && strcmp(method, "DELETE") != 0) ||
        (strcmp(tail, "/logs") == 0 && !is_get) || (strcmp(tail, "/stop") == 0 && !is_post)) {
        http_text(c, 405, "405: Method Not Allowed");
        return;
    }
    memcpy(id, rest, idlen);
    id[idlen] = '\0';
    pct_decode(id, 0);
    j = find_job(id);
    if (j == NULL) {
        sbuf_printf(&b, "Job %s does not exist", id);
        http_respond(c, 404, CT_TEXT, b.data, b.len);
        free(b.data);
        return;
    }
    if (strcmp(tail, "/logs") == 0) {
        size_t len;
        char *log = read_job_log(j, &len);
        sbuf_adds(&b, "{\"logs\": ");
        json_str(&b, log, len);
        sbuf_adds(&b, "}");
        free(log);
        http_json(c, 200, &b);
    } else if (strcmp(tail, "/stop") == 0) {
        sbuf_printf(&b, "{\"stopped\": %s}", job_stop(j) ? "true" : "false");
        http_json(c, 200, &b);
    } else if (is_get) {
        job_json(&b, j);
        http_json(c, 200, &b);
    } else { /* DELETE */
        size_t i;
        if (!job_terminal(j)) {
            http_py_error(c, 500, "RuntimeError: Attempted to delete job with id '%s', but "
                                  "it is in a non-terminal state %s.", j->id,
                          JOB_STATE_NAMES[j->state]);
            return;
        }
        for (i = 0; i < g_njobs; i++)
            if (g_jobs[i] == j) {
                memmove(&g_jobs[i], &g_jobs[i + 1], (g_njobs - i - 1) * sizeof *g_jobs);
                g_njobs--;
                break;
            }
        free_job(j);
        sbuf_adds(&b, "{\"deleted\": true}");
        http_json(c, 200, &b);
    }
}

/* --- dispatch -------------------------------------------------------- */

/* A token from "Bearer <token>", or NULL. */
const char *bearer(const char *h)
{
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}
