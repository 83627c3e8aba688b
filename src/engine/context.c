/*
 * engine/context.c - kiln_context: the effective configuration, the executor
 * thread pool, the task backend, the shuffle store, and ownership of every
 * RDD, shuffle dependency, broadcast and accumulator of an application
 * (what is still alive when it is freed: rdd.c and shared_vars.c release
 * RDDs and broadcasts earlier). The
 * session layer (src/session) makes contexts with ctx_new and ctx_start;
 * the accessors at the end are what the cluster runtime may use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "io/io.h"

static int conf_int(const kiln_conf *c, const char *key, int dflt, int *out)
{
    const char *v = kiln_conf_get(c, key);
    int64_t x;
    if (!v) {
        *out = dflt;
        return KILN_OK;
    }
    if (parse_int64(v, &x) || x < 1 || x > 1 << 20)
        return kiln_set_error(KILN_ECONF, "%s: expected a positive integer, got '%s'", key, v);
    *out = (int)x;
    return KILN_OK;
}

/* Reads a fraction-like number in [lo, hi] (lo excluded when open_lo). */
static int conf_double(const kiln_conf *c, const char *key, double dflt, double lo, bool open_lo,
                       double hi, double *out)
{
    const char *v = kiln_conf_get(c, key);
    *out = dflt;
    if (!v) return KILN_OK;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    while (end != v && isspace((unsigned char)*end)) end++;
    if (end == v || *end || errno || !(x >= lo) || (open_lo && x == lo) || !(x <= hi))
        return kiln_set_error(KILN_ECONF, "%s: expected a number %s %g and <= %g, got '%s'", key,
                              open_lo ? ">" : ">=", lo, hi, v);
    *out = x;
    return KILN_OK;
}

/* Reads a duration as Spark writes them: a number with a unit (us, ms, s,
 * m or min, h, d), milliseconds when there is none. *out is in seconds. */
static int conf_duration(const kiln_conf *c, const char *key, double dflt, bool positive,
                         double *out)
{
    const char *v = kiln_conf_get(c, key);
    *out = dflt;
    if (!v) return KILN_OK;
    double x;
    if (parse_duration(v, 1e-3, &x) || (positive && x <= 0))
        return kiln_set_error(KILN_ECONF, "%s: expected a %sduration such as 100ms or 2s, got '%s'",
                              key, positive ? "positive " : "", v);
    *out = x;
    return KILN_OK;
}

/* kiln.speculation and its settings (Spark's spark.speculation*). */
static int read_speculation(kiln_context *c)
{
    const char *on = kiln_conf_get(c->conf, "kiln.speculation");
    if (on && parse_bool(on, &c->speculation))
        return kiln_set_error(KILN_ECONF, "kiln.speculation: expected true or false, got '%s'", on);
    int rc = conf_duration(c->conf, "kiln.speculation.interval", 0.1, true, &c->spec_interval);
    if (!rc)
        rc = conf_double(c->conf, "kiln.speculation.multiplier", 1.5, 0, true, 1e6,
                         &c->spec_multiplier);
    if (!rc)
        rc = conf_double(c->conf, "kiln.speculation.quantile", 0.75, 0, false, 1,
                         &c->spec_quantile);
    if (!rc)
        rc = conf_duration(c->conf, "kiln.speculation.minTaskRuntime", 0.1, false,
                           &c->spec_min_runtime);
    return rc;
}

/* kiln.excludeOnFailure.* (Spark's spark.excludeOnFailure.*, task and
 * stage levels; on by default here: tasks.c says why it is safe). */
static int read_exclusion(kiln_context *c)
{
    c->exclude_on_failure = true;
    const char *on = kiln_conf_get(c->conf, "kiln.excludeOnFailure.enabled");
    if (on && parse_bool(on, &c->exclude_on_failure))
        return kiln_set_error(KILN_ECONF,
                              "kiln.excludeOnFailure.enabled: expected true or false, got '%s'",
                              on);
    int rc = conf_int(c->conf, "kiln.excludeOnFailure.task.maxTaskAttemptsPerExecutor", 1,
                      &c->exclude_task_max);
    if (!rc)
        rc = conf_int(c->conf, "kiln.excludeOnFailure.stage.maxFailedTasksPerExecutor", 2,
                      &c->exclude_stage_max);
    return rc;
}

/* Creates kiln.local.dir/kiln-XXXXXX for this context's scratch files
 * (shuffle files); it is removed when the context is freed. */
