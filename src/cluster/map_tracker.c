/*
 * cluster/map_tracker.c - the driver's map output tracker (blocks.h): which
 * executor holds each map output, and where each executor's block server
 * listens. Tasks carry the part of it they need; an executor's loss forgets
 * every output it held, so the scheduler computes them again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/blocks.h"

#define NONE UINT32_MAX

typedef struct exec_addr {
    uint32_t exec;
    char host[NET_HOST_MAX];
    int port;
} exec_addr;

typedef struct tracked {
    int id, nmaps;
    uint32_t *exec; /* per map output: its holder, NONE if none */
} tracked;

typedef struct cached_block {
    int rdd, part;
    uint32_t exec;
} cached_block;

struct map_tracker {
    pthread_mutex_t lock;
    cached_block *cached; /* partitions of persisted RDDs cached on executors */
    size_t ncached, cap_cached;
    exec_addr *execs;
    size_t nexecs, cap_execs;
    tracked *shuffles;
    size_t nshuffles, cap_shuffles;
};

map_tracker *map_tracker_new(void)
{
    map_tracker *t = calloc(1, sizeof *t);
    if (t) pthread_mutex_init(&t->lock, NULL);
    return t;
}

void map_tracker_free(map_tracker *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nshuffles; i++) free(t->shuffles[i].exec);
    free(t->shuffles);
    free(t->execs);
    free(t->cached);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int map_tracker_add_executor(map_tracker *t, uint32_t exec, const char *host, int port)
{
    pthread_mutex_lock(&t->lock);
    int rc = grow_for_one((void **)&t->execs, t->nexecs, &t->cap_execs, sizeof *t->execs, 8);
    if (rc == KILN_OK) {
        exec_addr *e = &t->execs[t->nexecs++];
        *e = (exec_addr){.exec = exec, .port = port};
        snprintf(e->host, sizeof e->host, "%s", host);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

/* Caller holds the lock. */
static tracked *find(map_tracker *t, int id)
{
    for (size_t i = 0; i < t->nshuffles; i++)
        if (t->shuffles[i].id == id) return &t->shuffles[i];
    return NULL;
}

int map_tracker_record(map_tracker *t, int id, int nmaps, int map, uint32_t exec)
{
    int rc = KILN_OK;
    pthread_mutex_lock(&t->lock);
    tracked *s = find(t, id);
    if (!s && !(rc = grow_for_one((void **)&t->shuffles, t->nshuffles, &t->cap_shuffles,
                                  sizeof *t->shuffles, 8))) {
        uint32_t *e = malloc(sizeof *e * ((size_t)nmaps + 1));
        if (!e) {
            rc = KILN_ENOMEM;
        } else {
            for (int m = 0; m < nmaps; m++) e[m] = NONE;
            s = &t->shuffles[t->nshuffles++];
            *s = (tracked){.id = id, .nmaps = nmaps, .exec = e};
        }
    }
    if (s && map >= 0 && map < s->nmaps) s->exec[map] = exec;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int map_tracker_lose_executor(map_tracker *t, uint32_t exec,
                              void (*lost)(void *arg, int id, int map), void *arg)
{
    int n = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->ncached;) {
        if (t->cached[i].exec == exec) t->cached[i] = t->cached[--t->ncached];
        else i++;
    }
    for (size_t i = 0; i < t->nshuffles; i++) {
        tracked *s = &t->shuffles[i];
        for (int m = 0; m < s->nmaps; m++) {
            if (s->exec[m] != exec) continue;
            s->exec[m] = NONE;
            lost(arg, s->id, m);
            n++;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* Adds id to the set ids (n of them) unless it is there. */
static int add_id(int **ids, size_t *n, size_t *cap, int id)
{
    for (size_t k = 0; k < *n; k++)
        if ((*ids)[k] == id) return KILN_OK;
    int rc = grow_for_one((void **)ids, *n, cap, sizeof **ids, 8);
    if (rc == KILN_OK) (*ids)[(*n)++] = id;
    return rc;
}

/* The ids of the shuffles a stage's tasks read, and of the persisted RDDs
 * they pass (rdd_walk_stage). */
typedef struct stage_ids {
    int *ids, *pers;
    size_t n, cap, npers, cap_pers;
} stage_ids;

static int collect(void *arg, int shuffle, int rdd)
{
    stage_ids *s = arg;
    return shuffle >= 0 ? add_id(&s->ids, &s->n, &s->cap, shuffle)
                        : add_id(&s->pers, &s->npers, &s->cap_pers, rdd);
}

int map_tracker_encode_for(map_tracker *t, const kiln_rdd *rdd, kiln_buf *out)
{
    stage_ids st = {0};
    int rc = rdd_walk_stage(rdd, collect, &st);
    int *ids = st.ids, *pers = st.pers;
    size_t nids = st.n, npers = st.npers;
    wire_writer w;
    wire_writer_init(&w, out);
    pthread_mutex_lock(&t->lock);
    wire_put_u32(&w, (uint32_t)t->nexecs);
    for (size_t i = 0; i < t->nexecs; i++) {
        wire_put_u32(&w, t->execs[i].exec);
        wire_put_str(&w, t->execs[i].host);
        wire_put_u32(&w, (uint32_t)t->execs[i].port);
    }
    uint32_t nknown = 0;
    for (size_t i = 0; i < nids; i++) nknown += find(t, ids[i]) != NULL;
    wire_put_u32(&w, nknown);
    for (size_t i = 0; i < nids; i++) {
        tracked *s = find(t, ids[i]);
        if (!s) continue;
        wire_put_u32(&w, (uint32_t)s->id);
        wire_put_u32(&w, (uint32_t)s->nmaps);
        for (int m = 0; m < s->nmaps; m++) wire_put_u32(&w, s->exec[m]);
    }
    uint32_t ncached = 0;
    for (size_t i = 0; i < t->ncached; i++)
        for (size_t k = 0; k < npers; k++) ncached += t->cached[i].rdd == pers[k];
    wire_put_u32(&w, ncached);
    for (size_t i = 0; i < t->ncached; i++)
        for (size_t k = 0; k < npers; k++) {
            if (t->cached[i].rdd != pers[k]) continue;
            wire_put_u32(&w, (uint32_t)t->cached[i].rdd);
            wire_put_u32(&w, (uint32_t)t->cached[i].part);
            wire_put_u32(&w, t->cached[i].exec);
        }
    pthread_mutex_unlock(&t->lock);
    free(ids);
    free(pers);
    return rc ? rc : wire_writer_finish(&w);
}

int map_tracker_add_cached(map_tracker *t, int rdd, int part, uint32_t exec)
{
    int rc = KILN_OK;
    pthread_mutex_lock(&t->lock);
    bool known = false;
    for (size_t i = 0; i < t->ncached && !known; i++)
        known = t->cached[i].rdd == rdd && t->cached[i].part == part && t->cached[i].exec == exec;
    if (!known && !(rc = grow_for_one((void **)&t->cached, t->ncached, &t->cap_cached,
                                      sizeof *t->cached, 16)))
        t->cached[t->ncached++] = (cached_block){.rdd = rdd, .part = part, .exec = exec};
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int map_tracker_cached_count(map_tracker *t, int rdd)
{
    int n = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->ncached; i++) {
        if (t->cached[i].rdd != rdd) continue;
        bool again = false; /* another executor's copy of a partition counted already */
        for (size_t k = 0; k < i && !again; k++)
            again = t->cached[k].rdd == rdd && t->cached[k].part == t->cached[i].part;
        n += !again;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

void map_tracker_forget_rdd(map_tracker *t, int rdd)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->ncached;) {
        if (t->cached[i].rdd == rdd) t->cached[i] = t->cached[--t->ncached];
        else i++;
    }
    pthread_mutex_unlock(&t->lock);
}

void map_tracker_forget_shuffle(map_tracker *t, int id)
{
    pthread_mutex_lock(&t->lock);
    tracked *s = find(t, id);
    if (s) {
        free(s->exec);
        *s = t->shuffles[--t->nshuffles];
    }
    pthread_mutex_unlock(&t->lock);
}

size_t map_tracker_shuffle_count(map_tracker *t)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->nshuffles;
    pthread_mutex_unlock(&t->lock);
    return n;
}

int map_tracker_cached_at(map_tracker *t, const kiln_rdd *r, int part)
{
    int exec = -1;
    pthread_mutex_lock(&t->lock);
    for (; r && exec < 0; r = rdd_narrow_parent(r)) {
        int id = kiln_rdd_id(r);
        for (size_t i = 0; i < t->ncached && exec < 0; i++)
            if (t->cached[i].rdd == id && t->cached[i].part == part) exec = (int)t->cached[i].exec;
    }
    pthread_mutex_unlock(&t->lock);
    return exec;
}
