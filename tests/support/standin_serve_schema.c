/*
 * standin_serve_schema.c - the ray stand-in's check of a Serve config (the
 * body of PUT /api/serve/applications/), as Ray's ServeDeploySchema (a
 * pydantic v1 model) checks it: the refusals come back as pydantic v1's
 * error as Ray's dashboard answers it, repr() of the ValidationError
 * ("ValidationError(model='ServeDeploySchema', errors=[{'loc': (...),
 * 'msg': ..., 'type': ...}])"); unknown keys are ignored at every level. It also works
 * out each app's effective options (Serve's defaults filled in). A TEST
 * FIXTURE, not Ray.
 */
#include "standin_serve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds one error as pydantic v1's errors() has it, in Python's repr:
 * {'loc': ('applications', 0, 'name'), 'msg': '...', 'type': '...'}, with
 * 'ctx' from what follows "; " in `type` ("value_error.x; limit_value=0").
 * `loc` is "applications -> 0 -> name". */
void serve_verr_add(struct verr *e, const char *loc, const char *msg, const char *type)
{
    const char *p = loc, *ctx = strstr(type, "; ");
    int parts = 0;
    char part[256];

    sbuf_adds(&e->text, e->count ? ", {'loc': (" : "{'loc': (");
    while (*p) {
        const char *arrow = strstr(p, " -> ");
        size_t n = arrow ? (size_t)(arrow - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        sbuf_adds(&e->text, parts++ ? ", " : "");
        if (part[strspn(part, "0123456789")] == '\0')
            sbuf_adds(&e->text, part); /* a list index: an int */
        else
            py_repr(&e->text, part);
        p += n + (arrow ? 4 : 0);
    }
    sbuf_adds(&e->text, parts == 1 ? ",), 'msg': " : "), 'msg': ");
    py_repr(&e->text, msg);
    snprintf(part, sizeof part, "%.*s", (int)(ctx ? (size_t)(ctx - type) : strlen(type)), type);
    sbuf_adds(&e->text, ", 'type': ");
    py_repr(&e->text, part);
    if (ctx != NULL) {
        const char *eq = strchr(ctx, '=');
        sbuf_printf(&e->text, ", 'ctx': {'%.*s': %s}", (int)(eq - ctx - 2), ctx + 2, eq + 1);
    }
    sbuf_adds(&e->text, "}");
    e->count++;
}

/* A validator's ValueError: fmt with arg. */
void serve_value_error(struct verr *e, const char *loc, const char *fmt, const char *arg)
{
    struct sbuf m = {NULL, 0, 0};
    sbuf_printf(&m, fmt, arg);
    serve_verr_add(e, loc, m.data, "value_error");
    free(m.data);
}

/* pydantic v1's str field: a str, or a number it turns into one. Returns
 * the value (owned by v or by *tmp), or NULL having added the error. */
static const char *check_str(struct jv *v, const char *loc, struct verr *e, int nullable,
                             char **tmp)
{
    *tmp = NULL;
    if (v->t == J_STR)
        return v->s;
    if (v->t == J_NUM) {
        *tmp = xstrdup(v->s);
        return *tmp;
    }
    if (v->t == J_NULL) {
        if (!nullable)
            serve_verr_add(e, loc, "none is not an allowed value", "type_error.none.not_allowed");
        return NULL;
    }
    serve_verr_add(e, loc, "str type expected", "type_error.str");
    return NULL;
}

int serve_check_dict(struct jv *v, const char *loc, struct verr *e)
{
    if (v == NULL || v->t == J_OBJ)
        return 0;
    serve_verr_add(e, loc, "value is not a valid dict", "type_error.dict");
    return -1;
}

/* Serve's checks of a route_prefix and an import_path: the message (with
 * the value for %s), or NULL. */
static const char *route_prefix_problem(const char *v)
{
    if (v[0] != '/')
        return "Got \"%s\" for route_prefix. Route prefix must start with \"/\".";
    if (strlen(v) > 1 && v[strlen(v) - 1] == '/')
        return "Got \"%s\" for route_prefix. Route prefix cannot end with \"/\" unless the "
               "entire prefix is just \"/\".";
    if (strpbrk(v, "{}") != NULL)
        return "Got \"%s\" for route_prefix. Route prefix cannot contain wildcards, so it "
               "cannot contain \"{\" or \"}\".";
    return NULL;
}

static const char *import_path_problem(const char *v)
{
    const char *colon = strchr(v, ':');
    size_t n = strlen(v);
    if (colon != NULL && strchr(colon + 1, ':') != NULL)
        return "Got invalid import path \"%s\". An import path may have at most one colon.";
    if (colon != NULL && (colon == v || v[n - 1] == ':'))
        return "Got invalid import path \"%s\". An import path may not start or end with a "
               "colon.";
    if (colon == NULL && strchr(v, '.') == NULL)
        return "Got invalid import path \"%s\". An import path must contain at least on dot "
               "or colon separating the module (and potentially submodules) from the "
               "deployment graph. E.g.: \"module.deployment_graph\".";
    if (colon == NULL && (v[0] == '.' || v[n - 1] == '.'))
        return "Got invalid import path \"%s\". An import path may not start or end with a "
               "dot.";
    return NULL;
}

/* runtime_env's working_dir and py_modules must be remote URIs. */
static void runtime_env_check(struct jv *env, const char *loc, struct verr *e)
{
    struct jv *wd = jv_get(env, "working_dir"), *mods = jv_get(env, "py_modules");
    const char *bad = NULL;
    size_t i;
    if (wd != NULL && wd->t == J_STR && strstr(wd->s, "://") == NULL)
        bad = wd->s;
    for (i = 0; mods != NULL && mods->t == J_ARR && i < mods->n && bad == NULL; i++)
        if (mods->kids[i].t == J_STR && strstr(mods->kids[i].s, "://") == NULL)
            bad = mods->kids[i].s;
    if (bad != NULL) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "runtime_envs in the Serve config support only remote URIs in "
                        "working_dir and py_modules. Got error when parsing URI: Invalid "
                        "protocol for runtime_env URI %s.", bad);
        serve_verr_add(e, loc, m.data, "value_error");
        free(m.data);
    }
}

