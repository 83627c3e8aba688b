/*
 * engine/local_props.c - a thread's local properties of a context (Spark's
 * SparkContext.setLocalProperty, setJobDescription, setJobGroup) and the
 * job groups of running jobs (cancelJobGroup).
 *
 * The properties are per (thread, context): a thread keeps a short list,
 * one entry per context it set something on, each a list of key/value
 * strings it owns. dag.c takes a snapshot when the thread submits a job
 * (local_props_job_begin) and posts it with EV_JOB_START, as Spark copies
 * the properties into the job when it is submitted. A thread's entries go
 * when it exits (a pthread key's destructor) or, for the thread that frees
 * the context, then; another thread's entry for a freed context stays
 * (unreachable: contexts are told apart by a serial number that is never
 * reused) until that thread exits. Unlike Spark's InheritableThreadLocal,
 * a new thread starts with none.
 *
 * Job groups: a job submitted with spark.jobGroup.id set is listed (job
 * id, group) until it ends; kiln_context_cancel_job_group marks the listed
 * jobs of the group cancelled, and job_cancelled (engine_int.h) checks the
 * mark once any is set. One mutex for every context guards the lists: they
 * are touched only by jobs that have a group and by cancellations.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "engine/engine_int.h"

#define PROP_DESCRIPTION "spark.job.description"
#define PROP_GROUP "spark.jobGroup.id"
#define PROP_INTERRUPT "spark.job.interruptOnCancel"

typedef struct tl_props {
    struct tl_props *next;
    uint64_t ctx_serial;
    char **kv; /* kv[2i] the key, kv[2i+1] its value; owned */
    int n;
    size_t cap; /* pairs */
} tl_props;

static _Thread_local tl_props *tl_head;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t next_serial = 1;

static void props_free(tl_props *p)
{
    for (int i = 0; i < 2 * p->n; i++) free(p->kv[i]);
    free(p->kv);
    free(p);
}

/* At a thread's exit: its list (the value of the key) goes. */
static void tl_destroy(void *arg)
{
    for (tl_props *p = arg, *next; p; p = next) {
        next = p->next;
        props_free(p);
    }
}

static void tl_init(void)
{
    (void)pthread_key_create(&tl_key, tl_destroy);
}

static uint64_t ctx_serial(kiln_context *ctx)
{
    uint64_t s = atomic_load(&ctx->props_serial);
    if (s) return s;
    uint64_t mine = atomic_fetch_add(&next_serial, 1), none = 0;
    return atomic_compare_exchange_strong(&ctx->props_serial, &none, mine) ? mine : none;
}

/* The calling thread's entry for ctx; made when make, else NULL. */
static tl_props *tl_find(kiln_context *ctx, bool make)
{
    uint64_t serial = atomic_load(&ctx->props_serial);
    if (!serial && !make) return NULL;
    if (!serial) serial = ctx_serial(ctx);
    for (tl_props *p = tl_head; p; p = p->next)
        if (p->ctx_serial == serial) return p;
    if (!make) return NULL;
    (void)pthread_once(&tl_once, tl_init);
    tl_props *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->ctx_serial = serial;
    p->next = tl_head;
    tl_head = p;
    (void)pthread_setspecific(tl_key, tl_head);
    return p;
}

static int find_key(const tl_props *p, const char *key)
{
    for (int i = 0; p && i < p->n; i++)
        if (strcmp(p->kv[2 * i], key) == 0) return i;
    return -1;
}

KILN_API int kiln_context_set_local_property(kiln_context *ctx, const char *key, const char *value)
{
    if (!ctx || !key || !*key)
        return kiln_set_error(KILN_EINVAL, "kiln_context_set_local_property: %s",
                              ctx ? "no key" : "no context");
    tl_props *p = tl_find(ctx, value != NULL);
    int at = find_key(p, key);
    if (!value) { /* Spark's setLocalProperty(key, null) removes it */
        if (at >= 0) {
            free(p->kv[2 * at]);
            free(p->kv[2 * at + 1]);
            memmove(&p->kv[2 * at], &p->kv[2 * at + 2],
                    sizeof *p->kv * 2 * (size_t)(p->n - at - 1));
            p->n--;
        }
        return KILN_OK;
    }
    char *v = p ? strdup(value) : NULL;
    if (!v) return kiln_set_error(KILN_ENOMEM, "out of memory for local property %s", key);
    if (at >= 0) {
        free(p->kv[2 * at + 1]);
        p->kv[2 * at + 1] = v;
        return KILN_OK;
    }
    char *k = strdup(key);
    if (!k || grow_for_one((void **)&p->kv, (size_t)p->n, &p->cap, 2 * sizeof *p->kv, 4)) {
        free(k);
        free(v);
        return kiln_set_error(KILN_ENOMEM, "out of memory for local property %s", key);
    }
    p->kv[2 * p->n] = k;
    p->kv[2 * p->n + 1] = v;
    p->n++;
    return KILN_OK;
}