static int make_app_dir(kiln_context *c)
{
    const char *base = kiln_conf_get(c->conf, "kiln.local.dir");
    const char *tmp = getenv("TMPDIR");
    if (!base) base = tmp && *tmp ? tmp : "/tmp";
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/kiln-XXXXXX", base) >= sizeof path)
        return kiln_set_error(KILN_ECONF, "kiln.local.dir: path too long");
    if (!mkdtemp(path))
        return kiln_set_error(KILN_EIO, "kiln.local.dir: cannot create a directory in %s: %s", base,
                              strerror(errno));
    if (!(c->app_dir = strdup(path))) {
        rmdir(path);
        return KILN_ENOMEM;
    }
    return KILN_OK;
}

int ctx_new(kiln_conf *conf, kiln_context **out)
{
    *out = NULL;
    kiln_context *c = calloc(1, sizeof *c);
    if (!c) {
        kiln_conf_free(conf);
        return KILN_ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->conf = conf;
    c->max_attempts = 1;
    c->next_bcast = 1;
    /* Object-store settings (kiln.hadoop.fs.*) for the io layer. */
    int rc = io_store_configure(conf);
    if (!rc) rc = read_speculation(c);
    if (!rc) rc = read_exclusion(c);
    if (!rc) rc = mem_init(c);
    if (!rc) rc = make_app_dir(c);
    block_codec codec;
    if (!rc) rc = block_codec_parse(kiln_conf_get(c->conf, "kiln.shuffle.compress.codec"), &codec);
    char shuffle_dir[4096];
    if (!rc) {
        snprintf(shuffle_dir, sizeof shuffle_dir, "%s/shuffle", c->app_dir);
        if (!(c->shuffles = shuffle_store_new(shuffle_dir, codec))) rc = KILN_EIO;
    }
    if (!rc && !(c->events = event_bus_new())) rc = KILN_ENOMEM;
    if (rc) {
        kiln_context_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}

int ctx_start(kiln_context *c, task_backend *backend, int cores, int max_attempts)
{
    c->backend = backend ? backend : local_backend_new(c);
    if (!c->backend) return KILN_ENOMEM;
    c->backend_ships = c->backend->ops->remote;
    c->cores = cores;
    /* mem_init ran before the cores were known. */
    c->mem_task_share = c->mem_budget / (cores > 0 ? cores : 1);
    c->max_attempts = max_attempts;
    int rc = conf_int(c->conf, "kiln.default.parallelism", c->cores, &c->default_parallelism);
    if (rc) return rc;
    c->pool = pool_new(c->cores);
    /* Storage gets half the budget, execution the other half (as Spark's
     * spark.memory.storageFraction = 0.5, without borrowing). */
    c->blocks = block_store_new(c->mem_budget / 2);
    if (!c->pool || !c->blocks) return KILN_ENOMEM;
    if (!c->backend_ships) { /* local mode: map outputs may stay in memory */
        int64_t mem = 1024ll << 20;
        const char *v = kiln_conf_get(c->conf, "kiln.shuffle.memory");
        if (v && (parse_size(v, &mem) || mem < 0))
            return kiln_set_error(KILN_ECONF,
                                  "kiln.shuffle.memory: expected a size (like 0 or 256m), got '%s'",
                                  v);
        if (mem > c->mem_budget / 4) mem = c->mem_budget / 4;
        shuffle_store_set_memory(c->shuffles, (size_t)mem);
    }
    LOG(LOG_INFO, "context", "started with master %s (%d cores, %d attempts per task)",
        kiln_conf_get(c->conf, "kiln.master"), c->cores, c->max_attempts);
    return KILN_OK;
}

void kiln_context_free(kiln_context *c)
{
    if (!c) return;
    /* The application ends (the event log is renamed finished when its
     * listener is released, below). */
    if (events_wanted(c)) events_post(c, &(engine_event){.kind = EV_APP_END});
    pool_free(c->pool);
    if (c->backend) c->backend->ops->stop(c->backend);
    for (size_t i = 0; i < c->nrdds; i++) {
        kiln_rdd *r = c->rdds[i];
        if (r->ops->free_extra) r->ops->free_extra(r);
        free(r->checkpoint_dir);
        rdd_names_free(r);
        kiln_arena_free(r->arena);
        free(r->env);
        free(r);
    }
    free(c->rdds);
    for (size_t i = 0; i < c->nsdeps; i++) free(c->sdeps[i]);
    free(c->sdeps);
    free(c->dep_stage);
    free(c->stage_tries);
    for (size_t i = 0; i < c->naccs; i++) free(c->accs[i].name);
    free(c->accs);
    for (size_t i = 0; i < c->nbcasts; i++) broadcast_free(&c->bcasts[i]);
    for (size_t i = 0; i < c->nbgrave; i++) broadcast_free(&c->bgrave[i]);
    free(c->bcasts);
    free(c->bgrave);
    shuffle_store_free(c->shuffles);
    block_store_free(c->blocks);
    if (c->app_dir) (void)io_remove_tree(c->app_dir);
    free(c->app_dir);
    for (int i = 0; i < c->ncheckpoint_dirs; i++) free(c->checkpoint_dirs[i]);
    free(c->checkpoint_dirs);
    local_props_release(c);
    kiln_conf_free(c->conf);
    event_bus_free(c->events);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *kiln_context_conf(const kiln_context *c, const char *key)
{
    return kiln_conf_get(c->conf, key);
}
int kiln_context_cores(const kiln_context *c)
{
    return c->cores;
}
int kiln_context_default_parallelism(const kiln_context *c)
{
    return c->default_parallelism;
}
int kiln_context_max_attempts(const kiln_context *c)
{
    return c->max_attempts;
}

int kiln_context_cancel_jobs(kiln_context *c)
{
    if (!c) return kiln_set_error(KILN_EINVAL, "kiln_context_cancel_jobs: no context");
    /* Every job started so far: ids are given under the lock, in order. */
    pthread_mutex_lock(&c->lock);
    int below = c->next_job;
    pthread_mutex_unlock(&c->lock);
    ctx_cancel_jobs_below(c, below);
    LOG(LOG_INFO, "scheduler", "cancelling every job below job %d", below);
    /* The stages waiting for them see it within 100 ms (run_tasks). */
    if (c->backend && c->backend->ops->cancel) c->backend->ops->cancel(c->backend, below);
    return KILN_OK;
}

/* ---- What the session and the cluster runtime may use ------------------------- */

void ctx_cancel_jobs_below(kiln_context *c, int below)
{
    int cur = atomic_load(&c->cancel_below);
    while (cur < below && !atomic_compare_exchange_weak(&c->cancel_below, &cur, below)) {
    }
}

task_backend *ctx_backend(kiln_context *c)
{
    return c->backend;
}
const kiln_conf *ctx_conf(const kiln_context *c)
{
    return c->conf;
}
const char *ctx_scratch_dir(const kiln_context *c)
{
    return c->app_dir;
}
shuffle_store *ctx_shuffles(kiln_context *c)
{
    return c->shuffles;
}

void ctx_set_shuffles(kiln_context *c, shuffle_store *s)
{
    shuffle_store_free(c->shuffles);
    c->shuffles = s;
}

void ctx_register_shuffles(kiln_context *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nsdeps; i++) {
        shuffle_dep *d = c->sdeps[i];
        if (d->parent) shuffle_register(c->shuffles, d->id, d->parent->nparts, d->nreduce);
    }
    pthread_mutex_unlock(&c->lock);
}

void ctx_set_block_hooks(kiln_context *c,
                         eng_iter *(*remote_block)(kiln_context *ctx, kiln_rdd *r, int part,
                                                   kiln_task *t),
                         void (*block_cached)(kiln_context *ctx, int rdd, int part))
{
    c->remote_block = remote_block;
    c->block_cached = block_cached;
}

void ctx_note_lost_map_outputs(kiln_context *c, int64_t n)
{
    atomic_fetch_add(&c->lost_map_outputs, n);
}

void ctx_set_ui_store(kiln_context *ctx, void *store)
{
    ctx->ui_store = store;
}

void *ctx_ui_store(const kiln_context *ctx)
{
    return ctx->ui_store;
}

void ctx_note_remote_fetch(kiln_context *c, int64_t bytes, int64_t us, int64_t retries)
{
    atomic_fetch_add(&c->remote_fetch_bytes, bytes);
    atomic_fetch_add(&c->remote_fetch_us, us);
    atomic_fetch_add(&c->remote_fetch_retries, retries);
}

kiln_rdd *ctx_dep_owner(kiln_context *c, const shuffle_dep *d)
{
    (void)c;
    return d->owner;
}
