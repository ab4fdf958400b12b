/*
 * standin_resources.h - the ray stand-in's resource model (a test fixture,
 * not Ray): what every node has and has free, the demand that waits for
 * room (queued shapes with counts), placement groups and the
 * request_resources constraint. standin_resources.c keeps it; the GCS's
 * autoscaler service (standin_autoscaler.c) and `ray status` read it.
 *
 * A "shape" is a set of resources, {"CPU": 1, "GPU": 1}, as Ray's
 * ResourceRequest.resources_bundle. A "claim" is one unit of demand: it is
 * pending until a node that is alive, not draining and has that much
 * available takes it (the node's available resources go down, the node is
 * RUNNING), and it gives its resources back when it is released (the node
 * turns IDLE RAY_STANDIN_IDLE_AFTER_MS, default 1000, after its last claim
 * ends). Pending claims are what GetClusterResourceState reports as
 * pending_resource_requests; a claim on a node that dies is pending again.
 *
 * The C API below is for any part of the stand-in that makes demand (jobs
 * with entrypoint resources; Serve replicas). Everything runs in the head's
 * single-threaded poll loop: call it from there only.
 */
#ifndef STANDIN_RESOURCES_H
#define STANDIN_RESOURCES_H

#include <stdint.h>

#define SHAPE_MAX 16      /* resources in one shape */
#define SHAPE_NAME_MAX 64 /* longest resource name, with its NUL */

struct shape {
    int n;
    char name[SHAPE_MAX][SHAPE_NAME_MAX];
    double v[SHAPE_MAX];
};

/* Called when unit `unit` (0..count-1) of request `id` is placed on node
 * `node_hex` (the 56 hex digits of its node id; its IP is
 * standin_node_ip(node_hex)). It may be called again for the same unit if
 * that node dies and the unit is placed elsewhere. */
typedef void (*standin_placed_fn)(void *arg, int id, int unit, const char *node_hex);

/* Sets *s from a JSON object of non-negative numbers ({"CPU": 1, "accel": 2});
 * members that are 0 are left out. Returns 0, or -1 with a reason in err. */
int shape_from_json(const char *json, struct shape *s, char *err, size_t errcap);
/* Adds `v` of resource `name` to *s (0 is ignored; returns -1 when full). */
int shape_add(struct shape *s, const char *name, double v);

/* Queues `count` units of `shape` for `owner` (any text, e.g. "serve:app1:
 * replica"), places what fits now, and returns the request's id (> 0).
 * `placed` (may be NULL) is called for each unit placed, now or later. */
int standin_demand_add(const char *owner, const struct shape *shape, int count,
                       standin_placed_fn placed, void *arg);
/* How many units of request `id` are placed; *node_hex, when not NULL, is
 * set to the node of its first placed unit (or NULL); copy it: it is valid
 * only until demand is next added. */
int standin_demand_placed(int id, const char **node_hex);
/* Releases every unit of request `id`, placed or pending. */
void standin_demand_release(int id);
/* Releases every request of `owner`. */
void standin_demand_release_owner(const char *owner);

/* Placement groups: bundles (each a shape), strategy STRICT_SPREAD,
 * STRICT_PACK, PACK or SPREAD; placed all or nothing. Returns the id (36
 * hex digits, as Ray's PlacementGroupID) in out[37], or -1 with a reason. */
int standin_pg_create(const struct shape *bundles, int nbundles, const char *strategy,
                      const char *name, char out[37], char *err, size_t errcap);
int standin_pg_remove(const char *id_hex); /* 0, or -1: no such group */

/* The IP of the alive node whose id is node_hex, or NULL. */
const char *standin_node_ip(const char *node_hex);

#endif
