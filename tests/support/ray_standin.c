/*
 * ray_standin.c - raylaunch's "ray stand-in": a TEST FIXTURE, not Ray.
 *
 * Real Ray cannot be installed where raylaunch's tests run, so this small
 * static program is installed as /usr/local/bin/ray in a test image
 * (see scripts/standin-image.sh). It imitates the parts of Ray 2.52 that
 * raylaunch drives or reads, closely enough to test cluster bring-up in
 * Docker, and no more:
 *
 *   ray start [options]      head (--head) or worker (--address=H:P); makes
 *                            Ray's session folders under /tmp/ray
 *   ray status [--address=H:P]
 *   ray job submit|status|logs|stop   (speaks the head's HTTP Jobs API)
 *   ray stop [-f|--force] [-g N|--grace-period N]
 *   ray --version
 *
 * The head keeps a table of nodes (ALIVE, and DEAD once they leave), prints
 * it in the layout of Ray's `ray status`, and serves a small part of Ray's
 * dashboard HTTP API (/api/v0/nodes, health, version, cluster status, Jobs,
 * package uploads) from the same single-threaded poll() loop. Jobs run as
 * `sh -c ENTRYPOINT` in the head's container, in their unpacked working_dir
 * when they have one. It runs no tasks and has no object store.
 * Every node listens on its node and object manager ports, as Ray's
 * raylet, and the head health-checks each worker at the address it
 * advertises, as Ray's GCS: when it joins and then periodically.
 * `ray start` refuses what Ray's refuses (option types, reserved ports,
 * worker ranges, head-only options, labels, GPUs, /dev/shm) with Ray's
 * words and exit status, and a worker that loses its head retries for
 * RAY_gcs_rpc_server_reconnect_timeout_s before it exits, as Ray's raylet.
 * Nodes talk a tiny line protocol over TCP; tests/support/README.md
 * describes it and lists what is imitated and what is not.
 *
 * Build: musl-gcc -static -O2 -Wall -Wextra -o ray ray_standin.c standin_serve*.c
 * (Ray Serve's REST API and proxy live in standin_serve*.c.)
 */
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

#include "standin_serve.h"

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
#define HEALTH_ANSWER_MAX 64           /* head: a health answer longer than this is wrong */
/* Ray's GCS, for a node it can no longer reach (and the stand-in's, for a
 * node whose connection just dropped) */
#define HEARTBEAT_DEATH \
    "Unexpected termination: health check failed due to missing too many heartbeats"

static const char DASHES[] =
    "---------------------------------------------------------------";

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since the epoch, as Ray's timestamps. */
int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
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

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
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

/* Parses a whole number (Click's type=float). Returns 0 on success. */
int parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || isnan(v) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

/* Python's str.isspace() for ASCII, which int() and float() strip. */
static int py_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Copies the digits of s (at *p) into out, as Python's numeric literals
 * allow them: single underscores between digits. Returns how many digits
 * were copied (0 when none, or -1 for a misplaced underscore); *p moves
 * past them. */
static int py_digits(const char **p, char *out, size_t cap, size_t *len)
{
    const char *s = *p;
    int n = 0;
    while (isdigit((unsigned char)*s) || *s == '_') {
        if (*s == '_') {
            if (n == 0 || !isdigit((unsigned char)s[1]))
                return -1;
        } else {
            if (*len + 1 < cap)
                out[(*len)++] = *s;
            n++;
        }
        s++;
    }
    *p = s;
    return n;
}

/* Python's int(s) of a str, which Click's type=int applies: surrounding
 * whitespace, a sign, decimal digits with single underscores between
 * them. The value saturates at the long long range (Python's has none).
 * Returns 0 when Python would accept s. */
