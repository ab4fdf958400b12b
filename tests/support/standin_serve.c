/*
 * standin_serve.c - Ray Serve's REST API on the ray stand-in's dashboard
 * (GET, PUT and DELETE /api/serve/applications/) and the simulation behind
 * it: Serve starting on the first PUT, each app's build (the import of its
 * import_path), its deployment's replicas placed on the head's nodes and
 * started, rolled or scaled, apps deleted, Serve shut down. Everything
 * moves from serve_tick(), called by the head's poll loop; requests whose
 * answer must wait (the first PUT, DELETE) are held, not blocked on. A
 * TEST FIXTURE, not Ray. Timings: the RAY_STANDIN_SERVE_* variables
 * (tests/support/README.md).
 */
#include "standin_serve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct serve_state g_serve = {SERVE_OFF, 0, {0}, NULL, 0, "", "", "", "", 0, -1, "STARTING"};

struct serve_knobs g_knobs = {
    1000, /* start_ms: the first PUT, controller and proxy start */
    0,    /* not_started_ms: a new app is NOT_STARTED, before its build */
    500,  /* build_ms: an app's build task (its import) */
    1000, /* deploy_ms: a placed replica, STARTING -> RUNNING */
    500,  /* stop_ms: a replica STOPPING, an app DELETING */
    1000, /* shutdown_ms: DELETE, Serve's shutdown (Ray waits 30 s at most) */
    30000 /* slow_ms: Ray's RAY_SERVE_SLOW_STARTUP_WARNING_S */
};

/* Dashboard requests waiting for Serve to start or to shut down. */
static struct conn **g_held;
static size_t g_nheld;

void serve_init(void)
{
    const char *slow = getenv("RAY_SERVE_SLOW_STARTUP_WARNING_S");
    double s;
    g_knobs.start_ms = env_ms("RAY_STANDIN_SERVE_START_MS", g_knobs.start_ms);
    g_knobs.not_started_ms = env_ms("RAY_STANDIN_SERVE_NOT_STARTED_MS", g_knobs.not_started_ms);
    g_knobs.build_ms = env_ms("RAY_STANDIN_SERVE_BUILD_MS", g_knobs.build_ms);
    g_knobs.deploy_ms = env_ms("RAY_STANDIN_SERVE_DEPLOY_MS", g_knobs.deploy_ms);
    g_knobs.stop_ms = env_ms("RAY_STANDIN_SERVE_STOP_MS", g_knobs.stop_ms);
    g_knobs.shutdown_ms = env_ms("RAY_STANDIN_SERVE_SHUTDOWN_MS", g_knobs.shutdown_ms);
    if (g_knobs.shutdown_ms > 30000)
        g_knobs.shutdown_ms = 30000;
    if (slow != NULL && parse_double(slow, &s) == 0 && s >= 0)
        g_knobs.slow_ms = (long)(s * 1000);
    g_serve.proxy_fd = -1;
}

void serve_random_hex(char *out, size_t n)
{
    static uint64_t state;
    size_t i;
    if (state == 0)
        state = random_seed();
    for (i = 0; i < n; i++) {
        state = mix64(state + 0x9e3779b97f4a7c15ULL);
        out[i] = "0123456789abcdef"[state & 15];
    }
    out[n] = '\0';
}

double serve_now_s(void) { return (double)wall_ms() / 1000.0; }

static void hold(struct conn *c)
{
    g_held = xrealloc(g_held, (g_nheld + 1) * sizeof *g_held);
    g_held[g_nheld++] = c;
    c->deadline = 0; /* answered later */
}

/* --- import: what the build task finds ------------------------------------ */

/* NULL when the import_path imports (standin_echo:app, standin_echo.app,
 * standin_echo:broken), else Python's traceback text. */
static char *import_error(const char *path)
{
    const char *colon = strchr(path, ':'), *dot = strrchr(path, '.');
    const char *attr = colon ? colon + 1 : dot + 1;
    size_t mlen = (size_t)((colon ? colon : dot) - path);
    size_t elen = strlen(SERVE_ECHO_MODULE);
    struct sbuf b = {NULL, 0, 0};

    sbuf_adds(&b, "Traceback (most recent call last):\n  (raylaunch's ray stand-in)\n");
    if (mlen == elen && strncmp(path, SERVE_ECHO_MODULE, elen) == 0) {
        if (strcmp(attr, "app") == 0 || strcmp(attr, "broken") == 0) {
            free(b.data);
            return NULL;
        }
        sbuf_printf(&b, "AttributeError: module '%s' has no attribute '%s'\n",
                    SERVE_ECHO_MODULE, attr);
    } else if (mlen > elen && strncmp(path, SERVE_ECHO_MODULE ".", elen + 1) == 0) {
        sbuf_printf(&b, "ModuleNotFoundError: No module named '%.*s'; '%s' is not a package\n",
                    (int)mlen, path, SERVE_ECHO_MODULE);
    } else {
        sbuf_printf(&b, "ModuleNotFoundError: No module named '%.*s'\n",
                    (int)strcspn(path, ".:"), path);
    }
    return b.data;
}



