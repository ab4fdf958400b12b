/*
 * standin_serve_deploy.c - a Serve deployment in the ray stand-in: each
 * replica is a claim of its ray_actor_options in the resource model
 * (standin_resources.h), so one no node can hold is pending demand in the
 * GCS's autoscaler state and stays STARTING, unplaced, as in Ray; placed,
 * it starts, and it is replaced on a new config, scaled and stopped; the
 * deployment's status and trigger move as Serve's DeploymentStatusInfo
 * moves them. A TEST FIXTURE, not Ray.
 */
#include "standin_serve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- placement: each replica is a claim of its shape in the resource model -- */

/* Releases a replica's claim: its resources come back to its node. */
static void release(struct serve_replica *r)
{
    if (r->claim > 0)
        standin_demand_release(r->claim);
    r->claim = 0;
}

/* Follows where the resource model put the replica's claim: placed (or
 * moved, its node having died) it starts there; pending again, it waits. */
static void follow_claim(struct serve_replica *r, int64_t now)
{
    const char *hex = NULL;
    int placed = r->claim > 0 && standin_demand_placed(r->claim, &hex) > 0;
    if (r->state == R_STOPPING)
        return;
    if (placed && (!r->placed || strcmp(r->node_id, hex) != 0)) {
        const char *ip = standin_node_ip(hex);
        r->placed = 1;
        snprintf(r->node_id, sizeof r->node_id, "%s", hex);
        snprintf(r->node_ip, sizeof r->node_ip, "%s", ip ? ip : "");
        r->pid = 1000 + (long)(mix64((uint64_t)wall_ms() ^ (uint64_t)(uintptr_t)r) % 60000);
        r->state = R_STARTING;
        r->since = now;
    } else if (!placed && r->placed) {
        r->placed = 0;
        r->state = R_STARTING;
        r->since = now;
    }
}

/* --- deployments -------------------------------------------------------------- */

static long target_of(const struct serve_dep_opts *o)
{
    long n = o->autoscaling ? (o->initial_replicas >= 0 ? o->initial_replicas : o->min_replicas)
                            : o->num_replicas;
    double tc = g_serve.cfg.target_capacity;
    if (tc >= 0)
        n = tc == 0 ? 0 : (long)ceil((double)n * tc / 100.0);
    return n;
}

static void set_status(struct serve_dep *d, const char *status, const char *trigger,
                       const char *message)
{
    d->status = status;
    d->trigger = trigger;
    free(d->message);
    d->message = xstrdup(message);
}

static void add_replica(struct serve_app *a, struct serve_dep *d)
{
    struct serve_replica *r;
    char owner[64];
    d->reps = xrealloc(d->reps, (d->nreps + 1) * sizeof *d->reps);
    r = &d->reps[d->nreps++];
    memset(r, 0, sizeof *r);
    serve_random_hex(r->id, 8);
    serve_random_hex(r->actor_id, 32);
    serve_random_hex(r->worker_id, 56);
    r->state = R_STARTING;
    r->shape = d->opts.shape;
    r->start_time_s = serve_now_s();
    r->since = now_ms();
    snprintf(owner, sizeof owner, "serve:%.40s:%s", a->cfg.name, r->id);
    r->claim = standin_demand_add(owner, &r->shape, 1, NULL, NULL);
}

static void copy_opts(struct serve_dep_opts *dst, const struct serve_dep_opts *src)
{
    free(dst->config_json);
    free(dst->restart_key);
    free(dst->version_key);
    *dst = *src;
    dst->config_json = xstrdup(src->config_json);
    dst->restart_key = xstrdup(src->restart_key);
    dst->version_key = xstrdup(src->version_key);
    dst->build_error = NULL; /* the app's config keeps it */
}

/* The app's deployment takes its new options: replicas replaced (new code,
 * other ray_actor_options), or only more or fewer of them. */
