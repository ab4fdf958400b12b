/*
 * standin.h - what the files of the ray stand-in (tests/support/standin_*.c)
 * share: constants, types, globals and functions. A TEST FIXTURE, not Ray;
 * standin_main.c says what it imitates.
 */
#ifndef STANDIN_H
#define STANDIN_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "standin_resources.h"
#define STANDIN_VERSION "2.52.1"
#define RAY_DIR "/tmp/ray"
#define PID_FILE RAY_DIR "/standin.pid"
#define PORT_FILE RAY_DIR "/standin-head-port"      /* written by a head */
#define HEAD_ADDR_FILE RAY_DIR "/standin-head-address" /* written by a worker */
#define CLUSTER_FILE RAY_DIR "/ray_current_cluster" /* Ray's: the GCS address */
#define SESSION_LATEST RAY_DIR "/session_latest"
#define DEFAULT_PORT 6379
#define DEFAULT_DASHBOARD_PORT 8265
#define DEFAULT_AGENT_PORT 52365
#define MAX_LINE 4096              /* longest protocol line the head accepts */
#define NODE_ID_LEN 61             /* "node_" + 56 hex digits */
#define CONNECT_TIMEOUT_MS 2000    /* one connection attempt */
#define RETRY_INTERVAL_MS 200      /* worker: pause between attempts */
#define RETRY_GIVE_UP_MS 60000     /* worker: give up after this long */
#define RETRY_REPORT_MS 5000       /* worker: report failures this often */
#define REPLY_TIMEOUT_MS 10000     /* client: wait this long for a reply */
#define HTTP_CLIENT_TIMEOUT_MS 30000
#define DEFAULT_GRACE_S 16         /* ray stop */
#define PROTO_TIMEOUT_MS 10000     /* head: a request line must come by then */
#define HTTP_HEADER_MAX 16384      /* head: request line + headers */
#define HTTP_BODY_MAX (1024 * 1024) /* head: larger bodies get 413 */
#define HTTP_IO_TIMEOUT_MS 10000   /* head: to read a request, to send a reply */
#define HTTP_LINGER_MS 2000        /* head: drain input after replying */
#define MAX_DEAD_NODES 1000        /* Ray's maximum_gcs_dead_node_cached_count */
#define DEFAULT_CLI_DELAY_MS 1000  /* ray status / ray job: "import ray" */
#define DEFAULT_JOB_START_MS 500   /* a job stays PENDING this long */
#define JOB_STOP_WAIT_MS 3000      /* Ray's RAY_JOB_STOP_WAIT_TIME_S */
#define JOB_LOG_MAX_READ (16L * 1024 * 1024) /* Ray's JOB_LOG_MAX_READ_BYTES default */
#define JOB_TAIL_LINES 10          /* Ray's NUM_LOG_LINES_ON_ERROR */
#define JOB_TAIL_CHARS 20000       /* Ray's MAX_LOG_SIZE */
#define PKG_BODY_MAX (100L * 1024 * 1024) /* Ray's DASHBOARD_CLIENT_MAX_SIZE */
#define PKG_NAME_MAX 200           /* the stand-in's limit on package names */
#define PKG_RAW_MAX (3 * PKG_NAME_MAX + 1) /* ... percent-encoded, with its NUL */
#define PKG_CHUNK (256 * 1024)     /* an upload is read this much at a time */
#define DEFAULT_HEALTH_TIMEOUT_MS 2000 /* head: one health check of a node */
#define DEFAULT_HEALTH_PERIOD_MS 3000  /* Ray's health_check_period_ms */
#define HEALTH_FAILURE_THRESHOLD 5     /* Ray's health_check_failure_threshold */
#define DEFAULT_IDLE_AFTER_MS 1000     /* a node is IDLE this long after its last claim */
#define DEFAULT_DRAIN_EXIT_MS 1000     /* a drained idle node's raylet exits after this */
#define HEALTH_ANSWER_MAX 64           /* head: a health answer longer than this is wrong */

/* Ray's GCS, for a node it can no longer reach (and the stand-in's, for a
 * node whose connection just dropped) */
