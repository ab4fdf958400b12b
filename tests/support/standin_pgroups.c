/* standin_pgroups.c - the ray stand-in (a test fixture, not Ray): placement
 * groups, placed all or nothing (STRICT_SPREAD on distinct nodes,
 * STRICT_PACK on one), reported as pending gang requests while they wait.
 * Tests make them with the stand-in-only HTTP routes of standin_testapi.c. */
#include "standin.h"

struct pgroup *g_pgs;
size_t g_npgs, g_pgs_cap;

static const char *const STRATEGIES[] = {"PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"};

int standin_pg_create(const struct shape *bundles, int nbundles, const char *strategy,
                      const char *name, char out[37], char *err, size_t errcap)
{
    struct pgroup *g;
    char owner[64];
    size_t i;
    int b, ok = 0, id;
    uint64_t seed = random_seed();

    for (i = 0; i < COUNT(STRATEGIES); i++)
        ok |= strcmp(strategy, STRATEGIES[i]) == 0;
    if (!ok) {
        snprintf(err, errcap, "strategy must be PACK, SPREAD, STRICT_PACK or STRICT_SPREAD, "
                              "got '%s'", strategy);
        return -1;
    }
    if (nbundles < 1) {
        snprintf(err, errcap, "a placement group needs at least one bundle");
        return -1;
    }
    for (b = 0; b < nbundles; b++)
        if (bundles[b].n == 0) {
            snprintf(err, errcap, "bundle %d is empty", b);
            return -1;
        }
    if (g_npgs == g_pgs_cap) {
        g_pgs_cap = g_pgs_cap ? g_pgs_cap * 2 : 8;
        g_pgs = xrealloc(g_pgs, g_pgs_cap * sizeof *g_pgs);
    }
    g = &g_pgs[g_npgs++];
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%016llx%016llx%04x",
             (unsigned long long)mix64(seed), (unsigned long long)mix64(seed + 1),
             (unsigned)(mix64(seed + 2) & 0xffff));
    snprintf(g->strategy, sizeof g->strategy, "%s", strategy);
    snprintf(g->name, sizeof g->name, "%s", name ? name : "");
    g->nbundles = nbundles;
    snprintf(owner, sizeof owner, "pg:%s", g->id);
    id = next_claim_id();
    for (b = 0; b < nbundles; b++) {
        struct claim *c = new_claim(owner, &bundles[b]);
        c->id = id;
        c->unit = b;
        c->pg = (int)g_npgs;
    }
    snprintf(out, 37, "%s", g->id);
    res_sync(now_ms());
    res_place();
    return 0;
}

static struct pgroup *pg_by_id(const char *id)
{
    size_t i;
    for (i = 0; i < g_npgs; i++)
        if (!g_pgs[i].removed && strcmp(g_pgs[i].id, id) == 0)
            return &g_pgs[i];
    return NULL;
}

int standin_pg_remove(const char *id_hex)
{
    struct pgroup *g = pg_by_id(id_hex);
    char owner[64];
    if (g == NULL)
        return -1;
    g->removed = 1;
    snprintf(owner, sizeof owner, "pg:%s", g->id);
    standin_demand_release_owner(owner);
    return 0;
}

/* ---- placement, all or nothing ---- */

struct pg_try {
    struct pgroup *g;
    size_t *todo;         /* indexes into g_claims of its unplaced bundles */
    size_t ntodo;
    struct shape *avail;  /* per node, what is left in this attempt */
    size_t *where;        /* per todo bundle: the node index chosen */
    long budget;          /* attempts left */
};

/* May bundle claim ci go on node k, given what is placed and chosen? */
static int pg_allowed(struct pg_try *t, size_t depth, size_t k)
{
    int pg = (int)(t->g - g_pgs) + 1;
    int spread = strcmp(t->g->strategy, "STRICT_SPREAD") == 0;
    int pack = strcmp(t->g->strategy, "STRICT_PACK") == 0;
    size_t i;
    if (!spread && !pack)
        return 1;
    for (i = 0; i < g_nclaims; i++) { /* bundles already placed */
        if (g_claims[i].pg != pg || !g_claims[i].node[0])
            continue;
        if (spread == (strcmp(g_claims[i].node, g_nodes[k].id + 5) == 0))
            return 0;
    }
    for (i = 0; i < depth; i++) /* bundles chosen in this attempt */
        if (spread == (t->where[i] == k))
            return 0;
    return 1;
}

