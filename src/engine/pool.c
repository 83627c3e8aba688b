/*
 * engine/pool.c - a fixed pool of executor threads draining a FIFO of
 * closures. Local mode's "executor cores" are these threads.
 */
#include <stdlib.h>

#include "engine/engine_int.h"

typedef struct job_item {
    pool_fn fn;
    void *arg;
    struct job_item *next;
} job_item;

struct thread_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job_item *head, *tail;
    bool stopping;
    int nthreads;
    int busy, queued; /* threads running an item; items waiting */
    pthread_t *threads;
};

static void *worker(void *arg)
{
    thread_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping) pthread_cond_wait(&p->cond, &p->lock);
        job_item *it = p->head;
        if (!it) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->head = it->next;
        if (!p->head) p->tail = NULL;
        p->queued--;
        p->busy++;
        pthread_mutex_unlock(&p->lock);
        it->fn(it->arg);
        free(it);
        pthread_mutex_lock(&p->lock);
        p->busy--;
        pthread_mutex_unlock(&p->lock);
    }
}

thread_pool *pool_new(int nthreads)
{
    thread_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (int i = 0; i < nthreads; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8 << 20);
        if (pthread_create(&p->threads[i], &attr, worker, p) == 0) p->nthreads++;
        pthread_attr_destroy(&attr);
    }
    if (p->nthreads == 0) {
        pool_free(p);
        return NULL;
    }
    return p;
}

void pool_free(thread_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    while (p->head) {
        job_item *n = p->head->next;
        free(p->head);
        p->head = n;
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->threads);
    free(p);
}

int pool_submit(thread_pool *p, pool_fn fn, void *arg)
{
    job_item *it = malloc(sizeof *it);
    if (!it) return KILN_ENOMEM;
    *it = (job_item){.fn = fn, .arg = arg};
    pthread_mutex_lock(&p->lock);
    if (p->tail) p->tail->next = it;
    else p->head = it;
    p->tail = it;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return KILN_OK;
}

int pool_idle(thread_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->nthreads - p->busy - p->queued;
    pthread_mutex_unlock(&p->lock);
    return n > 0 ? n : 0;
}