/* --- apps ---------------------------------------------------------------- */

static struct serve_app *find_app(const char *name)
{
    size_t i;
    for (i = 0; i < g_serve.napps; i++)
        if (!g_serve.apps[i].deleting_until && strcmp(g_serve.apps[i].cfg.name, name) == 0)
            return &g_serve.apps[i];
    return NULL;
}

static void remove_app_at(size_t i)
{
    struct serve_app *a = &g_serve.apps[i];
    serve_app_cfg_free(&a->cfg);
    free(a->message);
    free(a->build_error);
    serve_dep_free(a->dep);
    memmove(a, a + 1, (g_serve.napps - i - 1) * sizeof *a);
    g_serve.napps--;
}

static void new_app(struct serve_app_cfg *cfg, int64_t now)
{
    struct serve_app *a;
    size_t i;
    for (i = 0; i < g_serve.napps; i++) /* one of its name still DELETING: gone now */
        if (strcmp(g_serve.apps[i].cfg.name, cfg->name) == 0)
            remove_app_at(i--);
    g_serve.apps = xrealloc(g_serve.apps, (g_serve.napps + 1) * sizeof *g_serve.apps);
    a = &g_serve.apps[g_serve.napps++];
    memset(a, 0, sizeof *a);
    serve_app_cfg_move(&a->cfg, cfg);
    a->status = g_knobs.not_started_ms > 0 ? APP_NOT_STARTED : APP_DEPLOYING;
    a->message = xstrdup("");
    a->last_deployed_s = serve_now_s();
    a->building = 1;
    a->not_started_until = now + g_knobs.not_started_ms;
    a->build_until = a->not_started_until + g_knobs.build_ms;
}

static void delete_app(struct serve_app *a, int64_t until)
{
    a->deleting_until = until; /* the proxy stops routing to it at once */
    a->status = APP_DELETING;
    if (a->dep != NULL) {
        a->dep->status = "UPDATING";
        a->dep->trigger = "DELETING";
        serve_dep_stop_all(a->dep, now_ms());
    }
}

/* PUT's declarative semantics: the body is the whole set of apps. */
static void apply(struct serve_cfg *cfg, int64_t now)
{
    size_t i, k;
    for (i = 0; i < g_serve.napps; i++) {
        struct serve_app *a = &g_serve.apps[i];
        int wanted = 0;
        for (k = 0; k < cfg->napps && !wanted; k++)
            wanted = strcmp(cfg->apps[k].name, a->cfg.name) == 0;
        if (!wanted && !a->deleting_until)
            delete_app(a, now + g_knobs.stop_ms);
    }
    for (k = 0; k < cfg->napps; k++) {
        struct serve_app_cfg *c = &cfg->apps[k];
        struct serve_app *a = find_app(c->name);
        int rebuild;
        if (a == NULL) {
            new_app(c, now);
            continue;
        }
        if (strcmp(a->cfg.deployed_json, c->deployed_json) == 0)
            continue; /* unchanged: untouched */
        rebuild = a->dep == NULL || a->build_error != NULL || a->building ||
                  strcmp(a->cfg.code_key, c->code_key) != 0;
        serve_app_cfg_move(&a->cfg, c);
        a->last_deployed_s = serve_now_s();
        if (rebuild) {
            a->building = 1;
            a->not_started_until = now;
            a->build_until = now + g_knobs.build_ms;
        } else {
            serve_dep_update(a, 0);
        }
    }
}

static void set_message(struct serve_app *a, enum serve_app_status st, const char *fmt,
                        const char *arg)
{
    struct sbuf m = {NULL, 0, 0};
    sbuf_printf(&m, fmt, arg);
    a->status = st;
    free(a->message);
    a->message = m.data;
}

/* Serve's application status: the worst of its build and its deployment. */
static void app_status(struct serve_app *a, int64_t now)
{
    const char *ds = a->dep ? a->dep->status : "";
    if (a->deleting_until)
        set_message(a, APP_DELETING, "%s", "");
    else if (a->building && now < a->not_started_until)
        set_message(a, APP_NOT_STARTED, "%s", "");
    else if (a->building)
        set_message(a, APP_DEPLOYING, "%s", "");
    else if (a->build_error != NULL) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "Deploying app '%s' failed with exception:\n%s", a->cfg.name,
                    a->build_error);
        set_message(a, APP_DEPLOY_FAILED, "%s", m.data);
        free(m.data);
    } else if (strcmp(ds, "DEPLOY_FAILED") == 0)
        set_message(a, APP_DEPLOY_FAILED, "Failed to update the deployments ['%s'].", a->dep->name);
    else if (strcmp(ds, "UNHEALTHY") == 0)
        set_message(a, APP_UNHEALTHY, "The deployments ['%s'] are UNHEALTHY.", a->dep->name);
    else if (strcmp(ds, "UPDATING") == 0 || strcmp(a->dep->trigger, "CONFIG_UPDATE_STARTED") == 0)
        set_message(a, APP_DEPLOYING, "%s", "");
    else
        set_message(a, APP_RUNNING, "%s", "");
}