/* A manual scale (Serve's MANUALLY_INCREASE/DECREASE_NUM_REPLICAS): it
 * does not change an UPDATING deployment; a HEALTHY one (or one already
 * scaling) goes UPSCALING or DOWNSCALING, trigger CONFIG_UPDATE_STARTED. */
static void scaled(struct serve_dep *d, long from, long to)
{
    char msg[96];
    const char *st = to > from ? "UPSCALING" : "DOWNSCALING";
    snprintf(msg, sizeof msg, "%s from %ld to %ld replicas.",
             to > from ? "Upscaling" : "Downscaling", from, to);
    if (strcmp(d->status, "HEALTHY") == 0 || strcmp(d->status, "UPSCALING") == 0 ||
        strcmp(d->status, "DOWNSCALING") == 0)
        set_status(d, st, "CONFIG_UPDATE_STARTED", msg);
}

/* The app's deployment takes its new options, as Serve's deploy(): only a
 * new replica count scales it; anything else is a new version (UPDATING),
 * whose replicas are replaced (new code, other ray_actor_options) or
 * reconfigured in place. */
void serve_dep_update(struct serve_app *a, int new_code)
{
    struct serve_dep *d = a->dep;
    long old_target = d->target, target = target_of(&a->cfg.dep);
    size_t r;
    int replace = new_code || strcmp(d->opts.restart_key, a->cfg.dep.restart_key) != 0;
    int same_version = !replace && strcmp(d->opts.version_key, a->cfg.dep.version_key) == 0;

    copy_opts(&d->opts, &a->cfg.dep);
    d->target = target;
    d->failures = 0;
    if (same_version) {
        if (target != old_target)
            scaled(d, old_target, target);
        return;
    }
    d->health_armed = 1;
    d->unhealthy_from = d->unhealthy_until = 0;
    if (replace)
        for (r = 0; r < d->nreps; r++)
            d->reps[r].old = 1;
    set_status(d, "UPDATING", "CONFIG_UPDATE_STARTED", "");
}

static void stop_replica(struct serve_replica *r, int64_t now)
{
    r->state = R_STOPPING;
    r->since = now;
}

/* Ray's message for replicas no node can take, after the slow-start warning. */
static void slow_message(struct serve_app *a, size_t pending, const struct shape *s)
{
    struct sbuf m = {NULL, 0, 0};
    size_t i, k;
    sbuf_printf(&m, "Deployment '%s' in application '%s' has %zu replicas that have taken more "
                    "than %lds to be scheduled. This may be due to waiting for the cluster to "
                    "auto-scale or for a runtime environment to be installed. Resources "
                    "required for each replica: {", a->dep->name, a->cfg.name, pending,
                g_knobs.slow_ms / 1000);
    for (i = 0; i < (size_t)s->n; i++) { /* json.dumps, as Serve's resource_requirements() */
        sbuf_adds(&m, i ? ", " : "");
        json_strz(&m, s->name[i]);
        sbuf_adds(&m, ": ");
        py_float(&m, s->v[i]);
    }
    sbuf_adds(&m, "}, total resources available: {");
    for (i = 0, k = 0; i < (size_t)s->n; i++) {
        double avail = 0;
        size_t j;
        for (j = 0; j < g_nnodes; j++)
            if (g_nodes[j].alive && g_nodes[j].res_ready)
                avail += shape_get(&g_nodes[j].avail, s->name[i]);
        if (avail <= 0)
            continue; /* ray.available_resources() leaves out what is used up */
        sbuf_adds(&m, k++ ? ", " : "");
        json_strz(&m, s->name[i]);
        sbuf_adds(&m, ": ");
        py_float(&m, avail);
    }
    sbuf_adds(&m, "}. Use `ray status` for more details.");
    if (strcmp(a->dep->status, "UNHEALTHY") != 0) {
        free(a->dep->message);
        a->dep->message = m.data;
    } else {
        free(m.data);
    }
}

