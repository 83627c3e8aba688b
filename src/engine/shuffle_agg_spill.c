/*
 * engine/shuffle_agg_spill.c - reduce-side aggregation beyond the memory budget.
 *
 * When a reduce task's hash map of keys outgrows its share of memory, its
 * entries, already in output shape ((k, combiner), (k, [values]) or
 * (k, ([v...], [w...]))), are pushed into a sorter, which sorts by key and
 * spills runs to disk as it needs; the map then starts empty. At the end the
 * sorted stream is merged: consecutive records with equal keys become one,
 * combining combiners with merge_comb or concatenating the lists (earlier
 * records first, so group order follows the input). Output comes in key
 * order rather than first-seen order.
 */
#include <stdlib.h>

#include "engine/shuffle_int.h"

struct agg_spill {
    kiln_task *t;
    int kind; /* SH_AGG, SH_GROUP or SH_COGROUP */
    const aggregator *agg;
    sorter *sort;
    /* the sorted stream */
    const kiln_value *batch;
    size_t nbatch, pos;
    bool done;
    /* the record being merged */
    bool has_pending;
    kiln_arena *pending_arena;
    kiln_value pending_key, pending_val; /* SH_AGG */
    val_vec lists[2];                    /* SH_GROUP / SH_COGROUP */
    /* output */
    kiln_arena *out_arena;
    val_vec out;
};

static int oom(kiln_task *t)
{
    return task_error(t, KILN_ENOMEM, "out of memory");
}

agg_spill *agg_spill_new(kiln_task *t, int kind, const aggregator *a)
{
    agg_spill *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t = t;
    s->kind = kind;
    s->agg = a;
    s->sort = sorter_new(t, false, t->ctx->mem_task_share / 2); /* the map has the other half */
    s->pending_arena = kiln_arena_new();
    s->out_arena = kiln_arena_new();
    if (!s->sort || !s->pending_arena || !s->out_arena) {
        agg_spill_free(s);
        return NULL;
    }
    return s;
}

void agg_spill_free(agg_spill *s)
{
    if (!s) return;
    sorter_free(s->sort);
    kiln_arena_free(s->pending_arena);
    kiln_arena_free(s->out_arena);
    val_vec_release(&s->lists[0]);
    val_vec_release(&s->lists[1]);
    val_vec_release(&s->out);
    free(s);
}

int agg_spill_add(agg_spill *s, const kiln_value *rec)
{
    kiln_value copy;
    if (kiln_value_copy(sorter_arena(s->sort), rec, &copy)) return oom(s->t);
    return sorter_push(s->sort, &copy);
}

int agg_spill_finish(agg_spill *s)
{
    return sorter_finish(s->sort);
}

/* The next record of the sorted stream (borrowed until the next batch). */
static int next_sorted(agg_spill *s, const kiln_value **rec)
{
    while (s->pos >= s->nbatch) {
        if (s->done) return 0;
        int rc = sorter_next(s->sort, &s->batch, &s->nbatch);
        if (rc < 0) return rc;
        if (rc == 0) {
            s->done = true;
            return 0;
        }
        s->pos = 0;
    }
    *rec = &s->batch[s->pos++];
    return 1;
}

/* Appends (copies of) the items of list l to lists[side]. */
static int take_items(agg_spill *s, int side, const kiln_value *l)
{
    for (uint32_t i = 0; i < l->len; i++) {
        kiln_value c;
        if (kiln_value_copy(s->pending_arena, &l->u.items[i], &c) ||
            val_vec_push(&s->lists[side], &c))
            return oom(s->t);
    }
    return KILN_OK;
}

/* Folds a record with the pending key into the pending record. */
static int fold(agg_spill *s, const kiln_value *rec, bool first)
{
    const kiln_value *v = kiln_val(rec);
    if (s->kind == SH_GROUP) return take_items(s, 0, v);
    if (s->kind == SH_COGROUP) {
        int rc = take_items(s, 0, kiln_key(v));
        return rc ? rc : take_items(s, 1, kiln_val(v));
    }
    kiln_value out = *v;
    if (!first) {
        kiln_task *t = s->t;
        kiln_arena *saved = t->arena;
        t->arena = s->pending_arena;
        int rc = task_user_rc(t, s->agg->merge_comb(t, &s->pending_val, v, &out, s->agg->env),
                              "merge-combiners function");
        t->arena = saved;
        if (rc) return rc;
    }
    return kiln_value_copy(s->pending_arena, &out, &s->pending_val) ? oom(s->t) : KILN_OK;
}

/* Moves the pending record into the output batch. */
static int emit_pending(agg_spill *s)
{
    kiln_arena *a = s->pending_arena;
    kiln_value rec;
    if (s->kind == SH_AGG) {
        rec = kiln_pair(a, s->pending_key, s->pending_val);
    } else {
        kiln_value l0 = s->lists[0].n ? kiln_list_new(a, s->lists[0].v, s->lists[0].n)
                                      : kiln_list_ref(NULL, 0);
        if (s->kind == SH_GROUP) {
            rec = kiln_pair(a, s->pending_key, l0);
        } else {
            kiln_value l1 = s->lists[1].n ? kiln_list_new(a, s->lists[1].v, s->lists[1].n)
                                          : kiln_list_ref(NULL, 0);
            rec = kiln_pair(a, s->pending_key, kiln_pair(a, l0, l1));
        }
    }
    kiln_value copy;
    if (rec.type == KILN_NULL || kiln_value_copy(s->out_arena, &rec, &copy) ||
        val_vec_push(&s->out, &copy))
        return oom(s->t);
    s->has_pending = false;
    s->lists[0].n = s->lists[1].n = 0;
    kiln_arena_reset(s->pending_arena);
    return KILN_OK;
}

int agg_spill_next(agg_spill *s, const kiln_value **vals, size_t *n)
{
    kiln_arena_reset(s->out_arena);
    s->out.n = 0;
    int rc = KILN_OK;
    while (rc == KILN_OK && s->out.n < ENG_BATCH) {
        const kiln_value *rec;
        int got = next_sorted(s, &rec);
        if (got < 0) return got;
        if (got == 0) {
            if (s->has_pending) rc = emit_pending(s);
            break;
        }
        if (s->has_pending && kiln_value_eq(&s->pending_key, kiln_key(rec))) {
            rc = fold(s, rec, false);
            continue;
        }
        if (s->has_pending && (rc = emit_pending(s))) break;
        if (kiln_value_copy(s->pending_arena, kiln_key(rec), &s->pending_key)) return oom(s->t);
        s->has_pending = true;
        rc = fold(s, rec, true);
    }
    if (rc) return rc;
    *vals = s->out.v;
    *n = s->out.n;
    return s->out.n > 0;
}
