/*
 * engine/actions.c - actions: each runs a job whose tasks reduce their
 * partition to a few encoded bytes, which the driver decodes into the
 * caller's arena and combines. Combining functions that run on the driver
 * get a driver-side kiln_task whose arena is the caller's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fnref.h"
#include "base/wire.h"
#include "engine/engine_int.h"

/* ---- helpers ---------------------------------------------------------------- */

static int bad_rdd(const char *action)
{
    /* Keep the message of the transformation that failed, if any. */
    if (!*kiln_last_error()) kiln_set_error(KILN_EINVAL, "%s: the RDD is NULL", action);
    return KILN_EINVAL;
}

/* Runs fn over every partition (or parts) and hands back the results; in
 * cluster mode ship (when set) runs on the executors instead. */
static int run_shipped(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
                       const shipped_action *ship, kiln_buf **out, const char *action)
{
    int n = parts ? nparts : r->nparts;
    kiln_buf *res = calloc((size_t)n + 1, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", action);
    int rc = job_run_shipped(r, parts, nparts, fn, arg, r->ctx->backend_ships ? ship : NULL, res,
                             action);
    if (rc) {
        for (int i = 0; i < n; i++) kiln_buf_release(&res[i]);
        free(res);
        return rc;
    }
    *out = res;
    return KILN_OK;
}

static int run_all(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
                   kiln_buf **out, const char *action)
{
    return run_shipped(r, parts, nparts, fn, arg, NULL, out, action);
}

/* A small wire argument: up to two u64 fields (little-endian). */
static void wire_u64s(uint8_t *p, uint64_t a, uint64_t b)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(a >> (8 * i)), p[8 + i] = (uint8_t)(b >> (8 * i));
}

static int read_u64s(kiln_task *t, const wire_arg *w, uint64_t *a, uint64_t *b)
{
    if (w->n != 16)
        return task_error(t, KILN_ECORRUPT, "a shipped action's argument of %zu bytes", w->n);
    *a = *b = 0;
    for (int i = 0; i < 8; i++)
        *a |= (uint64_t)w->p[i] << (8 * i), *b |= (uint64_t)w->p[8 + i] << (8 * i);
    return KILN_OK;
}

static void free_results(kiln_buf *res, int n)
{
    for (int i = 0; i < n; i++) kiln_buf_release(&res[i]);
    free(res);
}

/* Builds the list value from vv in a and releases vv. */
static int to_list(kiln_arena *a, val_vec *vv, kiln_value *out)
{
    *out = vv->n ? kiln_list_new(a, vv->v, vv->n) : kiln_list_ref(NULL, 0);
    int rc = (vv->n && out->type == KILN_NULL) ? kiln_set_error(KILN_ENOMEM, "out of memory") : 0;
    val_vec_release(vv);
    return rc;
}

/* A task for combining functions run on the driver. */
static void driver_task(kiln_task *t, kiln_context *ctx, kiln_arena *a)
{
    *t = (kiln_task){.ctx = ctx, .job = -1, .stage = -1, .partition = -1, .arena = a};
}

static int driver_done(kiln_task *t, int rc, const char *action)
{
    if (rc && t->error) kiln_set_error(KILN_EUSER, "%s: %s", action, t->error);
    else if (rc) kiln_set_error(rc, "%s: %s", action, kiln_strerror(rc));
    free(t->error);
    free(t->accs);
    return rc ? (rc < 0 ? rc : KILN_EUSER) : KILN_OK;
}

/* ---- collect, count, take ----------------------------------------------------- */

typedef struct limit_arg {
    size_t limit; /* SIZE_MAX: all */
} limit_arg;

static int encode_values(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    size_t limit = arg ? ((limit_arg *)arg)->limit : SIZE_MAX, taken = 0;
    const kiln_value *vals;
    size_t n;
    int rc;
    while (taken < limit && (rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n && taken < limit; i++, taken++)
            if (kiln_value_encode(out, &vals[i]))
                return task_error(t, KILN_ENOMEM, "out of memory");
    }
    return taken < limit && rc < 0 ? rc : KILN_OK;
}

