/*
 * standin_serve_deps.h - what the Serve files of the ray stand-in
 * (standin_serve*.c) take from the rest of it (ray_standin.c): its buffer,
 * JSON, clock and HTTP helpers, and a view of the head's nodes. A TEST
 * FIXTURE, not Ray.
 */
#ifndef STANDIN_SERVE_DEPS_H
#define STANDIN_SERVE_DEPS_H

#include <stddef.h>
#include <stdint.h>

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

struct conn; /* a connection of the head's loop */

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_JSON "application/json; charset=utf-8"
#define CT_OCTET "application/octet-stream" /* aiohttp's, for a Response() without a body */

int64_t now_ms(void);
int64_t wall_ms(void);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
long env_ms(const char *name, long dflt);
int parse_double(const char *s, double *out);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...);
void py_repr(struct sbuf *b, const char *s);
void json_str(struct sbuf *b, const char *s, size_t n);
void json_strz(struct sbuf *b, const char *s);
void py_float(struct sbuf *b, double v);
void jv_free(struct jv *v);
int json_parse(const char *text, size_t len, struct jv *v, char *err, size_t errcap);
struct jv *jv_get(struct jv *obj, const char *key);
const char *jv_str(struct jv *v);
int jv_is_number(const struct jv *v);
double jv_number(const struct jv *v);
void json_write(struct sbuf *b, const struct jv *v);
char *json_dump(const struct jv *v);
uint64_t random_seed(void);
uint64_t mix64(uint64_t x);
int listen_on(const char *host, int port);
void http_respond(struct conn *c, int status, const char *ctype, const char *body, size_t len);
void http_text(struct conn *c, int status, const char *text);
void http_json(struct conn *c, int status, struct sbuf *b);
void http_py_error(struct conn *c, int status, const char *fmt, ...);

/* Hooks ray_standin.c adds for Serve. */
void standin_conn_hold(struct conn *c);       /* no deadline: an answer comes later */
const char *standin_conn_body(struct conn *c); /* the request's body (NUL-terminated) */
size_t standin_conn_body_len(struct conn *c);
int standin_conn_method_is(struct conn *c, const char *method);

/* A node of the head's table, as placement sees it. */
struct standin_node_view {
    const char *id;        /* "node_" + 56 hex digits */
    const char *ip;
    int alive, is_head;
    double cpus, gpus, memory;
    const char *resources; /* custom resources, a JSON fragment: "\"accel\": 1.0" */
};
size_t standin_node_count(void);
void standin_node_at(size_t i, struct standin_node_view *v);
const char *standin_head_ip(void);

#endif