#define HEARTBEAT_DEATH \
    "Unexpected termination: health check failed due to missing too many heartbeats"

/* A growable buffer; data is always NUL-terminated once anything is added. */
struct sbuf {
    char *data;
    size_t len, cap;
};

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    double num;       /* J_NUM */
    int is_int;       /* J_NUM written without a fraction or exponent */
    char *s;          /* J_STR: the decoded bytes; J_NUM: the literal */
    size_t len;
    struct jv *kids;  /* J_ARR items, J_OBJ values */
    struct jv *keys;  /* J_OBJ keys (J_STR) */
    size_t n;
};

struct jparser {
    const char *start, *p, *end;
    int depth;
    char err[160];
};

enum opt_kind {
    OPT_VALUE,  /* --opt=value or --opt value */
    OPT_INT,    /* like OPT_VALUE, must be an integer (Click's type=int) */
    OPT_FLOAT,  /* like OPT_VALUE, must be a number (Click's type=float) */
    OPT_BOOL,   /* takes true/false */
    OPT_FLAG,   /* takes no value */
    OPT_CHOICE, /* one of `choices`, any case (Click's Choice, case_sensitive=False) */
    OPT_JSON,   /* a JSON document (Click's type=json.loads) */
};

struct opt_spec {
    const char *name;
    enum opt_kind kind;
};

struct command {
    const char *name;            /* "start", "job submit" */
    const char *summary;         /* one line for --help */
    const struct opt_spec *opts; /* the options it accepts */
    size_t nopts;
    const char **values;         /* parsed values, one per option, or NULL */
    const char *args_name;       /* positional arguments: "JOB_ID", or NULL */
    int min_args, max_args;      /* max_args -1: any number */
    char **args;                 /* the positional arguments given */
    int nargs;
};

/* `ray job ...`: the options of Ray 2.52's job CLI that the stand-in
 * knows. The last five are common to every job command. */
#define JOB_COMMON_OPTS                                                     \
    {"--headers", OPT_VALUE}, {"--verify", OPT_VALUE},                      \
    {"--log-style", OPT_CHOICE}, {"--log-color", OPT_CHOICE}, \
    {"-v", OPT_FLAG}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct node {
    char id[NODE_ID_LEN + 1];
    long cpus, gpus;
    double memory, object_store_memory;
    char host[256];
    char ip[64];
    char *name;         /* --node-name, else the IP */
    char *resources;    /* custom resources, a JSON fragment: "\"accel\": 1.0" */
    char *labels;       /* user labels, a JSON fragment */
    int fd;             /* an alive worker's connection; -1: the head, the dead */
    int alive, is_head;
    int leaving;        /* it said LEAVE before its connection closed */
    const char *state_message;
    int64_t start_ms, end_ms;
    int nm_port, om_port; /* its node and object manager ports; 0: not told */
    int hc_busy;          /* a periodic health check of it is under way */
    int hc_failures;      /* ... failed this many times in a row */
    int64_t hc_next;      /* monotonic ms of the next one */
    /* identity, from the node's environment (Ray's raylet reads the same) */
    char instance_id[128];   /* RAY_CLOUD_INSTANCE_ID */
    char node_type[128];     /* RAY_NODE_TYPE_NAME */
    char instance_type[128]; /* RAY_CLOUD_INSTANCE_TYPE_NAME */
    /* the resource model (standin_resources.c) */
    int res_ready;           /* total and avail are set */
    struct shape total, avail;
    int nclaims;             /* claims placed on it */
    int ever_claimed;
    int64_t idle_since;      /* monotonic ms: it joined, or its last claim ended */
    /* a drain the GCS accepted (standin_autoscaler.c) */
    int draining, drain_reason; /* DrainNodeReason: 1 idle termination, 2 preemption */
    char drain_message[256];
    int64_t drain_deadline_ms;  /* as given, unix ms; 0: none */
    int64_t drain_exit_at;      /* monotonic ms: its raylet exits then; 0: not yet */
    int drain_told;             /* it was told to exit */
};

