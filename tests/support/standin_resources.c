/* standin_resources.c - the ray stand-in (a test fixture, not Ray): the
 * resource model of standin_resources.h: shapes, every node's total and
 * available resources, claims (demand) and their placement, node status. */
#include "standin.h"

struct claim *g_claims;
size_t g_nclaims, g_claims_cap;
static int g_next_id = 1;
long g_idle_after_ms = DEFAULT_IDLE_AFTER_MS;

/* ---- shapes ---- */

int shape_add(struct shape *s, const char *name, double v)
{
    int i;
    if (v == 0)
        return 0;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0) {
            s->v[i] += v;
            return 0;
        }
    if (s->n == SHAPE_MAX || strlen(name) >= SHAPE_NAME_MAX)
        return -1;
    snprintf(s->name[s->n], SHAPE_NAME_MAX, "%s", name);
    s->v[s->n++] = v;
    return 0;
}

double shape_get(const struct shape *s, const char *name)
{
    int i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return s->v[i];
    return 0;
}

int shape_from_json(const char *json, struct shape *s, char *err, size_t errcap)
{
    struct jv v;
    size_t i;
    memset(s, 0, sizeof *s);
    if (json_parse(json, strlen(json), &v, err, errcap) != 0)
        return -1;
    if (v.t != J_OBJ) {
        snprintf(err, errcap, "a shape must be a JSON object of numbers");
        jv_free(&v);
        return -1;
    }
    for (i = 0; i < v.n; i++) {
        if (v.kids[i].t != J_NUM || v.kids[i].num < 0) {
            snprintf(err, errcap, "the value of '%s' is not a non-negative number",
                     v.keys[i].s);
            jv_free(&v);
            return -1;
        }
        if (shape_add(s, v.keys[i].s, v.kids[i].num) != 0) {
            snprintf(err, errcap, "too many resources, or a name too long");
            jv_free(&v);
            return -1;
        }
    }
    jv_free(&v);
    return 0;
}

/* Does `avail` hold `req`? */
int shape_fits(const struct shape *avail, const struct shape *req)
{
    int i;
    for (i = 0; i < req->n; i++)
        if (shape_get(avail, req->name[i]) + 1e-9 < req->v[i])
            return 0;
    return 1;
}

/* avail += sign * req, for the names avail has. */
void shape_move(struct shape *avail, const struct shape *req, int sign)
{
    int i, k;
    for (i = 0; i < req->n; i++)
        for (k = 0; k < avail->n; k++)
            if (strcmp(avail->name[k], req->name[i]) == 0)
                avail->v[k] += sign * req->v[i];
}

int shape_equal(const struct shape *a, const struct shape *b)
{
    int i;
    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (shape_get(b, a->name[i]) != a->v[i])
            return 0;
    return 1;
}

/* As a JSON object, {"CPU": 1.0, ...}, or (py) as Python prints a dict
 * of floats, {'CPU': 1.0, ...}. */
static void shape_dict(struct sbuf *b, const struct shape *s, int py)
{
    int i;
    sbuf_adds(b, "{");
    for (i = 0; i < s->n; i++) {
        if (i > 0)
            sbuf_adds(b, ", ");
        if (py)
            py_repr(b, s->name[i]);
        else
            json_strz(b, s->name[i]);
        sbuf_adds(b, ": ");
        py_float(b, s->v[i]);
    }
    sbuf_adds(b, "}");
}

void shape_json(struct sbuf *b, const struct shape *s)
{
    shape_dict(b, s, 0);
}

void shape_py(struct sbuf *b, const struct shape *s)
{
    shape_dict(b, s, 1);
}

/* ---- nodes ---- */

/* A node's resources as its raylet reports them (the same as GET
 * /api/v0/nodes shows): CPU, GPU, memory, object_store_memory, node:<ip>,
 * node:__internal_head__ on the head, then --resources. */