static int is_broken(const struct serve_app *a)
{
    const char *p = a->cfg.import_path;
    size_t n = strlen(p);
    return n > 7 && strcmp(p + n - 7, ":broken") == 0;
}

void serve_dep_create(struct serve_app *a)
{
    struct serve_dep *d = xmalloc(sizeof *d);
    memset(d, 0, sizeof *d);
    d->name = xstrdup(SERVE_ECHO_DEPLOYMENT);
    d->message = xstrdup("");
    copy_opts(&d->opts, &a->cfg.dep);
    d->target = target_of(&d->opts);
    d->status = "UPDATING";
    d->trigger = "CONFIG_UPDATE_STARTED";
    d->health_armed = 1;
    a->dep = d;
}

void serve_dep_stop_all(struct serve_dep *d, int64_t now)
{
    size_t r;
    for (r = 0; r < d->nreps; r++)
        if (d->reps[r].state != R_STOPPING)
            stop_replica(&d->reps[r], now);
}

void serve_dep_free(struct serve_dep *d)
{
    size_t r;
    if (d == NULL)
        return;
    free(d->name);
    free(d->message);
    free(d->opts.config_json);
    free(d->opts.restart_key);
    free(d->opts.version_key);
    for (r = 0; r < d->nreps; r++)
        release(&d->reps[r]);
    free(d->reps);
    free(d);
}

static int64_t sooner(int64_t next, int64_t t)
{
    return next == 0 || t < next ? t : next;
}

/* A replica of standin_echo:broken failed in its constructor: Serve
 * starts another; 3 x target failures in a row fail the deployment. */
static void constructor_failed(struct serve_dep *d, struct serve_replica *r, int64_t now)
{
    serve_random_hex(r->id, 8);
    serve_random_hex(r->actor_id, 32);
    r->since = now;
    r->start_time_s = serve_now_s();
    if (++d->failures == 3 * (d->target > 0 ? d->target : 1)) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "The deployment failed to start %d times in a row. This may be due to a "
                        "problem with its constructor or initial health check failing. See "
                        "controller logs for details. Retrying after 1 seconds. Error:\n"
                        "Traceback (most recent call last):\n  (raylaunch's ray stand-in)\n"
                        "RuntimeError: %s:broken fails in its constructor.\n",
                    d->failures, SERVE_ECHO_MODULE);
        set_status(d, "DEPLOY_FAILED", "REPLICA_STARTUP_FAILED", m.data);
        free(m.data);
    }
}

/* standin_echo's args.unhealthy_after_s / unhealthy_for_s: the replicas
 * fail their health checks once, that long after the deployment is
 * HEALTHY, for that long; then they recover. Returns 1 inside the window. */
static int unhealthy_window(struct serve_app *a, int64_t now, int64_t *next)
{
    struct serve_dep *d = a->dep;
    if (d->unhealthy_from == 0)
        return 0;
    if (now < d->unhealthy_from) {
        *next = sooner(*next, d->unhealthy_from);
        return 0;
    }
    if (now < d->unhealthy_until) {
        *next = sooner(*next, d->unhealthy_until);
        if (strcmp(d->status, "UNHEALTHY") != 0)
            set_status(d, "UNHEALTHY", "HEALTH_CHECK_FAILED",
                       "A replica's health check failed. This deployment will be UNHEALTHY "
                       "until the replica recovers or a new deploy happens.");
        return 1;
    }
    d->unhealthy_from = d->unhealthy_until = 0;
    return 0;
}