KILN_API const char *kiln_context_get_local_property(const kiln_context *ctx, const char *key)
{
    if (!ctx || !key) return NULL;
    tl_props *p = tl_find((kiln_context *)ctx, false);
    int at = find_key(p, key);
    return at >= 0 ? p->kv[2 * at + 1] : NULL;
}

KILN_API int kiln_context_set_job_description(kiln_context *ctx, const char *description)
{
    return kiln_context_set_local_property(ctx, PROP_DESCRIPTION, description);
}

KILN_API int kiln_context_set_job_group(kiln_context *ctx, const char *group_id,
                                        const char *description, bool interrupt_on_cancel)
{
    if (!group_id) return kiln_set_error(KILN_EINVAL, "kiln_context_set_job_group: no group id");
    int rc = kiln_context_set_local_property(ctx, PROP_DESCRIPTION, description);
    if (!rc) rc = kiln_context_set_local_property(ctx, PROP_GROUP, group_id);
    if (!rc)
        rc = kiln_context_set_local_property(ctx, PROP_INTERRUPT,
                                             interrupt_on_cancel ? "true" : "false");
    return rc;
}

KILN_API int kiln_context_clear_job_group(kiln_context *ctx)
{
    int rc = kiln_context_set_local_property(ctx, PROP_DESCRIPTION, NULL);
    if (!rc) rc = kiln_context_set_local_property(ctx, PROP_GROUP, NULL);
    if (!rc) rc = kiln_context_set_local_property(ctx, PROP_INTERRUPT, NULL);
    return rc;
}

/* ---- Handing properties to another thread ------------------------------------- */

struct kiln_local_props {
    int n;
    char **kv;
};

KILN_API void kiln_local_props_free(kiln_local_props *p)
{
    if (!p) return;
    for (int i = 0; i < 2 * p->n; i++) free(p->kv[i]);
    free(p->kv);
    free(p);
}

KILN_API kiln_local_props *kiln_context_local_props_copy(const kiln_context *ctx)
{
    tl_props *t = ctx ? tl_find((kiln_context *)ctx, false) : NULL;
    if (!t || t->n == 0) return NULL;
    kiln_local_props *p = calloc(1, sizeof *p);
    if (p) p->kv = calloc(2 * (size_t)t->n, sizeof *p->kv);
    if (!p || !p->kv) {
        free(p);
        return NULL;
    }
    for (int i = 0; i < 2 * t->n; i++)
        if (!(p->kv[i] = strdup(t->kv[i]))) {
            p->n = (i + 1) / 2;
            kiln_local_props_free(p);
            return NULL;
        }
    p->n = t->n;
    return p;
}

KILN_API int kiln_context_local_props_adopt(kiln_context *ctx, const kiln_local_props *p)
{
    if (!ctx) return kiln_set_error(KILN_EINVAL, "kiln_context_local_props_adopt: no context");
    tl_props *t = tl_find(ctx, false);
    while (t && t->n > 0) {
        int rc = kiln_context_set_local_property(ctx, t->kv[0], NULL);
        if (rc) return rc;
    }
    for (int i = 0; p && i < p->n; i++) {
        int rc = kiln_context_set_local_property(ctx, p->kv[2 * i], p->kv[2 * i + 1]);
        if (rc) return rc;
    }
    return KILN_OK;
}

const char *engine_event_prop(const engine_event *e, const char *key)
{
    for (int i = 0; e->props && i < e->nprops; i++)
        if (e->props[2 * i] && strcmp(e->props[2 * i], key) == 0) return e->props[2 * i + 1];
    return NULL;
}

static void local_props_forget(kiln_context *ctx)
{
    uint64_t serial = atomic_load(&ctx->props_serial);
    if (!serial) return;
    for (tl_props **pp = &tl_head; *pp; pp = &(*pp)->next)
        if ((*pp)->ctx_serial == serial) {
            tl_props *p = *pp;
            *pp = p->next;
            props_free(p);
            (void)pthread_setspecific(tl_key, tl_head);
            return;
        }
}

/* ---- Job groups --------------------------------------------------------------- */