/* One unit of demand (standin_resources.c). */
struct claim {
    int id, unit;         /* its request, and which unit of it (a group: bundle index) */
    char owner[64];
    struct shape shape;
    char node[57];        /* the hex id of the node it is placed on; "" pending */
    int pg;               /* its placement group's index + 1, or 0 */
    standin_placed_fn cb;
    void *arg;
};

/* A placement group (standin_pgroups.c); its bundles are claims. */
struct pgroup {
    char id[37];          /* 36 hex digits, as Ray's PlacementGroupID */
    char strategy[16];
    char name[64];
    int nbundles;
    int removed, was_created;
};

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_STOPPED, JOB_SUCCEEDED, JOB_FAILED };

struct job {
    char *id;               /* the submission id */
    char *entrypoint;
    char *metadata;         /* JSON text, or NULL */
    char *runtime_env;      /* JSON text, or NULL */
    char **env;             /* "K=V" from runtime_env.env_vars */
    size_t nenv;
    int wants_resources;    /* entrypoint_num_cpus > 0, ... */
    int claim;              /* ... its demand (standin_resources.h), or 0 */
    char node[57], node_ip[64]; /* the node its claim is on ("": the head) */
    char *working_dir;      /* runtime_env.working_dir, or NULL */
    char *cwd;              /* its unpacked folder, once ready */
    pid_t setup_pid;        /* the unzip that prepares it, or 0 */
    enum job_state state;
    char *message;          /* NULL: Ray's default for the state */
    const char *error_type;
    int64_t start_time, end_time; /* ms since the epoch; end 0: null */
    int64_t launch_at;      /* monotonic ms: when PENDING turns RUNNING */
    pid_t pid;
    int stop_requested;
    int64_t kill_at;        /* monotonic ms: SIGKILL if still running */
    int has_exit_code, exit_code;
    int on_node;            /* driver_agent_http_address etc. are set */
    char log_path[PATH_MAX];
};

struct http_req {
    char *method, *target, *path, *query;
    const char *user_agent, *authorization, *x_ray_auth, *cookie, *expect;
    long content_length;
    int head_only; /* HEAD: the headers of GET, no body */
};

#define HTTP_SERVE_PROXY 2 /* conn.http of a connection to Serve's proxy */

struct conn {
    int fd;
    int http;            /* a dashboard connection (1), or Serve's proxy's */
    int joined;          /* a worker that sent JOIN and stays connected */
    int closing;         /* close (HTTP: linger) once `out` is written */
    int lingering;       /* HTTP: reply sent, input drained until EOF */
    int64_t deadline;    /* monotonic ms, 0 for none */
    char *in;            /* the request line / header block being received */
    size_t in_len, in_cap;
    char *out;           /* reply being sent */
    size_t out_len, out_off;
    int hdr_done;        /* HTTP: the header block is parsed into req */
    struct http_req req;
    char *body;          /* HTTP: the request body */
    size_t body_len, body_have;
    char *up_tmp;        /* HTTP: a package upload's file, while it arrives */
    char *up_dst;        /* ... and the package it becomes */
    int up_fd;
    /* A JOIN the head health-checks before it answers: */
    struct node *pending; /* the node, not in the table yet */
    struct conn *probe;   /* the check under way */
    int grpc_query;       /* ray-standin-gcs-grpc's requests (standin_grpc_link.c) */
    /* A health check the head makes (a connection it opened): */
    int is_probe;
    int connecting;       /* connect() still in progress */
    int probe_done;       /* its outcome was reported */
    struct conn *owner;   /* the JOIN it decides, or NULL */
    char probe_node[NODE_ID_LEN + 1]; /* else the ALIVE node it checks, or "" */
    char target[80];      /* "IP:PORT" it connects to */
};

#define CT_TEXT "text/plain; charset=utf-8"

#define CT_JSON "application/json; charset=utf-8"

#define CT_HTML "text/html; charset=utf-8"

#define CT_OCTET "application/octet-stream" /* aiohttp's, for a Response() without a body */

struct node_filter {
    const char *key, *value;
    int negate;
};

#define MAX_QUERY_PARAMS 64

#define SERVE_FIXED 6 /* GCS port, dashboard, signal pipe, node's two ports, Serve's proxy */

