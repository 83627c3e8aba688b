/*
 * engine/partitionwise.c - narrow transformations that work on whole
 * partitions or on several parent partitions: map_partitions, glom, union,
 * coalesce (without shuffle), cartesian and zip.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

static int oom(kiln_task *t)
{
    return task_error(t, KILN_ENOMEM, "out of memory");
}

/* ---- map_partitions and glom ---------------------------------------------
 *
 * glom materialises the partition's output. map_partitions runs its
 * function in a coroutine (coro.c): each time what it emitted since the
 * last chunk reaches ENG_BATCH values or FLOW_CHUNK bytes, the function
 * stops inside kiln_emit and the chunk goes to the consumer (the next op
 * of the narrow chain, the shuffle writer, an action), which takes it
 * before the function goes on. So a partition's output never has to fit in
 * memory. The function's own allocations in the task arena (h->arena) live
 * until it returns; the copies of what it emitted only until the next
 * chunk. A consumer that stops early (take) makes kiln_emit and
 * kiln_in_next refuse, and the function is run to its end on close. */

#define FLOW_CHUNK (1u << 20)

typedef struct held_iter {
    eng_iter base;
    eng_iter *child;
    kiln_rdd *r;
    kiln_partitions_fn fn; /* map_partitions; NULL: glom */
    int p;
    kiln_task *t;
    kiln_arena *arena; /* glom: the output; map_partitions: the function's */
    val_vec out;       /* glom: the list; map_partitions: the current chunk */
    size_t pos;
    bool ran;
    /* map_partitions */
    eng_coro *co;
    kiln_arena *chunk; /* copies of the values in out */
    size_t chunk_base; /* kiln_arena_bytes(chunk) when it was emptied */
    kiln_in in;
    kiln_out o;
    int rc;       /* the function's result once it returned */
    bool started; /* the function has run */
} held_iter;

/* glom: the whole partition as one list. */
static int glom_run(held_iter *h, kiln_task *t)
{
    val_vec all = {0};
    int rc = iter_drain(h->child, t, h->arena, &all);
    if (rc == KILN_OK) {
        kiln_value list = kiln_list_new(h->arena, all.v, all.n);
        rc = (all.n && list.type == KILN_NULL) ? oom(t) : val_vec_push(&h->out, &list);
        if (rc == KILN_OK && !all.n) h->out.v[0] = kiln_list_ref(NULL, 0);
    }
    val_vec_release(&all);
    return rc;
}

/* The coroutine's body: the user function over the whole partition. */
static void flow_body(void *arg)
{
    held_iter *h = arg;
    kiln_task *t = h->t;
    int rc = task_user_rc(t, h->fn(t, h->p, &h->in, &h->o, h->r->env), "map_partitions function");
    if (rc == KILN_OK && h->in.status < 0 && !h->in.stop) rc = h->in.status;
    h->rc = rc;
}

int held_emitted(kiln_out *out)
{
    held_iter *h = out->flow;
    if (h->out.n < ENG_BATCH && kiln_arena_bytes(h->chunk) - h->chunk_base < FLOW_CHUNK)
        return KILN_OK;
    coro_yield(h->co);
    return out->stop ? KILN_ESTATE : KILN_OK;
}

/* Runs the function on until it hands out a chunk or returns. */
static bool flow_resume(held_iter *h)
{
    kiln_task *t = h->t;
    kiln_arena_reset(h->chunk);
    h->chunk_base = kiln_arena_bytes(h->chunk);
    h->out.n = 0;
    h->started = true;
    kiln_arena *saved = t->arena;
    t->arena = h->arena;
    bool more = coro_resume(h->co);
    t->arena = saved;
    return more;
}

static int flow_next(held_iter *h, const kiln_value **vals, size_t *n)
{
    bool more = flow_resume(h);
    if (!more && h->rc) return h->rc < 0 ? h->rc : KILN_EUSER;
    *vals = h->out.v;
    *n = h->out.n;
    return h->out.n > 0;
}

