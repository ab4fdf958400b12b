/*
 * standin_serve.h - Ray Serve in the ray stand-in: the REST API on the
 * dashboard (/api/serve/applications/), the apps' and deployments' state
 * machines, replica placement on the head's nodes, and a Serve HTTP proxy
 * on the head. A TEST FIXTURE, not Ray: the only "code" it can deploy is
 * the module standin_echo, whose app answers its route with its name.
 * tests/support/README.md ("Ray Serve") says what is imitated and what not.
 *
 * The head's loop calls the hooks below (standin_http.c, standin_head.c,
 * standin_gcs.c, standin_start.c). Files: standin_serve.c (the REST API,
 * apps, Serve's start and shutdown), standin_serve_deploy.c (a deployment's
 * replicas and placement), standin_serve_schema.c and standin_serve_options.c
 * (the PUT body, as Serve's schema checks it), standin_serve_json.c (the GET
 * body), standin_serve_proxy.c (the proxy).
 */
#ifndef STANDIN_SERVE_H
#define STANDIN_SERVE_H

#include "standin.h"
#include "standin_resources.h"

/* --- hooks the head calls ---------------------------------------------- */

void serve_init(void); /* reads the RAY_STANDIN_SERVE_* knobs */
/* A dashboard request whose path starts with /api/serve/. */
void serve_dashboard(struct conn *c, const char *method, const char *path, const char *query);
int serve_proxy_fd(void); /* the proxy's listener, or -1 */
/* A request that came to the proxy. */
void serve_proxy_request(struct conn *c, const char *method, const char *path);
int64_t serve_tick(int64_t now); /* advances the simulation; next deadline or 0 */
void serve_conn_closed(struct conn *c);

/* --- between the Serve files -------------------------------------------- */

#define SERVE_ECHO_MODULE "standin_echo"
#define SERVE_ECHO_DEPLOYMENT "Echo" /* the one deployment of a standin_echo app */

/* A deployment's options, with Serve's defaults filled in. */
struct serve_dep_opts {
    int autoscaling;       /* autoscaling_config, or num_replicas "auto" */
    long num_replicas;     /* the target, without autoscaling */
    long min_replicas, max_replicas, initial_replicas; /* initial -1: null */
    struct shape shape;    /* required_resources: what each replica claims */
    char *config_json;     /* deployment_config as GET shows it */
    char *restart_key;     /* a change replaces the replicas (ray_actor_options) */
    char *build_error;     /* the error its build meets (autoscaling_config), or NULL */
    char *version_key;     /* config_json without num_replicas: equal, it is only scaled */
};

struct serve_app_cfg {
    char *name;
    char *route_prefix;    /* NULL: null (no HTTP route) */
    char *import_path;
    char *deployed_json;   /* deployed_app_config: the keys the user sent */
    char *code_key;        /* import_path, runtime_env, args: a change rebuilds */
    char *deps_key;        /* the deployments list: a change updates them */
    struct serve_dep_opts dep;
    double unhealthy_after_s, unhealthy_for_s; /* standin_echo's args; -1: none */
    int external_scaler;   /* external_scaler_enabled */
};

struct serve_cfg {
    struct serve_app_cfg *apps;
    size_t napps;
    char *host;            /* http_options */
    long port;
    double request_timeout_s; /* -1: null */
    char *http_json;       /* effective http_options, as GET shows them */
    char *grpc_json;
    char *proxy_location;  /* EveryNode, HeadOnly, Disabled */
    double target_capacity; /* -1: null */
};

/* pydantic's errors, gathered as it does: every field, then validators. */
struct verr {
    int count;
    struct sbuf text;
};

void serve_verr_add(struct verr *e, const char *loc, const char *msg, const char *type);
void serve_value_error(struct verr *e, const char *loc, const char *fmt, const char *arg);
int serve_check_dict(struct jv *v, const char *loc, struct verr *e);
void serve_opt_field(struct sbuf *b, struct jv *given, const char *key, const char *dflt,
                     int as_float);
