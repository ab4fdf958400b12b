/*
 * standin_serve_proxy.c - the Serve HTTP proxy in the ray stand-in: one,
 * on the head, listening where the http_options Serve started with say
 * (0.0.0.0:8000 by default) from Serve's start until its shutdown. It
 * answers /-/healthz and /-/routes, routes a request to the app with the
 * longest matching route_prefix, and a standin_echo app answers with its
 * name. A request whose app has no RUNNING replica waits (as in Serve's
 * proxy) until one runs, or until http_options.request_timeout_s. A TEST
 * FIXTURE, not Ray.
 */
#include "standin_serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct waiting {
    struct conn *c;
    char *path;
    char id[40];
    int64_t until; /* 0: no timeout */
};

static struct waiting *g_wait;
static size_t g_nwait;

int serve_proxy_fd(void)
{
    return g_serve.proxy_fd;
}

void serve_proxy_open(void)
{
    g_serve.proxy_fd = listen_on(g_serve.cfg.host, (int)g_serve.cfg.port);
    if (g_serve.proxy_fd < 0) {
        fprintf(stderr, "ray stand-in: the Serve proxy cannot listen on %s:%ld: %s\n",
                g_serve.cfg.host, g_serve.cfg.port, strerror(errno));
        g_serve.proxy_status = "UNHEALTHY";
    }
}

static void drop_waiting(size_t i)
{
    free(g_wait[i].path);
    memmove(&g_wait[i], &g_wait[i + 1], (g_nwait - i - 1) * sizeof *g_wait);
    g_nwait--;
}

/* Serve is shut down: the proxy actor goes, and its requests with it. */
void serve_proxy_close(void)
{
    if (g_serve.proxy_fd >= 0)
        close(g_serve.proxy_fd);
    g_serve.proxy_fd = -1;
    while (g_nwait > 0) {
        http_text(g_wait[0].c, 503, "The Serve proxy shut down (raylaunch's ray stand-in).");
        drop_waiting(0);
    }
}

void serve_proxy_forget(struct conn *c)
{
    size_t i;
    for (i = 0; i < g_nwait; i++)
        if (g_wait[i].c == c)
            drop_waiting(i--);
}

/* The app whose route_prefix is the longest prefix of `path`, or NULL. */
struct serve_app *serve_route_app(const char *path)
{
    struct serve_app *best = NULL;
    size_t i, best_len = 0;
    for (i = 0; i < g_serve.napps; i++) {
        struct serve_app *a = &g_serve.apps[i];
        const char *p = a->cfg.route_prefix;
        size_t n = p ? strlen(p) : 0;
        if (!a->has_route || p == NULL || a->deleting_until)
            continue;
        if (strcmp(p, "/") != 0 &&
            (strncmp(path, p, n) != 0 || (path[n] != '\0' && path[n] != '/')))
            continue;
        if (best == NULL || n > best_len) {
            best = a;
            best_len = n;
        }
    }
    return best;
}

static void not_found(struct conn *c, const char *path)
{
    struct sbuf b = {NULL, 0, 0};
    sbuf_printf(&b, "Path '%s' not found. Please ping http://.../-/routes for route table.",
                path);
    http_respond(c, 404, CT_TEXT, b.data, b.len);
    free(b.data);
}

/* Serve's route table: {route_prefix: app_name}, as Starlette's JSONResponse writes it. */
static void routes(struct conn *c)
{
    struct sbuf b = {NULL, 0, 0};
    size_t i, n = 0;
    sbuf_adds(&b, "{");
    for (i = 0; i < g_serve.napps; i++) {
        struct serve_app *a = &g_serve.apps[i];
        if (!a->has_route || a->cfg.route_prefix == NULL || a->deleting_until)
            continue;
        sbuf_adds(&b, n++ ? "," : "");
        json_strz(&b, a->cfg.route_prefix);
        sbuf_adds(&b, ":");
        json_strz(&b, a->cfg.name);
    }
    sbuf_adds(&b, "}");
    http_respond(c, 200, "application/json", b.data, b.len);
    free(b.data);
}

void serve_proxy_request(struct conn *c, const char *method, const char *path)
{
    struct serve_app *a;
    struct waiting *w;
    (void)method; /* standin_echo answers every method */
    if (strcmp(path, "/-/healthz") == 0) {
        http_text(c, 200, "success");
        return;
    }
    if (strcmp(path, "/-/routes") == 0) {
        routes(c);
        return;
    }
    a = serve_route_app(path);
    if (a == NULL) {
        not_found(c, path);
        return;
    }
    if (serve_app_has_running(a)) {
        http_text(c, 200, a->cfg.name);
        return;
    }
    g_wait = xrealloc(g_wait, (g_nwait + 1) * sizeof *g_wait);
    w = &g_wait[g_nwait++];
    w->c = c;
    w->path = xstrdup(path);
    serve_random_hex(w->id, 32); /* as a uuid4's text: 8-4-4-4-12 */
    memmove(w->id + 24, w->id + 20, 12);
    memmove(w->id + 19, w->id + 16, 4);
    memmove(w->id + 14, w->id + 12, 4);
    memmove(w->id + 9, w->id + 8, 4);
    w->id[8] = w->id[13] = w->id[18] = w->id[23] = '-';
    w->id[36] = '\0';
    w->until = g_serve.cfg.request_timeout_s >= 0
                   ? now_ms() + (int64_t)(g_serve.cfg.request_timeout_s * 1000) : 0;
    c->deadline = 0; /* answered later */
}

/* Answers the waiting requests whose app now runs, is gone, or whose time is up. */
int64_t serve_proxy_tick(int64_t now)
{
    int64_t next = 0;
    size_t i;
    for (i = 0; i < g_nwait; i++) {
        struct waiting *w = &g_wait[i];
        struct serve_app *a = serve_route_app(w->path);
        if (a == NULL) {
            not_found(w->c, w->path);
        } else if (serve_app_has_running(a)) {
            http_text(w->c, 200, a->cfg.name);
        } else if (w->until != 0 && now >= w->until) {
            struct sbuf b = {NULL, 0, 0};
            sbuf_printf(&b, "Request %s timed out after ", w->id);
            py_float(&b, g_serve.cfg.request_timeout_s);
            sbuf_adds(&b, "s.");
            http_respond(w->c, 408, CT_TEXT, b.data, b.len);
            free(b.data);
        } else {
            if (w->until != 0 && (next == 0 || w->until < next))
                next = w->until;
            continue;
        }
        drop_waiting(i--);
    }
    return next;
}
