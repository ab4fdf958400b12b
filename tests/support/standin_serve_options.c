/*
 * standin_serve_options.c - a Serve deployment's options in the ray
 * stand-in, from the PUT body's `deployments` entry (num_replicas,
 * autoscaling_config, ray_actor_options): Serve's checks of them, the
 * replica's resource shape, and the effective deployment_config with
 * Serve's defaults that GET shows. A TEST FIXTURE, not Ray.
 */
#include "standin_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A float field, >= 0 (ray_actor_options' amounts). */
static int check_amount(struct jv *v, const char *loc, struct verr *e, double *out)
{
    if (v->t != J_NUM && v->t != J_TRUE && v->t != J_FALSE) {
        serve_verr_add(e, loc, "value is not a valid float", "type_error.float");
        return -1;
    }
    *out = jv_number(v);
    if (*out < 0) {
        serve_verr_add(e, loc, "ensure this value is greater than or equal to 0",
                 "value_error.number.not_ge; limit_value=0");
        return -1;
    }
    return 0;
}

/* Writes `key: value` into an object under construction: the user's value
 * when given (as_float: numbers as Python floats), else `dflt`. */
void serve_opt_field(struct sbuf *b, struct jv *given, const char *key, const char *dflt,
                      int as_float)
{
    struct jv *v = jv_get(given, key);
    if (v == NULL && dflt == NULL)
        return;
    if (b->data[b->len - 1] != '{')
        sbuf_adds(b, ", ");
    sbuf_printf(b, "\"%s\": ", key);
    if (v == NULL)
        sbuf_adds(b, dflt);
    else if (as_float && v->t == J_NUM)
        py_float(b, v->num);
    else
        json_write(b, v);
}

/* ray_actor_options: its checks, the replica's shape, the effective JSON. */
static void actor_options(struct jv *rao, const char *loc, struct verr *e,
                          struct serve_dep_opts *d, struct sbuf *b)
{
    static const char *const amounts[] = {"num_cpus", "num_gpus", "memory"};
    static const char *const names[] = {"CPU", "GPU", "memory"};
    char l[320];
    double v[3] = {1, 0, 0};
    struct jv *res = jv_get(rao, "resources");
    size_t i;

    for (i = 0; i < 3; i++) {
        struct jv *f = jv_get(rao, amounts[i]);
        snprintf(l, sizeof l, "%s -> %s", loc, amounts[i]);
        if (f != NULL)
            check_amount(f, l, e, &v[i]);
        shape_add(&d->shape, names[i], v[i]);
    }
    snprintf(l, sizeof l, "%s -> resources", loc);
    if (serve_check_dict(res, l, e) == 0 && res != NULL)
        for (i = 0; i < res->n; i++) {
            double amount;
            char rl[448];
            snprintf(rl, sizeof rl, "%s -> %s", l, res->keys[i].s);
            if (check_amount(&res->kids[i], rl, e, &amount) == 0)
                shape_add(&d->shape, res->keys[i].s, amount);
        }
    sbuf_adds(b, "{");
    serve_opt_field(b, rao, "runtime_env", "{}", 0);
    serve_opt_field(b, rao, "num_cpus", "1.0", 1);
    serve_opt_field(b, rao, "num_gpus", NULL, 1);
    serve_opt_field(b, rao, "memory", NULL, 1);
    serve_opt_field(b, rao, "resources", NULL, 0);
    serve_opt_field(b, rao, "accelerator_type", NULL, 0);
    sbuf_adds(b, "}");
}

static long int_or(struct jv *v, long dflt)
{
    return v != NULL && v->t == J_NUM && v->is_int ? (long)v->num : dflt;
}

