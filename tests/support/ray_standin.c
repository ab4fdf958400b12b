/*
 * ray_standin.c - raylaunch's "ray stand-in": a TEST FIXTURE, not Ray.
 *
 * Real Ray cannot be installed where raylaunch's tests run, so this small
 * static program is installed as /usr/local/bin/ray in a test image
 * (see scripts/standin-image.sh). It imitates the few parts of Ray's `ray`
 * command line (Ray 2.52) that raylaunch drives, closely enough to test
 * cluster bring-up in Docker:
 *
 *   ray start [options]      head (--head) or worker (--address=H:P)
 *   ray status [--address=H:P]
 *   ray stop [-f|--force] [-g N|--grace-period N]
 *   ray --version
 *
 * It runs no tasks, has no object store and no dashboard. The head keeps a
 * table of connected nodes and prints it in the layout of Ray's
 * `ray status` (autoscaler v2). Nodes talk a tiny line protocol over TCP,
 * described in tests/support/README.md.
 *
 * Build: musl-gcc -static -O2 -Wall -Wextra -o ray ray_standin.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STANDIN_VERSION "2.52.1"
#define RAY_DIR "/tmp/ray"
#define PID_FILE RAY_DIR "/standin.pid"
#define PORT_FILE RAY_DIR "/standin-head-port"      /* written by a head */
#define HEAD_ADDR_FILE RAY_DIR "/standin-head-address" /* written by a worker */
#define DEFAULT_PORT 6379
#define MAX_LINE 4096              /* longest protocol line the head accepts */
#define NODE_ID_LEN 61             /* "node_" + 56 hex digits */
#define CONNECT_TIMEOUT_MS 2000    /* one connection attempt */
#define RETRY_INTERVAL_MS 200      /* worker: pause between attempts */
#define RETRY_GIVE_UP_MS 60000     /* worker: give up after this long */
#define RETRY_REPORT_MS 5000       /* worker: report failures this often */
#define REPLY_TIMEOUT_MS 10000     /* client: wait this long for a reply */
#define DEFAULT_GRACE_S 16         /* ray stop */

static const char DASHES[] =
    "---------------------------------------------------------------";

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Prints "Error: ..." to stderr and exits with `status`. */
static void fail(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("Error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

/* Parses a whole decimal integer. Returns 0 on success. */
static int parse_long(const char *s, long *out)
{
    char *end;
    long v;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A growable string. */
struct sbuf {
    char *data;
    size_t len, cap;
};

static void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        size_t room = b->cap - b->len;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL)
            abort();
    }
}

