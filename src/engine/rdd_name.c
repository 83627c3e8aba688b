/*
 * engine/rdd_name.c - names programs give RDDs (Spark's RDD.setName), shown
 * instead of the op in the RDD infos a job's stages carry (stage_info.c:
 * the web UI's Storage tab, the event log's "RDD Info").
 *
 * A job may read r's name on another thread while the program renames r,
 * so the current name is an atomic pointer and every name r was given stays
 * allocated (a list under the context's lock) until r goes: a name read is
 * valid for r's life, and renaming is rare.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

struct rdd_name {
    struct rdd_name *prev;
    char text[];
};

kiln_rdd *kiln_rdd_set_name(kiln_rdd *r, const char *name)
{
    if (!r) return NULL;
    rdd_name *n = NULL;
    if (name) {
        size_t len = strlen(name);
        n = malloc(sizeof *n + len + 1);
        if (!n) {
            kiln_set_error(KILN_ENOMEM, "out of memory naming RDD %d", r->id);
            return NULL;
        }
        memcpy(n->text, name, len + 1);
        pthread_mutex_lock(&r->ctx->lock);
        n->prev = r->names;
        r->names = n;
        pthread_mutex_unlock(&r->ctx->lock);
    }
    atomic_store(&r->name, n ? n->text : NULL);
    return r;
}

const char *kiln_rdd_name(const kiln_rdd *r)
{
    return r ? atomic_load(&r->name) : NULL;
}

const char *rdd_display_name(const kiln_rdd *r)
{
    const char *n = atomic_load(&r->name);
    return n ? n : r->ops->name;
}

void rdd_names_free(kiln_rdd *r)
{
    for (rdd_name *n = r->names, *prev; n; n = prev) {
        prev = n->prev;
        free(n);
    }
    r->names = NULL;
    atomic_store(&r->name, NULL);
}