#define REQUIRE_SHM_SIZE_THRESHOLD 10000000000.0 /* Ray's ray_constants, bytes */

#define OBJECT_STORE_MAX_DEFAULT 200000000000.0 /* DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES */

#define DEFAULT_CLIENT_SERVER_PORT 10001           /* with ray[client], as Ray's images */

#define DEFAULT_MIN_WORKER_PORT 10002

#define DEFAULT_MAX_WORKER_PORT 19999

#define DEFAULT_RECONNECT_S 60 /* Ray's gcs_rpc_server_reconnect_timeout_s */

struct component {
    const char *name;
    long long *ports; /* 0 or unset ("random") gives none */
    size_t n, cap;
    char **words;     /* redis_shards: Ray keeps the split strings */
};

struct node_spec {
    long cpus, gpus;
    double memory, object_store_memory;
    char *resources_json; /* the custom resources, canonical JSON, or NULL */
    char *labels_json;    /* user labels, canonical JSON, or NULL */
};

struct http_client {
    char base[300];      /* "http://host:port" */
    char host[256], port[8];
    struct jv headers;   /* --headers / RAY_JOB_HEADERS, or J_NULL */
};

struct http_resp {
    int status;
    char *body;
    size_t len;
};

/* standin_main.c */
extern const struct opt_spec START_OPTS[];
extern const struct opt_spec STATUS_OPTS[];
extern const struct opt_spec STOP_OPTS[];
extern const struct opt_spec JOB_SUBMIT_OPTS[];
extern const struct opt_spec JOB_STATUS_OPTS[];
extern const struct opt_spec JOB_LOGS_OPTS[];
extern const struct opt_spec JOB_STOP_OPTS[];
int cmd_job(int argc, char **argv);
int standin_alive(pid_t pid);
int cmd_stop(const struct command *cmd);
void top_usage_error(const char *fmt, const char *arg);

/* standin_util.c */
extern const char DASHES[];
int64_t now_ms(void);
int64_t wall_ms(void);
void sleep_ms(int ms);
void fail(int status, const char *fmt, ...);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
int parse_long(const char *s, long *out);
int parse_double(const char *s, double *out);
int py_space(int c);
int py_digits(const char **p, char *out, size_t cap, size_t *len);
int parse_py_int(const char *s, long long *out);
int parse_py_float(const char *s, double *out);
long env_ms(const char *name, long dflt);
int write_all(int fd, const char *buf, size_t len);
void sbuf_reserve(struct sbuf *b, size_t more);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...);
int write_small_file(const char *path, const char *text);
int read_small_file(const char *path, char *buf, size_t cap);
void py_repr(struct sbuf *b, const char *s);
void pct_encode(struct sbuf *b, const char *s);
int hexval(int c);
void pct_decode(char *s, int plus);
void json_str(struct sbuf *b, const char *s, size_t n);
void json_strz(struct sbuf *b, const char *s);
void py_float(struct sbuf *b, double v);

/* standin_json.c */
int jp_error(struct jparser *jp, const char *msg, const char *at);
void jp_ws(struct jparser *jp);
void utf8_put(struct sbuf *b, uint32_t cp);
int jp_hex4(const char *p, const char *end, uint32_t *out);
int jp_string(struct jparser *jp, struct jv *v);
int jp_number(struct jparser *jp, struct jv *v);
int jp_container(struct jparser *jp, struct jv *v, int is_obj);
int jp_literal(struct jparser *jp, struct jv *v, const char *word, enum jtype type);
int jp_value(struct jparser *jp, struct jv *v);
void jv_free(struct jv *v);
int json_parse(const char *text, size_t len, struct jv *v, char *err, size_t errcap);
struct jv *jv_get(struct jv *obj, const char *key);
const char *jv_str(struct jv *v);
int jv_is_number(const struct jv *v);
double jv_number(const struct jv *v);
const char *py_type(const struct jv *v);
void json_write(struct sbuf *b, const struct jv *v);
char *json_dump(const struct jv *v);