static int held_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    held_iter *h = (held_iter *)base;
    if (h->co) return flow_next(h, vals, n);
    if (!h->ran) {
        h->ran = true;
        int rc = glom_run(h, t);
        if (rc) return rc < 0 ? rc : KILN_EUSER;
    }
    if (h->pos >= h->out.n) return 0;
    *vals = h->out.v + h->pos;
    *n = 1;
    h->pos++;
    return 1;
}

/* A function stopped part way (the consumer wants no more) is run to its
 * end, told by kiln_emit and kiln_in_next to stop; whatever it reports
 * then is not the task's error. */
static void flow_finish(held_iter *h)
{
    kiln_task *t = h->t;
    bool had_error = t->error != NULL;
    h->o.stop = h->in.stop = true;
    while (flow_resume(h)) {
    }
    if (!had_error && t->error) {
        free(t->error);
        t->error = NULL;
    }
}

static void held_close(eng_iter *base)
{
    held_iter *h = (held_iter *)base;
    if (h->started) flow_finish(h);
    coro_free(h->co);
    if (h->child) h->child->close(h->child);
    kiln_arena_free(h->chunk);
    kiln_arena_free(h->arena);
    val_vec_release(&h->out);
    free(h);
}

static const rdd_ops glom_ops RDD_OPS_SECTION;

static eng_iter *held_compute(kiln_rdd *r, int p, kiln_task *t)
{
    held_iter *h = calloc(1, sizeof *h);
    if (!h || !(h->arena = kiln_arena_new())) {
        free(h);
        oom(t);
        return NULL;
    }
    h->base.next = held_next;
    h->base.close = held_close;
    h->r = r;
    h->fn = r->ops == &glom_ops ? NULL : rdd_map_partitions_state(r)->fn;
    h->p = p;
    h->t = t;
    if (h->fn) {
        h->in = (kiln_in){.t = t};
        h->o = (kiln_out){.dst = &h->out, .flow = h};
        if (!(h->chunk = kiln_arena_new()) || !(h->co = coro_new(flow_body, h))) {
            held_close(&h->base);
            oom(t);
            return NULL;
        }
        h->o.copy_into = h->chunk;
    }
    if (!(h->child = rdd_iterator(r->parents[0], p, t))) {
        held_close(&h->base);
        return NULL;
    }
    h->in.it = h->child;
    return &h->base;
}

/* map_partitions' state: its function (a function reference). */
static int map_partitions_encode(const kiln_rdd *r, kiln_buf *out)
{
    return lineage_fn_encode(out, (const void *)rdd_map_partitions_state(r)->fn);
}

static int map_partitions_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    void *fn;
    int rc = lineage_fn_decode(p, n, r->ops->name, &fn);
    map_partitions_state *s = rc ? NULL : rdd_state_new(r, sizeof *s);
    if (s) s->fn = (kiln_partitions_fn)fn;
    return rc ? rc : s ? KILN_OK : KILN_ENOMEM;
}

static const rdd_ops map_partitions_ops RDD_OPS_SECTION = {.name = "map_partitions",
                                                           .compute = held_compute,
                                                           .encode_extra = map_partitions_encode,
                                                           .decode_extra = map_partitions_decode,
                                                           .state = OPST_MAP_PARTITIONS};
static const rdd_ops glom_ops RDD_OPS_SECTION = {.name = "glom", .compute = held_compute};

static kiln_rdd *child_of(kiln_rdd *r, const rdd_ops *ops, int nparts, const void *env,
                          size_t env_len)
{
    if (!r) return NULL;
    kiln_rdd *c = rdd_new(r->ctx, ops, nparts, env, env_len);
    if (!c) return NULL;
    c->parents[0] = r;
    c->nparents = 1;
    rdd_link(c);
    return c;
}