/* On an executor: encode_values with the limit sent as bytes. */
static int take_part_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    uint64_t limit = 0, unused = 0;
    int rc = read_u64s(t, arg, &limit, &unused);
    limit_arg lim = {.limit = limit > SIZE_MAX ? SIZE_MAX : (size_t)limit};
    return rc ? rc : encode_values(t, it, out, &lim);
}
SHIPPED_ACTION(take_part_remote);

/* Runs fn over every partition and decodes all the values it encoded, in
 * partition order, into vv (parts in a). */
static int run_and_decode(kiln_rdd *r, part_result_fn fn, void *arg, kiln_arena *a, val_vec *vv,
                          const char *action)
{
    kiln_buf *res;
    int rc = run_all(r, NULL, 0, fn, arg, &res, action);
    if (rc) return rc;
    for (int i = 0; rc == KILN_OK && i < r->nparts; i++)
        rc = values_decode_all(a, res[i].data, res[i].len, vv);
    free_results(res, r->nparts);
    return rc;
}

int kiln_rdd_collect(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    if (!r) return bad_rdd("collect");
    val_vec vv = {0};
    int rc = run_and_decode(r, encode_values, NULL, a, &vv, "collect");
    if (rc) {
        val_vec_release(&vv);
        return rc;
    }
    return to_list(a, &vv, out);
}

int kiln_rdd_count(kiln_rdd *r, int64_t *out)
{
    if (!r) return bad_rdd("count");
    int64_t *counts = calloc((size_t)r->nparts + 1, sizeof *counts);
    if (!counts) return kiln_set_error(KILN_ENOMEM, "out of memory");
    int rc = rdd_partition_counts(r, counts);
    int64_t total = 0;
    for (int i = 0; i < r->nparts; i++) total += counts[i];
    free(counts);
    if (rc == KILN_OK) *out = total;
    return rc;
}

int kiln_rdd_take(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out)
{
    if (!r) return bad_rdd("take");
    val_vec vv = {0};
    int rc = KILN_OK, scanned = 0;
    /* As Spark: one partition first, then four times as many per round. */
    int batch = 1;
    while (vv.n < n && scanned < r->nparts && rc == KILN_OK) {
        int k = batch < r->nparts - scanned ? batch : r->nparts - scanned;
        int *parts = malloc(sizeof(int) * (size_t)k);
        if (!parts) {
            rc = kiln_set_error(KILN_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < k; i++) parts[i] = scanned + i;
        limit_arg lim = {.limit = n - vv.n};
        uint8_t wire[16];
        wire_u64s(wire, lim.limit, 0);
        shipped_action ship = {take_part_remote, wire, sizeof wire};
        kiln_buf *res;
        rc = run_shipped(r, parts, k, encode_values, &lim, &ship, &res, "take");
        free(parts);
        if (rc) break;
        for (int i = 0; i < k && rc == KILN_OK; i++)
            rc = values_decode_all(a, res[i].data, res[i].len, &vv);
        free_results(res, k);
        scanned += k;
        batch *= 4;
    }
    if (vv.n > n) vv.n = n;
    if (rc) {
        val_vec_release(&vv);
        return rc;
    }
    return to_list(a, &vv, out);
}

int kiln_rdd_first(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    kiln_value l;
    int rc = kiln_rdd_take(r, 1, a, &l);
    if (rc) return rc;
    if (l.len == 0) return kiln_set_error(KILN_EEMPTY, "first: the RDD is empty");
    *out = l.u.items[0];
    return KILN_OK;
}

int kiln_rdd_is_empty(kiln_rdd *r, bool *out)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_set_error(KILN_ENOMEM, "out of memory");
    kiln_value l;
    int rc = kiln_rdd_take(r, 1, a, &l);
    if (rc == KILN_OK) *out = l.len == 0;
    kiln_arena_free(a);
    return rc;
}