/* standin_cli.c */
extern volatile sig_atomic_t g_wrote_pid_file;
extern volatile sig_atomic_t g_wrote_port_file;
extern volatile sig_atomic_t g_wrote_addr_file;
extern volatile sig_atomic_t g_leave_fd;
extern volatile sig_atomic_t g_serving;
extern volatile sig_atomic_t g_stop_requested;
extern int g_sig_pipe[2];
void remove_state_files(void);
void wake_loop(char what);
void on_stop_signal(int sig);
void on_child_signal(int sig);
void install_signal_handlers(void);
const char *const *choices_of(const char *name);
void usage_error(const struct command *cmd, const char *fmt, ...);
void print_command_help(const struct command *cmd);
int find_opt(const struct command *cmd, const char *name, size_t len);
const char *parse_bool(const char *s);
const char *convert_value(const struct command *cmd, int idx, const char *value);
void parse_options(struct command *cmd, int argc, char **argv);
const char *opt(const struct command *cmd, const char *name);
long opt_count(const struct command *cmd, const char *name, long dflt);
uint64_t mix64(uint64_t x);

/* standin_session.c */
extern char g_session_name[128];
extern char g_session_dir[256];
extern int g_connect_timeout_ms;
uint64_t random_seed(void);
void make_node_id(char out[NODE_ID_LEN + 1]);
int is_node_id(const char *s);
int split_host_port(const char *addr, char *host, size_t hostcap, char *port, size_t portcap);
const char *client_token(void);
const char *head_required_token(void);
int tokens_equal(const char *a, const char *b);
void python_os_error(const char *path, int err);
void make_shared_dir(const char *path);
void new_session_name(void);
void create_session(const char *gcs_address);
int connect_once(const char *host, const char *port, char *err, size_t errcap);
char *read_reply_len(int fd, int one_line, int timeout_ms, size_t *len);
char *read_reply(int fd, int one_line, int timeout_ms);
char *ask_head(const char *host, const char *port, const char *request, char *err, size_t errcap);

/* standin_nodes.c */
extern struct node *g_nodes;
extern size_t g_nnodes, g_nodes_cap;
extern const char *g_head_token;
extern char g_head_ip[64];
extern long g_gcs_port;
extern char g_webui[320];
extern long g_agent_port;
extern long g_job_start_ms;
extern long g_health_timeout_ms;
extern long g_health_period_ms;
void init_node(struct node *n, const char *id, long cpus, long gpus, const char *host, int fd);
struct node *append_node(const struct node *src);
struct node *add_node(const char *id, long cpus, long gpus, const char *host, int fd);
void free_node(struct node *n);
struct node *node_of_fd(int fd);
void remove_node_at(size_t i);
void trim_dead(void);
void node_died(int fd);
void node_detached(int fd);
struct node *node_by_id(const char *id);
int object_fragment(const char *json, int numbers, char **frag, char *err, size_t errcap);
char *status_text(size_t *len);

/* standin_jobs.c */
extern const char *const JOB_STATE_NAMES[];
extern struct job **g_jobs;
extern size_t g_njobs, g_jobs_cap;
int pkg_name_ok(const char *name);
void session_file(char *out, size_t cap, const char *sub, const char *name);
int job_terminal(const struct job *j);
struct job *find_job(const char *id);
void job_message(struct sbuf *b, const struct job *j);
void job_json(struct sbuf *b, const struct job *j);
char *read_job_log(const struct job *j, size_t *len);
char *failure_message(const struct job *j, int code);
void job_finish(struct job *j, enum job_state state);
void child_setup(int outfd);
void job_launch(struct job *j);
void job_setup_failed(struct job *j, const char *fmt, ...);
void workdir_paths(const char *pkg, char *dir, char *tmp, size_t cap);
int job_prepare(struct job *j);
void job_unpacked(struct job *j, int ok);
void reap_children(void);
int64_t jobs_tick(int64_t now);
int job_stop(struct job *j);
void free_job(struct job *j);

