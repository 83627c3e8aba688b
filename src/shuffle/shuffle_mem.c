/*
 * shuffle/shuffle_mem.c - in-memory shuffle store: map outputs are arrays of
 * encoded segments, published under a lock by the first attempt to commit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shuffle/shuffle.h"

typedef struct map_output {
    kiln_buf *segs; /* nreduce, NULL until committed */
} map_output;

typedef struct shuffle_entry {
    int id, nmaps, nreduce;
    map_output *maps;
} shuffle_entry;

struct shuffle_store {
    pthread_mutex_t lock;
    shuffle_entry *e;
    size_t n, cap;
};

struct shuffle_writer {
    shuffle_store *s;
    int id, map, nreduce; /* not a pointer to the entry: the array may move */
    kiln_buf *segs;
};

shuffle_store *shuffle_store_new(void)
{
    shuffle_store *s = calloc(1, sizeof *s);
    if (s) pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void free_segs(kiln_buf *segs, int n)
{
    if (!segs) return;
    for (int i = 0; i < n; i++) kiln_buf_release(&segs[i]);
    free(segs);
}

void shuffle_store_free(shuffle_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        for (int m = 0; m < s->e[i].nmaps; m++) free_segs(s->e[i].maps[m].segs, s->e[i].nreduce);
        free(s->e[i].maps);
    }
    free(s->e);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Caller holds the lock. */
static shuffle_entry *find(shuffle_store *s, int id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].id == id) return &s->e[i];
    return NULL;
}

int shuffle_register(shuffle_store *s, int id, int nmaps, int nreduce)
{
    pthread_mutex_lock(&s->lock);
    int rc = KILN_OK;
    if (!find(s, id)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            shuffle_entry *e = realloc(s->e, cap * sizeof *e);
            if (!e) { rc = KILN_ENOMEM; goto out; }
            s->e = e;
            s->cap = cap;
        }
        map_output *maps = calloc(nmaps ? nmaps : 1, sizeof *maps);
        if (!maps) { rc = KILN_ENOMEM; goto out; }
        s->e[s->n++] = (shuffle_entry){.id = id, .nmaps = nmaps, .nreduce = nreduce, .maps = maps};
    }
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int shuffle_missing(shuffle_store *s, int id, int *missing)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int n = 0;
    for (int m = 0; e && m < e->nmaps; m++)
        if (!e->maps[m].segs) missing[n++] = m;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool shuffle_complete(shuffle_store *s, int id)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    bool done = e != NULL;
    for (int m = 0; e && m < e->nmaps; m++)
        if (!e->maps[m].segs) done = false;
    pthread_mutex_unlock(&s->lock);
    return done;
}

shuffle_writer *shuffle_writer_open(shuffle_store *s, int id, int map)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int nreduce = e ? e->nreduce : 0;
    pthread_mutex_unlock(&s->lock);
    if (!e) return NULL;
    shuffle_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->segs = calloc(nreduce ? nreduce : 1, sizeof *w->segs);
    if (!w->segs) { free(w); return NULL; }
    w->s = s;
    w->id = id;
    w->map = map;
    w->nreduce = nreduce;
    return w;
}

int shuffle_writer_add(shuffle_writer *w, int reduce, const kiln_value *v)
{
    return kiln_value_encode(&w->segs[reduce], v);
}

int shuffle_writer_commit(shuffle_writer *w)
{
    pthread_mutex_lock(&w->s->lock);
    /* Entries may move when the array grows: look the entry up again. */
    shuffle_entry *e = find(w->s, w->id);
    if (e && !e->maps[w->map].segs) {
        e->maps[w->map].segs = w->segs;
        w->segs = NULL;
    }
    pthread_mutex_unlock(&w->s->lock);
    shuffle_writer_abort(w);
    return KILN_OK;
}

void shuffle_writer_abort(shuffle_writer *w)
{
    if (!w) return;
    free_segs(w->segs, w->nreduce);
    free(w);
}

int shuffle_read(shuffle_store *s, int id, int reduce,
                 int (*fn)(void *arg, const uint8_t *p, size_t n), void *arg)
{
    pthread_mutex_lock(&s->lock);
    shuffle_entry *e = find(s, id);
    int nmaps = e ? e->nmaps : 0;
    pthread_mutex_unlock(&s->lock);
    for (int m = 0; m < nmaps; m++) {
        pthread_mutex_lock(&s->lock);
        e = find(s, id);
        kiln_buf *segs = e->maps[m].segs;
        pthread_mutex_unlock(&s->lock);
        if (!segs) return kiln_set_error(KILN_ENOTFOUND, "shuffle %d: map output %d missing", id, m);
        int rc = fn(arg, segs[reduce].data, segs[reduce].len);
        if (rc) return rc;
    }
    return KILN_OK;
}

size_t shuffle_bytes(shuffle_store *s)
{
    size_t total = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        for (int m = 0; m < s->e[i].nmaps; m++)
            for (int r = 0; s->e[i].maps[m].segs && r < s->e[i].nreduce; r++)
                total += s->e[i].maps[m].segs[r].len;
    pthread_mutex_unlock(&s->lock);
    return total;
}
