/*
 * engine/speculation.c - copies of straggling tasks (kiln.speculation,
 * Spark's spark.speculation): the check run_tasks makes every
 * kiln.speculation.interval.
 */
#include <stdlib.h>

#include "engine/scheduler_int.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Launches one copy of each straggler (Spark's checkSpeculatableTasks):
 * once quantile x tasks have finished, a task running for longer than
 * max(multiplier x their median duration, minTaskRuntime) and not copied
 * yet gets a copy, while the pool has a thread free for it. Caller holds
 * s->lock. */
void speculate(stage_run *s, double *durations)
{
    kiln_context *ctx = s->ctx;
    int need = (int)(ctx->spec_quantile * s->ntasks);
    if (need < 1) need = 1;
    if (s->done < need || s->done == s->ntasks) return;
    int n = 0;
    for (int i = 0; i < s->ntasks; i++)
        if (s->finished[i]) durations[n++] = s->ts[i].duration;
    qsort(durations, (size_t)n, sizeof *durations, cmp_double);
    double median = n % 2 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
    double threshold = ctx->spec_multiplier * median;
    if (threshold < ctx->spec_min_runtime) threshold = ctx->spec_min_runtime;
    double now = now_seconds();
    int idle = -1; /* asked for only when there is a straggler */
    for (int i = 0; i < s->ntasks; i++) {
        task_state *ts = &s->ts[i];
        if (s->finished[i] || ts->copied || ts->started == 0 || now - ts->started <= threshold)
            continue;
        if (idle < 0) idle = pool_idle(ctx->pool);
        if (idle == 0) return;
        int attempt = ts->next_attempt;
        if (task_submit(s, i, true) != KILN_OK) return;
        idle--;
        ts->copied = true;
        atomic_fetch_add(&ctx->speculative_attempts, 1);
        LOG(LOG_INFO, "scheduler",
            "speculating task %d.%d in stage %d (running %.3f s, median %.3f s)", s->parts[i],
            attempt, s->stage, now - ts->started, median);
    }
}
