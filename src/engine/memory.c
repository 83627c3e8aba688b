/*
 * engine/memory.c - the executor's memory budget (kiln.executor.memory).
 *
 * Consumers that can grow without bound (shuffle writers, sort buffers)
 * reserve what they hold and give it back when they spill or finish. Each
 * running task may hold up to budget / cores before it must spill, the
 * static half of Spark's rule (a task gets between 1/(2N) and 1/N of the
 * pool); the total is tracked so tests and logs can see it.
 */
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine/engine_int.h"

int mem_init(kiln_context *c)
{
    const char *v = kiln_conf_get(c->conf, "kiln.executor.memory");
    int64_t budget = 1024ll << 20; /* 1 GiB, Spark's default executor memory */
    if (v && (parse_size(v, &budget) || budget < (1 << 20)))
        return kiln_set_error(KILN_ECONF,
                              "kiln.executor.memory: expected a size of at least 1m (like 512m "
                              "or 4g), got '%s'",
                              v);
    c->mem_budget = budget;
    int64_t retain = budget / 4; /* as a JVM heap or DuckDB's buffer pool keep theirs */
    v = kiln_conf_get(c->conf, "kiln.executor.memory.retain");
    if (v && (parse_size(v, &retain) || retain < 0))
        return kiln_set_error(KILN_ECONF,
                              "kiln.executor.memory.retain: expected a size (like 0 or 512m), "
                              "got '%s'",
                              v);
#ifdef __GLIBC__
    /* By default blocks of 256 KiB and more (arena blocks, buffers, hash
     * tables) are mapped on their own, so what a task frees goes back to
     * the system instead of staying in its thread's malloc arena, where
     * glibc's adaptive threshold would otherwise keep up to 64 MiB per
     * thread. With kiln.executor.memory.retain, blocks up to 32 MiB come
     * from the heap and it is trimmed only past that size, so the next
     * query reuses the pages instead of faulting in zeroed ones. The
     * environment's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ still
     * win. */
    if (!getenv("MALLOC_MMAP_THRESHOLD_"))
        mallopt(M_MMAP_THRESHOLD, retain > 0 ? 32 << 20 : 256 << 10);
    if (retain > 0 && !getenv("MALLOC_TRIM_THRESHOLD_"))
        mallopt(M_TRIM_THRESHOLD, retain > INT32_MAX ? INT32_MAX : (int)retain);
#endif
    c->mem_task_share = budget / (c->cores > 0 ? c->cores : 1);
    return KILN_OK;
}

void mem_reserve(kiln_context *c, int64_t n)
{
    int64_t now = atomic_fetch_add(&c->mem_used, n) + n;
    int64_t peak = atomic_load(&c->mem_peak);
    while (now > peak && !atomic_compare_exchange_weak(&c->mem_peak, &peak, now)) {
    }
}

void mem_release(kiln_context *c, int64_t n)
{
    atomic_fetch_sub(&c->mem_used, n);
}

void spill_path(kiln_context *c, const char *ext, char *out)
{
    uint64_t n = atomic_fetch_add(&c->spill_seq, 1);
    snprintf(out, 4096, "%s/spill_%llu.%s", c->app_dir, (unsigned long long)n, ext);
}

void mem_note_spill(kiln_context *c, int64_t n)
{
    atomic_fetch_add(&c->spill_count, 1);
    atomic_fetch_add(&c->spill_bytes, n);
}

void kiln_context_metrics(const kiln_context *c, kiln_metrics *out)
{
    kiln_context *m = (kiln_context *)c; /* atomics are read, not changed */
    *out = (kiln_metrics){.memory_budget = c->mem_budget,
                          .memory_peak = atomic_load(&m->mem_peak),
                          .spill_count = atomic_load(&m->spill_count),
                          .spill_bytes = atomic_load(&m->spill_bytes),
                          .merge_passes = atomic_load(&m->merge_passes),
                          .task_attempts = atomic_load(&m->task_attempts),
                          .lost_map_outputs = atomic_load(&m->lost_map_outputs),
                          .remote_fetch_bytes = atomic_load(&m->remote_fetch_bytes),
                          .remote_fetch_us = atomic_load(&m->remote_fetch_us),
                          .remote_fetch_retries = atomic_load(&m->remote_fetch_retries),
                          .failed_attempts = atomic_load(&m->failed_attempts),
                          .speculative_attempts = atomic_load(&m->speculative_attempts),
                          .speculative_wins = atomic_load(&m->speculative_wins)};
    mem_stats_read(&out->tracked_bytes, &out->tracked_peak);
}

void mem_track(kiln_context *c, int64_t *accounted, int64_t held)
{
    if (held > *accounted) mem_reserve(c, held - *accounted);
    else mem_release(c, *accounted - held);
    *accounted = held;
}
