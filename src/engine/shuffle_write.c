/*
 * engine/shuffle_write.c - the map side of a shuffle for one task: the
 * records of a partition are partitioned by key (and combined map-side for
 * the combine_by_key family, through the combine cache and the combine
 * map) into the shuffle writer, which spills past the task's share of the
 * memory budget and commits one map output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine/shuffle_int.h"

/* Writes every combiner of m to the shuffle. */
static int write_combiners(shuffle_dep *d, agg_map *m, shuffle_writer *w)
{
    int rc = KILN_OK;
    kiln_value items[2];
    for (size_t i = 0; i < agg_map_size(m) && rc == KILN_OK; i++) {
        agg_entry *e = agg_map_at(m, i);
        items[0] = e->key;
        items[1] = e->val;
        kiln_value pair = kiln_tuple_ref(items, 2);
        rc = shuffle_writer_add(w, dep_partition(d, &e->key), &pair);
    }
    return rc;
}

/* Describes a record that is not a (key, value) pair. */
static int not_a_pair(kiln_task *t, shuffle_dep *d, const kiln_value *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_value_format(&b, v);
    int rc = task_error(t, KILN_ETYPE, "%s expects (key, value) pairs, got %.*s",
                        d->parent->ops->name, (int)(b.len > 200 ? 200 : b.len),
                        b.data ? (const char *)b.data : "");
    kiln_buf_release(&b);
    return rc;
}

/* Keeps the writer within the task's share of the memory budget: spills it
 * when it holds more, and keeps the budget's count up to date. A
 * map_partitions' operators (a SQL fragment's hash table) run while the
 * writer holds records, as what they emit streams into it: the most they
 * have held (a table emptied by a flush fills again) comes off the writer's
 * share, down to a quarter of it. */
static int account_writer(kiln_task *t, shuffle_writer *w, int64_t limit, int64_t *accounted)
{
    kiln_context *ctx = t->ctx;
    int64_t held = (int64_t)shuffle_writer_held(w);
    int64_t room = limit - t->mem_held_peak;
    if (room < limit / 4) room = limit / 4;
    if (held > room) {
        int64_t t0 = mono_ns();
        uint64_t written0 = shuffle_writer_spilled(w);
        int rc = shuffle_writer_spill(w);
        t->metrics.sw_time += mono_ns() - t0;
        if (rc) return task_error(t, rc, "%s", kiln_last_error());
        LOG(LOG_DEBUG, "shuffle", "task %d spilled %lld bytes of shuffle output", t->partition,
            (long long)held);
        task_note_spill(ctx, t, held);
        task_note_spill_disk(t, (int64_t)(shuffle_writer_spilled(w) - written0));
        held = (int64_t)shuffle_writer_held(w);
    }
    mem_track(ctx, accounted, held);
    return KILN_OK;
}

/* The map side of a shuffle: partitions (and optionally combines) the
 * parent's partition into the writer. */
int map_output_write(kiln_task *t, shuffle_dep *d, eng_iter *it, int map)
{
    kiln_context *ctx = t->ctx;
    shuffle_writer *w = shuffle_writer_open(ctx->shuffles, d->id, map);
    if (!w) return task_error(t, KILN_ENOMEM, "cannot open shuffle writer: %s", kiln_last_error());
    agg_map *m = d->has_agg ? agg_map_new() : NULL;
    /* The task's share of memory, split between the writer and the map; the
     * map's half includes the cache in front of it. */
    int64_t limit = m ? ctx->mem_task_share / 2 : ctx->mem_task_share;
    /* Plain reductions go through the cache first (see combine_cache.c). */
    bool cached = d->has_agg && !d->agg.create && !d->agg.zero;
    combine_cache *cache = cached ? combine_cache_new(limit / 4) : NULL;
    kiln_arena *scratch = cached ? kiln_arena_new() : NULL;
    int rc = KILN_OK;
    if (d->has_agg && (!m || (cached && (!cache || !scratch))))
        rc = task_error(t, KILN_ENOMEM, "out of memory");
    /* Round-robin start differs per map so small partitions spread evenly. */
    uint64_t rr = (uint64_t)map * 0x9E3779B97F4A7C15ull;
    const kiln_value *vals;
    size_t n;
    int64_t accounted = 0, map_accounted = 0; /* bytes of w and m in the budget */
    int64_t cache_bytes = cache ? (int64_t)combine_cache_bytes(cache) : 0;
    int64_t map_limit = limit - cache_bytes;
    mem_reserve(ctx, cache_bytes);
    while (rc == KILN_OK && (rc = it->next(it, t, &vals, &n)) > 0) {
        rc = account_writer(t, w, limit, &accounted);
        /* A map of combiners past the task's share goes to the shuffle as
         * partial results; the reduce side merges them (Spark's map-side
         * combine spills the same way, and zero values may count again). */
        if (rc == KILN_OK && m && (int64_t)agg_map_used_bytes(m) > map_limit) {
            task_note_spill(ctx, t, (int64_t)agg_map_used_bytes(m));
            rc = write_combiners(d, m, w);
            agg_map_clear(m);
        }
        if (m) mem_track(ctx, &map_accounted, (int64_t)agg_map_bytes(m));
        if (rc) break;
        if (cache) {
            rc = combine_cache_add_batch(t, &d->agg, cache, m, scratch, vals, n);
            if (rc == KILN_ETYPE)
                for (size_t i = 0; i < n; i++)
                    if (!kiln_is_pair(&vals[i])) {
                        rc = not_a_pair(t, d, &vals[i]);
                        break;
                    }
            continue;
        }
        for (size_t i = 0; i < n && rc == KILN_OK; i++) {
            const kiln_value *v = &vals[i];
            if (d->part == DEP_ROUND_ROBIN) {
                rc = shuffle_writer_add(w, (int)(rr++ % (uint64_t)d->nreduce), v);
            } else if (!kiln_is_pair(v)) {
                rc = not_a_pair(t, d, v);
            } else if (m) {
                rc = agg_combine_value(t, &d->agg, m, v);
            } else {
                int rp = dep_partition(d, kiln_key(v));
                if (rp < 0 || rp >= d->nreduce)
                    rc = task_error(t, KILN_ERANGE, "partitioner returned %d for %d partitions", rp,
                                    d->nreduce);
                else rc = shuffle_writer_add(w, rp, v);
            }
        }
    }
    mem_release(ctx, accounted + map_accounted);
    if (rc == KILN_OK && cache) rc = combine_cache_drain(t, &d->agg, cache, m);
    if (rc == KILN_OK && m) rc = write_combiners(d, m, w);
    combine_cache_free(cache);
    mem_release(ctx, cache_bytes);
    kiln_arena_free(scratch);
    agg_map_free(m);
    if (rc < 0) {
        shuffle_writer_abort(w);
        if (!t->error) task_error(t, rc, "shuffle write failed: %s", kiln_last_error());
        return rc;
    }
    uint64_t recs = 0, bytes = 0;
    shuffle_writer_stats(w, &recs, &bytes);
    t->metrics.sw_records += (int64_t)recs;
    t->metrics.sw_bytes += (int64_t)bytes;
    int64_t t0 = mono_ns();
    rc = shuffle_writer_commit(w);
    t->metrics.sw_time += mono_ns() - t0;
    if (rc) task_error(t, rc, "%s", kiln_last_error());
    return rc;
}