/* Writes `text` to `path`, creating /tmp/ray first. Returns 0 on success. */
static int write_small_file(const char *path, const char *text)
{
    FILE *f;
    if (mkdir(RAY_DIR, 0777) != 0 && errno != EEXIST)
        return -1;
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Reads the first line of a small file into buf. Returns 0 on success. */
static int read_small_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fgets(buf, (int)cap, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* Signals: SIGTERM and SIGINT end a running node at once, status 0.   */
/* The handlers are installed explicitly so that this also works when  */
/* the stand-in is PID 1 (the kernel ignores default-action signals    */
/* sent to PID 1).                                                     */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t g_wrote_pid_file;
static volatile sig_atomic_t g_wrote_port_file;
static volatile sig_atomic_t g_wrote_addr_file;

static void remove_state_files(void)
{
    if (g_wrote_pid_file)
        unlink(PID_FILE);
    if (g_wrote_port_file)
        unlink(PORT_FILE);
    if (g_wrote_addr_file)
        unlink(HEAD_ADDR_FILE);
}

/* Only async-signal-safe calls here: unlink and _exit. The kernel closes
 * the sockets, so the head sees workers leave and workers see the head go. */
static void on_stop_signal(int sig)
{
    (void)sig;
    remove_state_files();
    _exit(0);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Command-line parsing, after Click (which Ray's CLI uses): unknown    */
/* options, values given to flags and bad values are usage errors that */
/* exit with status 2.                                                 */
/* ------------------------------------------------------------------ */

enum opt_kind {
    OPT_VALUE, /* --opt=value or --opt value */
    OPT_INT,   /* like OPT_VALUE, must be an integer (Click's type=int) */
    OPT_BOOL,  /* takes true/false */
    OPT_FLAG,  /* takes no value */
};

struct opt_spec {
    const char *name;
    enum opt_kind kind;
};

struct command {
    const char *name;            /* "start" */
    const char *summary;         /* one line for --help */
    const struct opt_spec *opts; /* the options it accepts */
    size_t nopts;
    const char **values;         /* parsed values, one per option, or NULL */
};

/* The options real `ray start` accepts (Ray 2.52), and only those. */
static const struct opt_spec START_OPTS[] = {
    {"--node-ip-address", OPT_VALUE},
    {"--address", OPT_VALUE},
    {"--port", OPT_INT},
    {"--node-name", OPT_VALUE},
    {"--redis-username", OPT_VALUE},
    {"--redis-password", OPT_VALUE},
    {"--redis-shard-ports", OPT_VALUE},
    {"--object-manager-port", OPT_INT},
    {"--node-manager-port", OPT_INT},
    {"--min-worker-port", OPT_INT},
    {"--max-worker-port", OPT_INT},
    {"--worker-port-list", OPT_VALUE},
    {"--ray-client-server-port", OPT_INT},
    {"--memory", OPT_INT},
    {"--object-store-memory", OPT_INT},
    {"--num-cpus", OPT_INT},
    {"--num-gpus", OPT_INT},
    {"--resources", OPT_VALUE},
    {"--head", OPT_FLAG},
    {"--include-dashboard", OPT_BOOL},
    {"--dashboard-host", OPT_VALUE},
    {"--dashboard-port", OPT_INT},
    {"--dashboard-agent-listen-port", OPT_INT},
    {"--dashboard-agent-grpc-port", OPT_INT},
    {"--runtime-env-agent-port", OPT_INT},
    {"--block", OPT_FLAG},
    {"--plasma-directory", OPT_VALUE},
    {"--object-spilling-directory", OPT_VALUE},
    {"--autoscaling-config", OPT_VALUE},
    {"--no-redirect-output", OPT_FLAG},
    {"--temp-dir", OPT_VALUE},
    {"--system-config", OPT_VALUE},
    {"--enable-object-reconstruction", OPT_FLAG},
    {"--metrics-export-port", OPT_INT},
    {"--no-monitor", OPT_FLAG},
    {"--tracing-startup-hook", OPT_VALUE},
    {"--ray-debugger-external", OPT_FLAG},
    {"--disable-usage-stats", OPT_FLAG},
    {"--labels", OPT_VALUE},
    {"--labels-file", OPT_VALUE},
    {"--include-log-monitor", OPT_BOOL},
    {"--enable-resource-isolation", OPT_FLAG},
    {"--system-reserved-cpu", OPT_VALUE},
    {"--system-reserved-memory", OPT_VALUE},
    {"--cgroup-path", OPT_VALUE},
    {"--log-style", OPT_VALUE},
    {"--log-color", OPT_VALUE},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

static const struct opt_spec STATUS_OPTS[] = {
    {"--address", OPT_VALUE},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

static const struct opt_spec STOP_OPTS[] = {
    {"-f", OPT_FLAG},
    {"--force", OPT_FLAG},
    {"-g", OPT_INT},
    {"--grace-period", OPT_INT},
    {"-v", OPT_FLAG},
    {"--verbose", OPT_FLAG},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void usage_error(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr,
            "Usage: ray %s [OPTIONS]\n"
            "Try 'ray %s --help' for help.\n\nError: ",
            cmd->name, cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void print_command_help(const struct command *cmd)
{
    size_t i;
    printf("Usage: ray %s [OPTIONS]\n\n  %s\n\n"
           "  (raylaunch's ray stand-in for tests; this is not Ray.)\n\n"
           "Options:\n",
           cmd->name, cmd->summary);
    for (i = 0; i < cmd->nopts; i++) {
        const char *arg = "";
        switch (cmd->opts[i].kind) {
        case OPT_VALUE: arg = " TEXT"; break;
        case OPT_INT: arg = " INTEGER"; break;
        case OPT_BOOL: arg = " BOOLEAN"; break;
        case OPT_FLAG: break;
        }
        printf("  %s%s\n", cmd->opts[i].name, arg);
    }
    printf("  --help\n");
    exit(0);
}

static int find_opt(const struct command *cmd, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < cmd->nopts; i++)
        if (strlen(cmd->opts[i].name) == len &&
            strncmp(cmd->opts[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Click's boolean words. Returns "true", "false" or NULL. */
static const char *parse_bool(const char *s)
{
    static const char *yes[] = {"true", "1", "yes", "y", "t", "on"};
    static const char *no[] = {"false", "0", "no", "n", "f", "off"};
    size_t i;
    for (i = 0; i < COUNT(yes); i++)
        if (strcasecmp(s, yes[i]) == 0)
            return "true";
    for (i = 0; i < COUNT(no); i++)
        if (strcasecmp(s, no[i]) == 0)
            return "false";
    return NULL;
}

static void set_value(const struct command *cmd, int idx, const char *value)
{
    const struct opt_spec *o = &cmd->opts[idx];
    long n;
    if (o->kind == OPT_INT && parse_long(value, &n) != 0)
        usage_error(cmd, "Invalid value for '%s': '%s' is not a valid integer.",
                    o->name, value);
    if (o->kind == OPT_BOOL) {
        const char *b = parse_bool(value);
        if (b == NULL)
            usage_error(cmd,
                        "Invalid value for '%s': '%s' is not a valid boolean.",
                        o->name, value);
        value = b;
    }
    cmd->values[idx] = value; /* the last occurrence wins, as in Click */
}

/* Parses argv (the arguments after the subcommand) into cmd->values. */
static void parse_options(const struct command *cmd, int argc, char **argv)
{
    int i;
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "--help") == 0)
            print_command_help(cmd);
        if (strcmp(arg, "--") == 0 || arg[0] != '-' || arg[1] == '\0') {
            /* None of these commands takes positional arguments. */
            const char *extra = strcmp(arg, "--") == 0 ? argv[i + 1] : arg;
            if (extra == NULL)
                return;
            usage_error(cmd, "Got unexpected extra argument (%s)", extra);
        }

        if (arg[1] == '-') {
            /* Long option: --name, --name=value or --name value. */
            const char *eq = strchr(arg, '=');
            size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
            int idx = find_opt(cmd, arg, len);
            if (idx < 0)
                usage_error(cmd, "No such option: %.*s", (int)len, arg);
            if (cmd->opts[idx].kind == OPT_FLAG) {
                if (eq)
                    usage_error(cmd, "Option '%s' does not take a value.",
                                cmd->opts[idx].name);
                cmd->values[idx] = "true";
            } else if (eq) {
                set_value(cmd, idx, eq + 1);
            } else if (i + 1 < argc) {
                set_value(cmd, idx, argv[++i]);
            } else {
                usage_error(cmd, "Option '%s' requires an argument.",
                            cmd->opts[idx].name);
            }
        } else {
            /* Short options, possibly grouped: -v, -f, -g 5, -g5, -fv. */
            const char *p;
            for (p = arg + 1; *p; p++) {
                char name[3] = {'-', *p, '\0'};
                int idx = find_opt(cmd, name, 2);
                if (idx < 0)
                    usage_error(cmd, "No such option: %s", name);
                if (cmd->opts[idx].kind == OPT_FLAG) {
                    cmd->values[idx] = "true";
                    continue;
                }
                if (p[1] != '\0')
                    set_value(cmd, idx, p + 1);
                else if (i + 1 < argc)
                    set_value(cmd, idx, argv[++i]);
                else
                    usage_error(cmd, "Option '%s' requires an argument.", name);
                break;
            }
        }
    }
}

/* The parsed value of option `name`, or NULL when it was not given. */
static const char *opt(const struct command *cmd, const char *name)
{
    int idx = find_opt(cmd, name, strlen(name));
    if (idx < 0) {
        fprintf(stderr, "internal error: unknown option %s\n", name);
        abort();
    }
    return cmd->values[idx];
}

/* Reads a non-negative integer option, or returns `dflt` when absent.
 * Click has already checked that it is an integer. */
static long opt_count(const struct command *cmd, const char *name, long dflt)
{
    const char *s = opt(cmd, name);
    long v;
    if (s == NULL)
        return dflt;
    if (parse_long(s, &v) != 0 || v < 0)
        fail(1, "%s must be a non-negative integer, got '%s'.", name, s);
    return v;
}

/* ------------------------------------------------------------------ */
/* Node ids, addresses, auth tokens                                    */
/* ------------------------------------------------------------------ */

/* splitmix64's finaliser: scrambles the bits of x. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* "node_" + 56 lowercase hex digits, from the hostname, pid and clocks. */
static void make_node_id(char out[NODE_ID_LEN + 1])
{
    char host[256] = "";
    char hex[4 * 16 + 1];
    struct timespec rt, mono;
    uint64_t seed = 0xcbf29ce484222325ULL; /* FNV-1a over the hostname */
    const char *p;
    unsigned i;

    gethostname(host, sizeof host - 1);
    for (p = host; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 0x100000001b3ULL;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    seed = mix64(seed ^ (uint64_t)getpid());
    seed = mix64(seed ^ ((uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec));
    seed = mix64(seed ^ ((uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec));
    for (i = 0; i < 4; i++)
        snprintf(hex + 16 * i, 17, "%016llx",
                 (unsigned long long)mix64(seed + (i + 1) * 0x9e3779b97f4a7c15ULL));
    snprintf(out, NODE_ID_LEN + 1, "node_%.56s", hex);
}

static int is_node_id(const char *s)
{
    size_t i;
    if (strlen(s) != NODE_ID_LEN || strncmp(s, "node_", 5) != 0)
        return 0;
    for (i = 5; i < NODE_ID_LEN; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return 0;
    return 1;
}

/* Splits "host:port" or "[v6addr]:port". Returns 0 on success. */
static int split_host_port(const char *addr, char *host, size_t hostcap,
                           char *port, size_t portcap)
{
    const char *colon, *h = addr;
    size_t hlen;
    long p;

    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -1;
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= hostcap || strlen(colon + 1) >= portcap)
        return -1;
    if (parse_long(colon + 1, &p) != 0 || p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    snprintf(port, portcap, "%ld", p);
    return 0;
}

/* The client's token from RAY_AUTH_TOKEN, or NULL. It goes on a
 * space-separated protocol line, so it may not contain whitespace. */
static const char *client_token(void)
{
    const char *t = getenv("RAY_AUTH_TOKEN");
    const char *p;
    if (t == NULL || *t == '\0')
        return NULL;
    for (p = t; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            fail(1, "RAY_AUTH_TOKEN must not contain whitespace.");
    return t;
}

/* The head's required token when RAY_AUTH_MODE=token, else NULL. */
static const char *head_required_token(void)
{
    const char *mode = getenv("RAY_AUTH_MODE");
    if (mode == NULL || *mode == '\0' || strcmp(mode, "disabled") == 0)
        return NULL;
    if (strcmp(mode, "token") != 0)
        fail(1, "RAY_AUTH_MODE='%s' is not supported (the stand-in knows "
                "'disabled' and 'token').", mode);
    if (client_token() == NULL)
        fail(1, "RAY_AUTH_MODE=token, but RAY_AUTH_TOKEN is not set.");
    return client_token();
}

/* Compares tokens without stopping at the first difference. */
static int tokens_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    unsigned diff = (unsigned)(la ^ lb);
    for (i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
    return diff == 0;
}

/* ------------------------------------------------------------------ */
/* Client side of the protocol                                         */
/* ------------------------------------------------------------------ */

/* One attempt to connect to host:port, each resolved address in turn.
 * Returns a blocking socket, or -1 with a reason in err. */
static int connect_once(const char *host, const char *port, char *err,
                        size_t errcap)
{
    struct addrinfo hints, *res, *ai;
    int rc, fd = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errcap, "cannot resolve %s: %s", host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        struct pollfd pfd;
        int soerr = 0;
        socklen_t sl = sizeof soerr;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            snprintf(err, errcap, "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                soerr = errno;
            } else {
                pfd.fd = fd;
                pfd.events = POLLOUT;
                rc = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
                if (rc == 0)
                    soerr = ETIMEDOUT;
                else if (rc < 0)
                    soerr = errno;
                else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                    soerr = errno;
            }
        }
        if (soerr == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            break;
        }
        snprintf(err, errcap, "cannot connect to %s:%s: %s", host, port,
                 strerror(soerr));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Reads until EOF, or until a newline if `one_line`. Gives up after
 * timeout_ms. Returns a malloc'd string (possibly empty), or NULL on a
 * timeout. */
static char *read_reply(int fd, int one_line, int timeout_ms)
{
    struct sbuf b = {NULL, 0, 0};
    int64_t deadline = now_ms() + timeout_ms;
    char chunk[4096];

    sbuf_printf(&b, "%s", "");
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int left = (int)(deadline - now_ms());
        int ready = left > 0 ? poll(&pfd, 1, left) : 0;
        ssize_t n;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            free(b.data);
            return NULL;
        }
        n = recv(fd, chunk, one_line ? 1 : sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return b.data;
        sbuf_printf(&b, "%.*s", (int)n, chunk);
        if (one_line && chunk[0] == '\n')
            return b.data;
    }
}

/* ------------------------------------------------------------------ */
/* ray start: the head                                                 */
/* ------------------------------------------------------------------ */

struct node {
    char id[NODE_ID_LEN + 1];
    long cpus, gpus;
    char host[256];
    int fd; /* the worker's connection; -1 for the head itself */
};

struct conn {
    int fd;
    int joined;           /* a worker that sent JOIN and stays connected */
    int closing;          /* close once `out` is written */
    char in[MAX_LINE];    /* the request line being received */
    size_t in_len;
    char *out;            /* reply being sent */
    size_t out_len, out_off;
};

static struct node *g_nodes; /* g_nodes[0] is the head; workers in join order */
static size_t g_nnodes, g_nodes_cap;
static const char *g_head_token; /* required token, or NULL */

static void add_node(const char *id, long cpus, long gpus, const char *host,
                     int fd)
{
    struct node *n;
    if (g_nnodes == g_nodes_cap) {
        g_nodes_cap = g_nodes_cap ? g_nodes_cap * 2 : 16;
        g_nodes = realloc(g_nodes, g_nodes_cap * sizeof *g_nodes);
        if (g_nodes == NULL)
            abort();
    }
    n = &g_nodes[g_nnodes++];
    snprintf(n->id, sizeof n->id, "%s", id);
    snprintf(n->host, sizeof n->host, "%s", host);
    n->cpus = cpus;
    n->gpus = gpus;
    n->fd = fd;
}

static void remove_node_of(int fd)
{
    size_t i;
    for (i = 1; i < g_nnodes; i++) {
        if (g_nodes[i].fd == fd) {
            memmove(&g_nodes[i], &g_nodes[i + 1],
                    (g_nnodes - i - 1) * sizeof *g_nodes);
            g_nnodes--;
            return;
        }
    }
}

static int node_known(const char *id)
{
    size_t i;
    for (i = 0; i < g_nnodes; i++)
        if (strcmp(g_nodes[i].id, id) == 0)
            return 1;
    return 0;
}

/* Ray's `ray status` text, autoscaler v2 layout. */
static char *status_text(size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    struct timespec ts;
    struct tm tm;
    char when[32];
    long cpus = 0, gpus = 0;
    size_t i;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    sbuf_printf(&b, "======== Autoscaler status: %s.%06ld ========\n", when,
                ts.tv_nsec / 1000);
    sbuf_printf(&b, "Node status\n%s\nActive:\n", DASHES);
    for (i = 0; i < g_nnodes; i++) {
        sbuf_printf(&b, " 1 %s\n", g_nodes[i].id);
        cpus += g_nodes[i].cpus;
        gpus += g_nodes[i].gpus;
    }
    sbuf_printf(&b, "Pending:\n (no pending nodes)\n"
                    "Recent failures:\n (no failures)\n\n");
    sbuf_printf(&b, "Resources\n%s\nTotal Usage:\n", DASHES);
    sbuf_printf(&b, " 0.0/%ld.0 CPU\n", cpus);
    if (gpus > 0)
        sbuf_printf(&b, " 0.0/%ld.0 GPU\n", gpus);
    sbuf_printf(&b, " 0B/0B memory\n 0B/0B object_store_memory\n\n"
                    "From request_resources:\n (none)\n"
                    "Pending Demands:\n (no resource demands)\n");
    *len = b.len;
    return b.data;
}

static void queue_reply(struct conn *c, char *text, size_t len, int close_after)
{
    free(c->out);
    c->out = text;
    c->out_len = len;
    c->out_off = 0;
    c->closing = close_after;
}

static void queue_error(struct conn *c, const char *msg)
{
    char *text = strdup(msg);
    if (text == NULL)
        abort();
    queue_reply(c, text, strlen(text), 1);
}

static int token_ok(const char *given)
{
    if (g_head_token == NULL)
        return 1; /* auth disabled: any token is ignored */
    return given != NULL && tokens_equal(given, g_head_token);
}

/* Handles one request line from a connection that has not joined. */
static void handle_request(struct conn *c, char *line)
{
    char *words[8];
    int n = 0;
    char *save = NULL, *w;

    for (w = strtok_r(line, " \r", &save); w && n < 8; w = strtok_r(NULL, " \r", &save))
        words[n++] = w;

    if (n >= 1 && n <= 2 && strcmp(words[0], "STATUS") == 0) {
        size_t len;
        char *text;
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        text = status_text(&len);
        queue_reply(c, text, len, 1);
    } else if ((n == 5 || n == 6) && strcmp(words[0], "JOIN") == 0) {
        long cpus, gpus;
        char *ok;
        if (!token_ok(n == 6 ? words[5] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        if (!is_node_id(words[1]) || parse_long(words[2], &cpus) != 0 ||
            parse_long(words[3], &gpus) != 0 || cpus < 0 || gpus < 0) {
            queue_error(c, "ERR bad request\n");
            return;
        }
        if (node_known(words[1])) {
            queue_error(c, "ERR duplicate node id\n");
            return;
        }
        add_node(words[1], cpus, gpus, words[4], c->fd);
        c->joined = 1;
        ok = strdup("OK\n");
        if (ok == NULL)
            abort();
        queue_reply(c, ok, 3, 0);
    } else {
        queue_error(c, "ERR bad request\n");
    }
}

static void close_conn(struct conn *c)
{
    if (c->joined)
        remove_node_of(c->fd);
    close(c->fd);
    free(c->out);
    c->out = NULL;
    c->fd = -1;
}

/* Reads what is available on c. */
static void conn_readable(struct conn *c)
{
    char *nl;
    ssize_t n;

    if (c->joined || c->closing) {
        /* Nothing more is expected; read and drop, watching for EOF. */
        char scratch[512];
        n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            close_conn(c);
        return;
    }
    n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len - 1, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_conn(c);
        return;
    }
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    nl = strchr(c->in, '\n');
    if (nl != NULL) {
        *nl = '\0';
        handle_request(c, c->in);
        c->in_len = 0;
    } else if (c->in_len >= sizeof c->in - 1) {
        queue_error(c, "ERR line too long\n");
    }
}

static void conn_writable(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            close_conn(c);
            return;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    if (c->closing)
        close_conn(c);
}

/* The head's event loop: one thread, poll() over the listening socket and
 * every connection. Never returns; signals end the process. */
static void serve(int lfd)
{
    struct conn **conns = NULL;
    struct pollfd *pfds = NULL;
    size_t nconns = 0, cap = 0;

    for (;;) {
        size_t i, k, polled;

        if (cap < nconns + 1 || pfds == NULL) {
            cap = (nconns + 1) * 2;
            pfds = realloc(pfds, cap * sizeof *pfds);
            if (pfds == NULL)
                abort();
        }
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        for (i = 0; i < nconns; i++) {
            pfds[i + 1].fd = conns[i]->fd;
            pfds[i + 1].events = conns[i]->out ? POLLOUT : POLLIN;
        }
        polled = nconns;
        if (poll(pfds, polled + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }

        for (i = 0; i < polled; i++) {
            short re = pfds[i + 1].revents;
            struct conn *c = conns[i];
            if (re == 0 || c->fd < 0)
                continue;
            if (re & POLLOUT)
                conn_writable(c);
            else if (re & (POLLIN | POLLHUP | POLLERR))
                conn_readable(c);
        }

        /* Drop closed connections, keeping the order of the rest. */
        for (i = 0, k = 0; i < nconns; i++) {
            if (conns[i]->fd < 0)
                free(conns[i]);
            else
                conns[k++] = conns[i];
        }
        nconns = k;

        if (pfds[0].revents & POLLIN) {
            for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct conn *c;
                if (fd < 0) {
                    if (errno == EMFILE || errno == ENFILE)
                        fprintf(stderr, "accept: %s\n", strerror(errno));
                    break; /* EAGAIN: no more pending */
                }
                c = calloc(1, sizeof *c);
                if (c == NULL)
                    abort();
                c->fd = fd;
                if (nconns % 64 == 0) {
                    conns = realloc(conns, (nconns + 64) * sizeof *conns);
                    if (conns == NULL)
                        abort();
                }
                conns[nconns++] = c;
            }
        }
    }
}

/* Lets the head hold many connections: raises the soft open-file limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < 65536 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The address other machines reach this one at, like Ray's
 * get_node_ip_address(): the source address of the default route. */
static void detect_node_ip(char *out, size_t cap)
{
    struct sockaddr_in dst, me;
    socklen_t len = sizeof me;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    snprintf(out, cap, "127.0.0.1");
    if (fd < 0)
        return;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons(80);
    inet_pton(AF_INET, "8.8.8.8", &dst.sin_addr); /* no packet is sent */
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &len) == 0)
        inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)cap);
    close(fd);
}

static int listen_on(int port)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4096) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void print_block_banner(void)
{
    printf("--block\n"
           "  This command will now block forever until terminated by a signal.\n"
           "  (Stand-in: SIGTERM or SIGINT ends it with status 0.)\n");
}

/* The first line `ray start` prints, once its options are checked. */
static void print_standin_note(void)
{
    printf("(raylaunch's ray stand-in for tests; this is not Ray.)\n");
}

static void write_pid_file(void)
{
    char text[32];
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (write_small_file(PID_FILE, text) == 0)
        g_wrote_pid_file = 1;
    else
        fprintf(stderr, "warning: cannot write %s: %s\n", PID_FILE, strerror(errno));
}

static int start_head(const struct command *cmd, long cpus, long gpus, int block)
{
    char ip[64], node_id[NODE_ID_LEN + 1], text[32];
    long port = DEFAULT_PORT;
    const char *given_ip = opt(cmd, "--node-ip-address");
    int lfd;

    if (opt(cmd, "--address") != NULL)
        fail(1, "--address cannot be used with --head (the ray stand-in has "
                "no external GCS); use --port to choose the head's port.");
    if (opt(cmd, "--port") != NULL &&
        (parse_long(opt(cmd, "--port"), &port) != 0 || port < 1 || port > 65535))
        fail(1, "--port must be between 1 and 65535, got '%s'.", opt(cmd, "--port"));
    g_head_token = head_required_token();
    print_standin_note();

    if (given_ip != NULL)
        snprintf(ip, sizeof ip, "%s", given_ip);
    else
        detect_node_ip(ip, sizeof ip);

    raise_fd_limit();
    lfd = listen_on((int)port);
    if (lfd < 0)
        fail(1, "cannot listen on port %ld: %s", port, strerror(errno));

    printf("Local node IP: %s\n\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "Next steps\n"
           "  To add another node to this Ray cluster, run\n"
           "    ray start --address='%s:%ld'\n\n"
           "  To terminate the Ray runtime, run\n"
           "    ray stop\n\n"
           "  To view the status of the cluster, use\n"
           "    ray status\n",
           ip, ip, port);
    if (!block) {
        /* Nothing stays running, so no state files are written. */
        close(lfd);
        return 0;
    }

    make_node_id(node_id);
    {
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        add_node(node_id, cpus, gpus, host, -1);
    }
    write_pid_file();
    snprintf(text, sizeof text, "%ld\n", port);
    if (write_small_file(PORT_FILE, text) == 0)
        g_wrote_port_file = 1;
    else
        fprintf(stderr, "warning: cannot write %s: %s\n", PORT_FILE, strerror(errno));
    print_block_banner();
    serve(lfd);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ray start: a worker                                                 */
/* ------------------------------------------------------------------ */

/* Connects to the head, retrying every RETRY_INTERVAL_MS while it is not
 * reachable yet (name not resolvable, connection refused, ...). */
static int connect_with_retry(const char *host, const char *port)
{
    int64_t start = now_ms(), last_report = -RETRY_REPORT_MS - 1;
    char err[512] = "";

    for (;;) {
        int fd = connect_once(host, port, err, sizeof err);
        int64_t t = now_ms();
        if (fd >= 0)
            return fd;
        if (t - start >= RETRY_GIVE_UP_MS) {
            fprintf(stderr,
                    "Error: could not reach the head node at %s:%s within %d "
                    "seconds (%s).\n",
                    host, port, RETRY_GIVE_UP_MS / 1000, err);
            exit(1);
        }
        if (t - last_report >= RETRY_REPORT_MS) {
            fprintf(stderr, "Waiting for the head node at %s:%s: %s\n", host,
                    port, err);
            last_report = t;
        }
        sleep_ms(RETRY_INTERVAL_MS);
    }
}

static int start_worker(const struct command *cmd, long cpus, long gpus, int block)
{
    const char *address = opt(cmd, "--address");
    const char *token = client_token();
    char host[256], port[8], node_id[NODE_ID_LEN + 1], hostname[256] = "";
    char ip[64] = "127.0.0.1";
    struct sbuf line = {NULL, 0, 0};
    char *reply;
    int fd;

    if (address == NULL)
        fail(1, "--address is required when not starting a head node (use "
                "--head to start one).");
    if (opt(cmd, "--port") != NULL)
        fail(1, "--port should only be specified when starting head node.");
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "--address must look like HOST:PORT, got '%s'.", address);

    print_standin_note();
    gethostname(hostname, sizeof hostname - 1);
    if (hostname[0] == '\0' || strpbrk(hostname, " \t\r\n") != NULL)
        snprintf(hostname, sizeof hostname, "unknown");
    make_node_id(node_id);

    if (block)
        write_pid_file(); /* early, so that `ray stop` works while waiting */
    fd = connect_with_retry(host, port);
    sbuf_printf(&line, "JOIN %s %ld %ld %s", node_id, cpus, gpus, hostname);
    if (token != NULL)
        sbuf_printf(&line, " %s", token);
    sbuf_printf(&line, "\n");
    if (write_all(fd, line.data, line.len) != 0)
        fail(1, "lost the connection to the head node at %s:%s while joining.",
             host, port);
    free(line.data);

    reply = read_reply(fd, 1, REPLY_TIMEOUT_MS);
    if (reply == NULL || reply[0] == '\0')
        fail(1, "the head node at %s:%s did not accept this node.", host, port);
    if (strncmp(reply, "ERR unauthenticated", 19) == 0)
        fail(1, "authentication failed: the token does not match the head's "
                "(set RAY_AUTH_TOKEN to the cluster's token).");
    if (strcmp(reply, "OK\n") != 0) {
        reply[strcspn(reply, "\n")] = '\0';
        fail(1, "the head node at %s:%s refused this node: %s", host, port, reply);
    }
    free(reply);

    if (opt(cmd, "--node-ip-address") != NULL) {
        snprintf(ip, sizeof ip, "%s", opt(cmd, "--node-ip-address"));
    } else {
        struct sockaddr_storage me;
        socklen_t len = sizeof me;
        if (getsockname(fd, (struct sockaddr *)&me, &len) == 0)
            getnameinfo((struct sockaddr *)&me, len, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST);
    }
    printf("Local node IP: %s\n\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "To terminate the Ray runtime, run\n"
           "  ray stop\n",
           ip);
    if (!block) {
        close(fd);
        return 0;
    }

    {
        char text[300];
        snprintf(text, sizeof text, "%s\n", address);
        if (write_small_file(HEAD_ADDR_FILE, text) == 0)
            g_wrote_addr_file = 1;
    }
    print_block_banner();

    /* Stay connected. The head sends nothing more, so readable means the
     * connection ended (or the head sent an error). */
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        char buf[256];
        ssize_t n;
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            break;
        }
        n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buf[n] = '\0';
        if (strncmp(buf, "ERR", 3) == 0)
            fprintf(stderr, "The head node said: %s", buf);
    }
    fprintf(stderr, "Lost connection to the head node at %s:%s\n", host, port);
    return 1;
}

static int cmd_start(const struct command *cmd)
{
    int block = opt(cmd, "--block") != NULL;
    long cpus = opt_count(cmd, "--num-cpus", sysconf(_SC_NPROCESSORS_ONLN));
    long gpus = opt_count(cmd, "--num-gpus", 0);
    const char *res = opt(cmd, "--resources");

    if (res != NULL) {
        /* A light check that it is a JSON object: {...}. */
        size_t len = strlen(res);
        while (len > 0 && isspace((unsigned char)res[len - 1]))
            len--;
        while (len > 0 && isspace((unsigned char)*res))
            res++, len--;
        if (len < 2 || res[0] != '{' || res[len - 1] != '}')
            fail(1, "--resources must be a JSON object such as "
                    "'{\"accel\": 1}', got '%s'.", opt(cmd, "--resources"));
        if (strstr(res, "\"CPU\"") || strstr(res, "\"GPU\""))
            fail(1, "Use the --num-cpus and --num-gpus arguments instead of "
                    "--resources for CPU and GPU.");
    }

    setvbuf(stdout, NULL, _IOLBF, 0);
    install_signal_handlers();
    atexit(remove_state_files);
    if (opt(cmd, "--head") != NULL)
        return start_head(cmd, cpus, gpus, block);
    return start_worker(cmd, cpus, gpus, block);
}

/* ------------------------------------------------------------------ */
/* ray status                                                          */
/* ------------------------------------------------------------------ */

static int cmd_status(const struct command *cmd)
{
    char address[300], host[256], port[8], saved[300];
    const char *token = client_token();
    char err[512] = "", *reply;
    struct sbuf req = {NULL, 0, 0};
    int fd;

    /* Where is the head? --address; else a head in this container; else the
     * head a worker in this container joined; else RAY_ADDRESS; else the
     * default port here. */
    if (opt(cmd, "--address") != NULL)
        snprintf(address, sizeof address, "%s", opt(cmd, "--address"));
    else if (read_small_file(PORT_FILE, saved, 16) == 0)
        snprintf(address, sizeof address, "127.0.0.1:%.15s", saved);
    else if (read_small_file(HEAD_ADDR_FILE, saved, sizeof saved) == 0)
        snprintf(address, sizeof address, "%s", saved);
    else if (getenv("RAY_ADDRESS") != NULL && *getenv("RAY_ADDRESS") != '\0')
        snprintf(address, sizeof address, "%s", getenv("RAY_ADDRESS"));
    else
        snprintf(address, sizeof address, "127.0.0.1:%d", DEFAULT_PORT);
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "the address must look like HOST:PORT, got '%s'.", address);

    fd = connect_once(host, port, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr,
                "ConnectionError: Could not find any running Ray instance. "
                "Please specify the one to connect to by setting --address "
                "flag or RAY_ADDRESS environment variable.\n");
        return 1;
    }
    sbuf_printf(&req, "STATUS%s%s\n", token ? " " : "", token ? token : "");
    if (write_all(fd, req.data, req.len) != 0)
        fail(1, "lost the connection to %s:%s.", host, port);
    free(req.data);
    reply = read_reply(fd, 0, REPLY_TIMEOUT_MS);
    close(fd);

    if (reply == NULL || reply[0] == '\0') {
        fprintf(stderr, "No cluster status. It may take a few seconds for the "
                        "Ray internal services to start up.\n");
        return 1;
    }
    if (strncmp(reply, "ERR unauthenticated", 19) == 0)
        fail(1, "authentication failed: the token does not match the head's "
                "(set RAY_AUTH_TOKEN to the cluster's token).");
    if (strncmp(reply, "ERR", 3) == 0)
        fail(1, "the head node at %s:%s replied: %s", host, port, reply);
    fputs(reply, stdout);
    free(reply);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ray stop                                                            */
/* ------------------------------------------------------------------ */

/* Is pid a live (not zombie) stand-in process? */
static int standin_alive(pid_t pid)
{
    char path[64], buf[512];
    FILE *f;

    if (kill(pid, 0) != 0 && errno != EPERM)
        return 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 1; /* no /proc: trust kill() */
    if (fgets(buf, sizeof buf, f) != NULL) {
        /* "pid (comm) S ...": the state follows the last ')'. */
        char *rp = strrchr(buf, ')');
        char *lp = strchr(buf, '(');
        fclose(f);
        if (rp == NULL || lp == NULL)
            return 1;
        if (rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
            return 0;
        /* A recycled pid belonging to something else is not ours. */
        return (size_t)(rp - lp - 1) == 3 && strncmp(lp + 1, "ray", 3) == 0;
    }
    fclose(f);
    return 1;
}

static int cmd_stop(const struct command *cmd)
{
    int force = opt(cmd, "-f") != NULL || opt(cmd, "--force") != NULL;
    const char *g = opt(cmd, "--grace-period") ? opt(cmd, "--grace-period") : opt(cmd, "-g");
    long grace = DEFAULT_GRACE_S, pid;
    char text[32];
    int64_t deadline;

    if (g != NULL && (parse_long(g, &grace) != 0 || grace < 0))
        fail(1, "--grace-period must be a non-negative integer, got '%s'.", g);
    if (read_small_file(PID_FILE, text, sizeof text) != 0 ||
        parse_long(text, &pid) != 0 || pid <= 0 || pid == (long)getpid() ||
        !standin_alive((pid_t)pid)) {
        printf("Did not find any active Ray processes.\n");
        return 0;
    }
    kill((pid_t)pid, force ? SIGKILL : SIGTERM);
    deadline = now_ms() + grace * 1000;
    while (standin_alive((pid_t)pid) && now_ms() < deadline)
        sleep_ms(100);
    if (standin_alive((pid_t)pid)) {
        printf("Stopped only 0 out of 1 Ray processes within the grace period "
               "%ld seconds. Remaining processes [%ld] will be forcefully "
               "terminated.\n",
               grace, pid);
        kill((pid_t)pid, SIGKILL);
        return 0;
    }
    printf("Stopped all 1 Ray processes.\n");
    return 0;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void top_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "Usage: ray [OPTIONS] COMMAND [ARGS]...\n"
                    "Try 'ray --help' for help.\n\nError: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *start_values[COUNT(START_OPTS)];
    static const char *status_values[COUNT(STATUS_OPTS)];
    static const char *stop_values[COUNT(STOP_OPTS)];
    static const struct command commands[] = {
        {"start", "Start Ray processes manually on the local machine.",
         START_OPTS, COUNT(START_OPTS), start_values},
        {"status", "Print cluster status, including autoscaling info.",
         STATUS_OPTS, COUNT(STATUS_OPTS), status_values},
        {"stop", "Stop Ray processes manually on the local machine.",
         STOP_OPTS, COUNT(STOP_OPTS), stop_values},
    };
    size_t i;

    if (argc < 2)
        top_usage_error("Missing command.%s", "");
    if (strcmp(argv[1], "--version") == 0) {
        printf("ray, version " STANDIN_VERSION " (raylaunch ray stand-in for tests)\n");
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0) {
        printf("Usage: ray [OPTIONS] COMMAND [ARGS]...\n\n"
               "  raylaunch's ray stand-in for tests; this is not Ray.\n\n"
               "Options:\n  --version\n  --help\n\nCommands:\n");
        for (i = 0; i < COUNT(commands); i++)
            printf("  %-7s %s\n", commands[i].name, commands[i].summary);
        return 0;
    }
    if (argv[1][0] == '-')
        top_usage_error("No such option: %s", argv[1]);

    for (i = 0; i < COUNT(commands); i++) {
        const struct command *cmd = &commands[i];
        if (strcmp(argv[1], cmd->name) != 0)
            continue;
        parse_options(cmd, argc - 2, argv + 2);
        if (i == 0)
            return cmd_start(cmd);
        if (i == 1)
            return cmd_status(cmd);
        return cmd_stop(cmd);
    }
    top_usage_error("No such command '%s'.", argv[1]);
    return 2;
}