/* ---- take_ordered and top ----------------------------------------------------- */

typedef struct order_arg {
    size_t n;
    bool desc;
} order_arg;

static int cmp_asc(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}
static int cmp_desc(const void *a, const void *b)
{
    return kiln_value_cmp(b, a);
}

/* Keeps the n first values of vv in the order. */
static void keep_first_n(val_vec *vv, size_t n, bool desc)
{
    if (vv->n > 1) qsort(vv->v, vv->n, sizeof(kiln_value), desc ? cmp_desc : cmp_asc);
    if (vv->n > n) vv->n = n;
}

static int ordered_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    order_arg *o = arg;
    kiln_arena *a = kiln_arena_new();
    val_vec vv = {0};
    const kiln_value *vals;
    size_t n;
    int rc = a ? 0 : KILN_ENOMEM;
    while (rc == 0 && (rc = it->next(it, t, &vals, &n)) > 0) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            kiln_value c;
            if (kiln_value_copy(a, &vals[i], &c) || val_vec_push(&vv, &c)) rc = KILN_ENOMEM;
        }
        /* Bound the memory: trim to n whenever the buffer doubles past it. */
        if (rc == 0 && vv.n > 2 * o->n + ENG_BATCH) {
            keep_first_n(&vv, o->n, o->desc);
            kiln_arena *fresh = kiln_arena_new();
            for (size_t i = 0; fresh && i < vv.n; i++) kiln_value_copy(fresh, &vv.v[i], &vv.v[i]);
            kiln_arena_free(a);
            a = fresh;
            if (!a) rc = KILN_ENOMEM;
        }
    }
    if (rc == 0) {
        keep_first_n(&vv, o->n, o->desc);
        for (size_t i = 0; i < vv.n && rc == 0; i++) rc = kiln_value_encode(out, &vv.v[i]);
    }
    kiln_arena_free(a);
    val_vec_release(&vv);
    if (rc == KILN_ENOMEM) task_error(t, rc, "out of memory");
    return rc;
}

/* On an executor: ordered_part with n and the direction sent as bytes. */
static int ordered_part_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    uint64_t n = 0, desc = 0;
    int rc = read_u64s(t, arg, &n, &desc);
    order_arg o = {.n = n > SIZE_MAX ? SIZE_MAX : (size_t)n, .desc = desc != 0};
    return rc ? rc : ordered_part(t, it, out, &o);
}
SHIPPED_ACTION(ordered_part_remote);

static int ordered(kiln_rdd *r, size_t n, bool desc, kiln_arena *a, kiln_value *out,
                   const char *action)
{
    if (!r) return bad_rdd(action);
    order_arg o = {.n = n, .desc = desc};
    val_vec vv = {0};
    uint8_t wire[16];
    wire_u64s(wire, n, desc);
    shipped_action ship = {ordered_part_remote, wire, sizeof wire};
    kiln_buf *res = NULL;
    int rc = run_shipped(r, NULL, 0, ordered_part, &o, &ship, &res, action);
    for (int i = 0; rc == KILN_OK && i < r->nparts; i++)
        rc = values_decode_all(a, res[i].data, res[i].len, &vv);
    if (res) free_results(res, r->nparts);
    if (rc) {
        val_vec_release(&vv);
        return rc;
    }
    keep_first_n(&vv, n, desc);
    return to_list(a, &vv, out);
}

int kiln_rdd_take_ordered(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out)
{
    return ordered(r, n, false, a, out, "take_ordered");
}

int kiln_rdd_top(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out)
{
    return ordered(r, n, true, a, out, "top");
}

/* ---- reduce, fold, aggregate, tree_aggregate ---------------------------------- */

typedef struct fold_arg {
    kiln_reduce_fn seq;
    const void *env;
    const kiln_value *zero; /* NULL: reduce (start from the first value) */
} fold_arg;

/* Whether a and b are the same value in the same memory (a seq function
 * that updated its accumulator in place and returned it). */