static int parse_py_int(const char *s, long long *out)
{
    char scratch[32]; /* py_digits checks the underscores; the value is summed here */
    size_t len = 0;
    long long v = 0;
    int neg = 0;
    const char *p = s, *end;
    while (py_space((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    end = p;
    if (py_digits(&end, scratch, sizeof scratch, &len) <= 0)
        return -1;
    for (; p < end; p++) {
        if (*p == '_')
            continue;
        v = v > (LLONG_MAX - (*p - '0')) / 10 ? LLONG_MAX : v * 10 + (*p - '0');
    }
    while (py_space((unsigned char)*p))
        p++;
    if (*p != '\0')
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* Python's float(s) of a str, which Click's type=float applies: surrounding
 * whitespace, a sign, digits (single underscores between them) with an
 * optional point and exponent, or inf, infinity, nan in any case. Returns
 * 0 when Python would accept s. */
static int parse_py_float(const char *s, double *out)
{
    char buf[512];
    size_t len = 0;
    const char *p = s, *word;
    int n, m = 0;
    while (py_space((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        buf[len++] = *p++;
    word = p;
    if (strncasecmp(word, "infinity", 8) == 0 || strncasecmp(word, "inf", 3) == 0 ||
        strncasecmp(word, "nan", 3) == 0) {
        p += strncasecmp(word, "infinity", 8) == 0 ? 8 : 3;
        while (py_space((unsigned char)*p))
            p++;
        if (*p != '\0')
            return -1;
        *out = tolower((unsigned char)*word) == 'n' ? NAN
               : (len && buf[0] == '-')            ? -INFINITY
                                                   : INFINITY;
        return 0;
    }
    n = py_digits(&p, buf, sizeof buf, &len);
    if (n < 0)
        return -1;
    if (*p == '.') {
        buf[len++] = *p++;
        m = py_digits(&p, buf, sizeof buf, &len);
        if (m < 0)
            return -1;
    }
    if (n + m == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        buf[len++] = *p++;
        if (*p == '+' || *p == '-')
            buf[len++] = *p++;
        if (py_digits(&p, buf, sizeof buf, &len) <= 0)
            return -1;
    }
    while (py_space((unsigned char)*p))
        p++;
    if (*p != '\0' || len >= sizeof buf - 1)
        return -1;
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return 0;
}

/* A non-negative integer from the environment, or `dflt`. */
long env_ms(const char *name, long dflt)
{
    long v;
    if (parse_long(getenv(name), &v) != 0 || v < 0)
        return dflt;
    return v;
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


static void sbuf_reserve(struct sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    b->cap = (b->len + more + 1) * 2;
    b->data = xrealloc(b->data, b->cap);
}

void sbuf_add(struct sbuf *b, const void *p, size_t n)
{
    sbuf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
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
        sbuf_reserve(b, (size_t)n);
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

/* Python's repr() of a str: single quotes, unless it has a single quote
 * and no double quote; backslashes, the quote and control characters
 * escaped. Bytes from 0x80 are copied (Python would show the characters). */
void py_repr(struct sbuf *b, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    sbuf_add(b, &q, 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\' || c == (unsigned char)q)
            sbuf_printf(b, "\\%c", c);
        else if (c == '\n')
            sbuf_adds(b, "\\n");
        else if (c == '\r')
            sbuf_adds(b, "\\r");
        else if (c == '\t')
            sbuf_adds(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            sbuf_printf(b, "\\x%02x", c);
        else
            sbuf_add(b, s, 1);
    }
    sbuf_add(b, &q, 1);
}

/* Percent-encodes everything but [A-Za-z0-9._~-], for protocol words. */
static void pct_encode(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-')
            sbuf_add(b, s, 1);
        else
            sbuf_printf(b, "%%%02X", c);
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX (and '+' as a space when `plus`) in place. */
static void pct_decode(char *s, int plus)
{
    char *out = s;
    for (; *s; s++) {
        if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *out++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else if (*s == '+' && plus) {
            *out++ = ' ';
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* ------------------------------------------------------------------ */
/* JSON: a writer that formats like Python's json.dumps (", " and ": "  */
/* separators, ensure_ascii, floats as Python's repr) and a small,      */
/* strict parser for request bodies and replies, with Python's error   */
/* messages.                                                           */
/* ------------------------------------------------------------------ */

/* A JSON string literal; non-ASCII as \uXXXX, invalid UTF-8 as U+FFFD. */
void json_str(struct sbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    sbuf_reserve(b, n + 2);
    sbuf_add(b, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t len, k;

        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sbuf_add(b, esc, 2);
            i++;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '\n': sbuf_add(b, "\\n", 2); break;
            case '\r': sbuf_add(b, "\\r", 2); break;
            case '\t': sbuf_add(b, "\\t", 2); break;
            case '\b': sbuf_add(b, "\\b", 2); break;
            case '\f': sbuf_add(b, "\\f", 2); break;
            default:
                if (c < 0x20)
                    sbuf_printf(b, "\\u%04x", c);
                else
                    sbuf_add(b, s + i, 1);
            }
            i++;
            continue;
        }
        /* A UTF-8 sequence. */
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07;
        else
            len = 0, cp = 0;
        for (k = 1; len && k < len; k++) {
            if (i + k >= n || ((unsigned char)s[i + k] & 0xc0) != 0x80) {
                len = 0;
                break;
            }
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
        }
        if (len == 0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            sbuf_add(b, "\\ufffd", 6);
            i++;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            sbuf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            sbuf_printf(b, "\\u%04x", cp);
        }
        i += len;
    }
    sbuf_add(b, "\"", 1);
}

void json_strz(struct sbuf *b, const char *s)
{
    if (s == NULL)
        sbuf_adds(b, "null");
    else
        json_str(b, s, strlen(s));
}

/* A float as Python's repr() writes it: 4.0, 0.5, 8589934592.0, 1e+16. */
void py_float(struct sbuf *b, double v)
{
    char tmp[48], digits[24];
    int prec, exp, nd = 0, i;
    const char *p;

    if (isnan(v)) {
        sbuf_adds(b, "NaN");
        return;
    }
    if (isinf(v)) {
        sbuf_adds(b, v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    p = tmp;
    if (*p == '-') {
        sbuf_add(b, "-", 1);
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p))
            digits[nd++] = *p;
    exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            for (i = 0; i <= exp; i++)
                sbuf_add(b, i < nd ? &digits[i] : "0", 1);
            sbuf_add(b, ".", 1);
            if (nd > exp + 1)
                sbuf_add(b, digits + exp + 1, (size_t)(nd - exp - 1));
            else
                sbuf_add(b, "0", 1);
        } else {
            sbuf_add(b, "0.", 2);
            for (i = 0; i < -exp - 1; i++)
                sbuf_add(b, "0", 1);
            sbuf_add(b, digits, (size_t)nd);
        }
    } else {
        sbuf_add(b, digits, 1);
        if (nd > 1) {
            sbuf_add(b, ".", 1);
            sbuf_add(b, digits + 1, (size_t)(nd - 1));
        }
        sbuf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
}


struct jparser {
    const char *start, *p, *end;
    int depth;
    char err[160];
};

/* Python's JSONDecodeError text: "MSG: line L column C (char N)". */
static int jp_error(struct jparser *jp, const char *msg, const char *at)
{
    const char *q, *line_start = jp->start;
    int line = 1;
    for (q = jp->start; q < at; q++)
        if (*q == '\n') {
            line++;
            line_start = q + 1;
        }
    if (jp->err[0] == '\0')
        snprintf(jp->err, sizeof jp->err, "%s: line %d column %ld (char %ld)", msg,
                 line, (long)(at - line_start) + 1, (long)(at - jp->start));
    return -1;
}

static void jp_ws(struct jparser *jp)
{
    while (jp->p < jp->end &&
           (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static void utf8_put(struct sbuf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        u[0] = (char)cp;
        sbuf_add(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        sbuf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        sbuf_add(b, u, 3);
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        sbuf_add(b, u, 4);
    }
}

static int jp_hex4(const char *p, const char *end, uint32_t *out)
{
    int i;
    uint32_t v = 0;
    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return 0;
}

/* A string; jp->p is at the opening quote. */
static int jp_string(struct jparser *jp, struct jv *v)
{
    const char *open = jp->p++;
    struct sbuf b = {NULL, 0, 0};

    sbuf_add(&b, "", 0);
    for (;;) {
        unsigned char c;
        if (jp->p >= jp->end) {
            free(b.data);
            return jp_error(jp, "Unterminated string starting at", open);
        }
        c = (unsigned char)*jp->p;
        if (c == '"') {
            jp->p++;
            break;
        }
        if (c < 0x20) {
            free(b.data);
            return jp_error(jp, "Invalid control character at", jp->p);
        }
        if (c != '\\') {
            sbuf_add(&b, jp->p++, 1);
            continue;
        }
        if (jp->p + 1 >= jp->end) {
            free(b.data);
            return jp_error(jp, "Unterminated string starting at", open);
        }
        switch (jp->p[1]) {
        case '"': sbuf_add(&b, "\"", 1); break;
        case '\\': sbuf_add(&b, "\\", 1); break;
        case '/': sbuf_add(&b, "/", 1); break;
        case 'b': sbuf_add(&b, "\b", 1); break;
        case 'f': sbuf_add(&b, "\f", 1); break;
        case 'n': sbuf_add(&b, "\n", 1); break;
        case 'r': sbuf_add(&b, "\r", 1); break;
        case 't': sbuf_add(&b, "\t", 1); break;
        case 'u': {
            uint32_t cp, lo;
            if (jp_hex4(jp->p + 2, jp->end, &cp) != 0) {
                free(b.data);
                return jp_error(jp, "Invalid \\uXXXX escape", jp->p + 1);
            }
            jp->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && jp->p + 2 < jp->end &&
                jp->p[2] == '\\' && jp->p[3] == 'u' &&
                jp_hex4(jp->p + 4, jp->end, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                jp->p += 6;
            } else if (cp >= 0xd800 && cp <= 0xdfff) {
                cp = 0xfffd; /* a lone surrogate */
            }
            utf8_put(&b, cp);
            break;
        }
        default:
            free(b.data);
            return jp_error(jp, "Invalid \\escape", jp->p);
        }
        jp->p += 2;
    }
    v->t = J_STR;
    v->s = b.data;
    v->len = b.len;
    return 0;
}

static int jp_number(struct jparser *jp, struct jv *v)
{
    const char *s = jp->p, *q = jp->p;
    if (q < jp->end && *q == '-')
        q++;
    if (q >= jp->end || !isdigit((unsigned char)*q))
        return jp_error(jp, "Expecting value", s);
    if (*q == '0')
        q++;
    else
        while (q < jp->end && isdigit((unsigned char)*q))
            q++;
    v->is_int = 1;
    if (q + 1 < jp->end && *q == '.' && isdigit((unsigned char)q[1])) {
        v->is_int = 0;
        for (q++; q < jp->end && isdigit((unsigned char)*q); q++) {
        }
    }
    if (q < jp->end && (*q == 'e' || *q == 'E')) {
        const char *e = q + 1;
        if (e < jp->end && (*e == '+' || *e == '-'))
            e++;
        if (e < jp->end && isdigit((unsigned char)*e)) {
            v->is_int = 0;
            for (q = e; q < jp->end && isdigit((unsigned char)*q); q++) {
            }
        }
    }
    v->t = J_NUM;
    v->len = (size_t)(q - s);
    v->s = xmalloc(v->len + 1);
    memcpy(v->s, s, v->len);
    v->s[v->len] = '\0';
    v->num = strtod(v->s, NULL);
    jp->p = q;
    return 0;
}

static int jp_value(struct jparser *jp, struct jv *v);

/* An array or object; jp->p is at '[' or '{'. */
static int jp_container(struct jparser *jp, struct jv *v, int is_obj)
{
    size_t cap = 0;
    char close = is_obj ? '}' : ']';

    v->t = is_obj ? J_OBJ : J_ARR;
    if (++jp->depth > 64)
        return jp_error(jp, "Too deeply nested", jp->p);
    jp->p++;
    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        jp->depth--;
        return 0;
    }
    for (;;) {
        struct jv key;
        memset(&key, 0, sizeof key);
        jp_ws(jp);
        if (is_obj) {
            if (jp->p >= jp->end || *jp->p != '"')
                return jp_error(jp, "Expecting property name enclosed in double quotes",
                                jp->p);
            if (jp_string(jp, &key) != 0)
                return -1;
            jp_ws(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                free(key.s);
                return jp_error(jp, "Expecting ':' delimiter", jp->p);
            }
            jp->p++;
        }
        if (v->n == cap) {
            cap = cap ? cap * 2 : 4;
            v->kids = xrealloc(v->kids, cap * sizeof *v->kids);
            if (is_obj)
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
        }
        memset(&v->kids[v->n], 0, sizeof v->kids[v->n]);
        if (is_obj)
            v->keys[v->n] = key;
        v->n++;
        if (jp_value(jp, &v->kids[v->n - 1]) != 0)
            return -1;
        jp_ws(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            jp->depth--;
            return 0;
        }
        return jp_error(jp, "Expecting ',' delimiter", jp->p);
    }
}

/* true, false or null; anything else is not a value. */
static int jp_literal(struct jparser *jp, struct jv *v, const char *word, enum jtype type)
{
    size_t len = strlen(word);
    if ((size_t)(jp->end - jp->p) >= len && memcmp(jp->p, word, len) == 0) {
        v->t = type;
        jp->p += len;
        return 0;
    }
    return jp_error(jp, "Expecting value", jp->p);
}

static int jp_value(struct jparser *jp, struct jv *v)
{
    jp_ws(jp);
    if (jp->p >= jp->end)
        return jp_error(jp, "Expecting value", jp->p);
    switch (*jp->p) {
    case '{': return jp_container(jp, v, 1);
    case '[': return jp_container(jp, v, 0);
    case '"': return jp_string(jp, v);
    case 't':
        return jp_literal(jp, v, "true", J_TRUE);
    case 'f':
        return jp_literal(jp, v, "false", J_FALSE);
    case 'n':
        return jp_literal(jp, v, "null", J_NULL);
    default:
        return jp_number(jp, v);
    }
    return jp_error(jp, "Expecting value", jp->p);
}

void jv_free(struct jv *v)
{
    size_t i;
    for (i = 0; i < v->n; i++) {
        jv_free(&v->kids[i]);
        if (v->keys)
            jv_free(&v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->s);
    memset(v, 0, sizeof *v);
}

/* Parses a whole document. On failure returns -1 with Python's message. */
int json_parse(const char *text, size_t len, struct jv *v, char *err, size_t errcap)
{
    struct jparser jp;
    memset(&jp, 0, sizeof jp);
    memset(v, 0, sizeof *v);
    jp.start = jp.p = text;
    jp.end = text + len;
    if (jp_value(&jp, v) == 0) {
        jp_ws(&jp);
        if (jp.p == jp.end)
            return 0;
        jp_error(&jp, "Extra data", jp.p);
    }
    jv_free(v);
    snprintf(err, errcap, "%s", jp.err);
    return -1;
}

/* The value of `key` in an object (the last one, as Python keeps). */
struct jv *jv_get(struct jv *obj, const char *key)
{
    size_t i, kl = strlen(key);
    struct jv *found = NULL;
    if (obj == NULL || obj->t != J_OBJ)
        return NULL;
    for (i = 0; i < obj->n; i++)
        if (obj->keys[i].len == kl && memcmp(obj->keys[i].s, key, kl) == 0)
            found = &obj->kids[i];
    return found;
}

const char *jv_str(struct jv *v)
{
    return v != NULL && v->t == J_STR ? v->s : NULL;
}

/* Python's isinstance(x, (int, float)): bools count as ints there. */
int jv_is_number(const struct jv *v)
{
    return v->t == J_NUM || v->t == J_TRUE || v->t == J_FALSE;
}

double jv_number(const struct jv *v)
{
    return v->t == J_NUM ? v->num : v->t == J_TRUE ? 1.0 : 0.0;
}

/* Python's type(x), as "<class 'int'>", for error messages. */
static const char *py_type(const struct jv *v)
{
    switch (v->t) {
    case J_NULL: return "<class 'NoneType'>";
    case J_FALSE:
    case J_TRUE: return "<class 'bool'>";
    case J_NUM: return v->is_int ? "<class 'int'>" : "<class 'float'>";
    case J_STR: return "<class 'str'>";
    case J_ARR: return "<class 'list'>";
    case J_OBJ: return "<class 'dict'>";
    }
    return "<class 'object'>";
}

/* Writes a value back out as json.dumps would. */
void json_write(struct sbuf *b, const struct jv *v)
{
    size_t i;
    switch (v->t) {
    case J_NULL: sbuf_adds(b, "null"); break;
    case J_FALSE: sbuf_adds(b, "false"); break;
    case J_TRUE: sbuf_adds(b, "true"); break;
    case J_NUM:
        if (!v->is_int)
            py_float(b, v->num);
        else if (strcmp(v->s, "-0") == 0)
            sbuf_adds(b, "0");
        else
            sbuf_adds(b, v->s);
        break;
    case J_STR: json_str(b, v->s, v->len); break;
    case J_ARR:
    case J_OBJ:
        sbuf_adds(b, v->t == J_ARR ? "[" : "{");
        for (i = 0; i < v->n; i++) {
            if (i > 0)
                sbuf_adds(b, ", ");
            if (v->t == J_OBJ) {
                json_str(b, v->keys[i].s, v->keys[i].len);
                sbuf_adds(b, ": ");
            }
            json_write(b, &v->kids[i]);
        }
        sbuf_adds(b, v->t == J_ARR ? "]" : "}");
        break;
    }
}

char *json_dump(const struct jv *v)
{
    struct sbuf b = {NULL, 0, 0};
    json_write(&b, v);
    return b.data;
}

/* ------------------------------------------------------------------ */
/* Signals. SIGTERM and SIGINT end a node with status 0. The handlers  */
/* are installed explicitly so that this also works when the stand-in */
/* is PID 1 (the kernel ignores default-action signals sent to PID 1).*/
/* A worker first tells its head it is leaving (LEAVE), as Ray's       */
/* raylet unregisters on SIGTERM. A serving head wakes its loop through */
/* a self-pipe, to stop its jobs before it exits.                      */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t g_wrote_pid_file;
static volatile sig_atomic_t g_wrote_port_file;
static volatile sig_atomic_t g_wrote_addr_file;
static volatile sig_atomic_t g_leave_fd = -1;   /* worker: the joined socket */
static volatile sig_atomic_t g_serving;         /* head: in its poll loop */
static volatile sig_atomic_t g_stop_requested;  /* head: SIGTERM/SIGINT came */
static int g_sig_pipe[2] = {-1, -1};            /* head: wakes the poll loop */

static void remove_state_files(void)
{
    if (g_wrote_pid_file)
        unlink(PID_FILE);
    if (g_wrote_port_file)
        unlink(PORT_FILE);
    if (g_wrote_addr_file)
        unlink(HEAD_ADDR_FILE);
}

static void wake_loop(char what)
{
    if (g_sig_pipe[1] >= 0 && write(g_sig_pipe[1], &what, 1) < 0) {
        /* the pipe is full: the loop wakes anyway */
    }
}

/* Only async-signal-safe calls here: send, write, unlink and _exit. */
static void on_stop_signal(int sig)
{
    int saved = errno;
    (void)sig;
    if (g_serving) {
        g_stop_requested = 1;
        wake_loop('T');
        errno = saved;
        return;
    }
    if (g_leave_fd >= 0)
        send(g_leave_fd, "LEAVE\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
    remove_state_files();
    _exit(0);
}

static void on_child_signal(int sig)
{
    int saved = errno;
    (void)sig;
    wake_loop('C');
    errno = saved;
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

/* The words of an OPT_CHOICE option (NULL-terminated): Ray's
 * add_click_logging_options has the only two. */
static const char *const *choices_of(const char *name)
{
    static const char *const styles[] = {"auto", "record", "pretty", NULL};
    static const char *const colors[] = {"auto", "false", "true", NULL};
    return strcmp(name, "--log-style") == 0 ? styles : colors;
}

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
    {"--system-config", OPT_JSON},
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
    {"--system-reserved-cpu", OPT_FLOAT},
    {"--system-reserved-memory", OPT_INT},
    {"--cgroup-path", OPT_VALUE},
    {"--log-style", OPT_CHOICE},
    {"--log-color", OPT_CHOICE},
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

/* `ray job ...`: the options of Ray 2.52's job CLI that the stand-in
 * knows. The last five are common to every job command. */
#define JOB_COMMON_OPTS                                                     \
    {"--headers", OPT_VALUE}, {"--verify", OPT_VALUE},                      \
    {"--log-style", OPT_CHOICE}, {"--log-color", OPT_CHOICE}, \
    {"-v", OPT_FLAG}
static const struct opt_spec JOB_SUBMIT_OPTS[] = {
    {"--address", OPT_VALUE},
    {"--job-id", OPT_VALUE},
    {"--submission-id", OPT_VALUE},
    {"--runtime-env", OPT_VALUE},
    {"--runtime-env-json", OPT_VALUE},
    {"--working-dir", OPT_VALUE},
    {"--metadata-json", OPT_VALUE},
    {"--entrypoint-num-cpus", OPT_FLOAT},
    {"--entrypoint-num-gpus", OPT_FLOAT},
    {"--entrypoint-memory", OPT_INT},
    {"--entrypoint-resources", OPT_VALUE},
    {"--entrypoint-label-selector", OPT_VALUE},
    {"--no-wait", OPT_FLAG},
    JOB_COMMON_OPTS,
};
static const struct opt_spec JOB_STATUS_OPTS[] = {
    {"--address", OPT_VALUE},
    JOB_COMMON_OPTS,
};
static const struct opt_spec JOB_LOGS_OPTS[] = {
    {"--address", OPT_VALUE},
    {"-f", OPT_FLAG},
    {"--follow", OPT_FLAG},
    JOB_COMMON_OPTS,
};
static const struct opt_spec JOB_STOP_OPTS[] = {
    {"--address", OPT_VALUE},
    {"--no-wait", OPT_FLAG},
    JOB_COMMON_OPTS,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void usage_error(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr,
            "Usage: ray %s [OPTIONS]%s%s\n"
            "Try 'ray %s --help' for help.\n\nError: ",
            cmd->name, cmd->args_name ? " " : "", cmd->args_name ? cmd->args_name : "",
            cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void print_command_help(const struct command *cmd)
{
    size_t i;
    printf("Usage: ray %s [OPTIONS]%s%s\n\n  %s\n\n"
           "  (raylaunch's ray stand-in for tests; this is not Ray.)\n\n"
           "Options:\n",
           cmd->name, cmd->args_name ? " " : "", cmd->args_name ? cmd->args_name : "",
           cmd->summary);
    for (i = 0; i < cmd->nopts; i++) {
        const char *arg = "";
        switch (cmd->opts[i].kind) {
        case OPT_VALUE: arg = " TEXT"; break;
        case OPT_INT: arg = " INTEGER"; break;
        case OPT_FLOAT: arg = " FLOAT"; break;
        case OPT_BOOL: arg = " BOOLEAN"; break;
        case OPT_FLAG: break;
        case OPT_CHOICE:
            arg = choices_of(cmd->opts[i].name)[1][0] == 'r' ? " [auto|record|pretty]"
                                                             : " [auto|false|true]";
            break;
        case OPT_JSON: arg = " LOADS"; break;
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

/* Converts the value given to option idx as Click would, in the order
 * the options came on the command line, once every option is parsed (so
 * an unknown option is reported first, as Click's parser does). Returns
 * the value the stand-in keeps: numbers in plain decimal, a choice in
 * its canonical case, a boolean as "true"/"false". */
static const char *convert_value(const struct command *cmd, int idx, const char *value)
{
    const struct opt_spec *o = &cmd->opts[idx];
    struct sbuf r = {NULL, 0, 0};
    long long n;
    double d;
    size_t i;

    switch (o->kind) {
    case OPT_INT:
        if (parse_py_int(value, &n) != 0) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid integer.", o->name,
                        r.data);
        }
        sbuf_printf(&r, "%lld", n);
        return r.data;
    case OPT_FLOAT:
        if (parse_py_float(value, &d) != 0) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid float.", o->name,
                        r.data);
        }
        return value;
    case OPT_BOOL: {
        /* Click strips and lowers the word, but shows it as given */
        char word[16];
        size_t len;
        const char *b, *p = value;
        while (py_space((unsigned char)*p))
            p++;
        len = strlen(p);
        while (len > 0 && py_space((unsigned char)p[len - 1]))
            len--;
        snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : 0), p);
        b = len < sizeof word ? parse_bool(word) : NULL;
        if (b == NULL) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid boolean.", o->name,
                        r.data);
        }
        return b;
    }
    case OPT_CHOICE: {
        const char *const *choices = choices_of(o->name);
        for (i = 0; choices[i]; i++)
            if (strcasecmp(value, choices[i]) == 0)
                return choices[i];
        py_repr(&r, value);
        sbuf_printf(&r, " is not one of ");
        for (i = 0; choices[i]; i++)
            sbuf_printf(&r, "%s'%s'", i ? ", " : "", choices[i]);
        usage_error(cmd, "Invalid value for '%s': %s.", o->name, r.data);
        return NULL;
    }
    case OPT_JSON: {
        /* Click's FuncParamType: a ValueError from json.loads shows the value */
        struct jv v;
        char err[200];
        if (json_parse(value, strlen(value), &v, err, sizeof err) != 0)
            usage_error(cmd, "Invalid value for '%s': %s", o->name, value);
        jv_free(&v);
        return value;
    }
    default:
        return value;
    }
}

/* Parses argv (the arguments after the subcommand) into cmd->values and
 * cmd->args. Options may come between arguments; after "--" everything is
 * an argument. */
static void parse_options(struct command *cmd, int argc, char **argv)
{
    int i, only_args = 0, norder = 0;
    int *order = xmalloc((cmd->nopts + 1) * sizeof *order); /* first seen first */
    cmd->args = xmalloc((size_t)(argc + 1) * sizeof *cmd->args);
    cmd->nargs = 0;

#define GIVE(idx, value)                                                        \
    do {                                                                        \
        int k_, seen_ = 0;                                                      \
        for (k_ = 0; k_ < norder; k_++)                                         \
            seen_ |= order[k_] == (idx);                                        \
        if (!seen_)                                                             \
            order[norder++] = (idx);                                            \
        cmd->values[idx] = (value); /* the last occurrence wins, as in Click */ \
    } while (0)

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (!only_args && strcmp(arg, "--help") == 0)
            print_command_help(cmd);
        if (!only_args && strcmp(arg, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (only_args || arg[0] != '-' || arg[1] == '\0') {
            if (cmd->max_args >= 0 && cmd->nargs >= cmd->max_args)
                usage_error(cmd, "Got unexpected extra argument (%s)", arg);
            cmd->args[cmd->nargs++] = argv[i];
            continue;
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
                GIVE(idx, "true");
            } else if (eq) {
                GIVE(idx, eq + 1);
            } else if (i + 1 < argc) {
                GIVE(idx, argv[++i]);
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
                    GIVE(idx, "true");
                    continue;
                }
                if (p[1] != '\0')
                    GIVE(idx, p + 1);
                else if (i + 1 < argc)
                    GIVE(idx, argv[++i]);
                else
                    usage_error(cmd, "Option '%s' requires an argument.", name);
                break;
            }
        }
    }
#undef GIVE
    if (cmd->nargs < cmd->min_args)
        usage_error(cmd, "Missing argument '%s'.", cmd->args_name);
    for (i = 0; i < norder; i++)
        cmd->values[order[i]] = convert_value(cmd, order[i], cmd->values[order[i]]);
    free(order);
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
uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A seed from the hostname, pid, clocks and (when there) /dev/urandom. */
uint64_t random_seed(void)
{
    static uint64_t counter;
    char host[256] = "";
    struct timespec rt, mono;
    uint64_t seed = 0xcbf29ce484222325ULL, extra = 0; /* FNV-1a over the hostname */
    const char *p;
    int fd;

    gethostname(host, sizeof host - 1);
    for (p = host; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 0x100000001b3ULL;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &extra, sizeof extra) != (ssize_t)sizeof extra)
            extra = 0;
        close(fd);
    }
    seed = mix64(seed ^ (uint64_t)getpid() ^ extra ^ ++counter * 0x9e3779b97f4a7c15ULL);
    seed = mix64(seed ^ ((uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec));
    seed = mix64(seed ^ ((uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec));
    return seed;
}

/* "node_" + 56 lowercase hex digits. */
static void make_node_id(char out[NODE_ID_LEN + 1])
{
    char hex[4 * 16 + 1];
    uint64_t seed = random_seed();
    unsigned i;

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
/* Ray's session folders: /tmp/ray/session_<date>_<pid> with logs/ in  */
/* it, the link session_latest, and (head) ray_current_cluster. Like   */
/* Ray's try_to_create_directory, each folder is made shared (chmod    */
/* 0777) when this user may. A failure is Ray's Python OSError.        */
/* ------------------------------------------------------------------ */

static char g_session_name[128];  /* "session_2025-12-17_17-13-41_621247_7" */
static char g_session_dir[256];   /* "/tmp/ray/session_..." */

/* Exits 1 as Ray's `ray start` does when os.makedirs or open fails. */
static void python_os_error(const char *path, int err)
{
    const char *cls = "OSError";
    if (err == EACCES || err == EPERM)
        cls = "PermissionError";
    else if (err == ENOENT)
        cls = "FileNotFoundError";
    else if (err == EEXIST)
        cls = "FileExistsError";
    else if (err == ENOTDIR)
        cls = "NotADirectoryError";
    else if (err == EISDIR)
        cls = "IsADirectoryError";
    fflush(stdout);
    fprintf(stderr,
            "Traceback (most recent call last):\n"
            "  File \"/usr/local/bin/ray\", in <module>  (raylaunch's ray stand-in: "
            "Ray fails here in os.makedirs)\n"
            "%s: [Errno %d] %s: '%s'\n",
            cls, err, strerror(err), path);
    exit(1);
}

static void make_shared_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        python_os_error(path, errno);
    if (chmod(path, 0777) != 0 && errno != EPERM && errno != EACCES) {
        /* Ray ignores only EPERM/EACCES here; a folder that vanished... */
        struct stat st;
        if (stat(path, &st) != 0)
            python_os_error(path, errno);
    }
}

/* Ray's session name: the local time now and this process's pid. */
static void new_session_name(void)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d_%H-%M-%S", &tm);
    snprintf(g_session_name, sizeof g_session_name, "session_%s_%06ld_%ld", when,
             ts.tv_nsec / 1000, (long)getpid());
}

/* Creates the session `g_session_name` (and for a head, writes the GCS
 * address to ray_current_cluster). Exits 1 when it cannot. */
static void create_session(const char *gcs_address)
{
    char path[PATH_MAX], tmp_link[PATH_MAX];

    make_shared_dir(RAY_DIR);
    snprintf(g_session_dir, sizeof g_session_dir, "%s/%s", RAY_DIR, g_session_name);
    make_shared_dir(g_session_dir);
    snprintf(path, sizeof path, "%s/logs", g_session_dir);
    make_shared_dir(path);
    snprintf(path, sizeof path, "%s/sockets", g_session_dir);
    make_shared_dir(path);

    /* session_latest -> the session (absolute, as Ray's); replaced
     * atomically. Ray ignores failures here, and so does the stand-in. */
    snprintf(tmp_link, sizeof tmp_link, "%s.%ld", SESSION_LATEST, (long)getpid());
    unlink(tmp_link);
    if (symlink(g_session_dir, tmp_link) == 0 && rename(tmp_link, SESSION_LATEST) != 0)
        unlink(tmp_link);

    if (gcs_address != NULL) {
        /* Ray writes the address without a newline. */
        FILE *f = fopen(CLUSTER_FILE, "w");
        if (f == NULL)
            python_os_error(CLUSTER_FILE, errno);
        fputs(gcs_address, f);
        if (fclose(f) != 0)
            python_os_error(CLUSTER_FILE, errno);
    }
}

/* ------------------------------------------------------------------ */
/* Client side of the protocol                                         */
/* ------------------------------------------------------------------ */

/* One attempt to connect to host:port, each resolved address in turn.
 * Returns a blocking socket, or -1 with a reason in err. */
static int g_connect_timeout_ms = CONNECT_TIMEOUT_MS; /* one attempt, at most */

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
                rc = poll(&pfd, 1, g_connect_timeout_ms);
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
 * timeout_ms. Returns a malloc'd string (possibly empty; binary-safe,
 * length in *len when len is not NULL), or NULL on a timeout. */
static char *read_reply_len(int fd, int one_line, int timeout_ms, size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    int64_t deadline = now_ms() + timeout_ms;
    char chunk[16384];

    sbuf_add(&b, "", 0);
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
            break;
        sbuf_add(&b, chunk, (size_t)n);
        if (one_line && chunk[0] == '\n')
            break;
    }
    if (len != NULL)
        *len = b.len;
    return b.data;
}

static char *read_reply(int fd, int one_line, int timeout_ms)
{
    return read_reply_len(fd, one_line, timeout_ms, NULL);
}

/* Sends one request line to host:port and returns the first reply line
 * (malloc'd, newline kept), "" when the head closed without replying,
 * or NULL when it cannot connect (reason in err). */
static char *ask_head(const char *host, const char *port, const char *request,
                      char *err, size_t errcap)
{
    int fd = connect_once(host, port, err, errcap);
    char *reply;
    if (fd < 0)
        return NULL;
    if (write_all(fd, request, strlen(request)) != 0) {
        close(fd);
        return xstrdup("");
    }
    reply = read_reply(fd, 1, REPLY_TIMEOUT_MS);
    close(fd);
    return reply ? reply : xstrdup("");
}

/* ------------------------------------------------------------------ */
/* The head: its node table                                            */
/* ------------------------------------------------------------------ */

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
};

static struct node *g_nodes; /* g_nodes[0] is the head; workers in join order */
static size_t g_nnodes, g_nodes_cap;
static const char *g_head_token; /* required token, or NULL */
static char g_head_ip[64];
static long g_gcs_port;
static char g_webui[320];        /* the dashboard as "host:port", or "" */
static long g_agent_port = DEFAULT_AGENT_PORT;
static long g_job_start_ms = DEFAULT_JOB_START_MS;
static long g_health_timeout_ms = DEFAULT_HEALTH_TIMEOUT_MS; /* 0: no health checks */
static long g_health_period_ms = DEFAULT_HEALTH_PERIOD_MS;   /* 0: at join only */

static void init_node(struct node *n, const char *id, long cpus, long gpus, const char *host,
                      int fd)
{
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", id);
    snprintf(n->host, sizeof n->host, "%s", host);
    n->cpus = cpus;
    n->gpus = gpus;
    n->fd = fd;
    n->alive = 1;
    n->start_ms = wall_ms();
    n->name = xstrdup("");
    n->resources = xstrdup("");
    n->labels = xstrdup("");
}

/* Appends a copy of *src (its strings now belong to the table). */
static struct node *append_node(const struct node *src)
{
    if (g_nnodes == g_nodes_cap) {
        g_nodes_cap = g_nodes_cap ? g_nodes_cap * 2 : 16;
        g_nodes = xrealloc(g_nodes, g_nodes_cap * sizeof *g_nodes);
    }
    g_nodes[g_nnodes] = *src;
    return &g_nodes[g_nnodes++];
}

static struct node *add_node(const char *id, long cpus, long gpus, const char *host,
                             int fd)
{
    struct node n;
    init_node(&n, id, cpus, gpus, host, fd);
    return append_node(&n);
}

static void free_node(struct node *n)
{
    free(n->name);
    free(n->resources);
    free(n->labels);
}

static struct node *node_of_fd(int fd)
{
    size_t i;
    for (i = 1; i < g_nnodes; i++)
        if (g_nodes[i].alive && g_nodes[i].fd == fd)
            return &g_nodes[i];
    return NULL;
}

static void remove_node_at(size_t i)
{
    free_node(&g_nodes[i]);
    memmove(&g_nodes[i], &g_nodes[i + 1], (g_nnodes - i - 1) * sizeof *g_nodes);
    g_nnodes--;
}

/* Ray's GCS keeps at most MAX_DEAD_NODES dead nodes: the oldest go. */
static void trim_dead(void)
{
    size_t i, dead = 0;
    for (i = 0; i < g_nnodes; i++)
        dead += !g_nodes[i].alive;
    for (i = 1; i < g_nnodes && dead > MAX_DEAD_NODES; i++)
        if (!g_nodes[i].alive) {
            remove_node_at(i); /* the oldest dead one */
            dead--;
            i--;
        }
}

/* A worker's connection closed: the node stays in the table as DEAD, with
 * Ray's death message (a LEAVE first means it was stopped on purpose). */
static void node_died(int fd)
{
    struct node *n = node_of_fd(fd);
    if (n == NULL)
        return;
    n->alive = 0;
    n->fd = -1;
    n->end_ms = wall_ms();
    n->state_message = n->leaving ? "Expected termination: received SIGTERM" : HEARTBEAT_DEATH;
    trim_dead();
}

/* A worker started without --block checked its JOIN and went away again:
 * it leaves no trace (Ray's node would keep running in the background). */
static void node_detached(int fd)
{
    struct node *n = node_of_fd(fd);
    if (n != NULL)
        remove_node_at((size_t)(n - g_nodes));
}

/* The table's entry for node `id` (an ALIVE one first), or NULL. */
static struct node *node_by_id(const char *id)
{
    struct node *found = NULL;
    size_t i;
    for (i = 0; i < g_nnodes; i++)
        if (strcmp(g_nodes[i].id, id) == 0 && (found == NULL || g_nodes[i].alive))
            found = &g_nodes[i];
    return found;
}

/* For Serve's placement (standin_serve_deps.h): the table's nodes. */
size_t standin_node_count(void)
{
    return g_nnodes;
}

void standin_node_at(size_t i, struct standin_node_view *v)
{
    const struct node *n = &g_nodes[i];
    v->id = n->id;
    v->ip = n->ip;
    v->alive = n->alive;
    v->is_head = n->is_head;
    v->cpus = (double)n->cpus;
    v->gpus = (double)n->gpus;
    v->memory = n->memory;
    v->resources = n->resources;
}

const char *standin_head_ip(void)
{
    return g_head_ip;
}

/* Checks a JSON object whose values are all numbers (`numbers`) or all
 * strings, and writes its members as a JSON fragment (numbers as floats)
 * into *frag. Returns 0, or -1 with a reason in err. */
static int object_fragment(const char *json, int numbers, char **frag, char *err,
                           size_t errcap)
{
    struct jv v;
    struct sbuf b = {NULL, 0, 0};
    size_t i;

    if (json_parse(json, strlen(json), &v, err, errcap) != 0)
        return -1;
    if (v.t != J_OBJ) {
        snprintf(err, errcap, "not a JSON object");
        jv_free(&v);
        return -1;
    }
    sbuf_add(&b, "", 0);
    for (i = 0; i < v.n; i++) {
        struct jv *val = &v.kids[i];
        if (numbers ? val->t != J_NUM || val->num < 0 : val->t != J_STR) {
            snprintf(err, errcap, "the value of '%s' is not %s", v.keys[i].s,
                     numbers ? "a non-negative number" : "a string");
            jv_free(&v);
            free(b.data);
            return -1;
        }
        if (i > 0)
            sbuf_adds(&b, ", ");
        json_str(&b, v.keys[i].s, v.keys[i].len);
        sbuf_adds(&b, ": ");
        if (numbers)
            py_float(&b, val->num);
        else
            json_str(&b, val->s, val->len);
    }
    jv_free(&v);
    *frag = b.data;
    return 0;
}

/* Ray's `ray status` text, autoscaler v2 layout: the alive nodes. */
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
        if (!g_nodes[i].alive)
            continue;
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

/* ------------------------------------------------------------------ */
/* The head: jobs (Ray's Jobs API). An entrypoint runs as `sh -c` in   */
/* its own session, output to the session's logs/job-driver-ID.log.    */
/* ------------------------------------------------------------------ */

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_STOPPED, JOB_SUCCEEDED, JOB_FAILED };
static const char *const JOB_STATE_NAMES[] = {"PENDING", "RUNNING", "STOPPED",
                                              "SUCCEEDED", "FAILED"};

struct job {
    char *id;               /* the submission id */
    char *entrypoint;
    char *metadata;         /* JSON text, or NULL */
    char *runtime_env;      /* JSON text, or NULL */
    char **env;             /* "K=V" from runtime_env.env_vars */
    size_t nenv;
    int wants_resources;    /* entrypoint_num_cpus > 0, ... */
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

static struct job **g_jobs;
static size_t g_njobs, g_jobs_cap;

/* --- packages: what Ray keeps in the GCS, the stand-in keeps in       */
/* session_.../packages/NAME; working dirs unpack into                  */
/* session_.../runtime_resources/working_dir_files/NAME-without-.zip.  */

/* Whether NAME may name a package: 1 to 200 characters, none of them '/'
 * or a control character, no "..", not starting with '.'. */
static int pkg_name_ok(const char *name)
{
    size_t len = strlen(name), i;
    if (len == 0 || len > PKG_NAME_MAX || name[0] == '.' || strstr(name, "..") != NULL)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f || name[i] == '/')
            return 0;
    return 1;
}

/* out = the session's folder SUB (made, level by level, when missing)
 * + "/" + NAME. A folder that cannot be made shows when the file is used. */
static void session_file(char *out, size_t cap, const char *sub, const char *name)
{
    size_t base = strlen(g_session_dir) + 1, i;
    snprintf(out, cap, "%s/%s", g_session_dir, sub);
    for (i = base;; i++) {
        char c = out[i];
        if (c == '/' || c == '\0') {
            out[i] = '\0';
            mkdir(out, 0777);
            out[i] = c;
            if (c == '\0')
                break;
        }
    }
    snprintf(out + strlen(out), cap - strlen(out), "/%s", name);
}

static int job_terminal(const struct job *j)
{
    return j->state == JOB_STOPPED || j->state == JOB_SUCCEEDED || j->state == JOB_FAILED;
}

static struct job *find_job(const char *id)
{
    size_t i;
    for (i = 0; i < g_njobs; i++)
        if (strcmp(g_jobs[i]->id, id) == 0)
            return g_jobs[i];
    return NULL;
}

/* Ray's JobInfo.__post_init__ messages. */
static void job_message(struct sbuf *b, const struct job *j)
{
    if (j->message != NULL) {
        sbuf_adds(b, j->message);
        return;
    }
    switch (j->state) {
    case JOB_PENDING:
        sbuf_adds(b, "Job has not started yet.");
        if (j->wants_resources)
            sbuf_adds(b, " It may be waiting for resources (CPUs, GPUs, memory, "
                         "custom resources) to become available.");
        if (j->runtime_env != NULL && strcmp(j->runtime_env, "{}") != 0)
            sbuf_adds(b, " It may be waiting for the runtime environment to be set up.");
        break;
    case JOB_RUNNING: sbuf_adds(b, "Job is currently running."); break;
    case JOB_STOPPED: sbuf_adds(b, "Job was intentionally stopped."); break;
    case JOB_SUCCEEDED: sbuf_adds(b, "Job finished successfully."); break;
    case JOB_FAILED: sbuf_adds(b, "Job failed."); break;
    }
}

/* The job as Ray's JobDetails, in its field order. The entrypoint never
 * connects to the cluster, so job_id and driver_info are null, as in Ray
 * for an entrypoint that does not call ray.init(). */
static void job_json(struct sbuf *b, const struct job *j)
{
    struct sbuf msg = {NULL, 0, 0};
    job_message(&msg, j);
    sbuf_adds(b, "{\"type\": \"SUBMISSION\", \"job_id\": null, \"submission_id\": ");
    json_strz(b, j->id);
    sbuf_adds(b, ", \"driver_info\": null, \"status\": ");
    json_strz(b, JOB_STATE_NAMES[j->state]);
    sbuf_adds(b, ", \"entrypoint\": ");
    json_strz(b, j->entrypoint);
    sbuf_adds(b, ", \"message\": ");
    json_str(b, msg.data, msg.len);
    sbuf_adds(b, ", \"error_type\": ");
    json_strz(b, j->error_type);
    sbuf_printf(b, ", \"start_time\": %lld, \"end_time\": ", (long long)j->start_time);
    if (j->end_time)
        sbuf_printf(b, "%lld", (long long)j->end_time);
    else
        sbuf_adds(b, "null");
    sbuf_printf(b, ", \"metadata\": %s, \"runtime_env\": %s, \"driver_agent_http_address\": ",
                j->metadata ? j->metadata : "null", j->runtime_env ? j->runtime_env : "null");
    if (j->on_node) {
        sbuf_printf(b, "\"http://%s:%ld\", \"driver_node_id\": \"%s\"", g_head_ip,
                    g_agent_port, g_nodes[0].id + 5);
    } else {
        sbuf_adds(b, "null, \"driver_node_id\": null");
    }
    sbuf_adds(b, ", \"driver_exit_code\": ");
    if (j->has_exit_code)
        sbuf_printf(b, "%d", j->exit_code);
    else
        sbuf_adds(b, "null");
    sbuf_adds(b, "}");
    free(msg.data);
}

/* Reads a job's log as Ray's get_logs: the whole file, or, past
 * RAY_JOB_LOG_MAX_READ_BYTES in the head's environment (16 MiB when unset or
 * not a non-negative integer), its end from the first whole line, after
 * Ray's note. A missing file is an empty log. */
static char *read_job_log(const struct job *j, size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    char chunk[65536];
    struct stat st;
    int fd = open(j->log_path, O_RDONLY | O_CLOEXEC);
    long max_read = env_ms("RAY_JOB_LOG_MAX_READ_BYTES", JOB_LOG_MAX_READ);
    ssize_t n;

    sbuf_add(&b, "", 0);
    if (fd < 0) {
        *len = 0;
        return b.data;
    }
    if (fstat(fd, &st) == 0 && st.st_size > max_read) {
        char c;
        lseek(fd, st.st_size - max_read, SEEK_SET);
        while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
        }
        sbuf_printf(&b, "[LOG TRUNCATED \xe2\x80\x94 showing last %.0f MiB of %.1f %s total]\n",
                    max_read / (1024.0 * 1024),
                    st.st_size >= 1024L * 1024 * 1024 ? st.st_size / (1024.0 * 1024 * 1024)
                                                       : st.st_size / (1024.0 * 1024),
                    st.st_size >= 1024L * 1024 * 1024 ? "GiB" : "MiB");
    }
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        sbuf_add(&b, chunk, (size_t)n);
    close(fd);
    *len = b.len;
    return b.data;
}

/* Ray's message for a failed entrypoint: its last 10 log lines, at most
 * 20,000 characters. */
static char *failure_message(const struct job *j, int code)
{
    struct sbuf m = {NULL, 0, 0};
    size_t len, start, lines = 0;
    char *log = read_job_log(j, &len);

    start = len;
    while (start > 0) {
        if (log[start - 1] == '\n' && start != len && ++lines == JOB_TAIL_LINES)
            break;
        start--;
    }
    if (len - start > JOB_TAIL_CHARS)
        start = len - JOB_TAIL_CHARS;
    if (len - start > 0) {
        sbuf_printf(&m, "Job entrypoint command failed with exit code %d, last available "
                        "logs (truncated to 20,000 chars):\n", code);
        sbuf_add(&m, log + start, len - start);
    } else {
        sbuf_printf(&m, "Job entrypoint command failed with exit code %d. No logs available.",
                    code);
    }
    free(log);
    return m.data;
}

static void job_finish(struct job *j, enum job_state state)
{
    j->state = state;
    j->end_time = wall_ms();
    j->pid = 0;
    j->kill_at = 0;
}

/* In a child of the head: default signals, a new session, stdin from
 * /dev/null, stdout and stderr to outfd. */
static void child_setup(int outfd)
{
    struct sigaction sa;
    sigset_t none;
    int devnull;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        if (devnull > 2)
            close(devnull);
    }
    dup2(outfd, 1);
    dup2(outfd, 2);
}

/* PENDING -> RUNNING: starts `sh -c ENTRYPOINT` in a new session. */
static void job_launch(struct job *j)
{
    int logfd;
    pid_t pid;
    struct sbuf line = {NULL, 0, 0};

    j->state = JOB_RUNNING;
    j->on_node = 1;
    logfd = open(j->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "PermissionError: [Errno %d] %s: '%s'", errno, strerror(errno),
                    j->log_path);
        j->message = m.data;
        j->error_type = "JOB_ENTRYPOINT_COMMAND_START_ERROR";
        job_finish(j, JOB_FAILED);
        return;
    }
    sbuf_printf(&line, "Running entrypoint for job %s: %s\n", j->id, j->entrypoint);
    if (write(logfd, line.data, line.len) < 0) {
        /* the entrypoint's own output says the rest */
    }
    free(line.data);

    pid = fork();
    if (pid == 0) {
        char addr[128];
        size_t i;

        child_setup(logfd);
        snprintf(addr, sizeof addr, "%s:%ld", g_head_ip, g_gcs_port);
        setenv("RAY_ADDRESS", addr, 1);
        setenv("PYTHONUNBUFFERED", "1", 1);
        for (i = 0; i < j->nenv; i++)
            putenv(j->env[i]);
        if (j->cwd != NULL) {
            /* Ray's working_dir plugin: the folder is the cwd and comes
             * first on PYTHONPATH. */
            const char *pp = getenv("PYTHONPATH");
            struct sbuf path = {NULL, 0, 0};
            sbuf_adds(&path, j->cwd);
            if (pp != NULL && *pp)
                sbuf_printf(&path, ":%s", pp);
            setenv("PYTHONPATH", path.data, 1);
            if (chdir(j->cwd) != 0) {
                fprintf(stderr, "cd: %s: %s\n", j->cwd, strerror(errno));
                _exit(127);
            }
        }
        execl("/bin/sh", "sh", "-c", j->entrypoint, (char *)NULL);
        fprintf(stderr, "sh: %s\n", strerror(errno));
        _exit(127);
    }
    close(logfd);
    if (pid < 0) {
        struct sbuf m = {NULL, 0, 0};
        sbuf_printf(&m, "OSError: [Errno %d] %s", errno, strerror(errno));
        j->message = m.data;
        j->error_type = "JOB_ENTRYPOINT_COMMAND_START_ERROR";
        job_finish(j, JOB_FAILED);
        return;
    }
    j->pid = pid;
}

/* A runtime_env that cannot be set up fails the job as Ray's job manager
 * does: the message (and the driver log) get the agent's exception. */
static void job_setup_failed(struct job *j, const char *fmt, ...)
{
    struct sbuf m = {NULL, 0, 0};
    char line[1024];
    va_list ap;
    int fd;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sbuf_printf(&m, "runtime_env setup failed: Failed to set up runtime environment.\n"
                    "Traceback (most recent call last):\n"
                    "  (raylaunch's ray stand-in)\n%s\n", line);
    fd = open(j->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, m.data, m.len) < 0) {
            /* the job's message says it all the same */
        }
        close(fd);
    }
    free(j->message);
    j->message = m.data;
    j->error_type = "RUNTIME_ENV_SETUP_FAILURE";
    job_finish(j, JOB_FAILED);
}

/* The folder a working_dir package unpacks to, and the one it is
 * unpacked in first (renamed when complete). */
static void workdir_paths(const char *pkg, char *dir, char *tmp, size_t cap)
{
    char stem[PKG_NAME_MAX + 1];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(pkg) - 4), pkg); /* no .zip */
    session_file(dir, cap, "runtime_resources/working_dir_files", stem);
    snprintf(tmp, cap, "%s.unpacking", dir);
}

/* Sets up a due PENDING job's runtime_env (its working_dir): 1 when it
 * may run, 0 while an unzip is under way, -1 when the job failed. */
static int job_prepare(struct job *j)
{
    char pkg[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], logpath[PATH_MAX];
    const char *name;
    struct stat st;
    size_t i, len;
    int logfd;
    pid_t pid;

    if (j->working_dir == NULL || j->cwd != NULL)
        return 1;
    len = strlen(j->working_dir);
    name = len >= 6 ? j->working_dir + 6 : "";
    if (strncmp(j->working_dir, "gcs://", 6) != 0 || !pkg_name_ok(name) || len < 11 ||
        strcmp(j->working_dir + len - 4, ".zip") != 0) {
        job_setup_failed(j, "ValueError: the ray stand-in takes a working_dir only as "
                            "gcs://<package>.zip, got '%.300s'", j->working_dir);
        return -1;
    }
    session_file(pkg, sizeof pkg, "packages", name);
    if (stat(pkg, &st) != 0) {
        job_setup_failed(j, "OSError: Failed to download runtime_env file package %s from "
                            "the GCS to the Ray worker node. The package may have prematurely "
                            "been deleted from the GCS due to a long upload time or a problem "
                            "with Ray. Try setting the environment variable "
                            "RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S  to a value larger "
                            "than the upload time in seconds (the default is 600). If this "
                            "fails, try re-running after making any change to a file in the "
                            "file package.", j->working_dir);
        return -1;
    }
    workdir_paths(name, dir, tmp, sizeof dir);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        j->cwd = xstrdup(dir); /* unpacked before, as Ray's URI cache */
        return 1;
    }
    for (i = 0; i < g_njobs; i++)
        if (g_jobs[i]->setup_pid > 0 && strcmp(g_jobs[i]->working_dir, j->working_dir) == 0)
            return 0; /* another job unpacks it: wait for that */

    /* unzip in a child, so the head's loop never waits for it; its output
     * goes to logs/runtime_env_setup-<submission_id>.log. */
    snprintf(logpath, sizeof logpath, "%s/logs/runtime_env_setup-%s.log", g_session_dir, j->id);
    logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid = logfd < 0 ? -1 : fork();
    if (pid == 0) {
        child_setup(logfd);
        execl("/bin/sh", "sh", "-c",
              "rm -rf \"$2\" && mkdir -p \"$2\" && unzip -o -q \"$1\" -d \"$2\" ||"
              " { rm -rf \"$2\"; exit 1; }", "sh", pkg, tmp, (char *)NULL);
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    if (pid < 0) {
        job_setup_failed(j, "OSError: [Errno %d] %s", errno, strerror(errno));
        return -1;
    }
    j->setup_pid = pid;
    return 0;
}

/* The unzip of a job's working_dir ended: the folder is put in place, or
 * the job fails as Ray's does on a package that is not a zip file. */
static void job_unpacked(struct job *j, int ok)
{
    char dir[PATH_MAX], tmp[PATH_MAX];

    j->setup_pid = 0;
    workdir_paths(j->working_dir + 6, dir, tmp, sizeof dir);
    if (ok && rename(tmp, dir) != 0 && errno != EEXIST && errno != ENOTEMPTY)
        ok = 0;
    if (!ok && j->state == JOB_PENDING)
        job_setup_failed(j, "zipfile.BadZipFile: File is not a zip file");
    /* else the next jobs_tick finds the folder and starts the job */
}

/* Reaps exited children; a job's exit status decides its end state. */
static void reap_children(void)
{
    for (;;) {
        int st;
        size_t i;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        for (i = 0; i < g_njobs; i++) {
            struct job *j = g_jobs[i];
            int code;
            if (j->setup_pid == pid) {
                job_unpacked(j, WIFEXITED(st) && WEXITSTATUS(st) == 0);
                break;
            }
            if (j->pid != pid || j->state != JOB_RUNNING)
                continue;
            /* Python's returncode: the exit status, or -signal. */
            code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
            if (j->stop_requested) {
                job_finish(j, JOB_STOPPED);
            } else if (code == 0) {
                j->has_exit_code = 1;
                j->exit_code = 0;
                job_finish(j, JOB_SUCCEEDED);
            } else {
                j->has_exit_code = 1;
                j->exit_code = code;
                j->message = failure_message(j, code);
                j->error_type = "JOB_ENTRYPOINT_COMMAND_ERROR";
                job_finish(j, JOB_FAILED);
            }
            break;
        }
    }
}

/* Starts jobs whose time has come and escalates stops. Returns the next
 * time (monotonic ms) something is due, or 0. */
static int64_t jobs_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    for (i = 0; i < g_njobs; i++) {
        struct job *j = g_jobs[i];
        int64_t due = 0;
        if (j->state == JOB_PENDING) {
            if (now < j->launch_at)
                due = j->launch_at;
            else if (j->setup_pid == 0 && job_prepare(j) > 0)
                job_launch(j);
        }
        if (j->state == JOB_RUNNING && j->kill_at) {
            if (now >= j->kill_at) {
                kill(-j->pid, SIGKILL);
                j->kill_at = 0;
            } else {
                due = j->kill_at;
            }
        }
        if (due && (next == 0 || due < next))
            next = due;
    }
    return next;
}

/* Stops a job as Ray's supervisor does: SIGTERM, SIGKILL 3 s later.
 * Returns whether it was stoppable (not yet terminal). */
static int job_stop(struct job *j)
{
    if (job_terminal(j))
        return 0;
    if (j->state == JOB_PENDING) {
        job_finish(j, JOB_STOPPED);
        return 1;
    }
    if (!j->stop_requested) {
        j->stop_requested = 1;
        kill(-j->pid, SIGTERM);
        j->kill_at = now_ms() + JOB_STOP_WAIT_MS;
    }
    return 1;
}

static void free_job(struct job *j)
{
    size_t i;
    for (i = 0; i < j->nenv; i++)
        free(j->env[i]);
    free(j->env);
    free(j->id);
    free(j->entrypoint);
    free(j->metadata);
    free(j->runtime_env);
    free(j->working_dir);
    free(j->cwd);
    free(j->message);
    free(j);
}

/* ------------------------------------------------------------------ */
/* The head: connections. Protocol connections (the GCS port) carry    */
/* one request line, or a worker's JOIN for as long as it lives; HTTP  */
/* connections (the dashboard port) carry one request each.            */
/* ------------------------------------------------------------------ */

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
    /* A health check the head makes (a connection it opened): */
    int is_probe;
    int connecting;       /* connect() still in progress */
    int probe_done;       /* its outcome was reported */
    struct conn *owner;   /* the JOIN it decides, or NULL */
    char probe_node[NODE_ID_LEN + 1]; /* else the ALIVE node it checks, or "" */
    char target[80];      /* "IP:PORT" it connects to */
};

