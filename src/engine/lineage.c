/*
 * engine/lineage.c - the graph an RDD depends on as bytes, so that an
 * executor process running the same program can compute its partitions
 * (engine.h, "Lineage as bytes"; the layout is docs/formats/lineage.md).
 *
 * An RDD is its op (a static rdd_ops table in libkiln), the env of its user
 * functions, its parents and shuffle dependencies by id, and its op's typed
 * state (user functions, parallelized values, input splits, partition
 * offsets, sampling parameters...), which only the op knows how to write
 * and read: its encode_extra / decode_extra. Pointers to code and to the
 * op tables travel as (build id, offset) (base/fnref.h), which only a
 * process running the same build can resolve. The bytes come from an
 * authenticated peer; a pointer they name is trusted as the driver's own.
 *
 * RDDs are written parents first, each once, each as a length-prefixed
 * record, so a decoder can skip the ones it has already. Decoding keeps the
 * driver's ids (RDDs and shuffles are looked up by them), so it goes into a
 * context that makes no RDDs of its own: an executor's. An RDD whose record
 * fails to decode stays a placeholder that fails any task touching it.
 * A decoded RDD holds one reference for the driver, dropped when the
 * driver releases its id (lineage_release), and references on its parents
 * as on the driver, so it goes once the driver and the RDDs decoded from
 * it here are done with it.
 */
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "base/fnref.h"
#include "base/wire.h"
#include "engine/engine_int.h"

#define LINEAGE_VERSION 2
#define MAX_RECORD (64u << 20) /* bytes of one RDD (parallelized data) */

/* The linker's bounds of the kiln_rdd_ops section (this module's: hidden). */
extern const rdd_ops __start_kiln_rdd_ops[] __attribute__((weak, visibility("hidden")));
extern const rdd_ops __stop_kiln_rdd_ops[] __attribute__((weak, visibility("hidden")));

bool rdd_ops_valid(const void *p)
{
    const char *c = p, *lo = (const char *)__start_kiln_rdd_ops,
               *hi = (const char *)__stop_kiln_rdd_ops;
    return c >= lo && c < hi && (size_t)(c - lo) % sizeof(rdd_ops) == 0;
}

/* ---- Placeholders for ids not sent (yet) -------------------------------- */

static eng_iter *placeholder_compute(kiln_rdd *r, int p, kiln_task *t)
{
    task_error(t, KILN_ESTATE, "RDD %d was never sent to this executor (partition %d)", r->id, p);
    return NULL;
}

static const rdd_ops placeholder_ops RDD_OPS_SECTION = {.name = "(not sent)",
                                                        .compute = placeholder_compute};

/* The RDD with the driver's id in ctx (a placeholder when it failed to
 * decode before), or NULL. A linear search: lineages are short, and an
 * executor's context holds only what it was sent. */
static kiln_rdd *find_rdd(kiln_context *ctx, uint32_t id)
{
    for (size_t i = 0; i < ctx->nrdds; i++)
        if (ctx->rdds[i]->id == (int)id) return ctx->rdds[i];
    return NULL;
}

shuffle_dep *lineage_dep(kiln_context *ctx, int id)
{
    for (size_t i = 0; i < ctx->nsdeps; i++)
        if (ctx->sdeps[i]->id == id) return ctx->sdeps[i];
    return NULL;
}

void lineage_release(kiln_context *ctx, int id)
{
    kiln_rdd *r = find_rdd(ctx, (uint32_t)id);
    if (r) kiln_rdd_free(r); /* the reference its decoding took: the driver's */
}

/* The RDD of id in ctx, a new placeholder when there is none. */
static kiln_rdd *rdd_slot(kiln_context *ctx, uint32_t id)
{
    kiln_rdd *r = find_rdd(ctx, id);
    if (!r && (r = rdd_new(ctx, &placeholder_ops, 0, NULL, 0))) r->id = (int)id;
    return r;
}

static shuffle_dep *dep_slot(kiln_context *ctx, uint32_t id, kiln_rdd *parent)
{
    shuffle_dep *d = lineage_dep(ctx, (int)id);
    if (!d && (d = dep_new(parent, 1, DEP_HASH))) d->id = (int)id;
    return d;
}

/* ---- Encoding ------------------------------------------------------------ */

typedef struct enc {
    wire_writer w;
    int rc;
} enc;