static bool same_storage(const kiln_value *a, const kiln_value *b)
{
    return a->type == b->type && a->len == b->len && memcmp(&a->u, &b->u, sizeof a->u) == 0;
}

/* Result: one byte (1 = has a value) and the encoded value. */
static int fold_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    fold_arg *f = arg;
    kiln_arena *a = kiln_arena_new();
    if (!a) return task_error(t, KILN_ENOMEM, "out of memory");
    kiln_value acc = f->zero ? *f->zero : kiln_null();
    bool have = f->zero != NULL;
    bool own = false; /* acc lives in a (it is not the caller's zero) */
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (!have) {
                rc = kiln_value_copy(a, &vals[i], &acc) ? KILN_ENOMEM : 0;
                have = own = true;
                continue;
            }
            kiln_value o;
            t->arena = a;
            rc = task_user_rc(t, f->seq(t, &acc, &vals[i], &o, f->env), "reduce function");
            /* The result may point into the batch: keep it in our arena,
             * unless it is our accumulator itself, updated in place. */
            if (rc == 0 && !(own && same_storage(&o, &acc))) {
                if (kiln_value_copy(a, &o, &acc)) rc = KILN_ENOMEM;
                own = true;
            }
        }
        if (rc) break;
        /* Compact so that garbage from earlier results does not pile up. */
        if (kiln_arena_bytes(a) > (64u << 20)) {
            kiln_arena *fresh = kiln_arena_new();
            if (!fresh || kiln_value_copy(fresh, &acc, &acc)) rc = KILN_ENOMEM;
            kiln_arena_free(a);
            a = fresh;
            if (rc) break;
        }
    }
    t->arena = NULL;
    if (rc == 0) {
        uint8_t flag = have;
        rc = kiln_buf_append(out, &flag, 1);
        if (rc == 0 && have) rc = kiln_value_encode(out, &acc);
    }
    if (rc == KILN_ENOMEM) task_error(t, rc, "out of memory");
    kiln_arena_free(a);
    return rc;
}