static int pg_assign(struct pg_try *t, size_t depth)
{
    size_t k;
    const struct shape *s;
    if (depth == t->ntodo)
        return 1;
    s = &g_claims[t->todo[depth]].shape;
    for (k = 0; k < g_nnodes && t->budget > 0; k++) {
        t->budget--;
        if (!g_nodes[k].alive || !g_nodes[k].res_ready || g_nodes[k].draining ||
            !shape_fits(&t->avail[k], s) || !pg_allowed(t, depth, k))
            continue;
        shape_move(&t->avail[k], s, -1);
        t->where[depth] = k;
        if (pg_assign(t, depth + 1))
            return 1;
        shape_move(&t->avail[k], s, 1);
    }
    return 0;
}

static void pg_place(struct pgroup *g)
{
    struct pg_try t;
    size_t i;
    int pg = (int)(g - g_pgs) + 1;
    memset(&t, 0, sizeof t);
    t.g = g;
    t.todo = xmalloc((g_nclaims + 1) * sizeof *t.todo);
    for (i = 0; i < g_nclaims; i++)
        if (g_claims[i].pg == pg && !g_claims[i].node[0])
            t.todo[t.ntodo++] = i;
    if (t.ntodo > 0) {
        t.avail = xmalloc((g_nnodes + 1) * sizeof *t.avail);
        t.where = xmalloc(t.ntodo * sizeof *t.where);
        for (i = 0; i < g_nnodes; i++)
            t.avail[i] = g_nodes[i].avail;
        t.budget = 200000;
        if (pg_assign(&t, 0)) {
            for (i = 0; i < t.ntodo; i++) {
                struct claim *c = &g_claims[t.todo[i]];
                struct node *n = &g_nodes[t.where[i]];
                snprintf(c->node, sizeof c->node, "%s", n->id + 5);
                shape_move(&n->avail, &c->shape, -1);
                n->nclaims++;
                n->ever_claimed = 1;
            }
            g->was_created = 1;
        }
        free(t.avail);
        free(t.where);
    }
    free(t.todo);
}

static int pg_unplaced(const struct pgroup *g)
{
    int pg = (int)(g - g_pgs) + 1, n = 0;
    size_t i;
    for (i = 0; i < g_nclaims; i++)
        n += g_claims[i].pg == pg && !g_claims[i].node[0];
    return n;
}

void pg_place_all(void)
{
    size_t i;
    for (i = 0; i < g_npgs; i++)
        if (!g_pgs[i].removed && pg_unplaced(&g_pgs[i]) > 0)
            pg_place(&g_pgs[i]);
}

const char *pg_state(const struct pgroup *g)
{
    if (g->removed)
        return "REMOVED";
    if (pg_unplaced(g) == 0)
        return "CREATED";
    return g->was_created ? "RESCHEDULING" : "PENDING";
}

/* ---- as the GCS reports them ---- */

/* pending_gang_resource_requests: one GangResourceRequest per group with
 * unplaced bundles, as protobuf JSON. */
void pg_gangs_json(struct sbuf *b)
{
    size_t i, k;
    int first = 1;
    sbuf_adds(b, "[");
    for (i = 0; i < g_npgs; i++) {
        struct pgroup *g = &g_pgs[i];
        struct sbuf reqs = {NULL, 0, 0};
        const char *kind = strcmp(g->strategy, "STRICT_SPREAD") == 0 ? "anti_affinity"
                           : strcmp(g->strategy, "STRICT_PACK") == 0 ? "affinity" : NULL;
        int n = 0;
        if (g->removed || pg_unplaced(g) == 0)
            continue;
        sbuf_adds(&reqs, "[");
        for (k = 0; k < g_nclaims; k++) {
            if (g_claims[k].pg != (int)i + 1 || g_claims[k].node[0])
                continue;
            sbuf_adds(&reqs, n++ ? ", {\"resources_bundle\": " : "{\"resources_bundle\": ");
            shape_json(&reqs, &g_claims[k].shape);
            if (kind)
                sbuf_printf(&reqs, ", \"placement_constraints\": [{\"%s\": {\"label_name\": "
                                   "\"_PG_%s\", \"label_value\": \"\"}}]",
                            kind, g->id);
            sbuf_adds(&reqs, "}");
        }
        sbuf_adds(&reqs, "]");
        sbuf_printf(b, "%s{\"requests\": %s, \"details\": \"%s:%s|%s\"", first ? "" : ", ",
                    reqs.data, g->id, g->strategy, pg_state(g));
        if (!g_gcs_old) /* field 3 is newer */
            sbuf_printf(b, ", \"bundle_selectors\": [{\"resource_requests\": %s}]", reqs.data);
        sbuf_adds(b, "}");
        first = 0;
        free(reqs.data);
    }
    sbuf_adds(b, "]");
}