static void node_total(const struct node *n, struct shape *s)
{
    char key[80], err[160];
    struct shape custom;
    struct sbuf b = {NULL, 0, 0};
    int i;
    memset(s, 0, sizeof *s);
    shape_add(s, "CPU", (double)n->cpus);
    shape_add(s, "GPU", (double)n->gpus);
    shape_add(s, "memory", n->memory);
    shape_add(s, "object_store_memory", n->object_store_memory);
    snprintf(key, sizeof key, "node:%s", n->ip);
    shape_add(s, key, 1);
    if (n->is_head)
        shape_add(s, "node:__internal_head__", 1);
    sbuf_printf(&b, "{%s}", n->resources);
    if (shape_from_json(b.data, &custom, err, sizeof err) == 0)
        for (i = 0; i < custom.n; i++)
            shape_add(s, custom.name[i], custom.v[i]);
    free(b.data);
}

struct node *node_by_hex(const char *hex)
{
    size_t i;
    for (i = 0; i < g_nnodes; i++)
        if (g_nodes[i].alive && strcmp(g_nodes[i].id + 5, hex) == 0)
            return &g_nodes[i];
    return NULL;
}

const char *standin_node_ip(const char *node_hex)
{
    struct node *n = node_by_hex(node_hex);
    return n ? n->ip : NULL;
}

/* Ray's NodeStatus: 1 RUNNING, 2 DEAD, 3 IDLE, 4 DRAINING; *idle_ms is
 * idle_duration_ms (0 unless IDLE). A node is IDLE from when it joins, and
 * g_idle_after_ms after its last claim ends (a raylet reports idle about
 * one report period later). */
int node_status(const struct node *n, int64_t now, int64_t *idle_ms)
{
    *idle_ms = 0;
    if (!n->alive)
        return 2;
    if (n->draining)
        return 4;
    if (n->nclaims == 0 &&
        (!n->ever_claimed || now - n->idle_since >= g_idle_after_ms)) {
        *idle_ms = now - n->idle_since;
        return *idle_ms > 0 ? 3 : 1;
    }
    return 1;
}

/* ---- claims ---- */

struct claim *new_claim(const char *owner, const struct shape *s)
{
    struct claim *c;
    if (g_nclaims == g_claims_cap) {
        g_claims_cap = g_claims_cap ? g_claims_cap * 2 : 32;
        g_claims = xrealloc(g_claims, g_claims_cap * sizeof *g_claims);
    }
    c = &g_claims[g_nclaims++];
    memset(c, 0, sizeof *c);
    snprintf(c->owner, sizeof c->owner, "%s", owner);
    c->shape = *s;
    return c;
}

static void place_on(struct claim *c, struct node *n)
{
    snprintf(c->node, sizeof c->node, "%s", n->id + 5);
    shape_move(&n->avail, &c->shape, -1);
    n->nclaims++;
    n->ever_claimed = 1;
}

static void unplace(struct claim *c, int64_t now)
{
    struct node *n = node_by_hex(c->node);
    if (n != NULL) {
        shape_move(&n->avail, &c->shape, 1);
        if (--n->nclaims == 0)
            n->idle_since = now;
    }
    c->node[0] = '\0';
}

/* New nodes get their resources; claims on nodes that died are pending
 * again (a placement group's bundle: its group is rescheduling). */
void res_sync(int64_t now)
{
    size_t i;
    for (i = 0; i < g_nnodes; i++) {
        struct node *n = &g_nodes[i];
        if (n->alive && !n->res_ready) {
            node_total(n, &n->total);
            n->avail = n->total;
            n->res_ready = 1;
            n->idle_since = now;
        }
    }
    for (i = 0; i < g_nclaims; i++)
        if (g_claims[i].node[0] && node_by_hex(g_claims[i].node) == NULL)
            g_claims[i].node[0] = '\0';
}

/* A node that takes new work: alive, known, not draining. */
static int can_take(const struct node *n)
{
    return n->alive && n->res_ready && !n->draining;
}

/* Places every pending single claim that fits somewhere (first fit, in
 * the node table's order), then every pending placement group. */
void res_place(void)
{
    size_t i, k;
    for (i = 0; i < g_nclaims; i++) {
        struct claim *c = &g_claims[i];
        if (c->node[0] || c->pg)
            continue;
        for (k = 0; k < g_nnodes; k++)
            if (can_take(&g_nodes[k]) && shape_fits(&g_nodes[k].avail, &c->shape)) {
                int id = c->id, unit = c->unit;
                standin_placed_fn cb = c->cb;
                void *arg = c->arg;
                place_on(c, &g_nodes[k]);
                if (cb)
                    cb(arg, id, unit, g_nodes[k].id + 5); /* it may add claims */
                break;
            }
    }
    pg_place_all();
}

