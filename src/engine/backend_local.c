/*
 * engine/backend_local.c - the engine's task runner and its local backend.
 *
 * task_run_here computes one task in this process: it is how a pool thread
 * of a local[N] context runs a task (through the local backend below) and
 * how an executor process of a cluster runs the tasks sent to it
 * (src/cluster/executor.c), so both run the same code.
 */
#include <stdlib.h>

#include "engine/shuffle_int.h"

int task_run_here(kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep, part_result_fn fn, void *arg,
                  kiln_buf *result)
{
    ctx_task_begin(t->ctx);
    int64_t wall0 = mono_ns(), cpu0 = thread_cpu_ns();
    size_t result0 = result ? result->len : 0;
    t->scratch = kiln_arena_new();
    int rc;
    eng_iter *it = t->scratch ? rdd_iterator(dep ? dep->parent : rdd, t->partition, t) : NULL;
    if (!it) {
        rc = t->error ? KILN_EJOB : task_error(t, KILN_ENOMEM, "out of memory");
    } else {
        rc = dep ? map_output_write(t, dep, it, t->partition) : fn(t, it, result, arg);
        it->close(it);
    }
    if (rc && !t->error) task_error(t, rc, "%s", kiln_strerror(rc));
    kiln_arena_free(t->scratch);
    t->scratch = NULL;
    t->metrics.run_time = (mono_ns() - wall0) / 1000000;
    t->metrics.cpu_time = thread_cpu_ns() - cpu0;
    t->metrics.result_size = result ? (int64_t)(result->len - result0) : 0;
    if (t->mem_held_peak > t->metrics.peak_memory) t->metrics.peak_memory = t->mem_held_peak;
    ctx_task_end(t->ctx);
    return rc;
}

int task_encode_records(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    (void)arg;
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n; i++)
            if ((rc = kiln_value_encode(out, &vals[i]))) return rc;
    }
    return rc;
}

/* ---- The local backend: tasks on the context's own threads ------------------- */

typedef struct local_backend {
    task_backend base;
    kiln_context *ctx;
} local_backend;

static int local_cores(task_backend *b)
{
    return ((local_backend *)b)->ctx->cores;
}

static int local_run_task(task_backend *b, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                          part_result_fn fn, void *arg, const shipped_action *ship,
                          kiln_buf *result)
{
    (void)b;
    (void)ship; /* the records are here: the action's own function runs on them */
    return task_run_here(t, rdd, dep, fn, arg, result);
}

static int local_cached_partitions(task_backend *b, int rdd)
{
    return block_store_count(((local_backend *)b)->ctx, rdd, NULL, NULL);
}

static void local_unpersist(task_backend *b, int rdd)
{
    (void)b; /* the context's block store is the only one */
    (void)rdd;
}

static void local_stop(task_backend *b)
{
    free(b);
}

static const task_backend_ops local_ops = {
    .name = "local",
    .cores = local_cores,
    .run_task = local_run_task,
    .cached_partitions = local_cached_partitions,
    .unpersist = local_unpersist,
    .stop = local_stop,
    .remote = false,
};

task_backend *local_backend_new(kiln_context *ctx)
{
    local_backend *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->base.ops = &local_ops;
    b->ctx = ctx;
    return &b->base;
}