/* The keys of ServeApplicationSchema, in its order: deployed_app_config
 * keeps these (those the user sent) and drops the others. */
static const char *const APP_KEYS[] = {"name", "route_prefix", "import_path", "runtime_env",
                                       "host", "port", "deployments", "autoscaling_policy",
                                       "args", "logging_config", "external_scaler_enabled"};

/* ServeApplicationSchema's root validator: with external_scaler_enabled,
 * no deployment may autoscale (num_replicas "auto" or an autoscaling_config). */
static void external_scaler(struct jv *app, struct jv *deps, const char *loc, struct verr *e)
{
    struct sbuf names = {NULL, 0, 0};
    size_t k;
    if (jv_get(app, "external_scaler_enabled") == NULL ||
        jv_get(app, "external_scaler_enabled")->t != J_TRUE || deps == NULL)
        return;
    for (k = 0; k < deps->n; k++) {
        struct jv *nr = jv_get(&deps->kids[k], "num_replicas");
        struct jv *ac = jv_get(&deps->kids[k], "autoscaling_config");
        const char *name = jv_str(jv_get(&deps->kids[k], "name"));
        if (name != NULL && ((nr != NULL && jv_str(nr) != NULL && strcmp(nr->s, "auto") == 0) ||
                             (ac != NULL && ac->t != J_NULL)))
            sbuf_printf(&names, "%s\"%s\"", names.len ? ", " : "", name);
    }
    if (names.len > 0) {
        char l[80];
        snprintf(l, sizeof l, "%s -> __root__", loc);
        serve_value_error(e, l, "external_scaler_enabled is set to True, but the following "
                          "deployment(s) have autoscaling configured: %s. When using an external "
                          "autoscaler, Serve's built-in autoscaling must be disabled for all "
                          "deployments in the application.", names.data);
    }
    free(names.data);
}

static char *keys_in_order(struct jv *obj, const char *const *keys, size_t nkeys)
{
    struct sbuf b = {NULL, 0, 0};
    size_t k;
    sbuf_adds(&b, "{");
    for (k = 0; k < nkeys; k++)
        serve_opt_field(&b, obj, keys[k], NULL, 0);
    sbuf_adds(&b, "}");
    return b.data;
}

static double arg_seconds(struct jv *args, const char *key)
{
    struct jv *v = jv_get(args, key);
    return v != NULL && v->t == J_NUM && v->num >= 0 ? v->num : -1;
}