int64_t res_tick(int64_t now)
{
    res_sync(now);
    res_place();
    return drain_tick(now);
}

int standin_demand_add(const char *owner, const struct shape *shape, int count,
                       standin_placed_fn placed, void *arg)
{
    int id = g_next_id++, u;
    for (u = 0; u < count; u++) {
        struct claim *c = new_claim(owner, shape);
        c->id = id;
        c->unit = u;
        c->cb = placed;
        c->arg = arg;
    }
    res_sync(now_ms());
    res_place();
    return id;
}

int standin_demand_placed(int id, const char **node_hex)
{
    size_t i;
    int placed = 0;
    if (node_hex)
        *node_hex = NULL;
    for (i = 0; i < g_nclaims; i++)
        if (g_claims[i].id == id && g_claims[i].node[0]) {
            if (placed++ == 0 && node_hex)
                *node_hex = g_claims[i].node;
        }
    return placed;
}

static void release_where(int id, const char *owner)
{
    int64_t now = now_ms();
    size_t i, k;
    for (i = 0, k = 0; i < g_nclaims; i++) {
        struct claim *c = &g_claims[i];
        if (owner ? strcmp(c->owner, owner) == 0 : c->id == id) {
            if (c->node[0])
                unplace(c, now);
            continue;
        }
        g_claims[k++] = *c;
    }
    g_nclaims = k;
    res_place(); /* what was freed may take pending demand */
}

void standin_demand_release(int id)
{
    if (id > 0)
        release_where(id, NULL);
}

void standin_demand_release_owner(const char *owner)
{
    release_where(0, owner);
}

int next_claim_id(void)
{
    return g_next_id++;
}

/* Is claim i the first pending single claim of its shape? Sets *count to
 * how many pending single claims have that shape. */
static int first_of_shape(size_t i, long *count)
{
    const struct claim *c = &g_claims[i];
    size_t k;
    *count = 0;
    if (c->node[0] || c->pg)
        return 0;
    for (k = 0; k < g_nclaims; k++)
        if (!g_claims[k].node[0] && !g_claims[k].pg && shape_equal(&g_claims[k].shape, &c->shape)) {
            if (k < i)
                return 0; /* counted with an earlier one */
            ++*count;
        }
    return 1;
}

/* The pending single claims, one ResourceRequestByCount per shape (as
 * protobuf JSON): [{"request": {"resources_bundle": {...}}, "count": N}]. */
void res_pending_json(struct sbuf *b)
{
    size_t i;
    long count;
    int first = 1;
    sbuf_adds(b, "[");
    for (i = 0; i < g_nclaims; i++) {
        if (!first_of_shape(i, &count))
            continue;
        sbuf_adds(b, first ? "{\"request\": {\"resources_bundle\": "
                           : ", {\"request\": {\"resources_bundle\": ");
        first = 0;
        shape_json(b, &g_claims[i].shape);
        sbuf_printf(b, "}, \"count\": %ld}", count);
    }
    sbuf_adds(b, "]");
}

/* `ray status`'s "Pending Demands" lines for single claims:
 * " {'CPU': 1.0}: 2+ pending tasks/actors". */
void res_pending_text(struct sbuf *b)
{
    size_t i;
    long count;
    for (i = 0; i < g_nclaims; i++) {
        if (!first_of_shape(i, &count))
            continue;
        sbuf_adds(b, " ");
        shape_py(b, &g_claims[i].shape);
        sbuf_printf(b, ": %ld+ pending tasks/actors\n", count);
    }
}

/* The cluster's used and total amount of resource `name`. */
void res_usage(const char *name, double *used, double *total)
{
    size_t i;
    *used = *total = 0;
    for (i = 0; i < g_nnodes; i++)
        if (g_nodes[i].alive && g_nodes[i].res_ready) {
            *total += shape_get(&g_nodes[i].total, name);
            *used += shape_get(&g_nodes[i].total, name) - shape_get(&g_nodes[i].avail, name);
        }
}