kiln_rdd *kiln_rdd_map_partitions(kiln_rdd *r, kiln_partitions_fn fn, const void *env,
                                  size_t env_len)
{
    if (r && !fn) {
        kiln_set_error(KILN_EINVAL, "map_partitions: the function is NULL");
        return NULL;
    }
    kiln_rdd *c = child_of(r, &map_partitions_ops, r ? r->nparts : 0, env, env_len);
    map_partitions_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (!s) return NULL;
    s->fn = fn;
    return c;
}

kiln_rdd *kiln_rdd_glom(kiln_rdd *r)
{
    return child_of(r, &glom_ops, r ? r->nparts : 0, NULL, 0);
}

/* ---- union and coalesce: a partition reads a run of parent partitions --- */

typedef struct chain_iter {
    eng_iter base;
    eng_iter *cur;
    kiln_rdd *r;
    int next_p, end_p; /* next parent partition to open, one past the last */
    int aligned_p;     /* zip_partitions: the partition read of each parent; else -1 */
} chain_iter;

/* Parent partition q of the concatenation of the parents (zip_partitions:
 * partition aligned_p of parent q). */
static eng_iter *open_parent(chain_iter *c, int q, kiln_task *t)
{
    kiln_rdd *a = c->r->parents[0];
    if (c->aligned_p >= 0) return rdd_iterator(c->r->parents[q], c->aligned_p, t);
    if (q < a->nparts) return rdd_iterator(a, q, t);
    return rdd_iterator(c->r->parents[1], q - a->nparts, t);
}

static int chain_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    chain_iter *c = (chain_iter *)base;
    for (;;) {
        if (!c->cur) {
            if (c->next_p >= c->end_p) return 0;
            if (!(c->cur = open_parent(c, c->next_p++, t))) return KILN_EJOB;
        }
        int rc = c->cur->next(c->cur, t, vals, n);
        if (rc != 0) return rc;
        c->cur->close(c->cur);
        c->cur = NULL;
    }
}

static void chain_close(eng_iter *base)
{
    chain_iter *c = (chain_iter *)base;
    if (c->cur) c->cur->close(c->cur);
    free(c);
}

static const rdd_ops zip_partitions_ops;

static eng_iter *chain_compute(kiln_rdd *r, int p, kiln_task *t)
{
    chain_iter *c = calloc(1, sizeof *c);
    if (!c) {
        oom(t);
        return NULL;
    }
    c->base.next = chain_next;
    c->base.close = chain_close;
    c->r = r;
    c->aligned_p = -1;
    if (r->ops == &zip_partitions_ops) { /* partition p of each parent */
        c->aligned_p = p;
        c->next_p = 0;
        c->end_p = 2;
    } else if (r->nparents == 2) { /* union: one parent partition each */
        c->next_p = p;
        c->end_p = p + 1;
    } else { /* coalesce: neighbouring parent partitions */
        int64_t parent_n = r->parents[0]->nparts;
        c->next_p = (int)(p * parent_n / r->nparts);
        c->end_p = (int)((p + 1) * parent_n / r->nparts);
    }
    return &c->base;
}

static const rdd_ops union_ops RDD_OPS_SECTION = {.name = "union", .compute = chain_compute};
static const rdd_ops coalesce_ops RDD_OPS_SECTION = {.name = "coalesce", .compute = chain_compute};
static const rdd_ops zip_partitions_ops RDD_OPS_SECTION = {.name = "zip_partitions",
                                                           .compute = chain_compute};

kiln_rdd *kiln_rdd_union(kiln_rdd *a, kiln_rdd *b)
{
    if (!a || !b) return NULL;
    kiln_rdd *c = rdd_new(a->ctx, &union_ops, a->nparts + b->nparts, NULL, 0);
    if (!c) return NULL;
    c->parents[0] = a;
    c->parents[1] = b;
    c->nparents = 2;
    rdd_link(c);
    return c;
}

