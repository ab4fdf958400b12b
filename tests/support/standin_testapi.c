/* standin_testapi.c - the ray stand-in (a test fixture, not Ray): HTTP
 * routes on the dashboard port that only the stand-in has, for tests to
 * make what Ray makes from Python (placement groups) and to see what its
 * GCS recorded. They go through the same token gate as Ray's routes.
 *   POST   /api/standin/placement_groups
 *          {"bundles": [{"CPU": 1}, ...], "strategy": "STRICT_SPREAD", "name": "x"}
 *          -> 200 {"placement_group_id": "<36 hex>"}; 400 text: why not
 *   GET    /api/standin/placement_groups -> {"placement_groups": [{"placement_group_id",
 *          "name", "strategy", "state", "bundles": [{"resources", "node_id"}]}]}
 *   DELETE /api/standin/placement_groups/<id> -> 200 {"removed": "<id>"}; 404
 *   GET    /api/standin/autoscaler -> the GCS's counter, crash, drains, reports
 *   POST   /api/standin/autoscaler/failures {"method": "DrainNode", "code": 14, "count": 1}
 *          -> 200 {"injected": true}: those calls fail with that gRPC status */
#include "standin.h"

static void pg_list(struct conn *c)
{
    struct sbuf b = {NULL, 0, 0};
    size_t i, k;
    sbuf_adds(&b, "{\"placement_groups\": [");
    for (i = 0; i < g_npgs; i++) {
        const struct pgroup *g = &g_pgs[i];
        int n = 0;
        sbuf_printf(&b, "%s{\"placement_group_id\": \"%s\", \"name\": ", i ? ", " : "", g->id);
        json_strz(&b, g->name);
        sbuf_printf(&b, ", \"strategy\": \"%s\", \"state\": \"%s\", \"bundles\": [",
                    g->strategy, pg_state(g));
        for (k = 0; k < g_nclaims; k++) {
            if (g_claims[k].pg != (int)i + 1)
                continue;
            sbuf_adds(&b, n++ ? ", {\"resources\": " : "{\"resources\": ");
            shape_json(&b, &g_claims[k].shape);
            sbuf_adds(&b, ", \"node_id\": ");
            json_strz(&b, g_claims[k].node[0] ? g_claims[k].node : NULL);
            sbuf_adds(&b, "}");
        }
        sbuf_adds(&b, "]}");
    }
    sbuf_adds(&b, "]}");
    http_json(c, 200, &b);
}

static void pg_post(struct conn *c)
{
    struct jv v, *bundles, *strategy, *name;
    struct shape *shapes = NULL;
    char err[200], id[37];
    struct sbuf b = {NULL, 0, 0};
    size_t i;

    if (json_parse(c->body ? c->body : "", c->body_len, &v, err, sizeof err) != 0) {
        http_py_error(c, 400, "the body is not JSON: %s", err);
        return;
    }
    bundles = jv_get(&v, "bundles");
    strategy = jv_get(&v, "strategy");
    name = jv_get(&v, "name");
    if (bundles == NULL || bundles->t != J_ARR || bundles->n == 0) {
        http_py_error(c, 400, "\"bundles\" must be a non-empty list of resource dicts");
        jv_free(&v);
        return;
    }
    shapes = xmalloc(bundles->n * sizeof *shapes);
    for (i = 0; i < bundles->n; i++) {
        char *text = json_dump(&bundles->kids[i]);
        int bad = shape_from_json(text, &shapes[i], err, sizeof err);
        free(text);
        if (bad) {
            http_py_error(c, 400, "bundle %zu: %s", i, err);
            goto out;
        }
    }
    if (standin_pg_create(shapes, (int)bundles->n, jv_str(strategy) ? jv_str(strategy) : "PACK",
                          jv_str(name), id, err, sizeof err) != 0) {
        http_py_error(c, 400, "%s", err);
        goto out;
    }
    sbuf_printf(&b, "{\"placement_group_id\": \"%s\"}", id);
    http_json(c, 200, &b);
out:
    free(shapes);
    jv_free(&v);
}

/* {"method": "DrainNode", "code": 14, "count": 1}: the next `count` (1)
 * calls of `method` (any, when left out) fail with gRPC status `code`. */
static void failures_post(struct conn *c)
{
    struct jv v, *code, *count;
    char err[200];
    struct sbuf b = {NULL, 0, 0};
    if (json_parse(c->body ? c->body : "", c->body_len, &v, err, sizeof err) != 0) {
        http_py_error(c, 400, "the body is not JSON: %s", err);
        return;
    }
    code = jv_get(&v, "code");
    count = jv_get(&v, "count");
    if (code == NULL || !jv_is_number(code) || (count && !jv_is_number(count)) ||
        inject_failure(jv_str(jv_get(&v, "method")) ? jv_str(jv_get(&v, "method")) : "",
                       (int)jv_number(code), count ? (long)jv_number(count) : 1) != 0) {
        http_py_error(c, 400, "want {\"method\": NAME, \"code\": 1-16, \"count\": N >= 1} "
                              "(at most 8 at a time)");
    } else {
        sbuf_adds(&b, "{\"injected\": true}");
        http_json(c, 200, &b);
    }
    jv_free(&v);
}

/* /api/standin/...: rest is what follows that prefix. */
void standin_testapi(struct conn *c, const char *method, const char *rest)
{
    struct sbuf b = {NULL, 0, 0};
    if (strcmp(rest, "placement_groups") == 0) {
        if (strcmp(method, "GET") == 0)
            pg_list(c);
        else if (strcmp(method, "POST") == 0)
            pg_post(c);
        else
            http_text(c, 405, "405: Method Not Allowed");
    } else if (strncmp(rest, "placement_groups/", 17) == 0) {
        if (strcmp(method, "DELETE") != 0) {
            http_text(c, 405, "405: Method Not Allowed");
        } else if (standin_pg_remove(rest + 17) != 0) {
            http_py_error(c, 404, "no placement group %s", rest + 17);
        } else {
            sbuf_printf(&b, "{\"removed\": \"%s\"}", rest + 17);
            http_json(c, 200, &b);
        }
    } else if (strcmp(rest, "autoscaler/failures") == 0 && strcmp(method, "POST") == 0) {
        failures_post(c);
    } else if (strcmp(rest, "autoscaler") == 0 && strcmp(method, "GET") == 0) {
        autoscaler_debug_json(&b);
        http_json(c, 200, &b);
    } else {
        http_text(c, 404, "404: Not Found");
    }
}