static void put_fn(enc *e, const void *fn)
{
    fnref r;
    if (e->rc) return;
    if ((e->rc = fnref_from_pointer(fn, &r))) return;
    uint8_t b[FNREF_WIRE_MAX];
    wire_put_bytes(&e->w, b, fnref_encode(&r, b));
}

static void put_value(enc *e, const kiln_value *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    if (!e->rc && (e->rc = kiln_value_encode(&b, v)) == KILN_OK)
        wire_put_bytes(&e->w, b.data, b.len);
    kiln_buf_release(&b);
}

static int cannot_ship(const kiln_rdd *r, const char *what)
{
    return kiln_set_error(KILN_EINVAL, "RDD %d (%s) cannot be sent to an executor: %s", r->id,
                          r->ops->name, what);
}

static void put_dep(enc *e, const kiln_rdd *owner, const shuffle_dep *d)
{
    if (d->penv && d->penv != owner->env) e->rc = cannot_ship(owner, "partitioner env");
    if (d->has_agg && d->agg.env && d->agg.env != owner->env)
        e->rc = cannot_ship(owner, "aggregator env");
    wire_put_u32(&e->w, (uint32_t)d->id);
    wire_put_u32(&e->w, (uint32_t)d->parent->id);
    wire_put_u32(&e->w, (uint32_t)d->nreduce);
    wire_put_u8(&e->w, (uint8_t)d->part);
    put_fn(e, (const void *)d->pfn);
    wire_put_u8(&e->w, d->penv != NULL);
    wire_put_u32(&e->w, d->bounds ? (uint32_t)d->nbounds : 0);
    for (size_t i = 0; d->bounds && i < d->nbounds; i++) put_value(e, &d->bounds[i]);
    wire_put_u8(&e->w, d->descending);
    wire_put_u8(&e->w, d->has_agg);
    put_fn(e, (const void *)d->agg.create);
    put_fn(e, (const void *)d->agg.merge_value);
    put_fn(e, (const void *)d->agg.merge_comb);
    wire_put_u8(&e->w, d->agg.zero != NULL);
    if (d->agg.zero) put_value(e, d->agg.zero);
    wire_put_u8(&e->w, d->agg.env != NULL);
}

/* One RDD's record (without its length prefix) into b. The env comes
 * before the dependencies, whose aggregators and partitioners use it; the
 * op's state last (its decoder may check it against the dependencies). */
static int put_rdd(const kiln_rdd *r, kiln_buf *b)
{
    enc e = {.rc = KILN_OK};
    wire_writer_init(&e.w, b);
    bool state = r->state && !r->checkpoint_dir; /* a checkpoint is read, not computed */
    if (state && !r->ops->encode_extra) return cannot_ship(r, "its state cannot travel yet");
    put_fn(&e, r->ops);
    wire_put_u32(&e.w, (uint32_t)r->nparts);
    wire_put_u8(&e.w, (uint8_t)r->nparents);
    for (int i = 0; i < r->nparents; i++) wire_put_u32(&e.w, (uint32_t)r->parents[i]->id);
    wire_put_bytes(&e.w, r->env, r->env_len);
    wire_put_u8(&e.w, (uint8_t)r->part);
    wire_put_u8(&e.w, (uint8_t)r->storage);
    wire_put_str(&e.w, r->checkpoint_dir ? r->checkpoint_dir : "");
    wire_put_u8(&e.w, (uint8_t)r->ndeps);
    for (int i = 0; i < r->ndeps && !e.rc; i++) put_dep(&e, r, r->deps[i]);
    wire_put_u8(&e.w, state);
    if (state && !e.rc) {
        kiln_buf x;
        kiln_buf_init(&x);
        if (!(e.rc = r->ops->encode_extra(r, &x))) wire_put_bytes(&e.w, x.data, x.len);
        kiln_buf_release(&x);
    }
    return e.rc ? e.rc : wire_writer_finish(&e.w);
}

/* Appends r's ancestors, then r, to order (each once; seen by id). */
static int collect(kiln_rdd *r, bool *seen, kiln_rdd ***order, size_t *n, size_t *cap)
{
    if (seen[r->id]) return KILN_OK;
    seen[r->id] = true;
    int rc = KILN_OK;
    for (int i = 0; i < r->nparents && !rc; i++) rc = collect(r->parents[i], seen, order, n, cap);
    for (int i = 0; i < r->ndeps && !rc; i++) rc = collect(r->deps[i]->parent, seen, order, n, cap);
    if (!rc && (rc = grow_for_one((void **)order, *n, cap, sizeof **order, 16)) == KILN_OK)
        (*order)[(*n)++] = r;
    return rc;
}

