/* standin_json.c - the ray stand-in (a test fixture, not Ray): a JSON parser and writer. */
#include "standin.h"

/* Python's JSONDecodeError text: "MSG: line L column C (char N)". */
int jp_error(struct jparser *jp, const char *msg, const char *at)
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

void jp_ws(struct jparser *jp)
{
    while (jp->p < jp->end &&
           (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

void utf8_put(struct sbuf *b, uint32_t cp)
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

int jp_hex4(const char *p, const char *end, uint32_t *out)
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
int jp_string(struct jparser *jp, struct jv *v)
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

int jp_number(struct jparser *jp, struct jv *v)
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

/* An array or object; jp->p is at '[' or '{'. */
int jp_container(struct jparser *jp, struct jv *v, int is_obj)
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
int jp_literal(struct jparser *jp, struct jv *v, const char *word, enum jtype type)
{
    size_t len = strlen(word);
    if ((size_t)(jp->end - jp->p) >= len && memcmp(jp->p, word, len) == 0) {
        v->t = type;
        jp->p += len;
        return 0;
    }
    return jp_error(jp, "Expecting value", jp->p);
}

int jp_value(struct jparser *jp, struct jv *v)
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
const char *py_type(const struct jv *v)
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