/* Every connection of the head's loop (serve), in accept order. */
static struct conn **g_conns;
static size_t g_nconns;

static void add_conn(struct conn *c)
{
    if (g_nconns % 64 == 0)
        g_conns = xrealloc(g_conns, (g_nconns + 64) * sizeof *g_conns);
    g_conns[g_nconns++] = c;
}

static struct conn *new_conn(int fd)
{
    struct conn *c = xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->fd = fd;
    add_conn(c);
    return c;
}

static struct conn *conn_of_fd(int fd)
{
    size_t i;
    for (i = 0; i < g_nconns; i++)
        if (g_conns[i]->fd == fd)
            return g_conns[i];
    return NULL;
}

/* For Serve (standin_serve_deps.h): a request it answers later, its body. */
void standin_conn_hold(struct conn *c)
{
    c->deadline = 0;
}

const char *standin_conn_body(struct conn *c)
{
    return c->body ? c->body : "";
}

size_t standin_conn_body_len(struct conn *c)
{
    return c->body ? c->body_len : 0;
}

int standin_conn_method_is(struct conn *c, const char *method)
{
    return strcmp(c->req.method, method) == 0;
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
    queue_reply(c, xstrdup(msg), strlen(msg), 1);
}

static int token_ok(const char *given)
{
    if (g_head_token == NULL)
        return 1; /* auth disabled: any token is ignored */
    return given != NULL && tokens_equal(given, g_head_token);
}

/* JOIN's optional fields, key=value with percent-encoded values. */
static const char *join_field(char *word, const char *key)
{
    size_t kl = strlen(key);
    if (strncmp(word, key, kl) == 0 && word[kl] == '=') {
        pct_decode(word + kl + 1, 0);
        return word + kl + 1;
    }
    return NULL;
}