/* standin_gcs.c */
extern struct conn **g_conns;
extern size_t g_nconns;
void add_conn(struct conn *c);
struct conn *new_conn(int fd);
struct conn *conn_of_fd(int fd);
void queue_reply(struct conn *c, char *text, size_t len, int close_after);
void queue_error(struct conn *c, const char *msg);
int token_ok(const char *given);
const char *join_field(char *word, const char *key);
int is_join_field(const char *word);
void host_port(char *out, size_t cap, const char *ip, int port);
struct conn *start_probe(const char *ip, int port, char *err, size_t errcap);
void join_checked(struct conn *c, const char *failure);
void periodic_checked(const char *id, const char *target, const char *failure);
void probe_report(struct conn *p, const char *failure);
void probe_event(struct conn *p, short revents);
int64_t health_tick(int64_t now);
int join_pending(const char *id);
void handle_join(struct conn *c, char **words, int n);
void handle_request(struct conn *c, char *line);
void upload_abort(struct conn *c);
void close_conn(struct conn *c);
void joined_readable(struct conn *c);
int conn_fill(struct conn *c, size_t cap);
void proto_readable(struct conn *c);

/* standin_http.c */
const char *http_reason(int status);
void http_respond(struct conn *c, int status, const char *ctype, const char *body, size_t len);
void http_text(struct conn *c, int status, const char *text);
void http_json(struct conn *c, int status, struct sbuf *b);
void http_envelope_error(struct conn *c, int status, const char *msg);
void http_py_error(struct conn *c, int status, const char *fmt, ...);
const char *cookie_value(const char *cookies, const char *name, char *buf, size_t cap);
int http_gate(struct conn *c);
int package_route(struct conn *c, char *name);
void http_package_get(struct conn *c);
int upload_write(struct conn *c, const char *data, size_t len);
int upload_begin(struct conn *c, const char *data, size_t len);
void upload_end(struct conn *c);
void http_dispatch(struct conn *c);
int http_parse(struct conn *c);
void http_readable(struct conn *c);
void conn_writable(struct conn *c);
void shutdown_head(void);

/* standin_http_api.c */
int ieq(const char *a, const char *b);
int node_matches(const struct node *n, const struct node_filter *f, size_t nf);
int cmp_node_ptr(const void *a, const void *b);
void node_json(struct sbuf *b, const struct node *n, int detail);
void http_nodes(struct conn *c, char *query);
void new_submission_id(char out[27]);
int check_submit_body(struct conn *c, struct jv *v);
void http_job_submit(struct conn *c);
void http_jobs(struct conn *c, const char *method, const char *rest);
const char *bearer(const char *h);

/* standin_head.c */
extern int g_node_lfds[2];
extern int g_node_ports[2];
void accept_all(int lfd, int http);
void answer_health(int lfd);
void serve(int lfd, int hfd);
void raise_fd_limit(void);
void detect_node_ip(char *out, size_t cap);
int listen_on(const char *host, int port);
long port_option(const struct command *cmd, const char *name);
int bind_node_ports(long nm, long om);
void close_node_ports(void);
void print_block_banner(void);
void print_standin_note(void);
void write_pid_file(void);

/* standin_checks.c */
extern int g_log_pretty;
void set_log_style(const struct command *cmd);
void log_record(FILE *stream, const char *level, const char *file, int line, const char *msg);
void cli_line(const char *level, int line, const char *msg);
void cli_abort(int line, const char *tmpl, const char *message);
void python_raise(const char *where, const char *cls, const char *fmt, ...);
long long opt_ll(const struct command *cmd, const char *name, long long dflt);
int label_char(int c);
int label_name_ok(const char *s, size_t n);
int label_prefix_ok(const char *s, size_t n);
char *py_strip(const char *s, size_t n);
char *label_problem(const char *key, const char *value);
void labels_refused(const char *given, const char *detail);
char *labels_option(const char *given);
void check_resource_isolation(const struct command *cmd);
void check_usage(const struct command *cmd);
void check_worker_options(const struct command *cmd);
void component_add(struct component *c, long long port);
void component_option(struct component *c, const struct command *cmd, const char *name, long long dflt);
void format_ports(struct sbuf *b, const struct component *cs, size_t ncs);
void check_ports(const struct command *cmd, long gcs_port);
void check_gpus(const struct command *cmd);
double shm_bytes(void);
double default_object_store(double avail);
void check_object_store(double osm);