kiln_rdd *kiln_rdd_zip_partitions(kiln_rdd *a, kiln_rdd *b)
{
    if (!a || !b) return NULL;
    if (a->nparts != b->nparts) {
        kiln_set_error(KILN_EINVAL,
                       "zip_partitions: the RDDs must have the same number of partitions (%d "
                       "and %d)",
                       a->nparts, b->nparts);
        return NULL;
    }
    kiln_rdd *c = rdd_new(a->ctx, &zip_partitions_ops, a->nparts, NULL, 0);
    if (!c) return NULL;
    c->parents[0] = a;
    c->parents[1] = b;
    c->nparents = 2;
    rdd_link(c);
    return c;
}

kiln_rdd *coalesce_narrow(kiln_rdd *r, int n)
{
    if (n > r->nparts) n = r->nparts;
    if (n < 1) n = 1;
    return child_of(r, &coalesce_ops, n, NULL, 0);
}

/* ---- cartesian -------------------------------------------------------------- */

typedef struct cart_iter {
    eng_iter base;
    eng_iter *left;
    kiln_arena *right_arena, *arena;
    val_vec right, out;
    const kiln_value *lv;
    size_t ln, li, rj;
} cart_iter;

static int cart_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    cart_iter *c = (cart_iter *)base;
    kiln_arena_reset(c->arena);
    c->out.n = 0;
    if (!c->right.n) return 0;
    while (c->out.n < ENG_BATCH) {
        if (c->li >= c->ln) {
            int rc = c->left->next(c->left, t, &c->lv, &c->ln);
            if (rc < 0) return rc;
            if (rc == 0) break;
            c->li = c->rj = 0;
            /* The left batch stays valid while we pair it: we pull the next
             * one only once it is used up, and our output is copied. */
            continue;
        }
        kiln_value a, b, p;
        if (kiln_value_copy(c->arena, &c->lv[c->li], &a)) return oom(t);
        b = c->right.v[c->rj];
        p = kiln_pair(c->arena, a, b);
        if (p.type == KILN_NULL || val_vec_push(&c->out, &p)) return oom(t);
        if (++c->rj == c->right.n) {
            c->rj = 0;
            c->li++;
        }
    }
    *vals = c->out.v;
    *n = c->out.n;
    return c->out.n > 0;
}

static void cart_close(eng_iter *base)
{
    cart_iter *c = (cart_iter *)base;
    if (c->left) c->left->close(c->left);
    kiln_arena_free(c->right_arena);
    kiln_arena_free(c->arena);
    val_vec_release(&c->right);
    val_vec_release(&c->out);
    free(c);
}

static eng_iter *cart_compute(kiln_rdd *r, int p, kiln_task *t)
{
    kiln_rdd *a = r->parents[0], *b = r->parents[1];
    cart_iter *c = calloc(1, sizeof *c);
    if (!c) {
        oom(t);
        return NULL;
    }
    c->base.next = cart_next;
    c->base.close = cart_close;
    c->right_arena = kiln_arena_new();
    c->arena = kiln_arena_new();
    if (!c->right_arena || !c->arena) {
        oom(t);
        cart_close(&c->base);
        return NULL;
    }
    eng_iter *right = rdd_iterator(b, p % b->nparts, t);
    int rc = right ? iter_drain(right, t, c->right_arena, &c->right) : KILN_EJOB;
    if (right) right->close(right);
    if (rc < 0 || !(c->left = rdd_iterator(a, p / b->nparts, t))) {
        cart_close(&c->base);
        return NULL;
    }
    return &c->base;
}

static const rdd_ops cartesian_ops RDD_OPS_SECTION = {.name = "cartesian", .compute = cart_compute};