int lineage_encode(kiln_rdd *r, kiln_buf *out)
{
    kiln_context *ctx = r->ctx;
    bool *seen = calloc(rdd_id_bound(ctx) + 1, sizeof *seen);
    kiln_rdd **order = NULL;
    size_t n = 0, cap = 0;
    int rc = seen ? collect(r, seen, &order, &n, &cap) : KILN_ENOMEM;
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_u8(&w, LINEAGE_VERSION);
    wire_put_u32(&w, (uint32_t)n);
    kiln_buf rec;
    kiln_buf_init(&rec);
    for (size_t i = 0; i < n && rc == KILN_OK; i++) {
        rec.len = 0;
        if ((rc = put_rdd(order[i], &rec))) break;
        wire_put_u32(&w, (uint32_t)order[i]->id);
        wire_put_bytes(&w, rec.data, rec.len);
    }
    kiln_buf_release(&rec);
    free(order);
    free(seen);
    if (rc == KILN_OK) rc = wire_writer_finish(&w);
    return rc == KILN_ENOMEM ? kiln_set_error(rc, "out of memory encoding a lineage") : rc;
}

/* ---- Decoding ------------------------------------------------------------ */

static void *get_fn(wire_reader *rd, const char *field, int *rc)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(rd, FNREF_WIRE_MAX, &n, field);
    if (!p || *rc) return NULL;
    fnref r;
    size_t used;
    void *fn = NULL;
    if ((*rc = fnref_decode(p, n, &r, &used)) == KILN_OK && used != n)
        *rc = kiln_set_error(KILN_ECORRUPT, "lineage: %s has trailing bytes", field);
    if (*rc == KILN_OK) *rc = fnref_to_pointer(&r, &fn);
    return fn;
}

int lineage_fn_encode(kiln_buf *out, const void *fn)
{
    enc e = {.rc = KILN_OK};
    wire_writer_init(&e.w, out);
    put_fn(&e, fn);
    return e.rc ? e.rc : wire_writer_finish(&e.w);
}

int lineage_fn_decode(const uint8_t *p, size_t n, const char *op, void **fn)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "lineage");
    int rc = KILN_OK;
    *fn = get_fn(&rd, "function", &rc);
    if (rc == KILN_OK) rc = wire_reader_end(&rd);
    if (rc == KILN_OK && !*fn)
        rc = kiln_set_error(KILN_ECORRUPT, "lineage: %s without its function", op);
    return rc;
}

static int get_value(wire_reader *rd, kiln_arena *a, kiln_value *out, const char *field)
{
    size_t n, used;
    const uint8_t *p = wire_get_bytes(rd, MAX_RECORD, &n, field);
    if (!p) return KILN_ECORRUPT;
    int rc = kiln_value_decode(a, p, n, out, &used);
    if (rc == KILN_OK && used != n) rc = KILN_ECORRUPT;
    return rc ? kiln_set_error(rc, "lineage: %s is not one encoded value", field) : KILN_OK;
}

/* A decoded id must name an RDD sent before (parents come first). */
static kiln_rdd *known(kiln_context *ctx, uint32_t id, int *rc)
{
    if (*rc) return NULL;
    kiln_rdd *r = find_rdd(ctx, id);
    if (r && r->ops != &placeholder_ops) return r;
    *rc = kiln_set_error(KILN_ECORRUPT, "lineage: RDD %u is used before it is sent", id);
    return NULL;
}