static int is_join_field(const char *word)
{
    static const char *keys[] = {"ip=", "name=", "mem=", "osm=", "nm=", "om=", "res=",
                                 "labels="};
    size_t i;
    for (i = 0; i < COUNT(keys); i++)
        if (strncmp(word, keys[i], strlen(keys[i])) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The head: health checks. As Ray's GCS, the head connects to each    */
/* node's advertised address at its node manager port: when a worker   */
/* joins (an unreachable one never turns ALIVE) and then every         */
/* g_health_period_ms (HEALTH_FAILURE_THRESHOLD failures in a row and   */
/* it is DEAD). A check connects without blocking, from the same poll  */
/* loop, and passes when the node answers "OK\n" within                */
/* g_health_timeout_ms: a port that takes the connection and closes it */
/* (Docker's proxy in front of a container that does not listen there) */
/* fails too.                                                          */
/* ------------------------------------------------------------------ */

static void close_conn(struct conn *c);

/* "IP:PORT", "[IP]:PORT" for IPv6. */
static void host_port(char *out, size_t cap, const char *ip, int port)
{
    snprintf(out, cap, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
}

/* Starts a health check of ip:port. Returns the probe's connection, or
 * NULL when it failed at once (the reason in err). A numeric address
 * never blocks; a name (the stand-in does not insist on an IP) is
 * resolved with a blocking lookup first. */
static struct conn *start_probe(const char *ip, int port, char *err, size_t errcap)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    struct conn *p;
    int fd, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(ip, portstr, &hints, &res);
    if (rc == EAI_NONAME) {
        hints.ai_flags = 0;
        rc = getaddrinfo(ip, portstr, &hints, &res);
    }
    if (rc != 0) {
        snprintf(err, errcap, "cannot resolve %s: %s", ip,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return NULL;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return NULL;
    }
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        snprintf(err, errcap, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    p = new_conn(fd);
    p->is_probe = 1;
    p->connecting = rc != 0;
    p->deadline = now_ms() + g_health_timeout_ms;
    host_port(p->target, sizeof p->target, ip, port);
    return p;
}

/* The JOIN on c was health-checked: the node turns ALIVE and gets "OK",
 * or (failure: why) it is listed DEAD at once, as Ray's GCS would after
 * its health checks failed, and the worker is told why. */
static void join_checked(struct conn *c, const char *failure)
{
    struct node *n = c->pending, *added, *old = node_by_id(n->id);
    c->pending = NULL;
    if (old != NULL && old->is_head)
        old = NULL; /* cannot happen: the id was checked */
    if (old != NULL && old->alive) {
        /* The same node joins again on a new connection (it lost the old
         * one and reconnected before this head noticed): one entry, on
         * the new connection; the old one closes without a death. */
        struct conn *oc = conn_of_fd(old->fd);
        if (oc != NULL) {
            oc->joined = 0;
            close_conn(oc);
        }
        if (failure == NULL) {
            int64_t start = old->start_ms;
            free_node(old);
            *old = *n;
            old->start_ms = start;
            old->fd = c->fd;
            old->hc_next = now_ms() + g_health_period_ms;
            c->joined = 1;
            c->deadline = 0;
            queue_reply(c, xstrdup("OK\n"), 3, 0);
            free(n);
            return;
        }
        old->alive = 0;
        old->fd = -1;
        old->end_ms = wall_ms();
        old->state_message = HEARTBEAT_DEATH;
        fprintf(stderr, "Health check of node %s failed (%s): the node is DEAD.\n",
                n->id + 5, failure);
        free_node(n);
        free(n);
        queue_error(c, "ERR dead\n");
        return;
    }
    if (failure == NULL) {
        n->fd = c->fd;
        added = append_node(n);
        added->hc_next = now_ms() + g_health_period_ms;
        c->joined = 1;
        c->deadline = 0;
        queue_reply(c, xstrdup("OK\n"), 3, 0);
    } else {
        struct sbuf b = {NULL, 0, 0};
        char target[80];
        host_port(target, sizeof target, n->ip, n->nm_port);
        fprintf(stderr, "Health check of node %s at %s failed (%s): the node is DEAD.\n",
                n->id + 5, target, failure);
        n->fd = -1;
        n->alive = 0;
        n->end_ms = wall_ms();
        n->state_message = HEARTBEAT_DEATH;
        append_node(n);
        trim_dead();
        sbuf_printf(&b, "ERR unreachable %s\n", failure);
        queue_reply(c, b.data, b.len, 1);
    }
    free(n);
}

/* A periodic check of the ALIVE node `id` ended. */
static void periodic_checked(const char *id, const char *target, const char *failure)
{
    struct node *n = NULL;
    struct conn *c;
    size_t i;
    for (i = 1; i < g_nnodes; i++)
        if (g_nodes[i].alive && strcmp(g_nodes[i].id, id) == 0)
            n = &g_nodes[i];
    if (n == NULL)
        return; /* it left meanwhile */
    n->hc_busy = 0;
    n->hc_next = now_ms() + g_health_period_ms;
    if (failure == NULL) {
        n->hc_failures = 0;
        return;
    }
    if (++n->hc_failures < HEALTH_FAILURE_THRESHOLD)
        return;
    fprintf(stderr, "Node %s at %s missed %d health checks in a row (the last: %s): "
                    "the node is DEAD.\n",
            id + 5, target, n->hc_failures, failure);
    c = conn_of_fd(n->fd);
    n->alive = 0;
    n->fd = -1;
    n->end_ms = wall_ms();
    n->state_message = HEARTBEAT_DEATH;
    if (c != NULL) {
        /* As Ray's GCS tells a raylet it marked dead: the worker exits. */
        c->joined = 0;
        queue_error(c, "ERR dead\n");
    }
    trim_dead();
}

/* Reports a probe's outcome (failure: why, or NULL) once. */
static void probe_report(struct conn *p, const char *failure)
{
    struct conn *owner = p->owner;
    if (p->probe_done)
        return;
    p->probe_done = 1;
    p->owner = NULL;
    if (owner != NULL) {
        owner->probe = NULL;
        join_checked(owner, failure);
    } else if (p->probe_node[0]) {
        periodic_checked(p->probe_node, p->target, failure);
    }
}

/* The probe's socket is ready: connected (or not), or its answer came. */
static void probe_event(struct conn *p, short revents)
{
    char buf[HEALTH_ANSWER_MAX], *nl;
    ssize_t n;

    if (p->connecting) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr != 0) {
            probe_report(p, strerror(soerr));
            close_conn(p);
            return;
        }
        p->connecting = 0; /* now wait for the answer */
        return;
    }
    if (p->in == NULL) {
        p->in_cap = HEALTH_ANSWER_MAX;
        p->in = xmalloc(p->in_cap);
    }
    n = recv(p->fd, buf, p->in_cap - 1 - p->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        probe_report(p, n == 0 ? "the connection closed without an answer" : strerror(errno));
        close_conn(p);
        return;
    }
    memcpy(p->in + p->in_len, buf, (size_t)n);
    p->in_len += (size_t)n;
    p->in[p->in_len] = '\0';
    nl = strchr(p->in, '\n');
    if (nl == NULL && p->in_len < p->in_cap - 1)
        return;
    probe_report(p, nl != NULL && nl - p->in == 2 && strncmp(p->in, "OK", 2) == 0
                        ? NULL : "an answer that is not a node's");
    close_conn(p);
}

/* Starts the periodic checks that are due. Returns when the next is due
 * (monotonic ms), 0 for none. */
static int64_t health_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    char err[200];

    if (g_health_timeout_ms == 0 || g_health_period_ms == 0)
        return 0;
    for (i = 1; i < g_nnodes; i++) {
        struct node *n = &g_nodes[i];
        struct conn *p;
        if (!n->alive || n->nm_port == 0 || n->hc_busy)
            continue;
        if (now < n->hc_next) {
            if (next == 0 || n->hc_next < next)
                next = n->hc_next;
            continue;
        }
        p = start_probe(n->ip, n->nm_port, err, sizeof err);
        if (p == NULL) {
            char target[80];
            host_port(target, sizeof target, n->ip, n->nm_port);
            periodic_checked(n->id, target, err); /* may change the table */
            return now;
        }
        snprintf(p->probe_node, sizeof p->probe_node, "%s", n->id);
        n->hc_busy = 1;
    }
    return next;
}

static int join_pending(const char *id)
{
    size_t i;
    for (i = 0; i < g_nconns; i++)
        if (g_conns[i]->pending && strcmp(g_conns[i]->pending->id, id) == 0)
            return 1;
    return 0;
}

/* JOIN <node_id> <cpus> <gpus> <hostname> [key=value...] [TOKEN]. With
 * nm=PORT the node turns ALIVE only once the head reached it there. */
static void handle_join(struct conn *c, char **words, int n)
{
    long cpus, gpus, nm = 0, om = 0;
    const char *token = NULL, *ip = NULL, *name = NULL, *v;
    char *res = NULL, *labels = NULL, err[200];
    double mem = 0, osm = 0;
    struct node node;
    struct conn *p;
    int i;

    if (n > 5 && !is_join_field(words[n - 1]))
        token = words[--n];
    if (!token_ok(token)) {
        queue_error(c, "ERR unauthenticated\n");
        return;
    }
    if (n < 5 || !is_node_id(words[1]) || parse_long(words[2], &cpus) != 0 ||
        parse_long(words[3], &gpus) != 0 || cpus < 0 || gpus < 0)
        goto bad;
    for (i = 5; i < n; i++) {
        if ((v = join_field(words[i], "ip")) != NULL)
            ip = v;
        else if ((v = join_field(words[i], "name")) != NULL)
            name = v;
        else if ((v = join_field(words[i], "mem")) != NULL) {
            if (parse_double(v, &mem) != 0 || mem < 0)
                goto bad;
        } else if ((v = join_field(words[i], "osm")) != NULL) {
            if (parse_double(v, &osm) != 0 || osm < 0)
                goto bad;
        } else if ((v = join_field(words[i], "nm")) != NULL) {
            if (parse_long(v, &nm) != 0 || nm < 0 || nm > 65535)
                goto bad;
        } else if ((v = join_field(words[i], "om")) != NULL) {
            if (parse_long(v, &om) != 0 || om < 0 || om > 65535)
                goto bad;
        } else if ((v = join_field(words[i], "res")) != NULL) {
            free(res);
            res = NULL;
            if (object_fragment(v, 1, &res, err, sizeof err) != 0)
                goto bad;
        } else if ((v = join_field(words[i], "labels")) != NULL) {
            free(labels);
            labels = NULL;
            if (object_fragment(v, 0, &labels, err, sizeof err) != 0)
                goto bad;
        } else {
            goto bad;
        }
    }
    if (join_pending(words[1]) || (node_by_id(words[1]) && node_by_id(words[1])->is_head)) {
        free(res);
        free(labels);
        queue_error(c, "ERR duplicate node id\n");
        return;
    }
    if (node_by_id(words[1]) && !node_by_id(words[1])->alive) {
        /* A node this head has marked DEAD comes back (its connection
         * dropped, then it reconnected): as Ray's GCS, the head tells it
         * it is dead, and the raylet exits. */
        free(res);
        free(labels);
        queue_error(c, "ERR dead\n");
        return;
    }
    init_node(&node, words[1], cpus, gpus, words[4], c->fd);
    snprintf(node.ip, sizeof node.ip, "%s", ip ? ip : words[4]);
    free(node.name);
    node.name = xstrdup(name && *name ? name : node.ip);
    node.memory = mem;
    node.object_store_memory = osm;
    node.nm_port = (int)nm;
    node.om_port = (int)om;
    if (res) {
        free(node.resources);
        node.resources = res;
    }
    if (labels) {
        free(node.labels);
        node.labels = labels;
    }
    c->pending = xmalloc(sizeof node);
    *c->pending = node;
    if (nm == 0 || g_health_timeout_ms == 0) {
        join_checked(c, NULL); /* a worker that does not say where it listens */
        return;
    }
    /* No answer until the check ends: the probe's deadline bounds it. */
    c->deadline = 0;
    p = start_probe(node.ip, (int)nm, err, sizeof err);
    if (p == NULL) {
        join_checked(c, err);
        return;
    }
    p->owner = c;
    c->probe = p;
    return;
bad:
    free(res);
    free(labels);
    queue_error(c, "ERR bad request\n");
}

/* Handles one request line from a connection that has not joined. */
static void handle_request(struct conn *c, char *line)
{
    char *words[16];
    int n = 0;
    char *save = NULL, *w;

    for (w = strtok_r(line, " \r", &save); w && n < 16; w = strtok_r(NULL, " \r", &save))
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
    } else if (n >= 1 && n <= 2 && strcmp(words[0], "SESSION") == 0) {
        /* A worker asks for the session name, as Ray's raylet reads it
         * from the GCS before it makes its session folders. */
        struct sbuf b = {NULL, 0, 0};
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        sbuf_printf(&b, "SESSION %s\n", g_session_name);
        queue_reply(c, b.data, b.len, 1);
    } else if (n >= 1 && n <= 2 && strcmp(words[0], "DASHBOARD") == 0) {
        /* `ray job` given a GCS address asks where the dashboard is. */
        struct sbuf b = {NULL, 0, 0};
        if (!token_ok(n == 2 ? words[1] : NULL)) {
            queue_error(c, "ERR unauthenticated\n");
            return;
        }
        if (g_webui[0] == '\0') {
            queue_error(c, "ERR no dashboard\n");
            return;
        }
        sbuf_printf(&b, "DASHBOARD http://%s\n", g_webui);
        queue_reply(c, b.data, b.len, 1);
    } else if (n >= 5 && strcmp(words[0], "JOIN") == 0) {
        handle_join(c, words, n);
    } else {
        queue_error(c, "ERR bad request\n");
    }
}

/* Drops an upload that will not complete: its partial file goes. */
static void upload_abort(struct conn *c)
{
    if (c->up_tmp == NULL)
        return;
    close(c->up_fd);
    unlink(c->up_tmp);
    free(c->up_tmp);
    free(c->up_dst);
    c->up_tmp = c->up_dst = NULL;
}

static void close_conn(struct conn *c)
{
    if (c->is_probe && !c->probe_done) { /* its deadline passed */
        char why[96];
        snprintf(why, sizeof why,
                 c->connecting ? "connection timed out after %ld ms" : "no answer within %ld ms",
                 g_health_timeout_ms);
        probe_report(c, why);
    }
    if (c->probe != NULL) { /* a JOIN whose worker went away during its check */
        struct conn *p = c->probe;
        c->probe = NULL;
        p->owner = NULL;
        p->probe_done = 1;
        close_conn(p);
    }
    if (c->pending != NULL) {
        free_node(c->pending);
        free(c->pending);
        c->pending = NULL;
    }
    upload_abort(c);
    serve_conn_closed(c);
    if (c->joined)
        node_died(c->fd);
    close(c->fd);
    free(c->out);
    free(c->in);
    free(c->body);
    c->out = c->in = c->body = NULL;
    c->fd = -1;
}

/* A joined worker's connection: LEAVE (it is being stopped) or DETACH
 * (it was started without --block), then EOF. */
static void joined_readable(struct conn *c)
{
    char scratch[512];
    ssize_t n = recv(c->fd, scratch, sizeof scratch - 1, 0);
    if (n > 0) {
        scratch[n] = '\0';
        if (strstr(scratch, "LEAVE") != NULL) {
            struct node *node = node_of_fd(c->fd);
            if (node)
                node->leaving = 1;
        }
        if (strstr(scratch, "DETACH") != NULL) {
            node_detached(c->fd);
            c->joined = 0;
        }
        return;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        close_conn(c);
}

/* Reads what the peer sent into c->in (made `cap` bytes on first use) and
 * keeps it NUL-terminated. 1: bytes added; 0: none yet; -1: the peer is
 * gone and the connection closed. */
static int conn_fill(struct conn *c, size_t cap)
{
    ssize_t n;

    if (c->in == NULL) {
        c->in_cap = cap;
        c->in = xmalloc(c->in_cap);
    }
    n = recv(c->fd, c->in + c->in_len, c->in_cap - 1 - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        close_conn(c);
        return -1;
    }
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    return 1;
}

static void proto_readable(struct conn *c)
{
    char *nl;

    if (c->pending != NULL) {
        /* A JOIN under its health check: nothing more is expected but
         * its end, which cancels the check. */
        char scratch[256];
        ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            close_conn(c);
        return;
    }
    if (conn_fill(c, MAX_LINE) <= 0)
        return;
    nl = strchr(c->in, '\n');
    if (nl != NULL) {
        *nl = '\0';
        handle_request(c, c->in);
        c->in_len = 0;
    } else if (c->in_len >= c->in_cap - 1) {
        queue_error(c, "ERR line too long\n");
    }
}

/* ------------------------------------------------------------------ */
/* The head: the dashboard's HTTP API (a part of it). HTTP/1.1, one     */
/* request per connection, Connection: close, Content-Length always.   */
/* Plain-text bodies and error texts follow Ray's (aiohttp's) wording. */
/* ------------------------------------------------------------------ */

#define CT_HTML "text/html; charset=utf-8"

static const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

void http_respond(struct conn *c, int status, const char *ctype, const char *body,
                         size_t len)
{
    struct sbuf b = {NULL, 0, 0};
    sbuf_printf(&b,
                "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                "Server: ray-standin/" STANDIN_VERSION "\r\nConnection: close\r\n\r\n",
                status, http_reason(status), ctype, len);
    if (!c->req.head_only)
        sbuf_add(&b, body, len);
    queue_reply(c, b.data, b.len, 1);
    c->deadline = now_ms() + HTTP_IO_TIMEOUT_MS;
}

void http_text(struct conn *c, int status, const char *text)
{
    http_respond(c, status, CT_TEXT, text, strlen(text));
}

void http_json(struct conn *c, int status, struct sbuf *b)
{
    http_respond(c, status, CT_JSON, b->data ? b->data : "", b->len);
    free(b->data);
    b->data = NULL;
}

/* Ray's rest_response envelope for a failed state API call. */
static void http_envelope_error(struct conn *c, int status, const char *msg)
{
    struct sbuf b = {NULL, 0, 0};
    sbuf_adds(&b, "{\"result\": false, \"msg\": ");
    json_strz(&b, msg);
    sbuf_adds(&b, ", \"data\": {}}");
    http_json(c, status, &b);
}

/* A Python exception's last line as the text of a 400, like Ray's
 * traceback.format_exc() bodies. */
void http_py_error(struct conn *c, int status, const char *fmt, ...)
{
    struct sbuf b = {NULL, 0, 0};
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sbuf_printf(&b, "Traceback (most recent call last):\n"
                    "  (raylaunch's ray stand-in)\n%s\n", line);
    http_respond(c, status, CT_TEXT, b.data, b.len);
    free(b.data);
}

/* --- GET /api/v0/nodes --------------------------------------------- */

struct node_filter {
    const char *key, *value;
    int negate;
};

static int ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static int node_matches(const struct node *n, const struct node_filter *f, size_t nf)
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

static int cmp_node_ptr(const void *a, const void *b)
{
    const struct node *x = *(const struct node *const *)a;
    const struct node *y = *(const struct node *const *)b;
    return strcmp(x->id, y->id);
}

static void node_json(struct sbuf *b, const struct node *n, int detail)
{
    sbuf_printf(b, "{\"node_id\": \"%s\", \"node_ip\": ", n->id + 5);
    json_strz(b, n->ip);
    sbuf_printf(b, ", \"is_head_node\": %s, \"state\": \"%s\", \"state_message\": ",
                n->is_head ? "true" : "false", n->alive ? "ALIVE" : "DEAD");
    json_strz(b, n->alive ? NULL : n->state_message);
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

#define MAX_QUERY_PARAMS 64

static void http_nodes(struct conn *c, char *query)
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
static void new_submission_id(char out[27])
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
static int check_submit_body(struct conn *c, struct jv *v)
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

static void http_job_submit(struct conn *c)
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
    if (((f = jv_get(&v, "entrypoint_num_cpus")) && f->t != J_NULL && jv_number(f) > 0) ||
        ((f = jv_get(&v, "entrypoint_num_gpus")) && f->t != J_NULL && jv_number(f) > 0) ||
        ((f = jv_get(&v, "entrypoint_memory")) && f->t != J_NULL && jv_number(f) > 0) ||
        ((f = jv_get(&v, "entrypoint_resources")) && f->t == J_OBJ && f->n > 0))
        j->wants_resources = 1;
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
static void http_jobs(struct conn *c, const char *method, const char *rest)
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
static const char *bearer(const char *h)
{
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* The value of the cookie `name` (copied into buf), or NULL. */
static const char *cookie_value(const char *cookies, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = cookies;
    while (p != NULL && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t len = strcspn(p + nl + 1, ";");
            if (len >= cap)
                return NULL;
            memcpy(buf, p + nl + 1, len);
            buf[len] = '\0';
            return buf;
        }
        p = strchr(p, ';');
    }
    return NULL;
}

/* Ray's middlewares, before any handler: token auth, then no POST/PUT
 * from browsers. Returns 0, or -1 having replied. */
static int http_gate(struct conn *c)
{
    struct http_req *r = &c->req;
    const char *path = r->path, *method = r->method;

    /* Ray's token middleware: all but the health paths, / and static. */
    if (g_head_token != NULL && strcmp(path, "/") != 0 &&
        strcmp(path, "/api/gcs_healthz") != 0 &&
        strcmp(path, "/api/authentication_mode") != 0 && strncmp(path, "/static/", 8) != 0) {
        char cookie[512];
        const char *given = bearer(r->authorization);
        if (given == NULL)
            given = bearer(r->x_ray_auth);
        if (given == NULL)
            given = cookie_value(r->cookie, "ray-authentication-token", cookie, sizeof cookie);
        if (given == NULL) {
            http_text(c, 401, "Unauthorized: Missing authentication token");
            return -1;
        }
        if (!tokens_equal(given, g_head_token)) {
            http_text(c, 403, "Forbidden: Invalid authentication token");
            return -1;
        }
    }
    /* Ray's browsers_no_post_put_middleware. */
    if ((strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) &&
        r->user_agent != NULL && strncmp(r->user_agent, "Mozilla", 7) == 0) {
        http_text(c, 405, "Method not allowed for browser traffic.");
        return -1;
    }
    return 0;
}

/* --- packages: /api/packages/{protocol}/{package_name} ------------------ */

/* Checks the route and the name (decoded into name[PKG_RAW_MAX]).
 * Returns 0, or -1 having replied. */
static int package_route(struct conn *c, char *name)
{
    const char *rest = c->req.path + 14, *slash = strchr(rest, '/');
    const char *method = c->req.method;

    if (slash == NULL || slash == rest || slash[1] == '\0') {
        http_text(c, 404, "404: Not Found");
        return -1;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0) {
        http_text(c, 405, "405: Method Not Allowed");
        return -1;
    }
    snprintf(name, PKG_RAW_MAX, "%s", slash + 1);
    pct_decode(name, 0);
    if (slash - rest != 3 || strncmp(rest, "gcs", 3) != 0) {
        http_py_error(c, 400, "ValueError: the ray stand-in keeps only gcs:// packages, got "
                              "'%.*s://%s'", (int)(slash - rest), rest, name);
        return -1;
    }
    if (strlen(slash + 1) >= PKG_RAW_MAX || !pkg_name_ok(name)) {
        http_py_error(c, 400, "ValueError: the ray stand-in takes package names of 1 to %d "
                              "characters, without '/' or '..', not starting with '.', got "
                              "'%s'", PKG_NAME_MAX, name);
        return -1;
    }
    return 0;
}

/* GET: Ray's get_package answers an empty 200 when the package exists,
 * else 404 "Package gcs://NAME does not exist"; it never sends the bytes. */
static void http_package_get(struct conn *c)
{
    char name[PKG_RAW_MAX], path[PATH_MAX];
    struct stat st;
    struct sbuf b = {NULL, 0, 0};

    if (package_route(c, name) != 0)
        return;
    session_file(path, sizeof path, "packages", name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        http_respond(c, 200, CT_OCTET, "", 0);
        return;
    }
    sbuf_printf(&b, "Package gcs://%s does not exist", name);
    http_respond(c, 404, CT_TEXT, b.data, b.len);
    free(b.data);
}

/* Writes a piece of an upload to its file. Returns 0, or -1 having
 * replied (the upload dropped). */
static int upload_write(struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(c->up_fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            upload_abort(c);
            http_py_error(c, 500, "OSError: [Errno %d] %s", err, strerror(err));
            return -1;
        }
        data += n;
        len -= (size_t)n;
        c->body_have += (size_t)n;
    }
    return 0;
}

/* PUT, once its headers are in: the checks Ray's middlewares and aiohttp
 * make (token, browser, route, size: aiohttp refuses a body of
 * client_max_size or more), then the body is streamed to a file in the
 * session's packages/ as it arrives, never held in memory. data/len: the
 * body's first bytes, read with the headers. Returns 0, or -1 having
 * replied. */
static int upload_begin(struct conn *c, const char *data, size_t len)
{
    char name[PKG_RAW_MAX], path[PATH_MAX];

    if (http_gate(c) != 0 || package_route(c, name) != 0)
        return -1;
    if (c->req.content_length >= PKG_BODY_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "Maximum request body size %ld exceeded, actual body size %ld",
                 PKG_BODY_MAX, c->req.content_length);
        http_text(c, 413, msg);
        return -1;
    }
    session_file(path, sizeof path, "packages", name);
    c->up_dst = xstrdup(path);
    snprintf(path + strlen(path) - strlen(name), sizeof path - (strlen(path) - strlen(name)),
             ".upload-%d-%s", c->fd, name);
    c->up_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (c->up_fd < 0) {
        int err = errno;
        free(c->up_dst);
        c->up_dst = NULL;
        http_py_error(c, 500, "OSError: [Errno %d] %s: '%s'", err, strerror(err), path);
        return -1;
    }
    c->up_tmp = xstrdup(path);
    c->body_len = (size_t)c->req.content_length;
    c->body_have = 0;
    return upload_write(c, data, len < c->body_len ? len : c->body_len);
}

