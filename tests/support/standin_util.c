/* standin_util.c - the ray stand-in (a test fixture, not Ray): small helpers: time, errors, numbers as Python parses them, strings, files. */
#include "standin.h"

const char DASHES[] =
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

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Prints "Error: ..." to stderr and exits with `status`. */
void fail(int status, const char *fmt, ...)
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
int parse_long(const char *s, long *out)
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
int py_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Copies the digits of s (at *p) into out, as Python's numeric literals
 * allow them: single underscores between digits. Returns how many digits
 * were copied (0 when none, or -1 for a misplaced underscore); *p moves
 * past them. */
int py_digits(const char **p, char *out, size_t cap, size_t *len)
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
int parse_py_int(const char *s, long long *out)
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
int parse_py_float(const char *s, double *out)
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

int write_all(int fd, const char *buf, size_t len)
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


void sbuf_reserve(struct sbuf *b, size_t more)
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
int write_small_file(const char *path, const char *text)
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
int read_small_file(const char *path, char *buf, size_t cap)
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
void pct_encode(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-')
            sbuf_add(b, s, 1);
        else
            sbuf_printf(b, "%%%02X", c);
    }
}

int hexval(int c)
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
void pct_decode(char *s, int plus)
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