/* AutoscalingConfig's fields, in its order, with Serve's defaults. */
static const struct {
    const char *key, *dflt;
    int as_float;
} AUTOSCALING[] = {
    {"min_replicas", "1", 0}, {"initial_replicas", "null", 0}, {"max_replicas", "1", 0},
    {"target_ongoing_requests", "2.0", 1}, {"metrics_interval_s", "10.0", 1},
    {"look_back_period_s", "30.0", 1}, {"smoothing_factor", "1.0", 1},
    {"upscale_smoothing_factor", "null", 1}, {"downscale_smoothing_factor", "null", 1},
    {"upscaling_factor", "null", 1}, {"downscaling_factor", "null", 1},
    {"downscale_delay_s", "600.0", 1}, {"upscale_delay_s", "30.0", 1},
};

/* autoscaling_config: Serve's checks of its replica bounds; its effective JSON. */
static void autoscaling(struct jv *ac, const char *loc, struct verr *e,
                        struct serve_dep_opts *d, struct sbuf *b)
{
    struct jv *init = jv_get(ac, "initial_replicas");
    long mn = int_or(jv_get(ac, "min_replicas"), 1), mx = int_or(jv_get(ac, "max_replicas"), 1);
    long in = init != NULL && init->t == J_NUM ? (long)init->num : -1;
    struct sbuf m = {NULL, 0, 0};
    size_t i;
    if (mx < mn)
        sbuf_printf(&m, "max_replicas (%ld) must be greater than or equal to min_replicas "
                        "(%ld)!", mx, mn);
    else if (in >= 0 && in < mn)
        sbuf_printf(&m, "min_replicas (%ld) must be less than or equal to initial_replicas "
                        "(%ld)!", mn, in);
    else if (in >= 0 && in > mx)
        sbuf_printf(&m, "max_replicas (%ld) must be greater than or equal to initial_replicas "
                        "(%ld)!", mx, in);
    /* The schema takes autoscaling_config as any dict: Serve checks it when
     * the app is built (AutoscalingConfig, a pydantic model), so the build
     * fails with its error. */
    if (m.data != NULL) {
        struct sbuf t = {NULL, 0, 0};
        sbuf_printf(&t, "pydantic.v1.error_wrappers.ValidationError: 1 validation error for "
                        "AutoscalingConfig\nmax_replicas\n  %s (type=value_error)\n", m.data);
        d->build_error = t.data;
    }
    free(m.data);
    (void)loc;
    (void)e;
    d->autoscaling = 1;
    d->min_replicas = mn;
    d->max_replicas = mx;
    d->initial_replicas = in;
    sbuf_adds(b, "{");
    for (i = 0; i < sizeof AUTOSCALING / sizeof *AUTOSCALING; i++)
        serve_opt_field(b, ac, AUTOSCALING[i].key, AUTOSCALING[i].dflt, AUTOSCALING[i].as_float);
    sbuf_adds(b, "}");
}

/* num_replicas: Optional[Union[PositiveInt, str]], as pydantic v1 takes it
 * (an int > 0, or what int() makes one of, such as "3" or 2.5; else any
 * string or number as a str), then "auto" turns autoscaling on. Returns 1
 * for an int, -1 when DeploymentSchema's root validator refuses the str it
 * became, else 0. */
static int num_replicas(struct jv *nr, const char *loc, struct verr *e, struct serve_dep_opts *d)
{
    char *end = NULL;
    double v;
    if (nr == NULL || nr->t == J_NULL)
        return 0;
    if (nr->t == J_STR && strcmp(nr->s, "auto") == 0) {
        d->autoscaling = 1;
        return 0;
    }
    if (nr->t == J_ARR || nr->t == J_OBJ) {
        serve_verr_add(e, loc, "value is not a valid integer", "type_error.integer");
        serve_verr_add(e, loc, "str type expected", "type_error.str");
        return 0;
    }
    if (nr->t == J_TRUE || nr->t == J_FALSE) {
        d->num_replicas = nr->t == J_TRUE;
        return nr->t == J_TRUE ? 1 : -1;
    }
    v = nr->t == J_NUM ? nr->num : strtod(nr->s, &end);
    if (nr->t == J_STR && (end == nr->s || *end != '\0' || strchr(nr->s, '.') != NULL))
        return -1; /* int("2.5") fails: a str */
    if ((long)v < 1)
        return -1;
    d->num_replicas = (long)v;
    return 1;
}