/* The whole body is in: the package appears at once, complete (Ray's
 * upload_package answers an empty 200). */
static void upload_end(struct conn *c)
{
    int err = 0;
    if (close(c->up_fd) != 0)
        err = errno;
    else if (rename(c->up_tmp, c->up_dst) != 0)
        err = errno;
    if (err) {
        unlink(c->up_tmp);
        http_py_error(c, 500, "OSError: [Errno %d] %s", err, strerror(err));
    } else {
        http_respond(c, 200, CT_OCTET, "", 0);
    }
    free(c->up_tmp);
    free(c->up_dst);
    c->up_tmp = c->up_dst = NULL;
}

static void http_dispatch(struct conn *c)
{
    struct http_req *r = &c->req;
    const char *path = r->path, *method = r->method;
    int is_get = strcmp(method, "GET") == 0;

    if (c->http == HTTP_SERVE_PROXY) { /* Serve's proxy: no dashboard middlewares */
        serve_proxy_request(c, method, path);
        return;
    }
    if (http_gate(c) != 0)
        return;
    if (strncmp(path, "/api/serve/", 11) == 0) {
        serve_dashboard(c, method, path, r->query);
        return;
    }
    if (strncmp(path, "/api/jobs/", 10) == 0) {
        http_jobs(c, method, path + 10);
        return;
    }
    if (strncmp(path, "/api/packages/", 14) == 0) {
        http_package_get(c);
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/api/gcs_healthz") == 0 ||
        strcmp(path, "/api/authentication_mode") == 0 || strcmp(path, "/api/version") == 0 ||
        strcmp(path, "/api/v0/nodes") == 0 || strcmp(path, "/api/cluster_status") == 0) {
        struct sbuf b = {NULL, 0, 0};
        if (!is_get) {
            http_text(c, 405, "405: Method Not Allowed");
        } else if (strcmp(path, "/") == 0) {
            static const char page[] =
                "<!doctype html><title>ray stand-in</title><p>raylaunch's ray stand-in "
                "for tests (not Ray): no dashboard UI, only a few of its API paths.</p>\n";
            http_respond(c, 200, CT_HTML, page, sizeof page - 1);
        } else if (strcmp(path, "/api/gcs_healthz") == 0) {
            http_text(c, 200, "success");
        } else if (strcmp(path, "/api/authentication_mode") == 0) {
            sbuf_printf(&b, "{\"authentication_mode\": \"%s\"}",
                        g_head_token ? "token" : "disabled");
            http_json(c, 200, &b);
        } else if (strcmp(path, "/api/version") == 0) {
            sbuf_printf(&b, "{\"version\": \"4\", \"ray_version\": \"" STANDIN_VERSION
                            "\", \"ray_commit\": \"standin\", \"session_name\": \"%s\"}",
                        g_session_name);
            http_json(c, 200, &b);
        } else if (strcmp(path, "/api/v0/nodes") == 0) {
            http_nodes(c, r->query);
        } else {
            size_t len;
            char *text = status_text(&len);
            /* `ray status` prints this text with print(): no final newline here. */
            if (len > 0 && text[len - 1] == '\n')
                len--;
            sbuf_adds(&b, "{\"result\": true, \"msg\": \"Got formatted cluster status.\", "
                          "\"data\": {\"clusterStatus\": ");
            json_str(&b, text, len);
            sbuf_adds(&b, "}}");
            free(text);
            http_json(c, 200, &b);
        }
        return;
    }
    http_text(c, 404, "404: Not Found");
}

/* Parses the request line and headers (c->in, NUL-terminated at the end
 * of the header block) in place. Returns 0, or -1 having replied. */
static int http_parse(struct conn *c)
{
    struct http_req *r = &c->req;
    char *p = c->in, *eol, *sp1, *sp2;
    int have_length = 0;

    memset(r, 0, sizeof *r);
    eol = strstr(p, "\r\n");
    *eol = '\0';
    sp1 = strchr(p, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1[1] != '/') {
        http_text(c, 400, "400: Bad Request");
        return -1;
    }
    *sp1 = *sp2 = '\0';
    r->method = p;
    r->target = sp1 + 1;
    r->path = r->target;
    r->query = strchr(r->target, '?');
    if (r->query)
        *r->query++ = '\0';
    else
        r->query = sp2; /* an empty string */
    if (strcmp(r->method, "HEAD") == 0) {
        r->method = "GET";
        r->head_only = 1;
    }
    for (p = eol + 2; *p; p = eol + 2) {
        char *colon, *name, *value, *end;
        eol = strstr(p, "\r\n");
        if (eol == NULL)
            break;
        *eol = '\0';
        colon = strchr(p, ':');
        if (colon == NULL || colon == p) {
            http_text(c, 400, "400: Bad Request");
            return -1;
        }
        *colon = '\0';
        name = p;
        value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        end = value + strlen(value);
        while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (strcasecmp(name, "Content-Length") == 0) {
            long n;
            if (parse_long(value, &n) != 0 || n < 0 ||
                (have_length && n != r->content_length)) {
                http_text(c, 400, "400: Bad Request");
                return -1;
            }
            r->content_length = n;
            have_length = 1;
        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            http_text(c, 501, "The ray stand-in does not take Transfer-Encoding; send "
                              "Content-Length.");
            return -1;
        } else if (strcasecmp(name, "User-Agent") == 0) {
            r->user_agent = value;
        } else if (strcasecmp(name, "Authorization") == 0) {
            r->authorization = value;
        } else if (strcasecmp(name, "X-Ray-Authorization") == 0) {
            r->x_ray_auth = value;
        } else if (strcasecmp(name, "Cookie") == 0) {
            r->cookie = value;
        } else if (strcasecmp(name, "Expect") == 0) {
            r->expect = value;
        }
    }
    return 0;
}

static void http_readable(struct conn *c)
{
    ssize_t n;

    if (c->lingering) {
        char scratch[4096];
        n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            close_conn(c);
        return;
    }
    if (!c->hdr_done) {
        char *end;
        size_t hdr_len, extra;
        if (conn_fill(c, HTTP_HEADER_MAX + 1) <= 0)
            return;
        end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (end == NULL) {
            if (c->in_len >= c->in_cap - 1)
                http_text(c, 431, "431: Request Header Fields Too Large");
            return;
        }
        hdr_len = (size_t)(end - c->in) + 4;
        extra = c->in_len - hdr_len;
        end[2] = '\0';
        if (http_parse(c) != 0)
            return;
        c->hdr_done = 1;
        if (c->http == 1 && strcmp(c->req.method, "PUT") == 0 &&
            strncmp(c->req.path, "/api/packages/", 14) == 0) {
            if (upload_begin(c, end + 4, extra) != 0)
                return;
        } else if (c->req.content_length > HTTP_BODY_MAX) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "Maximum request body size %d exceeded, actual body size %ld",
                     HTTP_BODY_MAX, c->req.content_length);
            http_text(c, 413, msg);
            return;
        } else {
            c->body_len = (size_t)c->req.content_length;
            c->body = xmalloc(c->body_len + 1);
            c->body_have = extra < c->body_len ? extra : c->body_len;
            memcpy(c->body, end + 4, c->body_have);
        }
        if (c->body_have < c->body_len && c->req.expect != NULL &&
            strcasecmp(c->req.expect, "100-continue") == 0)
            send(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else if (c->up_tmp != NULL) {
        /* A package upload: a chunk at a time, straight to its file; the
         * deadline moves while data keeps coming. */
        static char chunk[PKG_CHUNK];
        size_t want = c->body_len - c->body_have;
        n = recv(c->fd, chunk, want < sizeof chunk ? want : sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            close_conn(c);
            return;
        }
        if (upload_write(c, chunk, (size_t)n) != 0)
            return;
        c->deadline = now_ms() + HTTP_IO_TIMEOUT_MS;
    } else {
        n = recv(c->fd, c->body + c->body_have, c->body_len - c->body_have, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            close_conn(c);
            return;
        }
        c->body_have += (size_t)n;
    }
    if (c->body_have == c->body_len) {
        if (c->up_tmp != NULL) {
            upload_end(c);
        } else {
            c->body[c->body_len] = '\0';
            http_dispatch(c);
        }
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
    if (!c->closing)
        return;
    if (c->http) {
        /* Half-close, then drain what the client still sends, so that
         * closing does not reset the connection under the reply. */
        shutdown(c->fd, SHUT_WR);
        c->lingering = 1;
        c->deadline = now_ms() + HTTP_LINGER_MS;
    } else {
        close_conn(c);
    }
}

/* Ends the head: its jobs' process groups are killed (Ray's drivers
 * fate-share with their supervisor), then it exits with status 0. */
static void shutdown_head(void)
{
    size_t i;
    for (i = 0; i < g_njobs; i++)
        if (g_jobs[i]->state == JOB_RUNNING && g_jobs[i]->pid > 0)
            kill(-g_jobs[i]->pid, SIGKILL);
    exit(0); /* atexit removes the state files */
}

static void accept_all(int lfd, int http)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                fprintf(stderr, "accept: %s\n", strerror(errno));
            return; /* EAGAIN: no more pending */
        }
        c = new_conn(fd);
        c->http = http;
        c->deadline = now_ms() + (http ? HTTP_IO_TIMEOUT_MS : PROTO_TIMEOUT_MS);
    }
}

/* Every `ray start` node listens on its node manager and object manager
 * ports (Ray's raylet and object manager), on 0.0.0.0. */
static int g_node_lfds[2] = {-1, -1};
static int g_node_ports[2]; /* ... and their numbers */

/* Answers every connection waiting on one of those ports: "OK\n", then
 * closes it. The head's health checks read that; the answer is 3 bytes
 * into a fresh socket, so the send never blocks. */
static void answer_health(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: no more pending (EMFILE: the next poll) */
        if (send(fd, "OK\n", 3, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* the checker is gone already */
        }
        close(fd);
    }
}

#define SERVE_FIXED 6 /* GCS port, dashboard, signal pipe, node's two ports, Serve's proxy */

/* The head's event loop: one thread, poll() over the GCS port, the
 * dashboard port, the signal pipe, the node's own two ports, every
 * connection and the health checks it makes, with deadlines for slow
 * clients and timers for jobs and checks. Never returns. */