static int get_dep(wire_reader *rd, kiln_rdd *owner, shuffle_dep **out)
{
    kiln_context *ctx = owner->ctx;
    int rc = KILN_OK;
    uint32_t id = wire_get_u32(rd, "dependency id");
    kiln_rdd *parent = known(ctx, wire_get_u32(rd, "dependency parent"), &rc);
    uint32_t nreduce = wire_get_u32(rd, "dependency partitions");
    uint8_t part = wire_get_u8(rd, "dependency partitioning");
    void *pfn = get_fn(rd, "partitioner", &rc);
    bool penv = wire_get_u8(rd, "partitioner env");
    uint32_t nbounds = wire_get_u32(rd, "range bounds");
    if (rc || rd->err) return rc ? rc : rd->err;
    /* Each bound takes at least 5 bytes: a count past what is left is a lie,
     * refused before anything is allocated for it. */
    if (id > INT32_MAX || nreduce < 1 || nreduce > INT32_MAX || part > DEP_ROUND_ROBIN ||
        nbounds > nreduce || nbounds > (rd->len - rd->off) / 5)
        return kiln_set_error(KILN_ECORRUPT, "lineage: bad shuffle dependency of RDD %d",
                              owner->id);
    shuffle_dep *d = dep_slot(ctx, id, parent);
    if (!d) return KILN_ENOMEM;
    d->parent = parent;
    d->nreduce = (int)nreduce;
    d->part = (dep_part)part;
    d->pfn = (kiln_partitioner_fn)pfn;
    d->penv = penv ? owner->env : NULL;
    d->bounds = NULL;
    d->nbounds = nbounds;
    if (nbounds && !(d->bounds = kiln_arena_alloc(owner->arena, sizeof *d->bounds * nbounds)))
        return KILN_ENOMEM;
    for (uint32_t i = 0; i < nbounds && rc == KILN_OK; i++)
        rc = get_value(rd, owner->arena, &d->bounds[i], "range bound");
    d->descending = wire_get_u8(rd, "descending");
    d->has_agg = wire_get_u8(rd, "aggregator");
    d->agg.create = (kiln_map_fn)get_fn(rd, "aggregator create", &rc);
    d->agg.merge_value = (kiln_reduce_fn)get_fn(rd, "aggregator merge_value", &rc);
    d->agg.merge_comb = (kiln_reduce_fn)get_fn(rd, "aggregator merge_combiners", &rc);
    d->agg.zero = NULL;
    if (wire_get_u8(rd, "aggregator zero") && rc == KILN_OK &&
        (rc = get_value(rd, owner->arena, &d->agg_zero, "aggregator zero")) == KILN_OK)
        d->agg.zero = &d->agg_zero;
    d->agg.env = wire_get_u8(rd, "aggregator env") ? owner->env : NULL;
    *out = d;
    return rc ? rc : rd->err;
}

/* Fills the placeholder r from its record. */
static int get_rdd(kiln_rdd *r, const uint8_t *p, size_t n)
{
    kiln_context *ctx = r->ctx;
    wire_reader rd;
    wire_reader_init(&rd, p, n, "lineage");
    int rc = KILN_OK;
    free(r->env); /* what an earlier, failed decode of this record left */
    free(r->checkpoint_dir);
    r->env = NULL, r->checkpoint_dir = NULL, r->env_len = 0, r->ndeps = 0;
    const rdd_ops *ops = get_fn(&rd, "op", &rc);
    uint32_t nparts = wire_get_u32(&rd, "partitions");
    uint8_t nparents = wire_get_u8(&rd, "parents");
    if (!rc && !rd.err &&
        (!rdd_ops_valid(ops) || ops == &placeholder_ops || nparts > INT32_MAX || nparents > 2))
        rc = kiln_set_error(KILN_ECORRUPT, "lineage: bad record for RDD %d", r->id);
    for (int i = 0; i < nparents && !rc; i++)
        r->parents[i] = known(ctx, wire_get_u32(&rd, "parent"), &rc);
    size_t env_len;
    const uint8_t *env = wire_get_bytes(&rd, MAX_RECORD, &env_len, "env");
    if (rc || rd.err) return rc ? rc : rd.err;
    if (env_len && (fault_hit(FAULT_ALLOC) || !(r->env = malloc(env_len)))) return KILN_ENOMEM;
    if (env_len) memcpy(r->env, env, env_len);
    r->env_len = env_len;
    uint8_t part = wire_get_u8(&rd, "partitioning"), storage = wire_get_u8(&rd, "storage");
    char dir[4096];
    size_t dlen = wire_get_str(&rd, dir, sizeof dir, "checkpoint directory");
    uint8_t ndeps = wire_get_u8(&rd, "dependencies");
    if (rd.err) return rd.err;
    if (part > PART_CUSTOM || storage > KILN_DISK_ONLY || ndeps > 2)
        return kiln_set_error(KILN_ECORRUPT, "lineage: bad record for RDD %d", r->id);
    r->part = (part_kind)part;
    r->storage = (kiln_storage_level)storage;
    if (dlen && !(r->checkpoint_dir = strdup(dir))) return KILN_ENOMEM;
    for (int i = 0; i < ndeps && !rc; i++) {
        rc = get_dep(&rd, r, &r->deps[i]);
        if (!rc) r->ndeps = i + 1;
    }
    if (rc) return rc;
    r->nparts = (int)nparts; /* the state's decoder may check against it */
    if (wire_get_u8(&rd, "has state")) {
        size_t xn;
        const uint8_t *x = wire_get_bytes(&rd, MAX_RECORD, &xn, "state");
        if (!x) return rd.err;
        if (!ops->decode_extra)
            return kiln_set_error(KILN_ECORRUPT, "lineage: state for %s, which keeps none",
                                  ops->name);
        rc = ops->decode_extra(r, x, xn);
    } else if (ops->state != OPST_NONE && !r->checkpoint_dir) {
        rc = kiln_set_error(KILN_ECORRUPT, "lineage: RDD %d (%s) came without its state", r->id,
                            ops->name);
    }
    if (rc == KILN_OK) rc = wire_reader_end(&rd);
    if (rc) {
        /* The RDD stays a placeholder, which frees nothing: free what the
         * op's decoder made outside the arena now. */
        if (r->state && ops->free_extra) ops->free_extra(r);
        r->state = NULL;
        return rc;
    }
    r->nparts = (int)nparts;
    r->nparents = nparents;
    rdd_link(r);  /* it keeps its parents, as on the driver */
    r->ops = ops; /* last: the RDD is no placeholder until all is in place */
    return KILN_OK;
}