int64_t serve_dep_tick(struct serve_app *a, int64_t now)
{
    struct serve_dep *d = a->dep;
    int64_t next = 0, pending_since = 0;
    long live = 0, running = 0;
    size_t r, k, pending = 0, old_left = 0, busy = 0;
    int sick;

    if (a->deleting_until)
        return 0;
    sick = unhealthy_window(a, now, &next);
    for (r = 0; r < d->nreps; r++)
        live += !d->reps[r].old && d->reps[r].state != R_STOPPING;
    /* fewer: the unplaced go first, then the newest */
    for (r = d->nreps; r-- > 0 && live > d->target;)
        if (!d->reps[r].old && d->reps[r].state == R_STARTING && !d->reps[r].placed) {
            stop_replica(&d->reps[r], now - g_knobs.stop_ms);
            live--;
        }
    for (r = d->nreps; r-- > 0 && live > d->target;)
        if (!d->reps[r].old && d->reps[r].state != R_STOPPING) {
            stop_replica(&d->reps[r], now);
            live--;
        }
    for (; live < d->target; live++)
        add_replica(a, d);
    for (r = 0; r < d->nreps; r++) {
        struct serve_replica *p = &d->reps[r];
        follow_claim(p, now);
        if (p->state == R_STARTING && !p->placed) {
            pending++;
            pending_since = pending_since ? pending_since : p->since;
            for (k = 0; k < d->nreps; k++) /* make room: an old one goes */
                if (d->reps[k].old && d->reps[k].state != R_STOPPING) {
                    stop_replica(&d->reps[k], now);
                    break;
                }
        }
        if (p->state == R_RUNNING && sick && !p->old)
            p->state = R_STARTING;
        if (p->state == R_STARTING && p->placed && !sick) {
            if (now - p->since < g_knobs.deploy_ms)
                next = sooner(next, p->since + g_knobs.deploy_ms);
            else if (is_broken(a))
                constructor_failed(d, p, now), next = sooner(next, now + g_knobs.deploy_ms);
            else
                p->state = R_RUNNING;
        }
        running += !p->old && p->state == R_RUNNING;
    }
    for (r = 0; r < d->nreps; r++) {
        struct serve_replica *p = &d->reps[r];
        if (p->old && p->state != R_STOPPING && running >= d->target)
            stop_replica(p, now);
        old_left += p->old && p->state != R_STOPPING;
    }
    for (r = 0, k = 0; r < d->nreps; r++) {
        struct serve_replica *p = &d->reps[r];
        if (p->state == R_STOPPING && now - p->since >= g_knobs.stop_ms) {
            release(p);
            continue;
        }
        if (p->state == R_STOPPING)
            next = sooner(next, p->since + g_knobs.stop_ms);
        busy += p->state != R_RUNNING; /* Serve waits for these to settle */
        d->reps[k++] = *p;
    }
    d->nreps = k;
    if (!sick && running == d->target && old_left == 0 && busy == 0 &&
        strcmp(d->status, "HEALTHY") != 0) {
        /* Serve's HEALTHY transition: its trigger says what completed */
        set_status(d, "HEALTHY", strcmp(d->status, "UPDATING") == 0 ? "CONFIG_UPDATE_COMPLETED"
                                 : strcmp(d->status, "UPSCALING") == 0 ? "UPSCALE_COMPLETED"
                                 : strcmp(d->status, "DOWNSCALING") == 0 ? "DOWNSCALE_COMPLETED"
                                 : "UNSPECIFIED", "");
        if (d->health_armed && a->cfg.unhealthy_after_s >= 0) {
            d->health_armed = 0;
            d->unhealthy_from = now + (int64_t)(a->cfg.unhealthy_after_s * 1000);
            d->unhealthy_until = d->unhealthy_from +
                                 (int64_t)((a->cfg.unhealthy_for_s > 0 ? a->cfg.unhealthy_for_s
                                                                       : 1) * 1000);
            next = sooner(next, d->unhealthy_from);
        }
    }
    if (pending > 0 && now - pending_since >= g_knobs.slow_ms)
        slow_message(a, pending, &d->opts.shape);
    else if (pending > 0)
        next = sooner(next, pending_since + g_knobs.slow_ms);
    return next;
}

int serve_app_has_running(const struct serve_app *a)
{
    size_t r;
    for (r = 0; a->dep != NULL && r < a->dep->nreps; r++)
        if (a->dep->reps[r].state == R_RUNNING)
            return 1;
    return 0;
}