/* Decodes partition results into parts (only those with a value). */
static int decode_partials(kiln_arena *a, kiln_buf *res, int n, val_vec *parts)
{
    for (int i = 0; i < n; i++) {
        if (res[i].len == 0 || res[i].data[0] == 0) continue;
        kiln_value v;
        size_t used;
        int rc = kiln_value_decode(a, res[i].data + 1, res[i].len - 1, &v, &used);
        if (rc) return rc;
        if (val_vec_push(parts, &v)) return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    return KILN_OK;
}

/* Combines partial results with comb in rounds of `fan_in` (one round when
 * fan_in >= the count): the driver-side half of aggregate/tree_aggregate. */
static int combine(kiln_context *ctx, val_vec *parts, kiln_reduce_fn comb, const void *env,
                   size_t fan_in, const kiln_value *start, kiln_arena *a, kiln_value *out,
                   const char *action)
{
    kiln_task t;
    driver_task(&t, ctx, a);
    int rc = 0;
    while (rc == 0 && parts->n > 1 && fan_in < parts->n) {
        size_t m = 0;
        for (size_t i = 0; rc == 0 && i < parts->n; i += fan_in, m++) {
            kiln_value acc = parts->v[i];
            for (size_t j = i + 1; rc == 0 && j < i + fan_in && j < parts->n; j++) {
                kiln_value o;
                rc = task_user_rc(&t, comb(&t, &acc, &parts->v[j], &o, env), "combine function");
                acc = o;
            }
            parts->v[m] = acc;
        }
        parts->n = m;
    }
    kiln_value acc = start ? *start : kiln_null();
    size_t i = 0;
    if (!start && parts->n) acc = parts->v[i++];
    for (; rc == 0 && i < parts->n; i++) {
        kiln_value o;
        rc = task_user_rc(&t, comb(&t, &acc, &parts->v[i], &o, env), "combine function");
        acc = o;
    }
    if (rc == 0) rc = kiln_value_copy(a, &acc, out);
    return driver_done(&t, rc, action);
}

/* The function a shipped action's argument names (build id and offset, as
 * fnref_encode wrote it), for the executor: KILN_ECORRUPT naming what when
 * it is not one of this program's. */
static int wire_function(const uint8_t *p, size_t n, const char *what, void **fn)
{
    fnref ref;
    size_t used;
    *fn = NULL;
    int rc = fnref_decode(p, n, &ref, &used);
    if (!rc) rc = fnref_to_pointer(&ref, fn);
    if (!rc && !*fn) rc = kiln_set_error(KILN_ECORRUPT, "%s: no function", what);
    return rc;
}

/* On an executor: fold_part with its seq function (build id and offset),
 * zero and env sent as bytes (fold_wire below). */
static int fold_part_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const wire_arg *w = arg;
    wire_reader rd;
    wire_reader_init(&rd, w->p, w->n, "fold argument");
    size_t fn_len, zero_len, env_len;
    const uint8_t *fn_bytes = wire_get_bytes(&rd, FNREF_WIRE_MAX, &fn_len, "function");
    uint8_t has_zero = wire_get_u8(&rd, "has zero");
    const uint8_t *zero_bytes = wire_get_bytes(&rd, w->n, &zero_len, "zero");
    const uint8_t *env_bytes = wire_get_bytes(&rd, w->n, &env_len, "env");
    int rc = wire_reader_end(&rd);
    size_t used;
    void *seq = NULL;
    if (!rc) rc = wire_function(fn_bytes, fn_len, "fold", &seq);
    if (rc) return task_error(t, rc, "%s", kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    void *env = env_len ? malloc(env_len) : NULL; /* aligned, as the driver's copy */
    kiln_value zero;
    if (!a || (env_len && !env)) rc = task_error(t, KILN_ENOMEM, "out of memory");
    if (!rc && has_zero &&
        (kiln_value_decode(a, zero_bytes, zero_len, &zero, &used) || used != zero_len))
        rc = task_error(t, KILN_ECORRUPT, "fold: the zero value does not decode");
    if (!rc) {
        if (env_len) memcpy(env, env_bytes, env_len);
        fold_arg f = {.seq = (kiln_reduce_fn)seq, .env = env, .zero = has_zero ? &zero : NULL};
        rc = fold_part(t, it, out, &f);
    }
    free(env);
    kiln_arena_free(a);
    return rc;
}
SHIPPED_ACTION(fold_part_remote);

/* The bytes fold_part_remote reads: seq as a function reference, the zero
 * value's encoding (when there is one), the env. */
static int fold_wire(kiln_reduce_fn seq, const kiln_value *zero, const void *env, size_t env_len,
                     kiln_buf *out)
{
    fnref ref;
    int rc = fnref_from_pointer((const void *)seq, &ref);
    if (rc) return rc;
    uint8_t fn[FNREF_WIRE_MAX];
    size_t fn_len = fnref_encode(&ref, fn);
    kiln_buf z;
    kiln_buf_init(&z);
    if (zero && (rc = kiln_value_encode(&z, zero))) return rc;
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_bytes(&w, fn, fn_len);
    wire_put_u8(&w, zero != NULL);
    wire_put_bytes(&w, z.data, z.len);
    wire_put_bytes(&w, env, env_len);
    kiln_buf_release(&z);
    return wire_writer_finish(&w);
}

static int fold_job(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq, kiln_reduce_fn comb,
                    const void *env, size_t env_len, size_t fan_in, kiln_arena *a, kiln_value *out,
                    const char *action)
{
    if (!r) return bad_rdd(action);
    if (!seq || !comb) return kiln_set_error(KILN_EINVAL, "%s: the function is NULL", action);
    /* The env is copied like a transformation's, so tasks never see the
     * caller's memory (it will travel to other processes later). */
    void *envc = env_len ? malloc(env_len) : NULL;
    if (env_len && !envc) return kiln_set_error(KILN_ENOMEM, "out of memory");
    if (env_len) memcpy(envc, env, env_len);
    fold_arg f = {.seq = seq, .env = envc, .zero = zero};
    kiln_buf *res = NULL, wire;
    kiln_buf_init(&wire);
    /* In cluster mode the fold runs on the executors when seq can travel
     * (a function of a loaded module); else they send the records. */
    bool ship = r->ctx->backend_ships && fold_wire(seq, zero, envc, env_len, &wire) == KILN_OK;
    shipped_action sa = {fold_part_remote, wire.data, wire.len};
    int n = r->nparts;
    res = calloc((size_t)n + 1, sizeof *res);
    int rc = res ? job_run_shipped(r, NULL, 0, fold_part, &f, ship ? &sa : NULL, res, action)
                 : kiln_set_error(KILN_ENOMEM, "%s: out of memory", action);
    kiln_buf_release(&wire);
    if (rc && res) {
        free_results(res, n);
        res = NULL;
    }
    val_vec parts = {0};
    if (rc == KILN_OK) {
        rc = decode_partials(a, res, r->nparts, &parts);
        free_results(res, r->nparts);
    }
    if (rc == KILN_OK) {
        if (!zero && parts.n == 0) rc = kiln_set_error(KILN_EEMPTY, "%s: the RDD is empty", action);
        else rc = combine(r->ctx, &parts, comb, envc, fan_in, zero, a, out, action);
    }
    val_vec_release(&parts);
    free(envc);
    return rc;
}

int kiln_rdd_reduce(kiln_rdd *r, kiln_reduce_fn fn, const void *env, size_t env_len, kiln_arena *a,
                    kiln_value *out)
{
    return fold_job(r, NULL, fn, fn, env, env_len, SIZE_MAX, a, out, "reduce");
}

int kiln_rdd_fold(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn fn, const void *env,
                  size_t env_len, kiln_arena *a, kiln_value *out)
{
    if (!zero) return kiln_set_error(KILN_EINVAL, "fold: zero is NULL");
    return fold_job(r, zero, fn, fn, env, env_len, SIZE_MAX, a, out, "fold");
}

int kiln_rdd_aggregate(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq, kiln_reduce_fn comb,
                       const void *env, size_t env_len, kiln_arena *a, kiln_value *out)
{
    if (!zero) return kiln_set_error(KILN_EINVAL, "aggregate: zero is NULL");
    return fold_job(r, zero, seq, comb, env, env_len, SIZE_MAX, a, out, "aggregate");
}

int kiln_rdd_tree_aggregate(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq,
                            kiln_reduce_fn comb, const void *env, size_t env_len, int depth,
                            kiln_arena *a, kiln_value *out)
{
    if (!zero) return kiln_set_error(KILN_EINVAL, "tree_aggregate: zero is NULL");
    if (depth < 1) return kiln_set_error(KILN_EINVAL, "tree_aggregate: depth must be >= 1");
    size_t fan_in = SIZE_MAX;
    if (r && depth > 1 && r->nparts > 1) {
        /* Spark's scale: ceil(partitions ^ (1/depth)), at least 2. */
        double s = ceil(pow((double)r->nparts, 1.0 / depth));
        fan_in = s < 2 ? 2 : (size_t)s;
    }
    return fold_job(r, zero, seq, comb, env, env_len, fan_in, a, out, "tree_aggregate");
}

/* ---- foreach ------------------------------------------------------------------ */

typedef struct each_arg {
    void *fn;
    const void *env;
    bool partition;
} each_arg;

static int each_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    each_arg *e = arg;
    kiln_arena *a = kiln_arena_new();
    if (!a) return task_error(t, KILN_ENOMEM, "out of memory");
    t->arena = a;
    int rc;
    if (e->partition) {
        kiln_in in = {.it = it, .t = t};
        rc = task_user_rc(t, ((kiln_foreach_partition_fn)e->fn)(t, t->partition, &in, e->env),
                          "foreach_partition function");
        if (rc == 0 && in.status < 0) rc = in.status;
    } else {
        const kiln_value *vals;
        size_t n;
        while ((rc = it->next(it, t, &vals, &n)) > 0) {
            rc = 0;
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = task_user_rc(t, ((kiln_foreach_fn)e->fn)(t, &vals[i], e->env),
                                  "foreach function");
            if (rc) break;
            kiln_arena_reset(a);
        }
    }
    t->arena = NULL;
    kiln_arena_free(a);
    return rc;
}

