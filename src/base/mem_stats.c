/*
 * base/mem_stats.c - the process-wide count of bytes held by arenas and byte
 * buffers (kiln_arena blocks, kiln_buf capacity): the memory that holds
 * records, encodings and shuffle blocks. Reported in kiln_context_metrics.
 */
#include <stdatomic.h>

#include "base/base.h"

static _Atomic int64_t tracked_now, tracked_peak;

void mem_stats_add(int64_t delta)
{
    int64_t now = atomic_fetch_add(&tracked_now, delta) + delta;
    int64_t peak = atomic_load(&tracked_peak);
    while (now > peak && !atomic_compare_exchange_weak(&tracked_peak, &peak, now)) {
    }
}

void mem_stats_read(int64_t *now, int64_t *peak)
{
    *now = atomic_load(&tracked_now);
    *peak = atomic_load(&tracked_peak);
}