static void application(struct jv *app, size_t i, struct verr *e, struct serve_app_cfg *a)
{
    char loc[64], l[128], *tmp;
    struct jv *f, *deps, *args;
    const char *s, *problem;
    struct sbuf code = {NULL, 0, 0};
    size_t k, found = 0;

    snprintf(loc, sizeof loc, "applications -> %zu", i);
    if (app->t != J_OBJ) {
        serve_verr_add(e, loc, "value is not a valid dict", "type_error.dict");
        return;
    }
    a->name = xstrdup("default");
    if ((f = jv_get(app, "name")) != NULL) {
        snprintf(l, sizeof l, "%s -> name", loc);
        if ((s = check_str(f, l, e, 0, &tmp)) != NULL) {
            free(a->name);
            a->name = xstrdup(s);
        }
        free(tmp);
    }
    a->route_prefix = xstrdup("/");
    if ((f = jv_get(app, "route_prefix")) != NULL) {
        snprintf(l, sizeof l, "%s -> route_prefix", loc);
        free(a->route_prefix);
        a->route_prefix = NULL;
        if ((s = check_str(f, l, e, 1, &tmp)) != NULL) {
            a->route_prefix = xstrdup(s);
            if ((problem = route_prefix_problem(s)) != NULL)
                serve_value_error(e, l, problem, s);
        }
        free(tmp);
    }
    snprintf(l, sizeof l, "%s -> import_path", loc);
    if ((f = jv_get(app, "import_path")) == NULL)
        serve_verr_add(e, l, "field required", "value_error.missing");
    else if ((s = check_str(f, l, e, 0, &tmp)) != NULL) {
        a->import_path = xstrdup(s);
        if ((problem = import_path_problem(s)) != NULL)
            serve_value_error(e, l, problem, s);
        free(tmp);
    }
    snprintf(l, sizeof l, "%s -> runtime_env", loc);
    if ((f = jv_get(app, "runtime_env")) != NULL && serve_check_dict(f, l, e) == 0)
        runtime_env_check(f, l, e);
    snprintf(l, sizeof l, "%s -> args", loc);
    args = jv_get(app, "args");
    if (serve_check_dict(args, l, e) != 0)
        args = NULL;
    a->unhealthy_after_s = arg_seconds(args, "unhealthy_after_s");
    a->unhealthy_for_s = arg_seconds(args, "unhealthy_for_s");
    snprintf(l, sizeof l, "%s -> deployments", loc);
    deps = jv_get(app, "deployments");
    if (deps != NULL && deps->t != J_ARR) {
        serve_verr_add(e, l, "value is not a valid list", "type_error.list");
        deps = NULL;
    }
    for (k = 0; deps != NULL && k < deps->n; k++) {
        struct jv *d = &deps->kids[k], *name;
        char dl[160];
        snprintf(dl, sizeof dl, "%s -> %zu", l, k);
        if (serve_check_dict(d, dl, e) != 0)
            continue;
        name = jv_get(d, "name");
        snprintf(dl, sizeof dl, "%s -> %zu -> name", l, k);
        if (name == NULL)
            serve_verr_add(e, dl, "field required", "value_error.missing");
        else if (name->t == J_STR && strcmp(name->s, SERVE_ECHO_DEPLOYMENT) == 0 && !found++) {
            snprintf(dl, sizeof dl, "%s -> %zu", l, k);
            serve_deployment_opts(d, dl, e, &a->dep);
        }
    }
    if (!found) {
        struct jv none = {J_OBJ, 0, 0, NULL, 0, NULL, NULL, 0};
        serve_deployment_opts(&none, l, e, &a->dep);
    }
    a->deployed_json = keys_in_order(app, APP_KEYS, sizeof APP_KEYS / sizeof *APP_KEYS);
    sbuf_printf(&code, "%s|", a->import_path ? a->import_path : "");
    if ((f = jv_get(app, "runtime_env")) != NULL)
        json_write(&code, f);
    sbuf_adds(&code, "|");
    if (args != NULL)
        json_write(&code, args);
    a->code_key = code.data;
    a->deps_key = xstrdup(a->dep.config_json);
    a->external_scaler = (f = jv_get(app, "external_scaler_enabled")) != NULL && f->t == J_TRUE;
    external_scaler(app, deps, loc, e);
}