/* Moves one app on. Returns its next deadline, or -1 once it is gone. */
static int64_t app_tick(struct serve_app *a, int64_t now)
{
    int64_t next = 0, t;
    if (a->deleting_until && now >= a->deleting_until)
        return -1;
    if (a->deleting_until)
        next = a->deleting_until;
    if (a->building && now >= a->build_until) {
        a->building = 0;
        free(a->build_error);
        a->build_error = import_error(a->cfg.import_path);
        if (a->build_error == NULL && a->cfg.dep.build_error != NULL) {
            struct sbuf t = {NULL, 0, 0};
            sbuf_printf(&t, "Traceback (most recent call last):\n  (raylaunch's ray stand-in)\n%s",
                        a->cfg.dep.build_error);
            a->build_error = t.data;
        }
        if (a->build_error == NULL) {
            a->has_route = 1;
            if (a->dep == NULL)
                serve_dep_create(a);
            else
                serve_dep_update(a, 1);
        }
    } else if (a->building) {
        next = now < a->not_started_until ? a->not_started_until : a->build_until;
    }
    if (a->dep != NULL && (t = serve_dep_tick(a, now)) != 0 && (next == 0 || t < next))
        next = t;
    app_status(a, now);
    return next;
}

/* --- Serve: start, shutdown ------------------------------------------------ */

static void start_serve(struct serve_cfg *cfg, int64_t now)
{
    serve_cfg_free(&g_serve.cfg);
    g_serve.cfg = *cfg;
    g_serve.cfg.apps = NULL; /* the apps stay in *cfg */
    g_serve.cfg.napps = 0;
    cfg->host = cfg->http_json = cfg->grpc_json = cfg->proxy_location = NULL;
    g_serve.phase = SERVE_STARTING;
    g_serve.phase_until = now + g_knobs.start_ms;
}

static void serve_started(void)
{
    g_serve.phase = SERVE_RUNNING;
    serve_random_hex(g_serve.controller_actor, 32);
    serve_random_hex(g_serve.controller_worker, 56);
    serve_random_hex(g_serve.proxy_actor, 32);
    serve_random_hex(g_serve.proxy_worker, 56);
    g_serve.controller_start_s = serve_now_s();
    g_serve.proxy_status = "HEALTHY";
    if (strcmp(g_serve.cfg.proxy_location, "Disabled") != 0)
        serve_proxy_open();
}

static void serve_stopped(void)
{
    while (g_serve.napps > 0)
        remove_app_at(g_serve.napps - 1);
    serve_proxy_close();
    serve_cfg_free(&g_serve.cfg);
    g_serve.phase = SERVE_OFF;
}

/* --- the REST API ------------------------------------------------------------ */

/* Serve keeps the HTTP options it started with; Ray's dashboard logs the
 * ones a later PUT tries to change (its list: location, then http_options'). */
static void warn_http_options(const struct serve_cfg *cfg)
{
    static const char *const keys[] = {"host", "port", "root_path", "request_timeout_s",
                                       "keep_alive_timeout_s"};
    struct jv was, now;
    struct sbuf list = {NULL, 0, 0};
    char err[160];
    size_t i;

    if (strcmp(cfg->proxy_location, g_serve.cfg.proxy_location) != 0)
        sbuf_adds(&list, "'location'");
    if (json_parse(g_serve.cfg.http_json, strlen(g_serve.cfg.http_json), &was, err,
                   sizeof err) == 0) {
        if (json_parse(cfg->http_json, strlen(cfg->http_json), &now, err, sizeof err) == 0) {
            for (i = 0; i < sizeof keys / sizeof *keys; i++) {
                char *a = json_dump(jv_get(&was, keys[i])), *b = json_dump(jv_get(&now, keys[i]));
                if (strcmp(a, b) != 0)
                    sbuf_printf(&list, "%s'%s'", list.len ? ", " : "", keys[i]);
                free(a);
                free(b);
            }
            jv_free(&now);
        }
        jv_free(&was);
    }
    if (list.len > 0)
        fprintf(stderr, "Serve is already running on this Ray cluster and it's not possible to "
                        "update its HTTP options without restarting it. Following options are "
                        "attempted to be updated: [%s].\n", list.data);
    free(list.data);
}