/* An RDD decoded before: only what may change after an RDD is made (its
 * storage level, a checkpoint) is taken from its record again. */
static int refresh_rdd(kiln_rdd *r, const uint8_t *p, size_t n)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "lineage");
    int rc = KILN_OK;
    (void)get_fn(&rd, "op", &rc);
    (void)wire_get_u32(&rd, "partitions");
    uint8_t nparents = wire_get_u8(&rd, "parents");
    for (int i = 0; i < nparents && i < 2; i++) (void)wire_get_u32(&rd, "parent");
    size_t env_len;
    (void)wire_get_bytes(&rd, MAX_RECORD, &env_len, "env");
    (void)wire_get_u8(&rd, "partitioning");
    uint8_t storage = wire_get_u8(&rd, "storage");
    char dir[4096];
    size_t dlen = wire_get_str(&rd, dir, sizeof dir, "checkpoint directory");
    if (rc || rd.err) return rc ? rc : rd.err;
    if (nparents > 2 || storage > KILN_DISK_ONLY)
        return kiln_set_error(KILN_ECORRUPT, "lineage: bad record for RDD %d", r->id);
    r->storage = (kiln_storage_level)storage;
    if (dlen && !r->checkpoint_dir && !(r->checkpoint_dir = strdup(dir))) return KILN_ENOMEM;
    return KILN_OK;
}

int lineage_decode(kiln_context *ctx, const uint8_t *p, size_t n, kiln_rdd **out)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "lineage");
    uint8_t version = wire_get_u8(&rd, "version");
    uint32_t count = wire_get_u32(&rd, "RDD count");
    if (rd.err) return rd.err;
    if (version != LINEAGE_VERSION)
        return kiln_set_error(KILN_ECORRUPT, "lineage version %u; this build reads version %d",
                              version, LINEAGE_VERSION);
    kiln_rdd *last = NULL;
    int rc = KILN_OK;
    for (uint32_t i = 0; i < count && rc == KILN_OK; i++) {
        uint32_t id = wire_get_u32(&rd, "RDD id");
        size_t len;
        const uint8_t *rec = wire_get_bytes(&rd, MAX_RECORD, &len, "RDD record");
        if (!rec) return rd.err;
        if (id > INT32_MAX - 1)
            return kiln_set_error(KILN_ECORRUPT, "lineage: RDD id %u out of range", id);
        kiln_rdd *r = rdd_slot(ctx, id);
        if (!r) return KILN_ENOMEM;
        rc = r->ops == &placeholder_ops ? get_rdd(r, rec, len) : refresh_rdd(r, rec, len);
        last = r;
    }
    if (rc == KILN_OK) rc = wire_reader_end(&rd);
    if (rc == KILN_OK && !last) rc = kiln_set_error(KILN_ECORRUPT, "lineage: no RDD");
    if (rc == KILN_OK) *out = last;
    return rc == KILN_ENOMEM ? kiln_set_error(rc, "out of memory decoding a lineage") : rc;
}