/* The top level's http_options, grpc_options, proxy_location, target_capacity. */
static void top_level(struct jv *v, struct verr *e, struct serve_cfg *c)
{
    struct jv *h = jv_get(v, "http_options"), *g = jv_get(v, "grpc_options");
    struct jv *pl = jv_get(v, "proxy_location"), *tc = jv_get(v, "target_capacity");
    struct jv *port = jv_get(h, "port"), *host = jv_get(h, "host"), *rt;
    struct sbuf b = {NULL, 0, 0};
    char *tmp;
    const char *s;

    c->host = xstrdup("0.0.0.0");
    c->port = 8000;
    c->request_timeout_s = -1;
    if (serve_check_dict(h, "http_options", e) != 0)
        h = NULL;
    if (host != NULL && (s = check_str(host, "http_options -> host", e, 1, &tmp)) != NULL) {
        free(c->host);
        c->host = xstrdup(s);
        free(tmp);
    }
    if (port != NULL) {
        if (port->t != J_NUM || !port->is_int)
            serve_verr_add(e, "http_options -> port", "value is not a valid integer",
                     "type_error.integer");
        else
            c->port = (long)port->num;
    }
    rt = jv_get(h, "request_timeout_s");
    if (rt != NULL && rt->t == J_NUM)
        c->request_timeout_s = rt->num;
    sbuf_adds(&b, "{\"host\": ");
    json_strz(&b, c->host);
    sbuf_printf(&b, ", \"port\": %ld", c->port);
    serve_opt_field(&b, h, "root_path", "\"\"", 0);
    serve_opt_field(&b, h, "request_timeout_s", "null", 1);
    serve_opt_field(&b, h, "keep_alive_timeout_s", "90", 0);
    sbuf_adds(&b, "}");
    c->http_json = b.data;
    b.data = NULL;
    b.len = b.cap = 0;
    if (serve_check_dict(g, "grpc_options", e) != 0)
        g = NULL;
    sbuf_adds(&b, "{");
    serve_opt_field(&b, g, "port", "9000", 0);
    serve_opt_field(&b, g, "grpc_servicer_functions", "[]", 0);
    serve_opt_field(&b, g, "request_timeout_s", "null", 1);
    sbuf_adds(&b, "}");
    c->grpc_json = b.data;
    c->proxy_location = xstrdup("EveryNode");
    if (pl != NULL) {
        if (pl->t == J_STR && (strcmp(pl->s, "EveryNode") == 0 ||
                               strcmp(pl->s, "HeadOnly") == 0 || strcmp(pl->s, "Disabled") == 0)) {
            free(c->proxy_location);
            c->proxy_location = xstrdup(pl->s);
        } else {
            serve_verr_add(e, "proxy_location",
                     "value is not a valid enumeration member; permitted: 'Disabled', "
                     "'HeadOnly', 'EveryNode'",
                     "type_error.enum; enum_values=[<ProxyLocation.Disabled: 'Disabled'>, "
                     "<ProxyLocation.HeadOnly: 'HeadOnly'>, <ProxyLocation.EveryNode: "
                     "'EveryNode'>]");
        }
    }
    c->target_capacity = -1;
    if (tc != NULL && tc->t != J_NULL) {
        if (!jv_is_number(tc))
            serve_verr_add(e, "target_capacity", "value is not a valid float", "type_error.float");
        else if (jv_number(tc) < 0)
            serve_verr_add(e, "target_capacity", "ensure this value is greater than or equal to 0",
                     "value_error.number.not_ge; limit_value=0");
        else if (jv_number(tc) > 100)
            serve_verr_add(e, "target_capacity", "ensure this value is less than or equal to 100",
                     "value_error.number.not_le; limit_value=100");
        else
            c->target_capacity = jv_number(tc);
    }
}

/* The first problem ServeDeploySchema's validators of `applications` find
 * (in their order: names unique, route prefixes unique, names nonempty), or
 * NULL; *arg is the name or prefix for the message's %s. */
static const char *apps_problem(const struct serve_cfg *c, const char **arg)
{
    size_t i, k;
    for (i = 0; i < c->napps; i++)
        for (k = 0; k < i; k++)
            if (strcmp(c->apps[i].name, c->apps[k].name) == 0) {
                *arg = c->apps[i].name;
                return "Found multiple configs for application \"%s\". Please remove all "
                       "duplicates.";
            }
    for (i = 0; i < c->napps; i++)
        for (k = 0; k < i; k++)
            if (c->apps[i].route_prefix && c->apps[k].route_prefix &&
                strcmp(c->apps[i].route_prefix, c->apps[k].route_prefix) == 0) {
                *arg = c->apps[i].route_prefix;
                return "Found duplicate applications for route prefix \"%s\". Please ensure "
                       "each application's route_prefix is unique.";
            }
    for (i = 0; i < c->napps; i++)
        if (c->apps[i].name[0] == '\0') {
            *arg = "";
            return "Application names must be nonempty.%s";
        }
    return NULL;
}

/* ServeDeploySchema's validators of `applications` (the first that fails
 * ends them, as in pydantic), then its root validator nested_host_and_port,
 * which runs even when `applications` failed: Ray's reads
 * values.get("applications") then, and iterating None raises a TypeError. */
