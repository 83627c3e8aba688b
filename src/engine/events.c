/*
 * engine/events.c - the event bus of a context (engine.h, "Events"): a
 * list of listeners, called in the order they subscribed, on the thread
 * that posts. Listeners subscribe while the context is set up, before jobs
 * run; the list is guarded anyway, so a late subscriber is safe.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "engine/engine_int.h"

typedef struct listener {
    event_listener fn;
    void *arg;
    void (*release)(void *);
} listener;

struct event_bus {
    pthread_mutex_t lock;
    listener *ls;
    size_t n, cap;
    atomic_size_t count; /* n, read without the lock by events_wanted */
};

event_bus *event_bus_new(void)
{
    event_bus *b = calloc(1, sizeof *b);
    if (b) pthread_mutex_init(&b->lock, NULL);
    return b;
}

void event_bus_free(event_bus *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->lock);
    for (size_t i = 0; i < b->n; i++)
        if (b->ls[i].release) b->ls[i].release(b->ls[i].arg);
    free(b->ls);
    free(b);
}

int events_subscribe(kiln_context *ctx, event_listener fn, void *arg, void (*release)(void *))
{
    event_bus *b = ctx->events;
    pthread_mutex_lock(&b->lock);
    int rc = grow_for_one((void **)&b->ls, b->n, &b->cap, sizeof *b->ls, 4);
    if (rc == KILN_OK) {
        b->ls[b->n++] = (listener){fn, arg, release};
        atomic_store(&b->count, b->n);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

bool events_wanted(const kiln_context *ctx)
{
    return ctx->events && atomic_load(&ctx->events->count) > 0;
}

void events_post(kiln_context *ctx, engine_event *e)
{
    if (!events_wanted(ctx)) return;
    event_bus *b = ctx->events;
    e->time = now_seconds();
    pthread_mutex_lock(&b->lock);
    size_t n = b->n;
    pthread_mutex_unlock(&b->lock);
    /* Listeners are only ever appended and the array only grows under the
     * lock before jobs run; calling outside the lock lets a listener post. */
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&b->lock);
        listener l = b->ls[i];
        pthread_mutex_unlock(&b->lock);
        l.fn(l.arg, e);
    }
}
