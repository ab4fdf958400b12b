/* standin_http.c - the ray stand-in (a test fixture, not Ray): the dashboard HTTP server: replies, token gate, packages, dispatch, parsing. */
#include "standin.h"
#include "standin_serve.h"

const char *http_reason(int status)
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
void http_envelope_error(struct conn *c, int status, const char *msg)
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

/* The value of the cookie `name` (copied into buf), or NULL. */
const char *cookie_value(const char *cookies, const char *name, char *buf, size_t cap)
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
int http_gate(struct conn *c)
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
int package_route(struct conn *c, char *name)
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
void http_package_get(struct conn *c)
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
int upload_write(struct conn *c, const char *data, size_t len)
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
int upload_begin(struct conn *c, const char *data, size_t len)
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
void upload_end(struct conn *c)
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

void http_dispatch(struct conn *c)
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
    if (strncmp(path, "/api/standin/", 13) == 0) { /* the stand-in's own: standin_testapi.c */
        standin_testapi(c, method, path + 13);
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/api/gcs_healthz") == 0 ||
        strcmp(path, "/api/authentication_mode") == 0 || strcmp(path, "/api/version") == 0 ||
        strcmp(path, "/api/ray/version") == 0 || strcmp(path, "/api/v0/nodes") == 0 ||
        strcmp(path, "/api/cluster_status") == 0) {
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
        } else if (strcmp(path, "/api/version") == 0 || strcmp(path, "/api/ray/version") == 0) {
            /* the second is Serve's dashboard module's, with the same body */
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
int http_parse(struct conn *c)
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

void http_readable(struct conn *c)
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

void conn_writable(struct conn *c)
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