static void across_apps(struct jv *apps, struct serve_cfg *c, struct verr *e, int apps_ok)
{
    const char *arg = NULL, *problem = apps_ok ? apps_problem(c, &arg) : NULL;
    size_t i;

    if (problem != NULL) {
        serve_value_error(e, "applications", problem, arg);
        apps_ok = 0;
    }
    if (!apps_ok) {
        serve_verr_add(e, "__root__", "'NoneType' object is not iterable", "type_error");
        return;
    }
    for (i = 0; i < apps->n; i++) {
        struct jv *host = jv_get(&apps->kids[i], "host"), *port = jv_get(&apps->kids[i], "port");
        struct sbuf m = {NULL, 0, 0};
        if (host != NULL) {
            sbuf_adds(&m, "Host \"");
            if (host->t == J_STR)
                sbuf_adds(&m, host->s);
            else
                json_write(&m, host);
            sbuf_printf(&m, "\" is set in the config for application `%s`. Please remove it "
                            "and set host in the top level deploy config only.",
                        c->apps[i].name);
        } else if (port != NULL) {
            sbuf_adds(&m, "Port ");
            json_write(&m, port);
            sbuf_printf(&m, " is set in the config for application `%s`. Please remove it and "
                            "set port in the top level deploy config only.", c->apps[i].name);
        }
        if (m.data != NULL) {
            serve_verr_add(e, "__root__", m.data, "value_error");
            free(m.data);
            return; /* the validator raised */
        }
    }
}

int serve_parse_config(const char *body, size_t len, struct serve_cfg *out, struct sbuf *err)
{
    struct jv v, *apps;
    struct verr e = {0, {NULL, 0, 0}};
    char jerr[200];
    size_t i;

    memset(out, 0, sizeof *out);
    if (json_parse(body, len, &v, jerr, sizeof jerr) != 0) {
        /* aiohttp's req.json() raised: the handler's 500 with the traceback */
        sbuf_printf(err, "Traceback (most recent call last):\n  (raylaunch's ray stand-in)\n"
                         "json.decoder.JSONDecodeError: %s\n", jerr);
        return 500;
    }
    if (v.t == J_ARR && v.n == 0)
        v.t = J_OBJ; /* parse_obj tries dict(obj): dict([]) is {} */
    if (v.t != J_OBJ) {
        char msg[64];
        snprintf(msg, sizeof msg, "ServeDeploySchema expected dict not %s",
                 v.t == J_ARR ? "list" : v.t == J_STR ? "str" : v.t == J_NULL ? "NoneType"
                 : v.t == J_NUM ? (v.is_int ? "int" : "float") : "bool");
        serve_verr_add(&e, "__root__", msg, "type_error");
    } else {
        top_level(&v, &e, out);
        apps = jv_get(&v, "applications");
        if (apps == NULL) {
            serve_verr_add(&e, "applications", "field required", "value_error.missing");
            across_apps(NULL, out, &e, 0);
        } else if (apps->t != J_ARR) {
            serve_verr_add(&e, "applications", "value is not a valid list", "type_error.list");
            across_apps(NULL, out, &e, 0);
        } else {
            int before = e.count;
            out->apps = xmalloc((apps->n + 1) * sizeof *out->apps);
            memset(out->apps, 0, (apps->n + 1) * sizeof *out->apps);
            out->napps = apps->n;
            for (i = 0; i < apps->n; i++)
                application(&apps->kids[i], i, &e, &out->apps[i]);
            across_apps(apps, out, &e, e.count == before);
        }
    }
    jv_free(&v);
    if (e.count == 0)
        return 0;
    /* Ray's handler answers repr(e) of pydantic v1's ValidationError */
    sbuf_printf(err, "ValidationError(model='ServeDeploySchema', errors=[%s])", e.text.data);
    free(e.text.data);
    serve_cfg_free(out);
    return 400;
}

void serve_app_cfg_free(struct serve_app_cfg *a)
{
    free(a->name);
    free(a->route_prefix);
    free(a->import_path);
    free(a->deployed_json);
    free(a->code_key);
    free(a->deps_key);
    free(a->dep.config_json);
    free(a->dep.restart_key);
    free(a->dep.build_error);
    free(a->dep.version_key);
    memset(a, 0, sizeof *a);
}

/* *dst takes *src's strings (what dst held is freed); src is left empty. */
void serve_app_cfg_move(struct serve_app_cfg *dst, struct serve_app_cfg *src)
{
    serve_app_cfg_free(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

void serve_cfg_free(struct serve_cfg *c)
{
    size_t i;
    for (i = 0; i < c->napps; i++)
        serve_app_cfg_free(&c->apps[i]);
    free(c->apps);
    free(c->host);
    free(c->http_json);
    free(c->grpc_json);
    free(c->proxy_location);
    memset(c, 0, sizeof *c);
}