/* standin_start.c */
double available_memory(void);
void read_node_spec(const struct command *cmd, struct node_spec *s);
int start_head(const struct command *cmd, const struct node_spec *spec, int block);
int connect_with_retry(const char *host, const char *port);
char *read_reply_serving(int fd, int timeout_ms);
void auth_failed(void);
char *send_join(int fd, const struct sbuf *line);
void marked_dead(void);
void gcs_gone(long window_s);
int start_worker(const struct command *cmd, const struct node_spec *spec, int block);
int cmd_start(const struct command *cmd);
void cli_startup_delay(void);

/* standin_client.c */
int find_gcs_address(const char *given, int use_env, const char *dflt, char *out, size_t cap);
void no_ray_instance(void);
int cmd_status(const struct command *cmd);
void http_call(struct http_client *hc, const char *method, const char *path, const char *body, struct http_resp *r);
void http_expect_ok(struct http_resp *r);
void http_call_json(struct http_client *hc, const char *method, const char *path, const char *body, struct jv *out);
void job_client(const struct command *cmd, struct http_client *hc);
char *job_path(const char *id, const char *tail);
void big_message(const char *msg);
const char *log_job_status(struct http_client *hc, const char *id);
int is_terminal_word(const char *s);
const char *tail_logs(struct http_client *hc, const char *id);
void shlex_join(struct sbuf *b, char **words, int n);
char *json_object_option(const char *name, const char *value);
void add_object_option(struct sbuf *body, const struct command *cmd, const char *name);
int job_submit(struct command *cmd);
int job_status(struct command *cmd);
int job_logs(struct command *cmd);
int job_stop_cmd(struct command *cmd);

/* standin_resources.c (the public part: standin_resources.h) */
extern struct claim *g_claims;
extern size_t g_nclaims, g_claims_cap;
extern long g_idle_after_ms;
double shape_get(const struct shape *s, const char *name);
int shape_fits(const struct shape *avail, const struct shape *req);
void shape_move(struct shape *avail, const struct shape *req, int sign);
int shape_equal(const struct shape *a, const struct shape *b);
void shape_json(struct sbuf *b, const struct shape *s);
void shape_py(struct sbuf *b, const struct shape *s);
struct node *node_by_hex(const char *hex);
int node_status(const struct node *n, int64_t now, int64_t *idle_ms);
void res_sync(int64_t now);
void res_place(void);
int64_t res_tick(int64_t now);
int next_claim_id(void);
struct claim *new_claim(const char *owner, const struct shape *s);
void res_pending_json(struct sbuf *b);
void res_pending_text(struct sbuf *b);
void res_usage(const char *name, double *used, double *total);

/* standin_pgroups.c */
extern struct pgroup *g_pgs;
extern size_t g_npgs, g_pgs_cap;
void pg_place_all(void);
const char *pg_state(const struct pgroup *g);
void pg_gangs_json(struct sbuf *b);
void pg_node_labels(struct sbuf *b, const char *hex);
void pg_pending_text(struct sbuf *out);
int pg_same(const struct pgroup *a, const struct pgroup *b);

/* standin_autoscaler.c */
extern int64_t g_gcs_version;
extern int g_gcs_crashed;
extern char g_gcs_crash[256];
extern struct sbuf g_drain_calls;
extern long g_drain_exit_ms;
extern int g_gcs_old;
int inject_failure(const char *method, int code, long count);
void gcs_answer(char *line, struct sbuf *out);
int64_t drain_tick(int64_t now);
void drain_death_message(const struct node *n, char *out, size_t cap);
void autoscaler_debug_json(struct sbuf *b);
void constraint_text(struct sbuf *b);

/* standin_grpc_link.c */
int gcs_grpc_running(void);
void gcs_grpc_start(void);
int gcs_grpc_reaped(pid_t pid, int status);
void gcs_grpc_stop(void);
int gcs_grpc_handoff(struct conn *c);
void gcs_grpc_readable(struct conn *c);

/* standin_testapi.c */
void standin_testapi(struct conn *c, const char *method, const char *rest);

/* standin_start.c, standin_jobs.c: added with the resource model */
void identity_fields(struct sbuf *join);
void drained_exit(void);
int job_placed(struct job *j);

#endif