struct job_group_set {
    struct {
        int job;
        bool cancelled;
        char *group;
    } * v;
    size_t n, cap;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;

bool local_props_job_begin(kiln_context *ctx, int job, const char *const **kv, int *n)
{
    tl_props *p = tl_find(ctx, false);
    *kv = p && p->n ? (const char *const *)p->kv : NULL;
    *n = p ? p->n : 0;
    int at = find_key(p, PROP_GROUP);
    if (at < 0) return false;
    char *group = strdup(p->kv[2 * at + 1]);
    if (!group) return false; /* the job cannot be cancelled by its group, nothing worse */
    pthread_mutex_lock(&groups_lock);
    job_group_set *s = ctx->job_groups;
    if (!s) s = ctx->job_groups = calloc(1, sizeof *s);
    if (s && !grow_for_one((void **)&s->v, s->n, &s->cap, sizeof *s->v, 4)) {
        s->v[s->n].job = job;
        s->v[s->n].cancelled = false;
        s->v[s->n++].group = group;
        group = NULL;
    }
    pthread_mutex_unlock(&groups_lock);
    bool listed = group == NULL;
    free(group);
    return listed;
}

/* Jobs cancelled alone (ctx_cancel_job, on an executor) and cancelled
 * jobs that have ended (whose tasks may still run, and must see it) are
 * listed without a group: the oldest go past this many. */
enum { CANCELLED_JOBS_KEPT = 256 };

/* Drops the oldest jobs listed without a group while there are more than
 * CANCELLED_JOBS_KEPT. Caller holds groups_lock. */
static void forget_old_cancels_locked(kiln_context *ctx, job_group_set *s)
{
    for (;;) {
        size_t alone = 0, oldest = 0;
        for (size_t i = 0; i < s->n; i++)
            if (!s->v[i].group && (!alone++ || s->v[i].job < s->v[oldest].job)) oldest = i;
        if (alone <= CANCELLED_JOBS_KEPT) return;
        s->v[oldest] = s->v[--s->n];
        atomic_fetch_sub(&ctx->group_cancels, 1);
    }
}

void local_props_job_end(kiln_context *ctx, int job)
{
    pthread_mutex_lock(&groups_lock);
    job_group_set *s = ctx->job_groups;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i].job == job && s->v[i].group) {
            free(s->v[i].group);
            s->v[i].group = NULL;
            /* A cancelled job's tasks still running stop at their next check. */
            if (s->v[i].cancelled) forget_old_cancels_locked(ctx, s);
            else s->v[i] = s->v[--s->n];
            break;
        }
    pthread_mutex_unlock(&groups_lock);
}

bool job_group_cancelled(const kiln_context *ctx, int job)
{
    bool yes = false;
    pthread_mutex_lock(&groups_lock);
    const job_group_set *s = ctx->job_groups;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i].job == job) {
            yes = s->v[i].cancelled;
            break;
        }
    pthread_mutex_unlock(&groups_lock);
    return yes;
}

KILN_API int kiln_context_cancel_job_group(kiln_context *ctx, const char *group_id)
{
    if (!ctx || !group_id)
        return kiln_set_error(KILN_EINVAL, "kiln_context_cancel_job_group: %s",
                              ctx ? "no group id" : "no context");
    int n = 0, *jobs = NULL;
    pthread_mutex_lock(&groups_lock);
    job_group_set *s = ctx->job_groups;
    if (s && s->n) jobs = malloc(s->n * sizeof *jobs);
    for (size_t i = 0; s && i < s->n; i++)
        if (!s->v[i].cancelled && s->v[i].group && strcmp(s->v[i].group, group_id) == 0) {
            s->v[i].cancelled = true;
            atomic_fetch_add(&ctx->group_cancels, 1);
            if (jobs) jobs[n] = s->v[i].job;
            n++;
        }
    pthread_mutex_unlock(&groups_lock);
    LOG(LOG_INFO, "scheduler", "cancelling %d running job(s) of group %s", n, group_id);
    /* Their tasks on executors stop too (without the list, only once they
     * end: the jobs fail here either way). */
    task_backend *b = ctx->backend;
    for (int i = 0; jobs && i < n && b && b->ops->cancel_job; i++) b->ops->cancel_job(b, jobs[i]);
    free(jobs);
    return KILN_OK;
}

void ctx_cancel_job(kiln_context *ctx, int job)
{
    pthread_mutex_lock(&groups_lock);
    job_group_set *s = ctx->job_groups;
    if (!s) s = ctx->job_groups = calloc(1, sizeof *s);
    bool known = false;
    for (size_t i = 0; s && i < s->n && !known; i++) known = s->v[i].job == job;
    if (s && !known && !grow_for_one((void **)&s->v, s->n, &s->cap, sizeof *s->v, 4)) {
        s->v[s->n].job = job;
        s->v[s->n].cancelled = true;
        s->v[s->n++].group = NULL;
        atomic_fetch_add(&ctx->group_cancels, 1);
        forget_old_cancels_locked(ctx, s);
    }
    pthread_mutex_unlock(&groups_lock);
}

void local_props_release(kiln_context *ctx)
{
    local_props_forget(ctx);
    job_group_set *s = ctx->job_groups;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) free(s->v[i].group);
    free(s->v);
    free(s);
    ctx->job_groups = NULL;
}