static void serve(int lfd, int hfd)
{
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    struct sigaction sa;

    if (pipe2(g_sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(1);
    }
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child_signal;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    g_serving = 1;

    for (;;) {
        size_t i, k, polled;
        int64_t now = now_ms(), next, hc;
        int timeout;

        if (g_stop_requested)
            shutdown_head();
        next = jobs_tick(now);
        hc = health_tick(now);
        if (hc && (next == 0 || hc < next))
            next = hc;
        hc = serve_tick(now);
        if (hc && (next == 0 || hc < next))
            next = hc;
        for (i = 0; i < g_nconns; i++)
            if (g_conns[i]->deadline && (next == 0 || g_conns[i]->deadline < next))
                next = g_conns[i]->deadline;
        timeout = next == 0 ? -1 : next <= now ? 0 : (int)(next - now);

        if (cap < g_nconns + SERVE_FIXED || pfds == NULL) {
            cap = (g_nconns + SERVE_FIXED) * 2;
            pfds = xrealloc(pfds, cap * sizeof *pfds);
        }
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        pfds[1].fd = hfd; /* -1 without a dashboard: poll skips it */
        pfds[1].events = POLLIN;
        pfds[2].fd = g_sig_pipe[0];
        pfds[2].events = POLLIN;
        pfds[3].fd = g_node_lfds[0];
        pfds[3].events = POLLIN;
        pfds[4].fd = g_node_lfds[1];
        pfds[4].events = POLLIN;
        pfds[5].fd = serve_proxy_fd(); /* -1 while Serve does not run */
        pfds[5].events = POLLIN;
        for (i = 0; i < g_nconns; i++) {
            struct conn *c = g_conns[i];
            pfds[i + SERVE_FIXED].fd = c->fd;
            pfds[i + SERVE_FIXED].events =
                (c->is_probe ? c->connecting : c->out != NULL) ? POLLOUT : POLLIN;
        }
        polled = g_nconns;
        if (poll(pfds, polled + SERVE_FIXED, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }
        if (pfds[2].revents & POLLIN) {
            char drain[64];
            while (read(g_sig_pipe[0], drain, sizeof drain) > 0) {
            }
        }
        if (g_stop_requested)
            shutdown_head();
        reap_children();
        for (i = 3; i < 5; i++)
            if (pfds[i].fd >= 0 && (pfds[i].revents & POLLIN))
                answer_health(pfds[i].fd);

        now = now_ms();
        for (i = 0; i < polled; i++) {
            short re = pfds[i + SERVE_FIXED].revents;
            struct conn *c = g_conns[i]; /* the array may grow meanwhile */
            if (c->fd < 0)
                continue;
            if (c->is_probe) {
                if (re)
                    probe_event(c, re);
            } else if (re & POLLOUT)
                conn_writable(c);
            else if (re & (POLLIN | POLLHUP | POLLERR)) {
                if (c->joined)
                    joined_readable(c);
                else if (c->http)
                    http_readable(c);
                else
                    proto_readable(c);
            }
            if (c->fd >= 0 && c->deadline && now >= c->deadline)
                close_conn(c); /* too slow, or half-open; a check: timed out */
        }

        /* Drop closed connections, keeping the order of the rest. */
        for (i = 0, k = 0; i < g_nconns; i++) {
            if (g_conns[i]->fd < 0)
                free(g_conns[i]);
            else
                g_conns[k++] = g_conns[i];
        }
        g_nconns = k;

        if (pfds[0].revents & POLLIN)
            accept_all(lfd, 0);
        if (hfd >= 0 && (pfds[1].revents & POLLIN))
            accept_all(hfd, 1);
        if (pfds[5].fd >= 0 && pfds[5].fd == serve_proxy_fd() && (pfds[5].revents & POLLIN))
            accept_all(pfds[5].fd, HTTP_SERVE_PROXY);
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

/* Listens on host:port (host NULL: every IPv4 address). Returns the
 * socket, or -1 with errno set. */
int listen_on(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int one = 1, fd, rc, e;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = host ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        e = errno;
        close(fd);
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* --node-manager-port / --object-manager-port: 0 (Ray's default) is a
 * port the system picks. */
static long port_option(const struct command *cmd, const char *name)
{
    long port = 0;
    const char *v = opt(cmd, name);
    if (v != NULL && (parse_long(v, &port) != 0 || port < 0 || port > 65535))
        fail(1, "%s must be between 0 and 65535, got '%s'.", name, v);
    return port;
}

/* Binds the node's own ports on 0.0.0.0 into g_node_lfds, as Ray's raylet
 * binds its node manager and object manager; a port that is taken ends
 * `ray start` with status 1, as the raylet dies at start. Returns the
 * node manager's port (the one picked when it was 0). */
static int bind_node_ports(long nm, long om)
{
    static const char *const what[2] = {"node manager", "object manager"};
    static const char *const option[2] = {"--node-manager-port", "--object-manager-port"};
    long want[2];
    int i;

    want[0] = nm;
    want[1] = om;
    for (i = 0; i < 2; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = listen_on(NULL, (int)want[i]);
        if (fd < 0) {
            int e = errno;
            if (e == EADDRINUSE) /* glibc's text, as Ray's (musl says "Address in use") */
                fprintf(stderr, "Failed to bind the %s on port %ld: Address already in use "
                                "(another process on this host uses it; give each node on a "
                                "host its own %s)\n",
                        what[i], want[i], option[i]);
            else
                fprintf(stderr, "Failed to bind the %s on port %ld: %s (%s)\n", what[i],
                        want[i], strerror(e), option[i]);
            exit(1);
        }
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
            g_node_ports[i] = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        g_node_lfds[i] = fd;
    }
    return g_node_ports[0];
}

static void close_node_ports(void)
{
    int i;
    for (i = 0; i < 2; i++) {
        if (g_node_lfds[i] >= 0)
            close(g_node_lfds[i]);
        g_node_lfds[i] = -1;
    }
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

/* ------------------------------------------------------------------ */
/* ray start: the checks Ray makes before it starts anything. Each     */
/* refuses what Ray 2.52's `ray start` refuses, in Ray's order, with   */
/* Ray's words and exit status: Click's usage errors (exit 2) are made */
/* by parse_options; here come the CLI logger's aborts and the Python  */
/* exceptions that end `ray start` with a traceback (both exit 1).      */
/* ------------------------------------------------------------------ */

#define REQUIRE_SHM_SIZE_THRESHOLD 10000000000.0 /* Ray's ray_constants, bytes */
#define OBJECT_STORE_MAX_DEFAULT 200000000000.0 /* DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES */
#define DEFAULT_CLIENT_SERVER_PORT 10001           /* with ray[client], as Ray's images */
#define DEFAULT_MIN_WORKER_PORT 10002
#define DEFAULT_MAX_WORKER_PORT 19999
#define DEFAULT_RECONNECT_S 60 /* Ray's gcs_rpc_server_reconnect_timeout_s */

/* Ray's cli_logger: "pretty" prints bare lines; "record" (the default when
 * stdin is not a TTY, so under `docker run` without -t) prints each as a
 * log record: "<time>\t<LEVEL> scripts.py:<line> -- <message>". */
static int g_log_pretty;

static void set_log_style(const struct command *cmd)
{
    const char *style = opt(cmd, "--log-style");
    if (style != NULL && strcmp(style, "pretty") == 0)
        g_log_pretty = 1;
    else if (style != NULL && strcmp(style, "record") == 0)
        g_log_pretty = 0;
    else
        g_log_pretty = isatty(STDIN_FILENO);
}

/* One line as Python's logging writes it with Ray's LOGGER_FORMAT
 * ("%(asctime)s\t%(levelname)s %(filename)s:%(lineno)s -- %(message)s").
 * The line numbers are the stand-in's guesses, not Ray 2.52's. */
static void log_record(FILE *stream, const char *level, const char *file, int line,
                       const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stream, "%s,%03ld\t%s %s:%d -- %s\n", when, ts.tv_nsec / 1000000, level, file,
            line, msg);
}

/* A line of the CLI logger at `level` (PANIC and ERR go to stderr). */
static void cli_line(const char *level, int line, const char *msg)
{
    FILE *stream = strcmp(level, "INFO") == 0 ? stdout : stderr;
    fflush(stdout);
    if (g_log_pretty)
        fprintf(stream, "%s\n", msg);
    else if (*msg != '\0') /* record style skips empty lines */
        log_record(stream, level, "scripts.py", line, msg);
}

/* Ray's cli_logger.abort(template, args...): the message at PANIC, then a
 * ClickException carrying the template itself, {} and all, that Click
 * prints as "Error: <template>" (not in pretty style: a silent one).
 * Exit status 1. `message` is the template with its {} filled in. */
static void cli_abort(int line, const char *tmpl, const char *message)
{
    cli_line("PANIC", line, message);
    if (!g_log_pretty)
        fprintf(stderr, "Error: %s\n", tmpl);
    exit(1);
}

/* An exception `ray start` does not catch: Python prints a traceback and
 * exits 1. `where` says where Ray raises it. */
static void python_raise(const char *where, const char *cls, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr,
            "Traceback (most recent call last):\n"
            "  File \"/usr/local/bin/ray\", in <module>  (raylaunch's ray stand-in: "
            "Ray raises this in %s)\n"
            "%s: ",
            where, cls);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* An integer option as Click gave it (already checked), or `dflt`. */
static long long opt_ll(const struct command *cmd, const char *name, long long dflt)
{
    const char *s = opt(cmd, name);
    long long v;
    if (s == NULL || parse_py_int(s, &v) != 0)
        return dflt;
    return v;
}

/* ---- --labels, as Ray's label_utils ---- */

static int label_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* re.fullmatch of Ray's LABEL_REGEX, [a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?,
 * on s[0..n). */
static int label_name_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) ||
        !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (i = 1; i + 1 < n; i++)
        if (!label_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* re.fullmatch of Ray's LABEL_PREFIX_REGEX, ^(L?(\.L?)*)$ with L the name
 * pattern, and at most 253 characters: dot-separated pieces, each empty
 * or a name. can_start[i]: a piece may begin at i. */
static int label_prefix_ok(const char *s, size_t n)
{
    char can_start[256];
    size_t i, j;
    if (n > 253)
        return 0;
    memset(can_start, 0, sizeof can_start);
    can_start[0] = 1;
    for (i = 0; i <= n; i++) {
        if (!can_start[i])
            continue;
        if (i == n)
            return 1; /* an empty last piece */
        if (s[i] == '.')
            can_start[i + 1] = 1; /* an empty piece */
        for (j = i + 1; j <= n && j - i <= 63; j++) {
            if (!label_name_ok(s + i, j - i))
                continue;
            if (j == n)
                return 1;
            if (s[j] == '.')
                can_start[j + 1] = 1;
        }
    }
    return 0;
}

/* Python's str.strip() of s[0..n) into out. */
static char *py_strip(const char *s, size_t n)
{
    while (n > 0 && py_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && py_space((unsigned char)s[n - 1]))
        n--;
    {
        char *out = xmalloc(n + 1);
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
    }
}

/* Why a label is refused (Ray's words), or NULL. */
static char *label_problem(const char *key, const char *value)
{
    struct sbuf b = {NULL, 0, 0};
    const char *slash = strrchr(key, '/'), *name = slash ? slash + 1 : key;
    if (slash != NULL && !label_prefix_ok(key, (size_t)(slash - key))) {
        sbuf_printf(&b, "Invalid label key prefix `%.*s`. Prefix must be a series of DNS "
                        "labels separated by dots (.), not longer than 253 characters in "
                        "total.",
                    (int)(slash - key), key);
        return b.data;
    }
    if (!label_name_ok(name, strlen(name))) {
        sbuf_printf(&b, "Invalid label key name `%s`. Name must be 63 chars or less beginning "
                        "and ending with an alphanumeric character ([a-z0-9A-Z]) with dashes "
                        "(-), underscores (_),dots (.), and alphanumerics between.",
                    name);
        return b.data;
    }
    if (*value != '\0' && !label_name_ok(value, strlen(value))) {
        sbuf_printf(&b, "Invalid label key value `%s`. Value must be 63 chars or less "
                        "beginning and ending with an alphanumeric character ([a-z0-9A-Z]) "
                        "with dashes (-), underscores (_),dots (.), and alphanumerics between.",
                    value);
        return b.data;
    }
    return NULL;
}

/* --labels refused: the CLI logger's abort, with Ray's detail. */
static void labels_refused(const char *given, const char *detail)
{
    struct sbuf m = {NULL, 0, 0};
    sbuf_printf(&m, "`--labels=%s` is not a valid string of key-value pairs, detail error:%s"
                    "Valid values look like this: `--labels=\"key1=val1,key2=val2\"`",
                given, detail);
    cli_abort(872, "`{}` is not a valid string of key-value pairs, detail error:{}"
                   "Valid values look like this: `{}`",
              m.data);
}

/* --labels: Ray's "k1=v1,k2=v2" (or its deprecated JSON object of strings,
 * taken when it parses as one and names no ray.io/ key). Returns the labels
 * as a canonical JSON object, or NULL for none. Refuses, as Ray: a pair
 * without exactly one '=', a key whose optional DNS-subdomain prefix (before
 * the last '/') or name (at most 63 characters, alphanumeric at both ends,
 * - _ . between) is malformed, a non-empty value of that same form, and a
 * key in Ray's own ray.io/ namespace. */
static char *labels_option(const char *given)
{
    struct sbuf b = {NULL, 0, 0};
    char err[200], *frag, *copy, **keys = NULL, **values = NULL, *p;
    size_t n = 0, len, i, j;
    struct jv v;

    if (json_parse(given, strlen(given), &v, err, sizeof err) == 0) {
        int ok = v.t == J_OBJ;
        for (i = 0; ok && i < v.n; i++)
            ok = v.kids[i].t == J_STR && strncmp(v.keys[i].s, "ray.io/", 7) != 0;
        jv_free(&v);
        if (ok && object_fragment(given, 0, &frag, err, sizeof err) == 0) {
            sbuf_printf(&b, "{%s}", frag);
            free(frag);
            return b.data;
        }
    }
    len = strlen(given);
    copy = xstrdup(given);
    if (len > 1 && copy[0] == '"' && copy[len - 1] == '"') { /* Ray drops such quotes */
        memmove(copy, copy + 1, len - 2);
        copy[len - 2] = '\0';
    }
    if (*copy == '\0') {
        free(copy);
        return NULL;
    }
    for (p = copy;;) { /* Python's split(","): empty pieces too */
        char *comma = strchr(p, ','), *eq, *key, *value;
        size_t plen = comma ? (size_t)(comma - p) : strlen(p);
        eq = memchr(p, '=', plen);
        if (eq == NULL || memchr(eq + 1, '=', plen - (size_t)(eq + 1 - p)) != NULL)
            labels_refused(given, "Label string is not a key-value pair.");
        key = py_strip(p, (size_t)(eq - p));
        value = py_strip(eq + 1, plen - (size_t)(eq + 1 - p));
        for (j = 0; j < n && strcmp(keys[j], key) != 0; j++) {
        }
        if (j < n) { /* a dict: the later value, the first place */
            free(values[j]);
            values[j] = value;
            free(key);
        } else {
            keys = xrealloc(keys, (n + 1) * sizeof *keys);
            values = xrealloc(values, (n + 1) * sizeof *values);
            keys[n] = key;
            values[n++] = value;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    for (i = 0; i < n; i++) {
        char *why = label_problem(keys[i], values[i]);
        if (why != NULL)
            labels_refused(given, why);
    }
    for (i = 0; i < n; i++)
        if (strncmp(keys[i], "ray.io/", 7) == 0) {
            struct sbuf why = {NULL, 0, 0};
            sbuf_printf(&why, "Custom label keys `%s` cannot start with the prefix `ray.io/`. "
                              "This is reserved for Ray defined labels.",
                        keys[i]);
            labels_refused(given, why.data);
        }
    sbuf_adds(&b, "{");
    for (i = 0; i < n; i++) {
        if (i > 0)
            sbuf_adds(&b, ", ");
        json_strz(&b, keys[i]);
        sbuf_adds(&b, ": ");
        json_strz(&b, values[i]);
        free(keys[i]);
        free(values[i]);
    }
    sbuf_adds(&b, "}");
    free(keys);
    free(values);
    free(copy);
    return b.data;
}

/* ---- ResourceIsolationConfig and RayParams._check_usage ---- */

/* Without --enable-resource-isolation, Ray's ResourceIsolationConfig
 * refuses its three settings (a set --cgroup-path, a non-zero reserve). */
static void check_resource_isolation(const struct command *cmd)
{
    static const char tail[] =
        " cannot be set when resource isolation is not enabled. Set "
        "enable_resource_isolation to True if you're using ray.init or use the "
        "--enable-resource-isolation flag if you're using the ray cli.";
    const char *cg = opt(cmd, "--cgroup-path"), *cpu = opt(cmd, "--system-reserved-cpu");
    double reserved_cpu = 0;
    const char *where = "ResourceIsolationConfig.__init__";

    if (opt(cmd, "--enable-resource-isolation") != NULL)
        return; /* the stand-in has no cgroups: the values are not checked further */
    if (cg != NULL && *cg != '\0')
        python_raise(where, "ValueError", "cgroup_path%s", tail);
    if (cpu != NULL && parse_py_float(cpu, &reserved_cpu) == 0 && reserved_cpu != 0)
        python_raise(where, "ValueError", "system_reserved_cpu%s", tail);
    if (opt_ll(cmd, "--system-reserved-memory", 0) != 0)
        python_raise(where, "ValueError", "system_reserved_memory%s", tail);
}

/* RayParams._check_usage: worker ports, the client server and runtime env
 * agent ports, --temp-dir. A ValueError, so a traceback and exit 1. */
static void check_usage(const struct command *cmd)
{
    const char *where = "RayParams._check_usage";
    const char *list = opt(cmd, "--worker-port-list"), *temp = opt(cmd, "--temp-dir");
    long long min = opt_ll(cmd, "--min-worker-port", DEFAULT_MIN_WORKER_PORT);
    long long max = opt_ll(cmd, "--max-worker-port", DEFAULT_MAX_WORKER_PORT);
    long long client = opt_ll(cmd, "--ray-client-server-port", DEFAULT_CLIENT_SERVER_PORT);

    if (list != NULL) {
        const char *p = list;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *piece = xmalloc(len + 1);
            long long port;
            memcpy(piece, p, len);
            piece[len] = '\0';
            if (parse_py_int(piece, &port) != 0) {
                struct sbuf r = {NULL, 0, 0};
                py_repr(&r, piece);
                python_raise(where, "ValueError",
                             "worker_port_list must be a comma-separated list of integers: "
                             "invalid literal for int() with base 10: %s",
                             r.data);
            }
            if (port < 1024 || port > 65535)
                python_raise(where, "ValueError",
                             "Ports in worker_port_list must be between 1024 and 65535. Got: %lld",
                             port);
            free(piece);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    if (min != 0 && (min < 1024 || min > 65535))
        python_raise(where, "ValueError",
                     "min_worker_port must be 0 or an integer between 1024 and 65535.");
    if (max != 0) {
        if (max < 1024 || max > 65535)
            python_raise(where, "ValueError",
                         "max_worker_port must be 0 or an integer between 1024 and 65535.");
        if (max <= min)
            python_raise(where, "ValueError",
                         "max_worker_port must be higher than min_worker_port.");
    }
    if (client < 1024 || client > 65535)
        python_raise(where, "ValueError",
                     "ray_client_server_port must be an integer between 1024 and 65535.");
    if (opt(cmd, "--runtime-env-agent-port") != NULL) {
        long long rt = opt_ll(cmd, "--runtime-env-agent-port", 0);
        if (rt < 1024 || rt > 65535)
            python_raise(where, "ValueError",
                         "runtime_env_agent_port must be an integer between 1024 and 65535.");
    }
    if (temp != NULL && temp[0] != '/')
        python_raise(where, "ValueError", "temp_dir must be absolute path or None.");
}

/* A worker: Ray's scripts.py wants --address and no head-only option. */
static void check_worker_options(const struct command *cmd)
{
    static const char *const head_only[] = {"--port", "--redis-shard-ports",
                                            "--include-dashboard"};
    size_t i;
    if (opt(cmd, "--address") == NULL)
        cli_abort(1118, "`{}` is a required flag unless starting a head node with `{}`.",
                  "`--address` is a required flag unless starting a head node with `--head`.");
    for (i = 0; i < COUNT(head_only); i++)
        if (opt(cmd, head_only[i]) != NULL) {
            struct sbuf m = {NULL, 0, 0};
            sbuf_printf(&m, "`%s` should only be specified when starting head node with "
                            "`--head`.",
                        head_only[i]);
            cli_abort(1131, "`{}` should only be specified when starting head node with `{}`.",
                      m.data);
        }
}

/* ---- RayParams.update_pre_selected_port ---- */

struct component {
    const char *name;
    long long *ports; /* 0 or unset ("random") gives none */
    size_t n, cap;
    char **words;     /* redis_shards: Ray keeps the split strings */
};

static void component_add(struct component *c, long long port)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4;
        c->ports = xrealloc(c->ports, c->cap * sizeof *c->ports);
    }
    c->ports[c->n++] = port;
}

/* A port option: 0 or unset is random, so nothing. */
static void component_option(struct component *c, const struct command *cmd, const char *name,
                             long long dflt)
{
    long long v = opt_ll(cmd, name, dflt);
    if (v != 0)
        component_add(c, v);
}

/* Python's repr of Ray's _format_ports(...): the components in order,
 * "random" for none, the port for one, "N ports [...]" or "N ports from A
 * to B" (50 or more) for worker ports. */
static void format_ports(struct sbuf *b, const struct component *cs, size_t ncs)
{
    size_t i, j;
    sbuf_adds(b, "{");
    for (i = 0; i < ncs; i++) {
        const struct component *c = &cs[i];
        size_t n = c->n;
        sbuf_printf(b, "%s'%s': ", i ? ", " : "", c->name);
        if (n == 0) {
            sbuf_adds(b, "'random'");
        } else if (c->words != NULL) { /* strings: one, or a list of them */
            if (n > 1)
                sbuf_adds(b, "[");
            for (j = 0; j < n; j++) {
                if (j > 0)
                    sbuf_adds(b, ", ");
                py_repr(b, c->words[j]);
            }
            if (n > 1)
                sbuf_adds(b, "]");
        } else if (n == 1) {
            sbuf_printf(b, "%lld", c->ports[0]);
        } else if (n < 50) {
            sbuf_printf(b, "'%zu ports [", n);
            for (j = 0; j < n; j++)
                sbuf_printf(b, "%s%lld", j ? ", " : "", c->ports[j]);
            sbuf_adds(b, "]'");
        } else {
            sbuf_printf(b, "'%zu ports from %lld to %lld'", n, c->ports[0], c->ports[n - 1]);
        }
    }
    sbuf_adds(b, "}");
}

/* Every pre-selected port of this node is reserved once, in Ray's order of
 * components; a port met again fails `ray start` with Ray's ValueError
 * naming the component that met it second. gcs_port: the head's GCS port
 * (Ray's gcs_server), -1 on a worker. */
static void check_ports(const struct command *cmd, long gcs_port)
{
    enum { GCS, OM, NM, GCS_SERVER, CLIENT, DASH, AGENT_GRPC, AGENT_HTTP, RUNTIME_ENV,
           METRICS, REDIS, WORKERS, NCOMP };
    static const char *const names[NCOMP] = {
        "gcs", "object_manager", "node_manager", "gcs_server", "client_server", "dashboard",
        "dashboard_agent_grpc", "dashboard_agent_http", "runtime_env_agent", "metrics_export",
        "redis_shards", "worker_ports"};
    struct component cs[NCOMP];
    unsigned char *taken = calloc(65536, 1); /* 0..65535; other numbers in `odd` */
    long long *odd = NULL;
    size_t nodd = 0, i, j, k;
    const char *list = opt(cmd, "--worker-port-list"), *shards = opt(cmd, "--redis-shard-ports");
    char **words = NULL;
    size_t nwords = 0;

    if (taken == NULL)
        abort();
    memset(cs, 0, sizeof cs);
    for (i = 0; i < NCOMP; i++)
        cs[i].name = names[i];
    /* gcs (Ray's redis_port) stays unset: the head's port is gcs_server */
    component_option(&cs[OM], cmd, "--object-manager-port", 0);
    component_option(&cs[NM], cmd, "--node-manager-port", 0);
    if (gcs_port > 0)
        component_add(&cs[GCS_SERVER], gcs_port);
    component_option(&cs[CLIENT], cmd, "--ray-client-server-port", DEFAULT_CLIENT_SERVER_PORT);
    component_option(&cs[DASH], cmd, "--dashboard-port", DEFAULT_DASHBOARD_PORT);
    component_option(&cs[AGENT_GRPC], cmd, "--dashboard-agent-grpc-port", 0);
    component_option(&cs[AGENT_HTTP], cmd, "--dashboard-agent-listen-port", DEFAULT_AGENT_PORT);
    component_option(&cs[RUNTIME_ENV], cmd, "--runtime-env-agent-port", 0);
    component_option(&cs[METRICS], cmd, "--metrics-export-port", 0);
    if (gcs_port >= 0 && shards != NULL) {
        /* Ray's head splits them and keeps strings: they never equal a
         * number, only each other */
        const char *p = shards;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            words = xrealloc(words, (nwords + 1) * sizeof *words);
            words[nwords] = xmalloc(len + 1);
            memcpy(words[nwords], p, len);
            words[nwords++][len] = '\0';
            if (comma == NULL)
                break;
            p = comma + 1;
        }
        cs[REDIS].words = words;
        cs[REDIS].n = nwords;
    }
    if (list != NULL) {
        const char *p = list;
        for (;;) { /* each piece an integer: check_usage saw to it */
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char piece[64];
            long long port = 0;
            snprintf(piece, sizeof piece, "%.*s", (int)(len < 63 ? len : 63), p);
            parse_py_int(piece, &port);
            component_add(&cs[WORKERS], port);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    } else {
        long long min = opt_ll(cmd, "--min-worker-port", DEFAULT_MIN_WORKER_PORT);
        long long max = opt_ll(cmd, "--max-worker-port", DEFAULT_MAX_WORKER_PORT);
        long long port;
        for (port = min; port <= max; port++) /* Ray's range(min, max + 1) */
            component_add(&cs[WORKERS], port);
    }

    for (i = 0; i < NCOMP; i++) {
        for (j = 0; j < cs[i].n; j++) {
            int seen = 0;
            if (cs[i].words != NULL) {
                for (k = 0; k < j; k++)
                    seen |= strcmp(cs[i].words[k], cs[i].words[j]) == 0;
            } else {
                long long port = cs[i].ports[j];
                if (port >= 0 && port <= 65535) {
                    seen = taken[port];
                    taken[port] = 1;
                } else {
                    for (k = 0; k < nodd; k++)
                        seen |= odd[k] == port;
                    odd = xrealloc(odd, (nodd + 1) * sizeof *odd);
                    odd[nodd++] = port;
                }
            }
            if (seen) {
                struct sbuf info = {NULL, 0, 0};
                format_ports(&info, cs, NCOMP);
                if (cs[i].words != NULL)
                    python_raise("Node.__init__ (RayParams.update_pre_selected_port)",
                                 "ValueError",
                                 "Ray component %s is trying to use a port number %s that is "
                                 "used by other components.\nPort information: %s\nIf you "
                                 "allocate ports, please make sure the same port is not used "
                                 "by multiple components.",
                                 cs[i].name, cs[i].words[j], info.data);
                python_raise("Node.__init__ (RayParams.update_pre_selected_port)", "ValueError",
                             "Ray component %s is trying to use a port number %lld that is "
                             "used by other components.\nPort information: %s\nIf you "
                             "allocate ports, please make sure the same port is not used by "
                             "multiple components.",
                             cs[i].name, cs[i].ports[j], info.data);
            }
        }
    }
    for (i = 0; i < NCOMP; i++)
        free(cs[i].ports);
    for (i = 0; i < nwords; i++)
        free(words[i]);
    free(words);
    free(odd);
    free(taken);
}

/* ---- the raylet's resources: GPUs, the object store ---- */

/* --num-gpus beyond the devices CUDA_VISIBLE_DEVICES names (when it is
 * set): Ray's ValueError. */
static void check_gpus(const struct command *cmd)
{
    const char *env = getenv("CUDA_VISIBLE_DEVICES");
    struct sbuf ids = {NULL, 0, 0};
    long long want;
    size_t n = 0;

    if (opt(cmd, "--num-gpus") == NULL || env == NULL)
        return;
    want = opt_ll(cmd, "--num-gpus", 0);
    sbuf_adds(&ids, "[");
    if (*env != '\0' && strcmp(env, "NoDevFiles") != 0) {
        const char *p = env;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *id = xmalloc(len + 1);
            memcpy(id, p, len);
            id[len] = '\0';
            if (n++ > 0)
                sbuf_adds(&ids, ", ");
            py_repr(&ids, id);
            free(id);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    sbuf_adds(&ids, "]");
    if (want > (long long)n)
        python_raise("ResourceAndLabelSpec.resolve", "ValueError",
                     "Attempting to start raylet with %lld GPU, but CUDA_VISIBLE_DEVICES "
                     "contains %s.",
                     want, ids.data);
    free(ids.data);
}

/* Bytes free in /dev/shm, as Ray's get_shared_memory_bytes (statvfs's
 * f_bsize * f_bavail); -1 when there is none. */
static double shm_bytes(void)
{
    struct statvfs st;
    if (statvfs("/dev/shm", &st) != 0)
        return -1;
    return (double)st.f_bsize * (double)st.f_bavail;
}

/* Ray's default object store: 30% of the available memory, at most 200 GB
 * and (on Linux) at most max(10 GB, 95% of /dev/shm). */
static double default_object_store(double avail)
{
    double osm = (double)(long long)(avail * 0.3), cap = OBJECT_STORE_MAX_DEFAULT;
    double shm = shm_bytes();
    if (shm >= 0) {
        double shm_cap = shm * 0.95 > REQUIRE_SHM_SIZE_THRESHOLD ? shm * 0.95
                                                                 : REQUIRE_SHM_SIZE_THRESHOLD;
        if (shm_cap < cap)
            cap = shm_cap;
    }
    return osm > cap ? (double)(long long)cap : osm;
}

/* Ray's determine_plasma_store_config: an object store /dev/shm cannot
 * hold goes to the temp dir with a warning, but one over 10 GB fails
 * (unless RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE is set, to anything). */
static void check_object_store(double osm)
{
    double shm = shm_bytes();
    const char *slow = getenv("RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE");
    const char *tmp = getenv("RAY_TMPDIR") ? getenv("RAY_TMPDIR")
                      : getenv("TMPDIR")   ? getenv("TMPDIR")
                                           : "/tmp";
    struct sbuf m = {NULL, 0, 0};

    if (shm < 0 || shm >= osm)
        return;
    if ((slow == NULL || *slow == '\0') && osm > REQUIRE_SHM_SIZE_THRESHOLD) {
        struct sbuf a = {NULL, 0, 0}, b = {NULL, 0, 0};
        py_float(&a, osm / 1e9);
        py_float(&b, shm / 1e9);
        python_raise("services.determine_plasma_store_config", "ValueError",
                     "The configured object store size (%s GB) exceeds /dev/shm size (%s GB). "
                     "This will harm performance. Consider deleting files in /dev/shm or "
                     "increasing its size with --shm-size in Docker. To ignore this warning, "
                     "set RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE=1.",
                     a.data, b.data);
    }
    sbuf_printf(&m, "WARNING: The object store is using %s instead of /dev/shm because "
                    "/dev/shm has only %.0f bytes available. This will harm performance! You "
                    "may be able to free up space by deleting files in /dev/shm. If you are "
                    "inside a Docker container, you can increase /dev/shm size by passing "
                    "'--shm-size=%.2fgb' to 'docker run' (or add it to the run_options list in "
                    "a Ray cluster config). Make sure to set this to more than 30%% of "
                    "available RAM.",
                tmp, shm, osm * 1.1 / 1073741824.0);
    fflush(stdout);
    log_record(stderr, "WARNING", "services.py", 2175, m.data); /* Python's logging */
    free(m.data);
}

/* ------------------------------------------------------------------ */
/* ray start: what a node has (both kinds)                             */
/* ------------------------------------------------------------------ */

struct node_spec {
    long cpus, gpus;
    double memory, object_store_memory;
    char *resources_json; /* the custom resources, canonical JSON, or NULL */
    char *labels_json;    /* user labels, canonical JSON, or NULL */
};

/* Bytes this container may still use, as Ray's estimate_available_memory:
 * MemAvailable, capped by a cgroup limit. */
static double available_memory(void)
{
    char line[256];
    double avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            long long kb;
            if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
                avail = (double)kb * 1024;
        }
        fclose(f);
    }
    {
        char limit[64] = "", usage[64] = "";
        long long lim, use;
        if ((read_small_file("/sys/fs/cgroup/memory.max", limit, sizeof limit) == 0 &&
             read_small_file("/sys/fs/cgroup/memory.current", usage, sizeof usage) == 0) ||
            (read_small_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", limit,
                             sizeof limit) == 0 &&
             read_small_file("/sys/fs/cgroup/memory/memory.usage_in_bytes", usage,
                             sizeof usage) == 0)) {
            if (sscanf(limit, "%lld", &lim) == 1 && sscanf(usage, "%lld", &use) == 1 &&
                lim < (1LL << 60) && lim > use && (avail == 0 || (double)(lim - use) < avail))
                avail = (double)(lim - use);
        }
    }
    return avail;
}

static void read_node_spec(const struct command *cmd, struct node_spec *s)
{
    const char *res = opt(cmd, "--resources");
    long mem = -1, osm = -1;
    double avail;

    memset(s, 0, sizeof *s);
    s->cpus = opt_count(cmd, "--num-cpus", sysconf(_SC_NPROCESSORS_ONLN));
    s->gpus = opt_count(cmd, "--num-gpus", 0);
    if (res != NULL) {
        char err[200], *frag;
        if (object_fragment(res, 1, &frag, err, sizeof err) != 0)
            fail(1, "--resources must be a JSON object such as "
                    "'{\"accel\": 1}', got '%s'.", res);
        if (strstr(frag, "\"CPU\":") || strstr(frag, "\"GPU\":"))
            fail(1, "Use the --num-cpus and --num-gpus arguments instead of "
                    "--resources for CPU and GPU.");
        s->resources_json = xmalloc(strlen(frag) + 3);
        sprintf(s->resources_json, "{%s}", frag);
        free(frag);
    }
    if (opt(cmd, "--labels") != NULL)
        s->labels_json = labels_option(opt(cmd, "--labels"));
    mem = opt_count(cmd, "--memory", -1);
    osm = opt_count(cmd, "--object-store-memory", -1);
    /* Ray's defaults: 30% of the available memory for the object store
     * (capped: default_object_store), the rest for tasks. */
    avail = (mem < 0 || osm < 0) ? available_memory() : 0;
    s->object_store_memory = osm >= 0 ? (double)osm : default_object_store(avail);
    if (mem >= 0)
        s->memory = (double)mem;
    else if (avail > s->object_store_memory)
        s->memory = (double)(long long)(avail - s->object_store_memory);
}

/* ------------------------------------------------------------------ */
/* ray start: the head                                                 */
/* ------------------------------------------------------------------ */

static int start_head(const struct command *cmd, const struct node_spec *spec, int block)
{
    char node_id[NODE_ID_LEN + 1], text[32], gcs[128];
    long port = DEFAULT_PORT, dport = DEFAULT_DASHBOARD_PORT, nm, om;
    const char *given_ip = opt(cmd, "--node-ip-address");
    const char *dhost = opt(cmd, "--dashboard-host");
    const char *dash = opt(cmd, "--include-dashboard");
    int lfd, hfd = -1, want_dashboard = dash == NULL || strcmp(dash, "true") == 0, head_nm;

    if (opt(cmd, "--address") != NULL)
        fail(1, "--address cannot be used with --head (the ray stand-in has "
                "no external GCS); use --port to choose the head's port.");
    if (opt(cmd, "--port") != NULL &&
        (parse_long(opt(cmd, "--port"), &port) != 0 || port < 0 || port > 65535))
        fail(1, "--port must be between 0 and 65535, got '%s'.", opt(cmd, "--port"));
    if (opt(cmd, "--dashboard-port") != NULL &&
        (parse_long(opt(cmd, "--dashboard-port"), &dport) != 0 || dport < 1 || dport > 65535))
        fail(1, "--dashboard-port must be between 1 and 65535, got '%s'.",
             opt(cmd, "--dashboard-port"));
    g_agent_port = opt_count(cmd, "--dashboard-agent-listen-port", DEFAULT_AGENT_PORT);
    nm = port_option(cmd, "--node-manager-port");
    om = port_option(cmd, "--object-manager-port");
    if (dhost == NULL || *dhost == '\0')
        dhost = "127.0.0.1"; /* Ray's default: the dashboard only on localhost */
    g_head_token = head_required_token();
    g_gcs_port = port;
    g_job_start_ms = env_ms("RAY_STANDIN_JOB_START_MS", DEFAULT_JOB_START_MS);
    g_health_timeout_ms = env_ms("RAY_STANDIN_HEALTH_TIMEOUT_MS", DEFAULT_HEALTH_TIMEOUT_MS);
    g_health_period_ms = env_ms("RAY_STANDIN_HEALTH_PERIOD_MS", DEFAULT_HEALTH_PERIOD_MS);
    serve_init();
    print_standin_note();

    if (given_ip != NULL)
        snprintf(g_head_ip, sizeof g_head_ip, "%s", given_ip);
    else
        detect_node_ip(g_head_ip, sizeof g_head_ip);
    printf("Local node IP: %s\n", g_head_ip); /* Ray prints it before its Node starts */

    /* Ray's Node: the pre-selected ports, then the raylet's GPUs and
     * object store (the stand-in checks them before it makes anything). */
    check_ports(cmd, port);
    check_gpus(cmd);
    check_object_store(spec->object_store_memory);

    raise_fd_limit();
    lfd = listen_on(NULL, (int)port);
    if (lfd < 0)
        fail(1, "cannot listen on port %ld: %s", port, strerror(errno));
    if (port == 0) { /* Ray's --port=0: a port the system picks */
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(lfd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        g_gcs_port = port;
    }
    snprintf(gcs, sizeof gcs, "%s:%ld", g_head_ip, port);
    new_session_name();
    create_session(gcs);
    head_nm = bind_node_ports(nm, om); /* the head's raylet, after its GCS */
    if (block && want_dashboard) {
        hfd = listen_on(dhost, (int)dport);
        if (hfd < 0)
            fprintf(stderr, "Failed to start the dashboard: cannot listen on %s:%ld: %s. "
                            "The cluster runs without it.\n",
                    dhost, dport, strerror(errno));
    }
    if (want_dashboard && (!block || hfd >= 0)) {
        int any = strcmp(dhost, "0.0.0.0") == 0 || strcmp(dhost, "::") == 0;
        snprintf(g_webui, sizeof g_webui, strchr(any ? g_head_ip : dhost, ':') ? "[%s]:%ld"
                                                                                  : "%s:%ld",
                 any ? g_head_ip : dhost, dport);
    }

    printf("\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "Next steps\n"
           "  To add another node to this Ray cluster, run\n"
           "    ray start --address='%s:%ld'\n\n"
           "  To connect to this Ray cluster:\n"
           "    import ray\n"
           "    ray.init()\n\n",
           g_head_ip, port);
    if (g_webui[0])
        printf("  To submit a Ray job using the Ray Jobs CLI:\n"
               "    RAY_ADDRESS='http://%s' ray job submit --working-dir . -- python "
               "my_script.py\n\n",
               g_webui);
    printf("  To terminate the Ray runtime, run\n"
           "    ray stop\n\n"
           "  To view the status of the cluster, use\n"
           "    ray status\n");
    if (g_webui[0])
        printf("\n  To monitor and debug Ray, view the dashboard at\n"
               "    %s\n",
               g_webui);
    if (!block) {
        /* Nothing stays running, so no state files are written. */
        close(lfd);
        close_node_ports();
        return 0;
    }

    make_node_id(node_id);
    {
        char host[256] = "";
        struct node *me;
        char err[200], *frag;
        gethostname(host, sizeof host - 1);
        me = add_node(node_id, spec->cpus, spec->gpus, host, -1);
        me->is_head = 1;
        snprintf(me->ip, sizeof me->ip, "%s", g_head_ip); /* its advertised address */
        me->nm_port = head_nm; /* the head does not health-check itself */
        free(me->name);
        me->name = xstrdup(opt(cmd, "--node-name") && *opt(cmd, "--node-name")
                               ? opt(cmd, "--node-name") : g_head_ip);
        me->memory = spec->memory;
        me->object_store_memory = spec->object_store_memory;
        if (spec->resources_json &&
            object_fragment(spec->resources_json, 1, &frag, err, sizeof err) == 0) {
            free(me->resources);
            me->resources = frag;
        }
        if (spec->labels_json &&
            object_fragment(spec->labels_json, 0, &frag, err, sizeof err) == 0) {
            free(me->labels);
            me->labels = frag;
        }
    }
    write_pid_file();
    snprintf(text, sizeof text, "%ld\n", port);
    if (write_small_file(PORT_FILE, text) == 0)
        g_wrote_port_file = 1;
    else
        fprintf(stderr, "warning: cannot write %s: %s\n", PORT_FILE, strerror(errno));
    print_block_banner();
    serve(lfd, hfd);
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

/* Reads the head's one-line reply on fd (as read_reply), answering the
 * head's health checks on the node's own ports meanwhile: the head
 * checks a JOIN before it replies. NULL on a timeout. */
static char *read_reply_serving(int fd, int timeout_ms)
{
    struct sbuf b = {NULL, 0, 0};
    int64_t deadline = now_ms() + timeout_ms;

    sbuf_add(&b, "", 0);
    for (;;) {
        struct pollfd pfds[3] = {{fd, POLLIN, 0},
                                 {g_node_lfds[0], POLLIN, 0},
                                 {g_node_lfds[1], POLLIN, 0}};
        int left = (int)(deadline - now_ms()), i;
        int ready = left > 0 ? poll(pfds, 3, left) : 0;
        char ch;
        ssize_t n;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            free(b.data);
            return NULL;
        }
        for (i = 1; i < 3; i++)
            if (pfds[i].revents & POLLIN)
                answer_health(pfds[i].fd);
        if (!(pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, &ch, 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sbuf_add(&b, &ch, 1);
        if (ch == '\n')
            break;
    }
    return b.data;
}

static void auth_failed(void)
{
    fail(1, "authentication failed: the token does not match the head's "
            "(set RAY_AUTH_TOKEN to the cluster's token).");
}

/* Sends the JOIN line on fd and returns the head's one-line answer ("" when
 * the connection ended, NULL when none came in time), answering health
 * checks meanwhile: the head checks a JOIN before it answers, within
 * RAY_STANDIN_HEALTH_TIMEOUT_MS (the head's; the same variable here). */
static char *send_join(int fd, const struct sbuf *line)
{
    long check_ms = env_ms("RAY_STANDIN_HEALTH_TIMEOUT_MS", DEFAULT_HEALTH_TIMEOUT_MS);
    if (write_all(fd, line->data, line->len) != 0)
        return xstrdup("");
    return read_reply_serving(fd, REPLY_TIMEOUT_MS + (int)(check_ms < 600000 ? check_ms
                                                                              : 600000));
}

/* Ray's raylet, told by the GCS that it was marked dead: it exits. */
static void marked_dead(void)
{
    g_leave_fd = -1;
    fprintf(stderr, "[Timeout] Exiting because this node manager has mistakenly been "
                    "marked as dead by the GCS: GCS failed to check the health of this "
                    "node for %d times. This is likely because the machine or raylet "
                    "has become overloaded.\n",
            HEALTH_FAILURE_THRESHOLD);
    exit(1);
}

/* The raylet gave up on its GCS after the reconnect window: Ray's raylet
 * line (in Ray it goes to logs/raylet.out; the stand-in writes it there and
 * to stderr), then what `ray start --block` prints when its raylet dies. */
static void gcs_gone(long window_s)
{
    struct sbuf m = {NULL, 0, 0};
    char path[PATH_MAX];
    FILE *f;
    sbuf_printf(&m, "Failed to connect to GCS within %ld seconds. GCS may have been killed. "
                    "It's either GCS is terminated by `ray stop` or is killed unexpectedly. "
                    "If it is killed unexpectedly, see the log file gcs_server.out. "
                    "https://docs.ray.io/en/master/ray-observability/user-guides/"
                    "configure-logging.html#logging-directory-structure. The program will "
                    "terminate.",
                window_s);
    snprintf(path, sizeof path, "%s/logs/raylet.out", g_session_dir);
    if ((f = fopen(path, "a")) != NULL) {
        fprintf(f, "%s\n", m.data);
        fclose(f);
    }
    fprintf(stderr, "%s\n", m.data);
    cli_line("ERR", 1254, "Some Ray subprocesses exited unexpectedly:");
    cli_line("ERR", 1258, g_log_pretty ? "  raylet [exit code=1]" : "raylet [exit code=1]");
    cli_line("ERR", 1263, "Remaining processes will be killed.");
    exit(1);
}

static int start_worker(const struct command *cmd, const struct node_spec *spec, int block)
{
    const char *address = opt(cmd, "--address");
    const char *token = client_token();
    char host[256], port[8], node_id[NODE_ID_LEN + 1], hostname[256] = "";
    char ip[64] = "127.0.0.1", me[80];
    struct sbuf line = {NULL, 0, 0}, join = {NULL, 0, 0};
    char *reply;
    int fd, nm_port;
    long nm, om, window_s;
    int64_t lost_at = 0, next_try = 0;

    /* --address and the head-only options: check_worker_options */
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "--address must look like HOST:PORT, got '%s'.", address);
    nm = port_option(cmd, "--node-manager-port");
    om = port_option(cmd, "--object-manager-port");

    print_standin_note();
    gethostname(hostname, sizeof hostname - 1);
    if (hostname[0] == '\0' || strpbrk(hostname, " \t\r\n") != NULL)
        snprintf(hostname, sizeof hostname, "unknown");
    make_node_id(node_id);

    if (block)
        write_pid_file(); /* early, so that `ray stop` works while waiting */

    /* As Ray's raylet: the session name comes from the head, then the
     * session folders, then the node registers. */
    fd = connect_with_retry(host, port);
    sbuf_printf(&line, "SESSION%s%s\n", token ? " " : "", token ? token : "");
    if (write_all(fd, line.data, line.len) != 0)
        fail(1, "lost the connection to the head node at %s:%s while joining.", host, port);
    free(line.data);
    reply = read_reply(fd, 1, REPLY_TIMEOUT_MS);
    close(fd);
    if (reply != NULL && strncmp(reply, "ERR unauthenticated", 19) == 0)
        auth_failed();
    if (reply == NULL || strncmp(reply, "SESSION session_", 16) != 0 ||
        strlen(reply) >= sizeof g_session_name + 8)
        fail(1, "the head node at %s:%s did not tell its session name.", host, port);
    reply[strcspn(reply, "\n")] = '\0';
    snprintf(g_session_name, sizeof g_session_name, "%s", reply + 8);
    free(reply);

    /* Ray's Node: the pre-selected ports, then the raylet's GPUs and object
     * store (the stand-in checks them before it makes its folders). */
    check_ports(cmd, -1);
    check_gpus(cmd);
    check_object_store(spec->object_store_memory);
    create_session(NULL);

    /* The raylet starts (its ports bound, a port in use ends it here),
     * then registers. */
    nm_port = bind_node_ports(nm, om);
    fd = connect_with_retry(host, port);
    if (opt(cmd, "--node-ip-address") != NULL) {
        snprintf(ip, sizeof ip, "%s", opt(cmd, "--node-ip-address"));
    } else {
        struct sockaddr_storage mine;
        socklen_t len = sizeof mine;
        if (getsockname(fd, (struct sockaddr *)&mine, &len) == 0)
            getnameinfo((struct sockaddr *)&mine, len, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST);
    }
    sbuf_printf(&join, "JOIN %s %ld %ld %s ip=", node_id, spec->cpus, spec->gpus, hostname);
    pct_encode(&join, ip);
    sbuf_adds(&join, " name=");
    pct_encode(&join, opt(cmd, "--node-name") && *opt(cmd, "--node-name")
                          ? opt(cmd, "--node-name") : ip);
    sbuf_printf(&join, " mem=%.0f osm=%.0f nm=%d om=%d", spec->memory,
                spec->object_store_memory, nm_port, g_node_ports[1]);
    if (spec->resources_json) {
        sbuf_adds(&join, " res=");
        pct_encode(&join, spec->resources_json);
    }
    if (spec->labels_json) {
        sbuf_adds(&join, " labels=");
        pct_encode(&join, spec->labels_json);
    }
    if (token != NULL)
        sbuf_printf(&join, " %s", token);
    sbuf_printf(&join, "\n");
    if (join.len > MAX_LINE - 1)
        fail(1, "the JOIN line is longer than %d bytes (too many --resources or --labels).",
             MAX_LINE - 1);

    reply = send_join(fd, &join);
    if (reply == NULL || reply[0] == '\0')
        fail(1, "the head node at %s:%s did not accept this node.", host, port);
    if (strncmp(reply, "ERR unauthenticated", 19) == 0)
        auth_failed();
    if (strncmp(reply, "ERR dead", 8) == 0)
        marked_dead();
    host_port(me, sizeof me, ip, nm_port);
    if (strncmp(reply, "ERR unreachable ", 16) == 0) {
        reply[strcspn(reply, "\n")] = '\0';
        fail(1, "The head node at %s:%s could not reach this node at %s (node manager): %s; "
                "check --node-ip-address and that the port is reachable from the head.",
             host, port, me, reply + 16);
    }
    if (strcmp(reply, "OK\n") != 0) {
        reply[strcspn(reply, "\n")] = '\0';
        fail(1, "the head node at %s:%s refused this node: %s", host, port, reply);
    }
    free(reply);

    printf("Local node IP: %s\n\n"
           "--------------------\n"
           "Ray runtime started.\n"
           "--------------------\n\n"
           "To terminate the Ray runtime, run\n"
           "  ray stop\n",
           ip);
    if (!block) {
        write_all(fd, "DETACH\n", 7);
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
    g_leave_fd = fd; /* from now on SIGTERM says LEAVE first */

    /* Stay connected, answering the head's health checks on the node's
     * own ports. The head sends nothing more on fd, so readable there
     * means the connection ended (or the head sent an error). As Ray's
     * raylet, a worker that loses its head keeps running and tries to
     * reach it again for RAY_gcs_rpc_server_reconnect_timeout_s seconds
     * (its environment's, default 60): a head back on the same address in
     * that time takes it again (same node id, same JOIN); then it exits. */
    window_s = env_ms("RAY_gcs_rpc_server_reconnect_timeout_s", DEFAULT_RECONNECT_S);
    for (;;) {
        struct pollfd pfds[3] = {{fd, POLLIN, 0},
                                 {g_node_lfds[0], POLLIN, 0},
                                 {g_node_lfds[1], POLLIN, 0}};
        char buf[256];
        ssize_t n;
        int i, timeout = -1;

        if (fd < 0) {
            int64_t now = now_ms(), give_up = lost_at + (int64_t)window_s * 1000;
            if (now >= give_up)
                gcs_gone(window_s);
            if (now >= next_try) {
                char err[512];
                int64_t left = give_up - now;
                g_connect_timeout_ms = left < CONNECT_TIMEOUT_MS ? (int)left : CONNECT_TIMEOUT_MS;
                fd = connect_once(host, port, err, sizeof err);
                next_try = now_ms() + RETRY_INTERVAL_MS;
                if (fd < 0)
                    continue;
                reply = send_join(fd, &join);
                if (reply != NULL && strcmp(reply, "OK\n") == 0) {
                    free(reply);
                    fprintf(stderr, "Reconnected to the head node at %s:%s; this node is "
                                    "ALIVE again.\n",
                            host, port);
                    g_leave_fd = fd;
                    continue;
                }
                close(fd);
                fd = -1;
                if (reply != NULL && strncmp(reply, "ERR unauthenticated", 19) == 0)
                    auth_failed();
                if (reply != NULL && strncmp(reply, "ERR dead", 8) == 0)
                    marked_dead();
                if (reply != NULL && strncmp(reply, "ERR unreachable ", 16) == 0) {
                    reply[strcspn(reply, "\n")] = '\0';
                    fail(1, "The head node at %s:%s could not reach this node at %s (node "
                            "manager): %s; check --node-ip-address and that the port is "
                            "reachable from the head.",
                         host, port, me, reply + 16);
                }
                free(reply); /* no answer, or the head went away again: retry */
                continue;
            }
            timeout = (int)((next_try < give_up ? next_try : give_up) - now);
        }
        if (poll(pfds, 3, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            exit(1);
        }
        for (i = 1; i < 3; i++)
            if (pfds[i].revents & POLLIN)
                answer_health(pfds[i].fd);
        if (fd < 0 || !(pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            buf[n] = '\0';
            if (strncmp(buf, "ERR dead", 8) == 0)
                marked_dead(); /* the head's health checks failed */
            if (strncmp(buf, "ERR", 3) == 0)
                fprintf(stderr, "The head node said: %s", buf);
            continue;
        }
        g_leave_fd = -1;
        close(fd);
        fd = -1;
        lost_at = next_try = now_ms();
        fprintf(stderr, "Lost connection to the head node at %s:%s; trying to reconnect for "
                        "%ld s (RAY_gcs_rpc_server_reconnect_timeout_s).\n",
                host, port, window_s);
    }
}

static int cmd_start(const struct command *cmd)
{
    int block = opt(cmd, "--block") != NULL;
    struct node_spec spec;

    /* In Ray's order: the CLI logger's style, --resources and --labels,
     * ResourceIsolationConfig, RayParams, then (a worker) --address and
     * the head-only options. The rest comes as the node starts. */
    set_log_style(cmd);
    setvbuf(stdout, NULL, _IOLBF, 0);
    read_node_spec(cmd, &spec);
    check_resource_isolation(cmd);
    check_usage(cmd);
    if (opt(cmd, "--head") == NULL)
        check_worker_options(cmd);
    install_signal_handlers();
    atexit(remove_state_files);
    if (opt(cmd, "--head") != NULL)
        return start_head(cmd, &spec, block);
    return start_worker(cmd, &spec, block);
}

/* ------------------------------------------------------------------ */
/* The CLI's start-up delay: `ray status` and `ray job` are Python     */
/* programs that start an interpreter and import ray before doing      */
/* anything. The stand-in sleeps RAY_STANDIN_CLI_DELAY_MS (default      */
/* 1000) instead, so that tests and benchmarks never reward calling it.*/
/* ------------------------------------------------------------------ */

static void cli_startup_delay(void)
{
    long ms = env_ms("RAY_STANDIN_CLI_DELAY_MS", DEFAULT_CLI_DELAY_MS);
    if (ms > 0)
        sleep_ms((int)(ms > 600000 ? 600000 : ms));
}

/* Where is the head's GCS port? `given`; else a head in this container;
 * else the head a worker in this container joined; else RAY_ADDRESS (when
 * `use_env`); else `dflt` (NULL: none). Returns 0 when found. */
static int find_gcs_address(const char *given, int use_env, const char *dflt, char *out,
                            size_t cap)
{
    char saved[300];
    if (given != NULL)
        snprintf(out, cap, "%s", given);
    else if (read_small_file(PORT_FILE, saved, 16) == 0)
        snprintf(out, cap, "127.0.0.1:%.15s", saved);
    else if (read_small_file(HEAD_ADDR_FILE, saved, sizeof saved) == 0)
        snprintf(out, cap, "%s", saved);
    else if (use_env && getenv("RAY_ADDRESS") != NULL && *getenv("RAY_ADDRESS") != '\0')
        snprintf(out, cap, "%s", getenv("RAY_ADDRESS"));
    else if (dflt != NULL)
        snprintf(out, cap, "%s", dflt);
    else
        return -1;
    return 0;
}

static void no_ray_instance(void)
{
    fprintf(stderr, "ConnectionError: Could not find any running Ray instance. "
                    "Please specify the one to connect to by setting --address "
                    "flag or RAY_ADDRESS environment variable.\n");
    exit(1);
}

/* ------------------------------------------------------------------ */
/* ray status                                                          */
/* ------------------------------------------------------------------ */

static int cmd_status(const struct command *cmd)
{
    char address[300], host[256], port[8];
    const char *token = client_token();
    char err[512] = "", *reply;
    struct sbuf req = {NULL, 0, 0};
    int fd;

    find_gcs_address(opt(cmd, "--address"), 1, "127.0.0.1:6379", address, sizeof address);
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "the address must look like HOST:PORT, got '%s'.", address);

    fd = connect_once(host, port, err, sizeof err);
    if (fd < 0)
        no_ray_instance();
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
        auth_failed();
    if (strncmp(reply, "ERR", 3) == 0)
        fail(1, "the head node at %s:%s replied: %s", host, port, reply);
    fputs(reply, stdout);
    free(reply);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ray job: a client of the head's HTTP Jobs API, as Ray's             */
/* JobSubmissionClient (which the `ray job` commands use).              */
/* ------------------------------------------------------------------ */

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

/* Sends one request and reads the whole reply. Exits 1 like Ray's SDK
 * when the server cannot be reached. */
static void http_call(struct http_client *hc, const char *method, const char *path,
                      const char *body, struct http_resp *r)
{
    struct sbuf req = {NULL, 0, 0};
    const char *token = getenv("RAY_AUTH_TOKEN");
    char err[512], *reply, *hdr_end, *p;
    size_t len, i;
    int fd = connect_once(hc->host, hc->port, err, sizeof err);

    if (fd < 0) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s.\n",
                hc->base);
        exit(1);
    }
    sbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n"
                      "User-Agent: ray-standin-job-cli/" STANDIN_VERSION "\r\n"
                      "Accept: */*\r\nConnection: close\r\n",
                method, path, hc->host, hc->port);
    if (token != NULL && *token != '\0')
        sbuf_printf(&req, "Authorization: Bearer %s\r\n", token);
    for (i = 0; hc->headers.t == J_OBJ && i < hc->headers.n; i++)
        if (hc->headers.kids[i].t == J_STR)
            sbuf_printf(&req, "%s: %s\r\n", hc->headers.keys[i].s, hc->headers.kids[i].s);
    if (body != NULL)
        sbuf_printf(&req, "Content-Type: application/json\r\n");
    sbuf_printf(&req, "Content-Length: %zu\r\n\r\n%s", body ? strlen(body) : 0,
                body ? body : "");
    if (write_all(fd, req.data, req.len) != 0) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s.\n",
                hc->base);
        exit(1);
    }
    free(req.data);
    reply = read_reply_len(fd, 0, HTTP_CLIENT_TIMEOUT_MS, &len);
    close(fd);
    if (reply == NULL || strncmp(reply, "HTTP/1.", 7) != 0 || len < 12 ||
        (hdr_end = strstr(reply, "\r\n\r\n")) == NULL) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s "
                        "(no HTTP reply).\n", hc->base);
        exit(1);
    }
    r->status = atoi(reply + 9);
    r->len = len - (size_t)(hdr_end + 4 - reply);
    for (p = reply; p < hdr_end; p = strstr(p, "\r\n") + 2) {
        long n;
        if (strncasecmp(p, "Content-Length:", 15) == 0 && sscanf(p + 15, "%ld", &n) == 1 &&
            n >= 0 && (size_t)n < r->len)
            r->len = (size_t)n;
    }
    r->body = xmalloc(r->len + 1);
    memcpy(r->body, hdr_end + 4, r->len);
    r->body[r->len] = '\0';
    free(reply);
}

/* Ray's SDK turns a non-200 reply into this RuntimeError. */
static void http_expect_ok(struct http_resp *r)
{
    if (r->status == 200)
        return;
    fprintf(stderr, "RuntimeError: Request failed with status code %d: %s.\n", r->status,
            r->body);
    exit(1);
}

/* GET/POST that must answer 200 with JSON; returns the parsed body. */
static void http_call_json(struct http_client *hc, const char *method, const char *path,
                           const char *body, struct jv *out)
{
    struct http_resp r;
    char err[200];
    http_call(hc, method, path, body, &r);
    http_expect_ok(&r);
    if (json_parse(r.body, r.len, out, err, sizeof err) != 0) {
        fprintf(stderr, "json.decoder.JSONDecodeError: %s\n", err);
        exit(1);
    }
    free(r.body);
}

/* The job server's address, as JobSubmissionClient finds it: --address,
 * else RAY_API_SERVER_ADDRESS, else RAY_ADDRESS, else "auto". An address
 * without http:// is a GCS address: the head tells where its dashboard is. */
static void job_client(const struct command *cmd, struct http_client *hc)
{
    const char *addr = opt(cmd, "--address");
    const char *headers = opt(cmd, "--headers");
    char url[300], err[512];

    memset(hc, 0, sizeof *hc);
    if (headers == NULL)
        headers = getenv("RAY_JOB_HEADERS");
    if (headers != NULL && (json_parse(headers, strlen(headers), &hc->headers, err,
                                       sizeof err) != 0 || hc->headers.t != J_OBJ)) {
        fprintf(stderr, "ValueError: Failed to parse headers into JSON. Expected format: "
                        "{\"KEY\": \"VALUE\"}, got %s\n", headers);
        exit(1);
    }
    if (addr == NULL || *addr == '\0')
        addr = getenv("RAY_API_SERVER_ADDRESS");
    if (addr == NULL || *addr == '\0')
        addr = getenv("RAY_ADDRESS");
    if (addr == NULL || *addr == '\0')
        addr = "auto";

    if (strstr(addr, "://") == NULL) {
        char gcs[300], host[256], port[8], req[400];
        const char *token = client_token();
        char *reply;
        if (find_gcs_address(strcmp(addr, "auto") == 0 ? NULL : addr, 0, NULL, gcs,
                             sizeof gcs) != 0 ||
            split_host_port(gcs, host, sizeof host, port, sizeof port) != 0)
            no_ray_instance();
        snprintf(req, sizeof req, "DASHBOARD%s%s\n", token ? " " : "", token ? token : "");
        reply = ask_head(host, port, req, err, sizeof err);
        if (reply == NULL)
            no_ray_instance();
        if (strncmp(reply, "ERR unauthenticated", 19) == 0)
            auth_failed();
        if (strncmp(reply, "DASHBOARD http://", 17) != 0) {
            fprintf(stderr, "RuntimeError: the head at %s has no dashboard "
                            "(--include-dashboard=false?).\n", gcs);
            exit(1);
        }
        reply[strcspn(reply, "\n")] = '\0';
        snprintf(url, sizeof url, "%s", reply + 10);
        free(reply);
    } else if (strncmp(addr, "http://", 7) == 0) {
        snprintf(url, sizeof url, "%s", addr);
    } else {
        fail(1, "the ray stand-in's job CLI speaks plain http:// only, got '%s'.", addr);
    }
    while (strlen(url) > 7 && url[strlen(url) - 1] == '/')
        url[strlen(url) - 1] = '\0';
    snprintf(hc->base, sizeof hc->base, "%s", url);
    {
        char hostport[300];
        snprintf(hostport, sizeof hostport, "%s", url + 7);
        hostport[strcspn(hostport, "/")] = '\0';
        if (strchr(hostport, ':') == NULL || (hostport[0] == '[' && !strstr(hostport, "]:")))
            strncat(hostport, ":80", sizeof hostport - strlen(hostport) - 1);
        if (split_host_port(hostport, hc->host, sizeof hc->host, hc->port,
                            sizeof hc->port) != 0)
            fail(1, "cannot read the address '%s'.", url);
    }

    /* The SDK checks the server's version first. */
    {
        struct http_resp r;
        http_call(hc, "GET", "/api/version", NULL, &r);
        if (r.status == 404) {
            fprintf(stderr, "RuntimeError: Jobs API not supported on the Ray cluster. "
                            "Please ensure the cluster is running Ray 1.9 or higher.\n");
            exit(1);
        }
        if (r.status != 200) {
            fprintf(stderr, "requests.exceptions.HTTPError: %d Client Error: %s for url: "
                            "%s/api/version\n", r.status, http_reason(r.status), hc->base);
            exit(1);
        }
        free(r.body);
    }
    printf("Job submission server address: %s\n", hc->base);
}

/* Percent-encodes a job id for a URL path. */
static char *job_path(const char *id, const char *tail)
{
    struct sbuf b = {NULL, 0, 0};
    sbuf_adds(&b, "/api/jobs/");
    pct_encode(&b, id);
    sbuf_adds(&b, tail);
    return b.data;
}

static void big_message(const char *msg)
{
    size_t i, n = strlen(msg);
    printf("\n");
    for (i = 0; i < n; i++)
        putchar('-');
    printf("\n%s\n", msg);
    for (i = 0; i < n; i++)
        putchar('-');
    printf("\n\n");
}

/* Ray's _log_job_status. Returns the status word (static storage). */
static const char *log_job_status(struct http_client *hc, const char *id)
{
    static char status[16];
    struct jv info;
    char *path = job_path(id, ""), text[512];
    const char *message;

    http_call_json(hc, "GET", path, NULL, &info);
    free(path);
    snprintf(status, sizeof status, "%s", jv_str(jv_get(&info, "status")) ? jv_str(jv_get(&info, "status")) : "?");
    message = jv_str(jv_get(&info, "message"));
    if (strcmp(status, "SUCCEEDED") == 0) {
        snprintf(text, sizeof text, "Job '%s' succeeded", id);
        big_message(text);
    } else if (strcmp(status, "STOPPED") == 0) {
        printf("Job '%s' was stopped\n", id);
    } else if (strcmp(status, "FAILED") == 0) {
        snprintf(text, sizeof text, "Job '%s' failed", id);
        big_message(text);
        if (message != NULL)
            printf("Status message: %s\n", message);
    } else {
        printf("Status for job '%s': %s\n", id, status);
        if (message != NULL)
            printf("Status message: %s\n", message);
    }
    jv_free(&info);
    fflush(stdout);
    return status;
}

static int is_terminal_word(const char *s)
{
    return s && (strcmp(s, "STOPPED") == 0 || strcmp(s, "SUCCEEDED") == 0 ||
                 strcmp(s, "FAILED") == 0);
}

/* Ray tails logs over a WebSocket; the stand-in polls GET .../logs and
 * prints what is new, until the job is terminal. */
static const char *tail_logs(struct http_client *hc, const char *id)
{
    char *info_path = job_path(id, ""), *logs_path = job_path(id, "/logs");
    size_t printed = 0;
    for (;;) {
        struct jv info, logs, *l;
        int done;
        http_call_json(hc, "GET", info_path, NULL, &info);
        done = is_terminal_word(jv_str(jv_get(&info, "status")));
        jv_free(&info);
        http_call_json(hc, "GET", logs_path, NULL, &logs);
        l = jv_get(&logs, "logs");
        if (l != NULL && l->t == J_STR && l->len > printed) {
            fwrite(l->s + printed, 1, l->len - printed, stdout);
            fflush(stdout);
            printed = l->len;
        }
        jv_free(&logs);
        if (done)
            break;
        sleep_ms(200);
    }
    free(info_path);
    free(logs_path);
    return log_job_status(hc, id);
}

/* Python's shlex.join, as Ray's CLI joins the entrypoint's words. */
static void shlex_join(struct sbuf *b, char **words, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        const char *w = words[i], *p;
        int safe = *w != '\0';
        for (p = w; *p && safe; p++)
            safe = isalnum((unsigned char)*p) || strchr("@%+=:,./-_", *p) != NULL;
        if (i > 0)
            sbuf_adds(b, " ");
        if (safe) {
            sbuf_adds(b, w);
            continue;
        }
        sbuf_adds(b, "'");
        for (p = w; *p; p++) {
            if (*p == '\'')
                sbuf_adds(b, "'\"'\"'");
            else
                sbuf_add(b, p, 1);
        }
        sbuf_adds(b, "'");
    }
}

/* A JSON option that must be an object: its canonical text. */
static char *json_object_option(const char *name, const char *value)
{
    struct jv v;
    char err[200], *out;
    if (json_parse(value, strlen(value), &v, err, sizeof err) != 0 || v.t != J_OBJ) {
        fprintf(stderr, "Error: %s must be a JSON-serialized dictionary, got '%s'.\n", name,
                value);
        exit(1);
    }
    out = json_dump(&v);
    jv_free(&v);
    return out;
}


/* The JSON object an option gives (checked), or {} when it is not given. */
static void add_object_option(struct sbuf *body, const struct command *cmd, const char *name)
{
    const char *v = opt(cmd, name);
    if (v == NULL) {
        sbuf_adds(body, "{}");
        return;
    }
    char *o = json_object_option(name, v);
    sbuf_adds(body, o);
    free(o);
}

static int job_submit(struct command *cmd)
{
    struct http_client hc;
    struct sbuf body = {NULL, 0, 0}, entry = {NULL, 0, 0};
    const char *sid = opt(cmd, "--submission-id");
    const char *v;
    struct jv reply;
    char id[256], text[400];

    if (opt(cmd, "--runtime-env") != NULL || opt(cmd, "--working-dir") != NULL)
        fail(1, "the ray stand-in cannot upload files: --runtime-env (a YAML file) and "
                "--working-dir are not supported; use --runtime-env-json.");
    if (opt(cmd, "--job-id") != NULL) {
        printf("--job-id option is deprecated. Please use --submission-id instead.\n");
        if (sid == NULL)
            sid = opt(cmd, "--job-id");
    }
    shlex_join(&entry, cmd->args, cmd->nargs);
    sbuf_adds(&body, "{\"entrypoint\": ");
    json_strz(&body, entry.data);
    sbuf_adds(&body, ", \"submission_id\": ");
    json_strz(&body, sid);
    sbuf_adds(&body, ", \"job_id\": null, \"runtime_env\": ");
    add_object_option(&body, cmd, "--runtime-env-json");
    sbuf_adds(&body, ", \"metadata\": ");
    add_object_option(&body, cmd, "--metadata-json");
    sbuf_adds(&body, ", \"entrypoint_num_cpus\": ");
    if ((v = opt(cmd, "--entrypoint-num-cpus")) != NULL)
        py_float(&body, strtod(v, NULL));
    else
        sbuf_adds(&body, "null");
    sbuf_adds(&body, ", \"entrypoint_num_gpus\": ");
    if ((v = opt(cmd, "--entrypoint-num-gpus")) != NULL)
        py_float(&body, strtod(v, NULL));
    else
        sbuf_adds(&body, "null");
    sbuf_printf(&body, ", \"entrypoint_memory\": %s",
                opt(cmd, "--entrypoint-memory") ? opt(cmd, "--entrypoint-memory") : "null");
    sbuf_adds(&body, ", \"entrypoint_resources\": ");
    if ((v = opt(cmd, "--entrypoint-resources")) != NULL) {
        char *o = json_object_option("--entrypoint-resources", v);
        sbuf_adds(&body, o);
        free(o);
    } else {
        sbuf_adds(&body, "null");
    }
    sbuf_adds(&body, "}");

    job_client(cmd, &hc);
    http_call_json(&hc, "POST", "/api/jobs/", body.data, &reply);
    snprintf(id, sizeof id, "%s", jv_str(jv_get(&reply, "submission_id")) ? jv_str(jv_get(&reply, "submission_id")) : "?");
    jv_free(&reply);
    free(body.data);
    free(entry.data);

    snprintf(text, sizeof text, "Job '%s' submitted successfully", id);
    big_message(text);
    printf("Next steps\n"
           "  Query the logs of the job:\n    ray job logs %s\n"
           "  Query the status of the job:\n    ray job status %s\n"
           "  Request the job to be stopped:\n    ray job stop %s\n\n",
           id, id, id);
    fflush(stdout);
    if (opt(cmd, "--no-wait") != NULL)
        return 0;
    printf("Tailing logs until the job exits (disable with --no-wait):\n");
    fflush(stdout);
    return strcmp(tail_logs(&hc, id), "FAILED") == 0 ? 1 : 0;
}

static int job_status(struct command *cmd)
{
    struct http_client hc;
    job_client(cmd, &hc);
    log_job_status(&hc, cmd->args[0]);
    return 0;
}

static int job_logs(struct command *cmd)
{
    struct http_client hc;
    struct jv logs, *l;
    char *path;

    job_client(cmd, &hc);
    if (opt(cmd, "-f") != NULL || opt(cmd, "--follow") != NULL) {
        tail_logs(&hc, cmd->args[0]);
        return 0;
    }
    path = job_path(cmd->args[0], "/logs");
    http_call_json(&hc, "GET", path, NULL, &logs);
    l = jv_get(&logs, "logs");
    if (l != NULL && l->t == J_STR)
        fwrite(l->s, 1, l->len, stdout);
    free(path);
    jv_free(&logs);
    return 0;
}

static int job_stop_cmd(struct command *cmd)
{
    struct http_client hc;
    struct jv reply;
    const char *id = cmd->args[0];
    char *path = job_path(id, "/stop"), *info_path = job_path(id, "");

    job_client(cmd, &hc);
    printf("Attempting to stop job '%s'\n", id);
    fflush(stdout);
    http_call_json(&hc, "POST", path, NULL, &reply);
    jv_free(&reply);
    if (opt(cmd, "--no-wait") == NULL) {
        printf("Waiting for job '%s' to exit (disable with --no-wait):\n", id);
        for (;;) {
            struct jv info;
            char status[16];
            http_call_json(&hc, "GET", info_path, NULL, &info);
            snprintf(status, sizeof status, "%s", jv_str(jv_get(&info, "status")) ? jv_str(jv_get(&info, "status")) : "?");
            jv_free(&info);
            if (is_terminal_word(status)) {
                log_job_status(&hc, id);
                break;
            }
            printf("Job has not exited yet. Status: %s\n", status);
            fflush(stdout);
            sleep_ms(1000);
        }
    }
    free(path);
    free(info_path);
    return 0;
}

static int cmd_job(int argc, char **argv)
{
    static const char *submit_values[COUNT(JOB_SUBMIT_OPTS)];
    static const char *status_values[COUNT(JOB_STATUS_OPTS)];
    static const char *logs_values[COUNT(JOB_LOGS_OPTS)];
    static const char *stop_values[COUNT(JOB_STOP_OPTS)];
    static struct command subs[] = {
        {"job submit", "Submits a job to be run on the cluster.", JOB_SUBMIT_OPTS,
         COUNT(JOB_SUBMIT_OPTS), submit_values, "ENTRYPOINT...", 1, -1, NULL, 0},
        {"job status", "Queries for the current status of a job.", JOB_STATUS_OPTS,
         COUNT(JOB_STATUS_OPTS), status_values, "JOB_ID", 1, 1, NULL, 0},
        {"job logs", "Gets the logs of a job.", JOB_LOGS_OPTS, COUNT(JOB_LOGS_OPTS),
         logs_values, "JOB_ID", 1, 1, NULL, 0},
        {"job stop", "Attempts to stop a job.", JOB_STOP_OPTS, COUNT(JOB_STOP_OPTS),
         stop_values, "JOB_ID", 1, 1, NULL, 0},
    };
    size_t i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 1 || strcmp(argv[0], "--help") == 0) {
        if (argc < 1) {
            fprintf(stderr, "Usage: ray job [OPTIONS] COMMAND [ARGS]...\n"
                            "Try 'ray job --help' for help.\n\nError: Missing command.\n");
            return 2;
        }
        printf("Usage: ray job [OPTIONS] COMMAND [ARGS]...\n\n"
               "  Submit, stop, delete, or list Ray jobs.\n"
               "  (raylaunch's ray stand-in for tests; this is not Ray.)\n\nCommands:\n");
        for (i = 0; i < COUNT(subs); i++)
            printf("  %-7s %s\n", subs[i].name + 4, subs[i].summary);
        return 0;
    }
    for (i = 0; i < COUNT(subs); i++) {
        struct command *cmd = &subs[i];
        if (strcmp(argv[0], cmd->name + 4) != 0)
            continue;
        parse_options(cmd, argc - 1, argv + 1);
        switch (i) {
        case 0: return job_submit(cmd);
        case 1: return job_status(cmd);
        case 2: return job_logs(cmd);
        default: return job_stop_cmd(cmd);
        }
    }
    fprintf(stderr, "Usage: ray job [OPTIONS] COMMAND [ARGS]...\n"
                    "Try 'ray job --help' for help.\n\nError: No such command '%s'.\n",
            argv[0]);
    return 2;
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
    static struct command commands[] = {
        {"start", "Start Ray processes manually on the local machine.", START_OPTS,
         COUNT(START_OPTS), start_values, NULL, 0, 0, NULL, 0},
        {"status", "Print cluster status, including autoscaling info.", STATUS_OPTS,
         COUNT(STATUS_OPTS), status_values, NULL, 0, 0, NULL, 0},
        {"stop", "Stop Ray processes manually on the local machine.", STOP_OPTS,
         COUNT(STOP_OPTS), stop_values, NULL, 0, 0, NULL, 0},
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
        printf("  %-7s %s\n", "job", "Submit, stop, delete, or list Ray jobs.");
        return 0;
    }
    if (argv[1][0] == '-')
        top_usage_error("No such option: %s", argv[1]);

    if (strcmp(argv[1], "job") == 0) {
        cli_startup_delay();
        return cmd_job(argc - 2, argv + 2);
    }
    for (i = 0; i < COUNT(commands); i++) {
        struct command *cmd = &commands[i];
        if (strcmp(argv[1], cmd->name) != 0)
            continue;
        if (i == 1)
            cli_startup_delay(); /* ray start pays none: see the README */
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