/* On an executor: each_part with the function (build id and offset), the
 * kind and the env sent as bytes (each below). */
static int each_part_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const wire_arg *w = arg;
    wire_reader rd;
    wire_reader_init(&rd, w->p, w->n, "foreach argument");
    size_t fn_len, env_len;
    const uint8_t *fn_bytes = wire_get_bytes(&rd, FNREF_WIRE_MAX, &fn_len, "function");
    uint8_t partition = wire_get_u8(&rd, "partition");
    const uint8_t *env_bytes = wire_get_bytes(&rd, w->n, &env_len, "env");
    int rc = wire_reader_end(&rd);
    void *fn = NULL;
    if (!rc) rc = wire_function(fn_bytes, fn_len, "foreach", &fn);
    if (rc) return task_error(t, rc, "%s", kiln_last_error());
    void *env = env_len ? malloc(env_len) : NULL; /* aligned, as the driver's copy */
    if (env_len && !env) return task_error(t, KILN_ENOMEM, "out of memory");
    if (env_len) memcpy(env, env_bytes, env_len);
    each_arg e = {.fn = fn, .env = env, .partition = partition != 0};
    rc = each_part(t, it, out, &e);
    free(env);
    return rc;
}
SHIPPED_ACTION(each_part_remote);

static int each(kiln_rdd *r, void *fn, const void *env, size_t env_len, bool partition,
                const char *action)
{
    if (!r) return bad_rdd(action);
    if (!fn) return kiln_set_error(KILN_EINVAL, "%s: the function is NULL", action);
    void *envc = env_len ? malloc(env_len) : NULL;
    if (env_len && !envc) return kiln_set_error(KILN_ENOMEM, "out of memory");
    if (env_len) memcpy(envc, env, env_len);
    each_arg e = {.fn = fn, .env = envc, .partition = partition};
    /* In cluster mode the function runs on the executors (as Spark's
     * foreach) when it can travel; else they send the records. */
    kiln_buf wire;
    kiln_buf_init(&wire);
    fnref ref;
    bool ship = r->ctx->backend_ships && fnref_from_pointer(fn, &ref) == KILN_OK;
    if (ship) {
        uint8_t fnb[FNREF_WIRE_MAX];
        size_t fn_len = fnref_encode(&ref, fnb);
        wire_writer w;
        wire_writer_init(&w, &wire);
        wire_put_bytes(&w, fnb, fn_len);
        wire_put_u8(&w, partition);
        wire_put_bytes(&w, envc, env_len);
        ship = wire_writer_finish(&w) == KILN_OK;
    }
    shipped_action sa = {each_part_remote, wire.data, wire.len};
    kiln_buf *res;
    int rc = run_shipped(r, NULL, 0, each_part, &e, ship ? &sa : NULL, &res, action);
    kiln_buf_release(&wire);
    if (rc == KILN_OK) free_results(res, r->nparts);
    free(envc);
    return rc;
}

int kiln_rdd_foreach(kiln_rdd *r, kiln_foreach_fn fn, const void *env, size_t env_len)
{
    return each(r, (void *)fn, env, env_len, false, "foreach");
}

int kiln_rdd_foreach_partition(kiln_rdd *r, kiln_foreach_partition_fn fn, const void *env,
                               size_t env_len)
{
    return each(r, (void *)fn, env, env_len, true, "foreach_partition");
}