static void do_put(struct conn *c)
{
    struct serve_cfg cfg;
    struct sbuf err = {NULL, 0, 0};
    int64_t now = now_ms();
    int rc = serve_parse_config(c->body ? c->body : "", c->body ? c->body_len : 0, &cfg, &err);

    if (rc != 0) {
        http_respond(c, rc, CT_TEXT, err.data, err.len);
        free(err.data);
        return;
    }
    if (g_serve.phase == SERVE_OFF)
        start_serve(&cfg, now);
    if (g_serve.phase != SERVE_RUNNING) { /* Ray's PUT waits for Serve to start */
        hold(c);
        serve_cfg_free(&cfg);
        return;
    }
    warn_http_options(&cfg);
    g_serve.cfg.target_capacity = cfg.target_capacity;
    apply(&cfg, now);
    serve_cfg_free(&cfg);
    http_respond(c, 200, CT_OCTET, "", 0);
}

static void do_delete(struct conn *c)
{
    size_t i;
    int64_t now = now_ms();
    if (g_serve.phase == SERVE_OFF) {
        http_respond(c, 200, CT_OCTET, "", 0);
        return;
    }
    if (g_serve.phase == SERVE_RUNNING) {
        g_serve.phase = SERVE_STOPPING;
        g_serve.phase_until = now + g_knobs.shutdown_ms;
        for (i = 0; i < g_serve.napps; i++)
            delete_app(&g_serve.apps[i], g_serve.phase_until + 1);
    }
    hold(c);
}

/* The requests held while Serve started or stopped, in their order. */
static void run_held(void)
{
    struct conn **list = g_held;
    size_t i, n = g_nheld;
    g_held = NULL;
    g_nheld = 0;
    for (i = 0; i < n; i++) {
        if (strcmp(list[i]->req.method, "DELETE") == 0)
            do_delete(list[i]);
        else
            do_put(list[i]);
    }
    free(list);
}

void serve_conn_closed(struct conn *c)
{
    size_t i, k;
    for (i = 0, k = 0; i < g_nheld; i++)
        if (g_held[i] != c)
            g_held[k++] = g_held[i];
    g_nheld = k;
    serve_proxy_forget(c);
}

/* The value of `api_type` in a query string, or "" (pct-decoding is not
 * needed for the values Serve knows). */
static void api_type_of(const char *query, char *out, size_t cap)
{
    const char *p = query;
    out[0] = '\0';
    while (p != NULL && *p) {
        if (strncmp(p, "api_type=", 9) == 0) {
            size_t n = strcspn(p + 9, "&");
            snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p + 9);
        }
        p = strchr(p, '&');
        p = p ? p + 1 : NULL;
    }
}

void serve_dashboard(struct conn *c, const char *method, const char *path, const char *query)
{
    if (strcmp(path, "/api/serve/applications/") != 0) {
        http_text(c, 404, "404: Not Found");
    } else if (strcmp(method, "GET") == 0) {
        char api_type[64];
        struct sbuf b = {NULL, 0, 0};
        api_type_of(query, api_type, sizeof api_type);
        if (api_type[0] && strcmp(api_type, "imperative") != 0 &&
            strcmp(api_type, "declarative") != 0) {
            sbuf_printf(&b, "Invalid 'api_type' value: '%s'. Must be one of: imperative, "
                            "declarative", api_type);
            http_respond(c, 400, CT_TEXT, b.data, b.len);
            free(b.data);
            return;
        }
        serve_json_details(&b, api_type);
        http_json(c, 200, &b);
    } else if (strcmp(method, "PUT") == 0) {
        do_put(c);
    } else if (strcmp(method, "DELETE") == 0) {
        do_delete(c);
    } else {
        http_text(c, 405, "405: Method Not Allowed");
    }
}

int64_t serve_tick(int64_t now)
{
    int64_t next = 0, t;
    size_t i;

    if (g_serve.phase == SERVE_STARTING && now >= g_serve.phase_until) {
        serve_started();
        run_held();
    } else if (g_serve.phase == SERVE_STOPPING && now >= g_serve.phase_until) {
        serve_stopped();
        run_held();
    }
    if (g_serve.phase == SERVE_STARTING || g_serve.phase == SERVE_STOPPING)
        next = g_serve.phase_until;
    for (i = 0; i < g_serve.napps; i++) {
        t = app_tick(&g_serve.apps[i], now);
        if (t < 0)
            remove_app_at(i--);
        else if (t != 0 && (next == 0 || t < next))
            next = t;
    }
    t = serve_proxy_tick(now);
    if (t != 0 && (next == 0 || t < next))
        next = t;
    return next;
}