void serve_deployment_opts(struct jv *dep, const char *loc, struct verr *e,
                           struct serve_dep_opts *d);

/* Checks a PUT body as Serve's ServeDeploySchema does. Returns 0 with
 * *out filled, or the HTTP status with the text of the reply in *err. */
int serve_parse_config(const char *body, size_t len, struct serve_cfg *out, struct sbuf *err);
void serve_cfg_free(struct serve_cfg *c);
void serve_app_cfg_free(struct serve_app_cfg *a);
void serve_app_cfg_move(struct serve_app_cfg *dst, struct serve_app_cfg *src);

enum serve_app_status {
    APP_NOT_STARTED, APP_DEPLOYING, APP_DEPLOY_FAILED, APP_RUNNING, APP_UNHEALTHY, APP_DELETING
};
enum serve_replica_state { R_STARTING, R_RUNNING, R_STOPPING };

struct serve_replica {
    char id[9];
    enum serve_replica_state state;
    int claim;             /* its demand in the resource model (standin_resources.h) */
    int placed;            /* the model placed it on node_id */
    char node_id[64], node_ip[64];
    char actor_id[33], worker_id[57];
    long pid;
    int old;               /* of the config being replaced */
    struct shape shape;
    double start_time_s;
    int64_t since;         /* monotonic ms: created, placed or stopping since */
};

struct serve_dep {
    char *name;
    const char *status, *trigger;
    char *message;
    struct serve_dep_opts opts;
    long target;
    struct serve_replica *reps;
    size_t nreps;
    int failures;          /* constructor failures in a row */
    int health_armed;      /* standin_echo's args.unhealthy_after_s still to come */
    int64_t unhealthy_from, unhealthy_until; /* monotonic ms; 0: none */
};

struct serve_app {
    struct serve_app_cfg cfg;
    enum serve_app_status status;
    char *message;
    double last_deployed_s;
    int64_t not_started_until, build_until; /* 0: done */
    int building;
    char *build_error;     /* the last build's traceback, or NULL */
    int has_route;         /* built once: route_prefix shown and served */
    struct serve_dep *dep; /* NULL until the first build succeeds */
    int64_t deleting_until; /* 0: not deleting */
};

/* Serve's state: not running, starting (the first PUT), running, shutting down. */
enum serve_phase { SERVE_OFF, SERVE_STARTING, SERVE_RUNNING, SERVE_STOPPING };

struct serve_state {
    enum serve_phase phase;
    int64_t phase_until;
    struct serve_cfg cfg;   /* http_options etc. of this run; apps unused */
    struct serve_app *apps;
    size_t napps;
    char controller_actor[33], controller_worker[57], proxy_actor[33], proxy_worker[57];
    double controller_start_s;
    int proxy_fd;
    const char *proxy_status;
};

/* The timings (RAY_STANDIN_SERVE_*_MS), in ms. */
struct serve_knobs {
    long start_ms, not_started_ms, build_ms, deploy_ms, stop_ms, shutdown_ms, slow_ms;
};

extern struct serve_state g_serve;
extern struct serve_knobs g_knobs;
extern const char *const SERVE_APP_STATUS[];

void serve_dep_create(struct serve_app *a);
void serve_dep_update(struct serve_app *a, int new_code);
int64_t serve_dep_tick(struct serve_app *a, int64_t now);
void serve_dep_stop_all(struct serve_dep *d, int64_t now);
void serve_dep_free(struct serve_dep *d);
double serve_now_s(void);
void serve_json_details(struct sbuf *b, const char *api_type);
void serve_random_hex(char *out, size_t n);
struct serve_app *serve_route_app(const char *path);
int serve_app_has_running(const struct serve_app *a);
void serve_proxy_open(void);
void serve_proxy_close(void);
void serve_proxy_forget(struct conn *c);
int64_t serve_proxy_tick(int64_t now);

#endif