kiln_rdd *kiln_rdd_cartesian(kiln_rdd *a, kiln_rdd *b)
{
    if (!a || !b) return NULL;
    kiln_rdd *c = rdd_new(a->ctx, &cartesian_ops, a->nparts * b->nparts, NULL, 0);
    if (!c) return NULL;
    c->parents[0] = a;
    c->parents[1] = b;
    c->nparents = 2;
    rdd_link(c);
    return c;
}

/* ---- zip --------------------------------------------------------------------- */

typedef struct side {
    eng_iter *it;
    const kiln_value *v;
    size_t n, pos;
    bool end;
} side;

typedef struct zip_iter {
    eng_iter base;
    side s[2];
    kiln_arena *arena;
    val_vec out;
    int p;
} zip_iter;

/* Makes sure side s has a value at pos unless it has ended. */
static int fill(side *s, kiln_task *t)
{
    while (!s->end && s->pos >= s->n) {
        int rc = s->it->next(s->it, t, &s->v, &s->n);
        if (rc < 0) return rc;
        s->pos = 0;
        if (rc == 0) s->end = true;
    }
    return KILN_OK;
}

static int zip_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    zip_iter *z = (zip_iter *)base;
    kiln_arena_reset(z->arena);
    z->out.n = 0;
    while (z->out.n < ENG_BATCH) {
        int rc = fill(&z->s[0], t);
        if (rc == KILN_OK) rc = fill(&z->s[1], t);
        if (rc) return rc;
        if (z->s[0].end || z->s[1].end) {
            if (z->s[0].end != z->s[1].end)
                return task_error(t, KILN_EINVAL,
                                  "zip: partition %d of the two RDDs holds different numbers of "
                                  "values (can only zip RDDs with the same number of values in "
                                  "each partition)",
                                  z->p);
            break;
        }
        /* Copy both: the two sides' batches change independently. */
        kiln_value a, b, pair;
        if (kiln_value_copy(z->arena, &z->s[0].v[z->s[0].pos++], &a) ||
            kiln_value_copy(z->arena, &z->s[1].v[z->s[1].pos++], &b))
            return oom(t);
        pair = kiln_pair(z->arena, a, b);
        if (pair.type == KILN_NULL || val_vec_push(&z->out, &pair)) return oom(t);
    }
    *vals = z->out.v;
    *n = z->out.n;
    return z->out.n > 0;
}

static void zip_close(eng_iter *base)
{
    zip_iter *z = (zip_iter *)base;
    for (int i = 0; i < 2; i++)
        if (z->s[i].it) z->s[i].it->close(z->s[i].it);
    kiln_arena_free(z->arena);
    val_vec_release(&z->out);
    free(z);
}

static eng_iter *zip_compute(kiln_rdd *r, int p, kiln_task *t)
{
    zip_iter *z = calloc(1, sizeof *z);
    if (!z || !(z->arena = kiln_arena_new())) {
        free(z);
        oom(t);
        return NULL;
    }
    z->base.next = zip_next;
    z->base.close = zip_close;
    z->p = p;
    for (int i = 0; i < 2; i++) {
        if (!(z->s[i].it = rdd_iterator(r->parents[i], p, t))) {
            zip_close(&z->base);
            return NULL;
        }
    }
    return &z->base;
}

static const rdd_ops zip_ops RDD_OPS_SECTION = {.name = "zip", .compute = zip_compute};

kiln_rdd *kiln_rdd_zip(kiln_rdd *a, kiln_rdd *b)
{
    if (!a || !b) return NULL;
    if (a->nparts != b->nparts) {
        kiln_set_error(KILN_EINVAL,
                       "zip: can only zip RDDs with the same number of partitions (%d and %d)",
                       a->nparts, b->nparts);
        return NULL;
    }
    kiln_rdd *c = rdd_new(a->ctx, &zip_ops, a->nparts, NULL, 0);
    if (!c) return NULL;
    c->parents[0] = a;
    c->parents[1] = b;
    c->nparents = 2;
    rdd_link(c);
    return c;
}
