/*
 * standin_serve_json.c - the body of GET /api/serve/applications/ in the
 * ray stand-in: Serve's ServeInstanceDetails, with the fields Ray's
 * controller sets (exclude_unset), in its order. A TEST FIXTURE, not Ray.
 */
#include "standin_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const SERVE_APP_STATUS[] = {"NOT_STARTED", "DEPLOYING", "DEPLOY_FAILED",
                                        "RUNNING", "UNHEALTHY", "DELETING"};
static const char *const REPLICA_STATE[] = {"STARTING", "RUNNING", "STOPPING"};

/* The head's node id, without Ray's "node_" prefix. */
static const char *head_id(void)
{
    return g_nodes[0].id + 5;
}

static void actor(struct sbuf *b, const char *actor_id, const char *name, const char *worker,
                  const char *log)
{
    sbuf_printf(b, "{\"node_id\": \"%s\", \"node_ip\": \"%s\", \"node_instance_id\": \"\", "
                   "\"actor_id\": \"%s\", \"actor_name\": ", head_id(), g_head_ip,
                actor_id);
    json_strz(b, name);
    sbuf_printf(b, ", \"worker_id\": \"%s\", \"log_file_path\": \"%s\"", worker, log);
}

static void replica(struct sbuf *b, const struct serve_app *a, const struct serve_replica *r)
{
    struct sbuf name = {NULL, 0, 0};
    sbuf_printf(&name, "SERVE_REPLICA::%s#%s#%s", a->cfg.name, a->dep->name, r->id);
    if (r->placed)
        sbuf_printf(b, "{\"node_id\": \"%s\", \"node_ip\": \"%s\", ", r->node_id, r->node_ip);
    else
        sbuf_adds(b, "{\"node_id\": null, \"node_ip\": null, ");
    sbuf_printf(b, "\"node_instance_id\": \"\", \"actor_id\": \"%s\", \"actor_name\": ",
                r->actor_id);
    json_strz(b, name.data);
    sbuf_printf(b, ", \"worker_id\": \"%s\", \"log_file_path\": ", r->worker_id);
    name.len = 0;
    sbuf_printf(&name, "/serve/replica_%s_%s_%s.log", a->cfg.name, a->dep->name, r->id);
    json_strz(b, name.data);
    free(name.data);
    sbuf_printf(b, ", \"replica_id\": \"%s\", \"state\": \"%s\", \"pid\": ", r->id,
                REPLICA_STATE[r->state]);
    if (r->placed)
        sbuf_printf(b, "%ld", r->pid);
    else
        sbuf_adds(b, "null");
    sbuf_adds(b, ", \"start_time_s\": ");
    py_float(b, r->start_time_s);
    sbuf_adds(b, "}");
}

static void deployment(struct sbuf *b, const struct serve_app *a)
{
    const struct serve_dep *d = a->dep;
    size_t i;
    sbuf_printf(b, "{\"%s\": {\"name\": \"%s\", \"status\": \"%s\", \"status_trigger\": \"%s\", "
                   "\"message\": ", d->name, d->name, d->status, d->trigger);
    json_strz(b, d->message);
    sbuf_printf(b, ", \"deployment_config\": %s, \"target_num_replicas\": %ld, "
                   "\"required_resources\": {", d->opts.config_json, d->target);
    for (i = 0; i < (size_t)d->opts.shape.n; i++) {
        sbuf_adds(b, i ? ", " : "");
        json_strz(b, d->opts.shape.name[i]);
        sbuf_adds(b, ": ");
        py_float(b, d->opts.shape.v[i]);
    }
    sbuf_adds(b, "}, \"replicas\": [");
    for (i = 0; i < d->nreps; i++) {
        sbuf_adds(b, i ? ", " : "");
        replica(b, a, &d->reps[i]);
    }
    sbuf_adds(b, "]}}");
}

static void application(struct sbuf *b, const struct serve_app *a)
{
    json_strz(b, a->cfg.name);
    sbuf_adds(b, ": {\"name\": ");
    json_strz(b, a->cfg.name);
    sbuf_adds(b, ", \"route_prefix\": ");
    if (a->has_route && a->cfg.route_prefix != NULL)
        json_strz(b, a->cfg.route_prefix);
    else
        sbuf_adds(b, "null");
    sbuf_printf(b, ", \"docs_path\": null, \"status\": \"%s\", \"message\": ",
                SERVE_APP_STATUS[a->status]);
    json_strz(b, a->message);
    sbuf_adds(b, ", \"last_deployed_time_s\": ");
    py_float(b, a->last_deployed_s);
    sbuf_printf(b, ", \"deployed_app_config\": %s, \"source\": \"declarative\", "
                   "\"deployments\": ", a->cfg.deployed_json);
    if (a->dep != NULL)
        deployment(b, a);
    else
        sbuf_adds(b, "{}");
    sbuf_printf(b, ", \"external_scaler_enabled\": %s}", a->cfg.external_scaler ? "true" : "false");
}

/* ServeInstanceDetails; api_type "imperative" lists no app (the REST API
 * deploys declaratively). */
void serve_json_details(struct sbuf *b, const char *api_type)
{
    char log[96];
    size_t i, n = 0;
    if (g_serve.phase == SERVE_OFF || g_serve.phase == SERVE_STARTING) {
        sbuf_adds(b, "{\"deploy_mode\": \"MULTI_APP\", \"controller_info\": {}, \"proxies\": {}, "
                     "\"applications\": {}, \"target_capacity\": null}");
        return;
    }
    sbuf_adds(b, "{\"controller_info\": ");
    snprintf(log, sizeof log, "/serve/controller_%d.log", (int)getpid());
    actor(b, g_serve.controller_actor, "SERVE_CONTROLLER_ACTOR", g_serve.controller_worker, log);
    sbuf_printf(b, "}, \"proxy_location\": \"%s\", \"http_options\": %s, \"grpc_options\": %s, "
                   "\"proxies\": {", g_serve.cfg.proxy_location, g_serve.cfg.http_json,
                g_serve.cfg.grpc_json);
    if (strcmp(g_serve.cfg.proxy_location, "Disabled") != 0) {
        struct sbuf name = {NULL, 0, 0};
        sbuf_printf(&name, "SERVE_CONTROLLER_ACTOR:SERVE_PROXY_ACTOR-%s", head_id());
        snprintf(log, sizeof log, "/serve/proxy_%s.log", g_head_ip);
        sbuf_printf(b, "\"%s\": ", head_id());
        actor(b, g_serve.proxy_actor, name.data, g_serve.proxy_worker, log);
        sbuf_printf(b, ", \"status\": \"%s\"}", g_serve.proxy_status);
        free(name.data);
    }
    sbuf_adds(b, "}, \"deploy_mode\": \"MULTI_APP\", \"applications\": {");
    for (i = 0; i < g_serve.napps && strcmp(api_type, "imperative") != 0; i++) {
        sbuf_adds(b, n++ ? ", " : "");
        application(b, &g_serve.apps[i]);
    }
    sbuf_adds(b, "}");
    if (g_serve.cfg.target_capacity >= 0) {
        sbuf_adds(b, ", \"target_capacity\": ");
        py_float(b, g_serve.cfg.target_capacity);
    }
    sbuf_adds(b, "}");
}