/* dynamic_labels members of node `hex`: "_PG_<id>": "" per group with a
 * bundle on it. */
void pg_node_labels(struct sbuf *b, const char *hex)
{
    size_t i, k;
    int first = 1;
    for (i = 0; i < g_npgs; i++)
        for (k = 0; k < g_nclaims; k++)
            if (g_claims[k].pg == (int)i + 1 && strcmp(g_claims[k].node, hex) == 0) {
                sbuf_printf(b, "%s\"_PG_%s\": \"\"", first ? "" : ", ", g_pgs[i].id);
                first = 0;
                break;
            }
}

/* `ray status` "Pending Demands" lines for groups:
 * " {'CPU': 1.0} * 3 (STRICT_SPREAD): 1+ pending placement groups". */
void pg_pending_text(struct sbuf *out)
{
    struct sbuf all = {NULL, 0, 0};
    size_t i, k;
    sbuf_add(&all, "", 0);
    for (i = 0; i < g_npgs; i++) {
        struct sbuf line = {NULL, 0, 0};
        const struct shape *prev = NULL;
        int run = 0, count = 0;
        char *at;
        if (g_pgs[i].removed || pg_unplaced(&g_pgs[i]) == 0)
            continue;
        sbuf_adds(&line, " ");
        for (k = 0; k <= g_nclaims; k++) {
            const struct claim *c = k < g_nclaims ? &g_claims[k] : NULL;
            if (c && c->pg != (int)i + 1)
                continue;
            if (prev && (!c || !shape_equal(prev, &c->shape))) {
                if (line.len > 1)
                    sbuf_adds(&line, ", ");
                shape_py(&line, prev);
                sbuf_printf(&line, " * %d", run);
                run = 0;
            }
            if (c) {
                prev = &c->shape;
                run++;
            }
        }
        sbuf_printf(&line, " (%s): ", g_pgs[i].strategy);
        if ((at = strstr(all.data, line.data)) != NULL && (at == all.data || at[-1] == '\n')) {
            free(line.data); /* counted with an earlier, identical group */
            continue;
        }
        for (k = i; k < g_npgs; k++) {
            /* identical groups are counted on one line */
            count += k == i || (!g_pgs[k].removed && pg_unplaced(&g_pgs[k]) > 0 &&
                                pg_same(&g_pgs[i], &g_pgs[k]));
        }
        sbuf_printf(&all, "%s%d+ pending placement groups\n", line.data, count);
        free(line.data);
    }
    sbuf_adds(out, all.data);
    free(all.data);
}

/* Same strategy and the same bundles in the same order. */
int pg_same(const struct pgroup *a, const struct pgroup *b)
{
    int pa = (int)(a - g_pgs) + 1, pb = (int)(b - g_pgs) + 1;
    size_t i = 0, k = 0;
    if (strcmp(a->strategy, b->strategy) != 0 || a->nbundles != b->nbundles)
        return 0;
    for (;;) {
        while (i < g_nclaims && g_claims[i].pg != pa)
            i++;
        while (k < g_nclaims && g_claims[k].pg != pb)
            k++;
        if (i == g_nclaims || k == g_nclaims)
            return i == g_nclaims && k == g_nclaims;
        if (!shape_equal(&g_claims[i].shape, &g_claims[k].shape))
            return 0;
        i++;
        k++;
    }
}