/* One entry of an app's `deployments` (only Echo's is used: standin_echo
 * has no other deployment); NULL: none given. */
void serve_deployment_opts(struct jv *dep, const char *loc, struct verr *e, struct serve_dep_opts *d)
{
    struct sbuf b = {NULL, 0, 0}, ac = {NULL, 0, 0}, rao = {NULL, 0, 0};
    struct jv *nr = jv_get(dep, "num_replicas"), *acv = jv_get(dep, "autoscaling_config");
    struct jv *raov = jv_get(dep, "ray_actor_options"), none = {J_OBJ, 0, 0, NULL, 0, NULL,
                                                                 NULL, 0};
    char l[256];
    int is_int;
    size_t cut, cut_len;

    d->num_replicas = 1;
    d->initial_replicas = -1;
    snprintf(l, sizeof l, "%s -> num_replicas", loc);
    is_int = num_replicas(nr, l, e, d);
    if (is_int < 0) {
        snprintf(l, sizeof l, "%s -> __root__", loc);
        serve_value_error(e, l, "`num_replicas` must be an int or \"auto\", but got: %s",
                          nr->t == J_FALSE ? "False" : nr->s);
    }
    snprintf(l, sizeof l, "%s -> autoscaling_config", loc);
    if (acv != NULL && acv->t != J_NULL && serve_check_dict(acv, l, e) == 0) {
        autoscaling(acv, l, e, d, &ac);
        if (is_int > 0) {
            snprintf(l, sizeof l, "%s -> __root__", loc);
            serve_verr_add(e, l, "Manually setting num_replicas is not allowed when "
                           "autoscaling_config is provided.", "value_error");
        }
    } else if (d->autoscaling) {
        d->min_replicas = 1;
        d->max_replicas = 100;
        sbuf_adds(&ac, "{\"min_replicas\": 1, \"initial_replicas\": null, \"max_replicas\": "
                       "100, \"target_ongoing_requests\": 2.0}");
    }
    snprintf(l, sizeof l, "%s -> ray_actor_options", loc);
    if (raov != NULL && serve_check_dict(raov, l, e) != 0)
        raov = NULL;
    actor_options(raov ? raov : &none, l, e, d, &rao);
    d->restart_key = xstrdup(rao.data);

    sbuf_printf(&b, "{\"name\": \"%s\"", SERVE_ECHO_DEPLOYMENT);
    cut = b.len;
    if (!d->autoscaling)
        sbuf_printf(&b, ", \"num_replicas\": %ld", d->num_replicas);
    cut_len = b.len - cut;
    serve_opt_field(&b, dep, "max_ongoing_requests", "5", 0);
    serve_opt_field(&b, dep, "max_queued_requests", "-1", 0);
    serve_opt_field(&b, dep, "user_config", "null", 0);
    if (ac.data != NULL)
        sbuf_printf(&b, ", \"autoscaling_config\": %s", ac.data);
    serve_opt_field(&b, dep, "graceful_shutdown_wait_loop_s", "2.0", 1);
    serve_opt_field(&b, dep, "graceful_shutdown_timeout_s", "20.0", 1);
    serve_opt_field(&b, dep, "health_check_period_s", "10.0", 1);
    serve_opt_field(&b, dep, "health_check_timeout_s", "30.0", 1);
    sbuf_printf(&b, ", \"ray_actor_options\": %s}", rao.data);
    d->config_json = b.data;
    d->version_key = xmalloc(b.len - cut_len + 1); /* all but num_replicas */
    memcpy(d->version_key, b.data, cut);
    memcpy(d->version_key + cut, b.data + cut + cut_len, b.len - cut - cut_len + 1);
    free(ac.data);
    free(rao.data);
}
