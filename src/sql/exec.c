/*
 * sql/exec.c - the driver's side of running a plan (exec.h): cutting it
 * into stages at exchanges, each stage an RDD whose tasks run a fragment,
 * and collecting the last stage's batches.
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/datasource.h"
#include "sql/agg_fn.h"
#include "sql/exec_int.h"
#include "sql/scan_int.h"

/* A stage being built: the RDD its tasks read and the fragment they run
 * over it (leaves PLAN_INPUT, PLAN_RANGE or PLAN_SCAN read that RDD), and
 * how the fragment's output rows are spread over the partitions. */
typedef struct stage {
    kiln_rdd *rdd;
    plan *frag;
    exec_part part;
} stage;

typedef struct exec {
    kiln_context *ctx;
    const sql_settings *s;
    kiln_arena *a; /* fragments, for the life of the query */
    kiln_rdd **rdds;
    int nrdds, cap;
    int64_t *bcasts; /* broadcasts made for the query, destroyed with it */
    int nbcasts, capb;
    bool no_broadcast; /* the result outlives the query (an RDD): no broadcasts */
    exec_graph *g;     /* the plan as it runs, when an execution is watched; else NULL */
    int out_gid;       /* the node run_fragment made for its output last (0: none) */
} exec;

static kiln_rdd *keep(exec *x, kiln_rdd *r)
{
    if (!r) return NULL;
    if (x->nrdds == x->cap) {
        int cap = x->cap ? x->cap * 2 : 16;
        kiln_rdd **g = realloc(x->rdds, sizeof *g * (size_t)cap);
        if (!g) {
            kiln_rdd_free(r);
            return NULL;
        }
        x->rdds = g;
        x->cap = cap;
    }
    x->rdds[x->nrdds++] = r;
    return r;
}

static void release(exec *x)
{
    for (int i = x->nrdds - 1; i >= 0; i--) kiln_rdd_free(x->rdds[i]);
    free(x->rdds);
    x->rdds = NULL;
    x->nrdds = x->cap = 0;
    for (int i = 0; i < x->nbcasts; i++) kiln_broadcast_destroy(x->ctx, x->bcasts[i]);
    free(x->bcasts);
    x->bcasts = NULL;
    x->nbcasts = x->capb = 0;
    exec_graph_free(x->g);
    x->g = NULL;
}

static int nomem(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory planning a query");
}

/* A node over the same columns as its input, in x's arena. */
static plan *node_like(exec *x, const plan *p, plan **in, int nin)
{
    plan *q = plan_new(x->a, (plan_kind)p->kind, in, nin, 0);
    if (!q) return NULL;
    plan *saved_in = q->in[0];
    *q = *p;
    q->in = kiln_arena_alloc(x->a, sizeof *q->in * (size_t)(nin ? nin : 1));
    if (!q->in) return NULL;
    if (nin) memcpy(q->in, in, sizeof *in * (size_t)nin);
    (void)saved_in;
    q->nin = nin;
    q->acc = 0;
    q->gid = 0;
    return q;
}

static plan *input_leaf(exec *x, const plan *like, int side)
{
    plan *l = plan_new(x->a, PLAN_INPUT, NULL, 0, like->ncols);
    if (!l) return NULL;
    memcpy(l->cols, like->cols, sizeof *l->cols * (size_t)like->ncols);
    l->side = side;
    return l;
}

/* The RDD of st's fragment run over its input, emitting batches or
 * (partition, batch) pairs by keys (over the fragment's output). With
 * out_name, what it emits goes to a node of that name in the plan graph
 * (x->out_gid), an exchange or a broadcast, described as out_desc. */
static kiln_rdd *run_fragment(exec *x, const stage *st, frag_out out, int nparts, expr *const *keys,
                              int nkeys, int side, const char *out_name, const char *out_desc)
{
    int64_t out_acc = 0;
    x->out_gid = 0;
    int rc = exec_graph_fragment(x->g, st->frag);
    if (!rc && out_name) {
        rc = exec_graph_output(x->g, out_name, out_desc, st->frag->gid, &out_acc);
        if (rc > 0) x->out_gid = rc;
        rc = rc < 0 ? rc : KILN_OK;
    }
    if (rc) return NULL;
    kiln_buf env;
    kiln_buf_init(&env);
    rc = exec_fragment_encode(&env, x->s, st->frag, out, nparts, keys, nkeys, side, out_acc);
    kiln_rdd *r = NULL;
    if (!rc) r = keep(x, kiln_rdd_map_partitions(st->rdd, exec_fragment_fn, env.data, env.len));
    kiln_buf_release(&env);
    if (rc) kiln_set_error(rc, "cannot encode a SQL fragment");
    return r;
}

/* The RDD of st's fragment emitting (partition, batch) pairs by keys into
 * nparts partitions for side (-1: all), an Exchange in the plan graph. */
static kiln_rdd *run_exchange(exec *x, const stage *st, int nparts, expr *const *keys, int nkeys,
                              int side)
{
    kiln_buf desc;
    kiln_buf_init(&desc);
    int rc = x->g ? exec_explain_exchange(&desc, keys, nkeys, nparts) : KILN_OK;
    if (!rc && x->g) rc = kiln_buf_append(&desc, "", 1);
    kiln_rdd *m = rc ? NULL
                     : run_fragment(x, st, FRAG_OUT_HASH, nparts, keys, nkeys, side, "Exchange",
                                    (const char *)desc.data);
    kiln_buf_release(&desc);
    return m;
}

/* Ends st with an exchange by keys into nparts partitions; *next reads it. */
static int exchange(exec *x, const stage *st, int nparts, expr *const *keys, int nkeys, stage *next)
{
    kiln_rdd *m = run_exchange(x, st, nparts, keys, nkeys, -1);
    kiln_rdd *r = m ? keep(x, kiln_rdd_partition_by(m, nparts, exec_partition_of, NULL, 0)) : NULL;
    if (!r) return KILN_ESQL;
    next->rdd = r;
    next->frag = input_leaf(x, st->frag, -1);
    if (next->frag) next->frag->gid = x->out_gid;
    exec_part_keys(&next->part, keys, nkeys, nparts);
    return next->frag ? KILN_OK : nomem();
}

static int build(exec *x, const plan *p, stage *out);

/* A scan: its splits packed into tasks, pruned partitions left out
 * (scan_dataset.c); each task's value is its tuple of splits. */
static int build_scan(exec *x, const plan *p, stage *out)
{
    kiln_arena *tmp = kiln_arena_new();
    if (!tmp) return nomem();
    kiln_value *vals = NULL;
    int n = 0;
    int rc = scan_plan_tasks_set(p, x->s, kiln_context_cores(x->ctx), tmp, &vals, &n);
    if (!rc) out->rdd = keep(x, kiln_parallelize(x->ctx, vals, (size_t)n, n > 0 ? n : 1));
    kiln_arena_free(tmp);
    if (rc) return rc;
    if (!out->rdd) return KILN_ESQL;
    out->frag = node_like(x, p, NULL, 0);
    return out->frag ? KILN_OK : nomem();
}

/* Column i of like as an expression. */
static expr *col_of(exec *x, const plan *like, int i)
{
    return expr_col(x->a, i, like->cols[i].type, like->cols[i].nullable, like->cols[i].name);
}

/* An aggregate (or DISTINCT: every column a key, no aggregates): a partial
 * aggregate in the child's tasks, an exchange by the keys, the final one
 * after it. With a DISTINCT aggregate the rows themselves are exchanged
 * and aggregated once (partial distinct sets would count twice). */
static int build_agg(exec *x, const plan *p, stage *out)
{
    plan *agg = (plan *)p;
    int rc;
    if (p->kind == PLAN_DISTINCT) {
        agg = plan_new(x->a, PLAN_AGG, p->in, 1, p->ncols);
        if (!agg ||
            !(agg->keys = kiln_arena_alloc(x->a, sizeof *agg->keys * (size_t)(p->ncols + 1))))
            return nomem();
        memcpy(agg->cols, p->cols, sizeof *agg->cols * (size_t)p->ncols);
        agg->nkeys = p->ncols;
        for (int i = 0; i < p->ncols; i++)
            if (!(agg->keys[i] = col_of(x, p->in[0], i))) return nomem();
    }
    stage c, ex;
    if ((rc = build(x, agg->in[0], &c))) return rc;
    int nparts = agg->nkeys ? x->s->shuffle_partitions : 1;
    bool distinct = false;
    for (int i = 0; i < agg->naggs; i++) distinct |= agg->aggs[i].distinct;
    /* Each group's rows in one partition already: aggregated where they
     * are, no exchange. With a DISTINCT aggregate the rows themselves are
     * exchanged and aggregated once. */
    bool in_place = exec_part_agg(&c.part, agg->keys, agg->nkeys, nparts, &out->part);
    if (in_place || distinct) {
        if (!in_place && (rc = exchange(x, &c, nparts, agg->keys, agg->nkeys, &c))) return rc;
        plan *complete = node_like(x, agg, &c.frag, 1);
        if (!complete) return nomem();
        complete->agg_mode = PAGG_COMPLETE;
        out->rdd = c.rdd;
        out->frag = complete;
        return KILN_OK;
    }
    agg_bound *b = kiln_arena_alloc(x->a, sizeof *b * (size_t)(agg->naggs + 1));
    if (!b) return nomem();
    if ((rc = exec_bind_aggs(x->a, agg, b))) return rc;
    int nstate = 0;
    for (int i = 0; i < agg->naggs; i++) nstate += b[i].nstate;
    plan *partial = plan_new(x->a, PLAN_AGG, &c.frag, 1, agg->nkeys + nstate);
    if (!partial) return nomem();
    plan *cols = partial;
    *partial = *agg;
    partial->in = kiln_arena_alloc(x->a, sizeof *partial->in);
    partial->cols = kiln_arena_alloc(x->a,
                                     sizeof *partial->cols * (size_t)(agg->nkeys + nstate + 1));
    if (!partial->in || !partial->cols) return nomem();
    (void)cols;
    partial->in[0] = c.frag;
    partial->nin = 1;
    partial->ncols = agg->nkeys + nstate;
    partial->agg_mode = PAGG_PARTIAL;
    for (int k = 0; k < agg->nkeys; k++) partial->cols[k] = agg->cols[k];
    int at = agg->nkeys;
    for (int i = 0; i < agg->naggs; i++)
        for (int j = 0; j < b[i].nstate; j++)
            partial->cols[at++] = (plan_col){"state", NULL, b[i].state_types[j], true};
    c.frag = partial;
    expr **keys = kiln_arena_alloc(x->a, sizeof *keys * (size_t)(agg->nkeys + 1));
    if (!keys) return nomem();
    for (int k = 0; k < agg->nkeys; k++)
        if (!(keys[k] = col_of(x, partial, k))) return nomem();
    int nx = exec_agg_hash_keys(agg);
    if ((rc = exchange(x, &c, nparts, keys, nx, &ex))) return rc;
    if (nx < agg->nkeys) exec_part_first(&out->part, nx, nparts);
    plan *final = node_like(x, agg, &ex.frag, 1);
    if (!final) return nomem();
    final->agg_mode = PAGG_FINAL;
    final->keys = keys;
    out->rdd = ex.rdd;
    out->frag = final;
    return KILN_OK;
}

/* Broadcasts the batches of r (bytes values), the output of a plan with
 * cols[ncols]; *leaf reads them in the tasks of the stage that joins them. */
static int broadcast_rdd(exec *x, kiln_rdd *r, const plan *like, int gid, plan **leaf)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return nomem();
    kiln_value list;
    int rc = kiln_rdd_collect(r, a, &list);
    int64_t id = rc ? -1 : kiln_broadcast_new(x->ctx, &list);
    kiln_arena_free(a);
    if (rc) return rc;
    if (id <= 0) return kiln_set_error(KILN_ENOMEM, "cannot broadcast a join side");
    if (x->nbcasts == x->capb) {
        int cap = x->capb ? x->capb * 2 : 8;
        int64_t *g = realloc(x->bcasts, sizeof *g * (size_t)cap);
        if (!g) {
            kiln_broadcast_destroy(x->ctx, id);
            return nomem();
        }
        x->bcasts = g;
        x->capb = cap;
    }
    x->bcasts[x->nbcasts++] = id;
    plan *l = plan_new(x->a, PLAN_BROADCAST, NULL, 0, like->ncols);
    if (!l) return nomem();
    memcpy(l->cols, like->cols, sizeof *l->cols * (size_t)like->ncols);
    l->bcast = id;
    l->gid = gid;
    *leaf = l;
    return KILN_OK;
}

/* Runs p as a job of its own and broadcasts its batches. */
static int broadcast_side(exec *x, const plan *p, plan **leaf)
{
    stage st;
    int rc = build(x, p, &st);
    if (rc) return rc;
    kiln_rdd *r = run_fragment(x, &st, FRAG_OUT_BATCHES, 0, NULL, 0, -1, "BroadcastExchange", NULL);
    return r ? broadcast_rdd(x, r, p, x->out_gid, leaf) : KILN_ESQL;
}

/* Adaptive execution of a join side whose size cannot be guessed (Spark's
 * AQE switching to a broadcast join from measured sizes), when a guess of
 * its size is within 16 times the broadcast limit: the side runs
 * first into a persisted RDD (memory, then disk); when it turns out below
 * limit it is broadcast (*leaf set), else *st reads the persisted batches. */
static int measure_side(exec *x, const plan *p, int64_t limit, stage *st, plan **leaf)
{
    *leaf = NULL;
    stage s;
    int rc = build(x, p, &s);
    if (rc) return rc;
    kiln_rdd *r = run_fragment(x, &s, FRAG_OUT_BATCHES, 0, NULL, 0, -1, "QueryStage",
                               "QueryStage (measured first: broadcast when small)");
    if (!r) return KILN_ESQL;
    int gid = x->out_gid;
    int64_t n;
    if (!kiln_rdd_persist(r, KILN_MEMORY_AND_DISK) || (rc = kiln_rdd_count(r, &n)))
        return rc ? rc : KILN_ESQL;
    int parts = 0, on_disk = 0;
    int64_t mem = 0;
    kiln_rdd_storage(r, &parts, &mem, &on_disk);
    if (on_disk == 0 && parts == kiln_rdd_num_partitions(r) && mem <= limit) {
        if ((rc = exec_graph_rename(x->g, gid, "BroadcastExchange"))) return rc;
        return broadcast_rdd(x, r, p, gid, leaf);
    }
    st->rdd = r;
    st->frag = input_leaf(x, p, -1);
    memset(&st->part, 0, sizeof st->part);
    if (st->frag) st->frag->gid = gid;
    return st->frag ? KILN_OK : nomem();
}

/* p with its sides swapped (right joins become left joins) under a
 * projection back to p's columns, so that its left side can be the one
 * built and broadcast. */
static plan *swapped(exec *x, const plan *p)
{
    int nl = p->in[0]->ncols, nr = p->in[1]->ncols;
    plan *in[2] = {p->in[1], p->in[0]};
    plan *j = node_like(x, p, in, 2);
    int *map = kiln_arena_alloc(x->a, sizeof *map * (size_t)(nl + nr + 1));
    if (!j || !map || !(j->cols = kiln_arena_alloc(x->a, sizeof *j->cols * (size_t)(nl + nr + 1))))
        return NULL;
    memcpy(j->cols, p->cols + nl, sizeof *j->cols * (size_t)nr);
    memcpy(j->cols + nr, p->cols, sizeof *j->cols * (size_t)nl);
    j->keys = p->rkeys;
    j->rkeys = p->keys;
    if (p->join == PJ_RIGHT) j->join = PJ_LEFT;
    for (int i = 0; i < nl + nr; i++) map[i] = i < nl ? i + nr : i - nl;
    if (p->pred && !(j->pred = expr_remap(x->a, p->pred, map, 0))) return NULL;
    plan *pr = plan_new(x->a, PLAN_PROJECT, &j, 1, p->ncols);
    if (!pr || !(pr->exprs = kiln_arena_alloc(x->a, sizeof *pr->exprs * (size_t)(p->ncols + 1))))
        return NULL;
    memcpy(pr->cols, p->cols, sizeof *pr->cols * (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++)
        if (!(pr->exprs[i] = col_of(x, j, map[i]))) return NULL;
    return pr;
}

/* A join. With a side estimated below kiln.sql.autoBroadcastJoinThreshold
 * that the join may build (the right of inner, left, semi, anti and cross
 * joins; the left of inner, right and cross joins, by swapping), that
 * side runs first and is broadcast, and the other streams through the
 * join in its own stage (a broadcast hash join: no exchange). Otherwise
 * a side worth measuring (plan_worth_measuring; of two, the one guessed
 * smaller) runs first and is broadcast if it comes out small; else both
 * sides are exchanged by their keys into one shuffle, each batch tagged
 * with its side; a task builds the right side's rows into a hash table
 * and probes it with the left's. */
int exec_join_strategy(const plan *p, int64_t limit)
{
    if (limit < 0) return JS_SHUFFLE;
    bool right_ok = p->join == PJ_INNER || p->join == PJ_LEFT || p->join == PJ_SEMI ||
                    p->join == PJ_ANTI || p->join == PJ_CROSS;
    bool left_ok = p->join == PJ_INNER || p->join == PJ_RIGHT || p->join == PJ_CROSS;
    int64_t lb = left_ok ? plan_est_bytes(p->in[0]) : INT64_MAX;
    int64_t rb = right_ok ? plan_est_bytes(p->in[1]) : INT64_MAX;
    if (lb <= limit && lb < rb) return JS_BROADCAST_LEFT;
    if (rb <= limit) return JS_BROADCAST_RIGHT;
    int js = JS_SHUFFLE;
    if ((p->join == PJ_INNER || p->join == PJ_LEFT || p->join == PJ_SEMI || p->join == PJ_ANTI) &&
        plan_worth_measuring(p->in[1], limit))
        js |= JS_MEASURE_RIGHT;
    if (p->join == PJ_INNER && plan_worth_measuring(p->in[0], limit)) js |= JS_MEASURE_LEFT;
    /* Both: only the side guessed smaller (measuring a big side costs its
     * rows held once more, to no use). */
    if ((js & JS_MEASURE_LEFT) && (js & JS_MEASURE_RIGHT))
        js &= plan_est_bytes_guess(p->in[0]) < plan_est_bytes_guess(p->in[1]) ? ~JS_MEASURE_RIGHT
                                                                              : ~JS_MEASURE_LEFT;
    return js;
}

static int build_join(exec *x, const plan *p, stage *out)
{
    stage l, r;
    int rc;
    int64_t limit = x->no_broadcast ? -1 : x->s->broadcast_bytes;
    int js = exec_join_strategy(p, limit);
    {
        if (js == JS_BROADCAST_LEFT) {
            /* The left side is the small one: swap it to the right. */
            plan *sw = swapped(x, p);
            if (!sw) return nomem();
            stage inner;
            memset(&inner.part, 0, sizeof inner.part);
            if ((rc = build_join(x, sw->in[0], &inner))) return rc;
            out->rdd = inner.rdd;
            out->frag = node_like(x, sw, &inner.frag, 1);
            exec_part_project(&out->part, &inner.part, sw);
            return out->frag ? KILN_OK : nomem();
        }
        if (js == JS_BROADCAST_RIGHT) {
            plan *leaf = NULL;
            if ((rc = build(x, p->in[0], &l)) || (rc = broadcast_side(x, p->in[1], &leaf)))
                return rc;
            plan *in[2] = {l.frag, leaf};
            out->rdd = l.rdd;
            out->frag = node_like(x, p, in, 2);
            out->part = l.part; /* the streamed side's rows, columns first */
            return out->frag ? KILN_OK : nomem();
        }
    }
    bool have_l = false, have_r = false;
    if (js & JS_MEASURE_RIGHT) {
        plan *leaf;
        if ((rc = measure_side(x, p->in[1], limit, &r, &leaf))) return rc;
        if (leaf) {
            if ((rc = build(x, p->in[0], &l))) return rc;
            plan *in[2] = {l.frag, leaf};
            out->rdd = l.rdd;
            out->frag = node_like(x, p, in, 2);
            out->part = l.part;
            return out->frag ? KILN_OK : nomem();
        }
        have_r = true;
    }
    if (js & JS_MEASURE_LEFT) {
        plan *leaf;
        if ((rc = measure_side(x, p->in[0], limit, &l, &leaf))) return rc;
        if (leaf) {
            /* Small: the swapped join builds it from the broadcast. */
            plan *sw = swapped(x, p);
            if (!sw) return nomem();
            plan *j = sw->in[0];
            stage big;
            if (have_r) big = r;
            else if ((rc = build(x, j->in[0], &big))) return rc;
            plan *in[2] = {big.frag, leaf};
            plan *jn = node_like(x, j, in, 2);
            out->rdd = big.rdd;
            out->frag = jn ? node_like(x, sw, &jn, 1) : NULL;
            exec_part_project(&out->part, &big.part, sw);
            return out->frag ? KILN_OK : nomem();
        }
        have_l = true;
    }
    if ((!have_l && (rc = build(x, p->in[0], &l))) || (!have_r && (rc = build(x, p->in[1], &r))))
        return rc;
    /* A null-aware anti join (NOT IN) must see every null of the right
     * side: it runs in one task. */
    int nparts = p->nkeys && !p->null_aware ? x->s->shuffle_partitions : 1;
    exec_join_parts jp;
    exec_part_join(&l.part, &r.part, p, nparts, &jp, &out->part);
    kiln_rdd *u;
    int gid[2] = {0, 0}; /* the graph nodes each side's rows come from */
    if (jp.exchange[0] && jp.exchange[1]) {
        /* Both sides into one shuffle, each batch tagged with its side. */
        kiln_rdd *lm = run_exchange(x, &l, nparts, p->keys, p->nkeys, 0);
        gid[0] = x->out_gid;
        kiln_rdd *rm = lm ? run_exchange(x, &r, nparts, p->rkeys, p->nkeys, 1) : NULL;
        gid[1] = x->out_gid;
        /* The right side's maps first: a task reads map outputs in map
         * order, so the side the join builds arrives before the one it
         * streams, and no batch waits in memory for its turn
         * (exec_input.c). */
        u = rm ? keep(x, kiln_rdd_union(rm, lm)) : NULL;
        u = u ? keep(x, kiln_rdd_partition_by(u, nparts, exec_partition_of, NULL, 0)) : NULL;
    } else {
        /* A side hashed by its keys already stays where it is; the other is
         * exchanged by its keys at the same positions, and partition i of
         * both is read together (the right side first, as above). */
        kiln_rdd *side[2];
        const stage *st[2] = {&l, &r};
        for (int s = 1; s >= 0; s--) {
            expr *const *all = s ? p->rkeys : p->keys;
            expr **keys = kiln_arena_alloc(x->a, sizeof *keys * (size_t)jp.nidx);
            if (!keys) return nomem();
            for (int j = 0; j < jp.nidx; j++) keys[j] = all[jp.idx[j]];
            if (jp.exchange[s]) {
                kiln_rdd *m = run_exchange(x, st[s], nparts, keys, jp.nidx, s);
                gid[s] = x->out_gid;
                side[s] = m ? keep(x, kiln_rdd_partition_by(m, nparts, exec_partition_of, NULL, 0))
                            : NULL;
            } else {
                side[s] = run_fragment(x, st[s], FRAG_OUT_BATCHES, 0, NULL, 0, s, NULL, NULL);
                gid[s] = st[s]->frag->gid;
            }
            if (!side[s]) return KILN_ESQL;
        }
        u = keep(x, kiln_rdd_zip_partitions(side[1], side[0]));
    }
    if (!u) return KILN_ESQL;
    plan *in[2] = {input_leaf(x, p->in[0], 0), input_leaf(x, p->in[1], 1)};
    if (!in[0] || !in[1]) return nomem();
    in[0]->gid = gid[0];
    in[1]->gid = gid[1];
    out->rdd = u;
    out->frag = node_like(x, p, in, 2);
    return out->frag ? KILN_OK : nomem();
}

/* Whether window p's input is a window partitioned as p is. */
static bool window_same_parts(const plan *p, const plan *in)
{
    if ((in->kind != PLAN_WINDOW && in->kind != PLAN_WINDOW_LIMIT) || in->nkeys != p->nkeys)
        return false;
    for (int i = 0; i < p->nkeys; i++)
        if (p->keys[i]->kind != EX_COL || in->keys[i]->kind != EX_COL ||
            p->keys[i]->col != in->keys[i]->col)
            return false;
    return true;
}

static int build_child(exec *x, const plan *p, stage *st)
{
    return build(x, p->in[0], st);
}

/* A window (PLAN_WINDOW) or a window group limit (PLAN_WINDOW_LIMIT):
 * rows exchanged by the partition keys (to one task without), then sorted
 * and windowed there (exec_window.c), or limited to each key's best rows
 * (exec_window_limit.c: partial in the child's tasks before the exchange,
 * final after it). Rows hashed by (some of) the keys already, or a window
 * over one with the same partitioning, need no exchange. The output's
 * columns follow the child's, so the rows stay spread as they are. */
static int build_window(exec *x, const plan *p, stage *out)
{
    stage c, ex;
    exec_part unused;
    int rc = build_child(x, p, &c);
    if (rc) return rc;
    bool limit = p->kind == PLAN_WINDOW_LIMIT;
    int nparts = p->nkeys ? x->s->shuffle_partitions : 1;
    if (!window_same_parts(p, p->in[0]) &&
        !exec_part_agg(&c.part, p->keys, p->nkeys, nparts, &unused)) {
        if (limit) {
            plan *part = node_like(x, p, &c.frag, 1);
            if (!part) return nomem();
            part->wgl_mode = 1;
            c.frag = part;
        }
        if ((rc = exchange(x, &c, nparts, p->keys, p->nkeys, &ex))) return rc;
        c = ex;
    }
    out->rdd = c.rdd;
    out->frag = node_like(x, p, &c.frag, 1);
    out->part = c.part;
    if (!out->frag) return nomem();
    if (limit) out->frag->wgl_mode = 2;
    return KILN_OK;
}

static int build(exec *x, const plan *p, stage *out)
{
    int rc;
    memset(&out->part, 0, sizeof out->part); /* unknown unless the case says */
    switch (p->kind) {
    case PLAN_VALUES: {
        /* One partition per batch (at most the cores), the batches as bytes. */
        kiln_value *vals = calloc((size_t)(p->nbatches ? p->nbatches : 1), sizeof *vals);
        kiln_arena *tmp = kiln_arena_new();
        kiln_buf b;
        kiln_buf_init(&b);
        rc = vals && tmp ? KILN_OK : KILN_ENOMEM;
        for (int i = 0; !rc && i < p->nbatches; i++) {
            b.len = 0;
            rc = col_batch_encode(&b, &p->batches[i]);
            if (!rc) {
                vals[i] = kiln_bytes_new(tmp, b.data, b.len);
                rc = vals[i].type == KILN_NULL ? KILN_ENOMEM : KILN_OK;
            }
        }
        int slices = p->nbatches < kiln_context_cores(x->ctx) ? p->nbatches
                                                              : kiln_context_cores(x->ctx);
        if (!rc)
            out->rdd = keep(x, kiln_parallelize(x->ctx, vals, (size_t)p->nbatches,
                                                slices > 0 ? slices : 1));
        kiln_buf_release(&b);
        kiln_arena_free(tmp);
        free(vals);
        if (rc || !out->rdd) return rc ? nomem() : KILN_ESQL;
        out->frag = input_leaf(x, p, -1);
        return out->frag ? exec_graph_node(x->g, out->frag, "LocalTableScan") : nomem();
    }
    case PLAN_RANGE: {
        int slices = p->slices > 0 ? p->slices : kiln_context_default_parallelism(x->ctx);
        /* Slice i holds [start + i*len/slices*step ...): count the values first. */
        __int128 span = (__int128)p->end - p->start;
        __int128 count = 0;
        if ((p->step > 0 && span > 0) || (p->step < 0 && span < 0))
            count = (span + p->step + (p->step > 0 ? -1 : 1)) / p->step;
        kiln_value *vals = calloc((size_t)slices, sizeof *vals);
        kiln_arena *tmp = kiln_arena_new();
        if (!vals || !tmp) {
            free(vals);
            kiln_arena_free(tmp);
            return nomem();
        }
        for (int i = 0; i < slices; i++) {
            __int128 lo = count * i / slices, hi = count * (i + 1) / slices;
            int64_t s = (int64_t)(p->start + lo * p->step);
            int64_t e = hi == count ? p->end : (int64_t)(p->start + hi * p->step);
            vals[i] = kiln_pair(tmp, kiln_int(s), kiln_int(e));
        }
        out->rdd = keep(x, kiln_parallelize(x->ctx, vals, (size_t)slices, slices));
        free(vals);
        kiln_arena_free(tmp);
        if (!out->rdd) return KILN_ESQL;
        out->frag = node_like(x, p, NULL, 0);
        return out->frag ? KILN_OK : nomem();
    }
    case PLAN_SCAN:
        return build_scan(x, p, out);
    case PLAN_RDD:
        out->rdd = p->rdd;
        out->frag = input_leaf(x, p, -1);
        if (out->frag) out->frag->proj = p->proj; /* the columns the query reads */
        return out->frag ? exec_graph_node(x->g, out->frag, "InMemoryTableScan") : nomem();
    case PLAN_PROJECT:
    case PLAN_FILTER:
    case PLAN_EXPLODE: {
        stage c;
        if ((rc = build_child(x, p, &c))) return rc;
        out->rdd = c.rdd;
        out->frag = node_like(x, p, &c.frag, 1);
        if (p->kind == PLAN_PROJECT) exec_part_project(&out->part, &c.part, p);
        else if (p->kind == PLAN_FILTER) out->part = c.part;
        return out->frag ? KILN_OK : nomem();
    }
    case PLAN_LIMIT: {
        /* A local limit of offset + limit rows in every task, then one task
         * takes the global one. */
        stage c, one;
        if ((rc = build_child(x, p, &c))) return rc;
        plan *local = node_like(x, p, &c.frag, 1);
        if (!local) return nomem();
        local->offset = 0;
        local->limit = p->limit > INT64_MAX - p->offset ? INT64_MAX : p->limit + p->offset;
        c.frag = local;
        if ((rc = exec_graph_node(x->g, local, "LocalLimit")) ||
            (rc = exchange(x, &c, 1, NULL, 0, &one)))
            return rc;
        out->rdd = one.rdd;
        out->frag = node_like(x, p, &one.frag, 1);
        return out->frag ? exec_graph_node(x->g, out->frag, "GlobalLimit") : nomem();
    }
    case PLAN_UNION: {
        kiln_rdd *u = NULL;
        plan *leaf = input_leaf(x, p, -1);
        if (!leaf) return nomem();
        if ((rc = exec_graph_node(x->g, leaf, "Union"))) return rc;
        for (int i = 0; i < p->nin; i++) {
            stage c;
            if ((rc = build(x, p->in[i], &c))) return rc;
            kiln_rdd *r = run_fragment(x, &c, FRAG_OUT_BATCHES, 0, NULL, 0, -1, NULL, NULL);
            if (!r) return KILN_ESQL;
            exec_graph_link(x->g, c.frag->gid, leaf->gid);
            u = u ? keep(x, kiln_rdd_union(u, r)) : r;
            if (!u) return KILN_ESQL;
        }
        out->rdd = u;
        out->frag = leaf;
        return KILN_OK;
    }
    case PLAN_DISTINCT:
    case PLAN_AGG:
        return build_agg(x, p, out);
    case PLAN_JOIN:
        return build_join(x, p, out);
    case PLAN_SORT: {
        /* Everything to one task, sorted there. */
        stage c, one;
        if ((rc = build_child(x, p, &c)) || (rc = exchange(x, &c, 1, NULL, 0, &one))) return rc;
        out->rdd = one.rdd;
        out->frag = node_like(x, p, &one.frag, 1);
        return out->frag ? KILN_OK : nomem();
    }
    case PLAN_WINDOW:
    case PLAN_WINDOW_LIMIT:
        return build_window(x, p, out);
    default:
        return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] this query needs an operator "
                                         "kiln cannot run yet");
    }
}

/* Tells the execution's listeners the plan as it runs (nothing without a
 * graph); a failure to describe it fails nothing. */
static void describe(exec *x, int root)
{
    kiln_buf json, text;
    kiln_buf_init(&json);
    kiln_buf_init(&text);
    if (exec_graph_describe(x->g, root, &json, &text) == KILN_OK)
        kiln_sql_execution_plan(x->ctx, x->s->execution, (const char *)text.data,
                                (const char *)json.data);
    kiln_buf_release(&json);
    kiln_buf_release(&text);
}

static int run(exec *x, const plan *p, kiln_rdd **out)
{
    if (x->s->execution >= 0 && kiln_context_observed(x->ctx) && !(x->g = exec_graph_new(x->ctx)))
        return nomem();
    stage st;
    int rc = build(x, p, &st);
    if (rc) return rc;
    kiln_rdd *r = run_fragment(x, &st, FRAG_OUT_BATCHES, 0, NULL, 0, -1, NULL, NULL);
    if (!r) return KILN_ESQL;
    if (x->g) describe(x, st.frag->gid);
    *out = r;
    return KILN_OK;
}

int sql_exec_collect(kiln_context *ctx, const sql_settings *s, const plan *p, sql_result *out)
{
    memset(out, 0, sizeof *out);
    exec x = {ctx, s, kiln_arena_new(), NULL, 0, 0};
    out->a = kiln_arena_new();
    if (!x.a || !out->a) {
        kiln_arena_free(x.a);
        kiln_arena_free(out->a);
        out->a = NULL;
        return nomem();
    }
    kiln_rdd *r;
    int rc = run(&x, p, &r);
    kiln_value list;
    if (!rc) rc = kiln_rdd_collect(r, out->a, &list);
    if (!rc) {
        out->nbatches = (int)list.len;
        out->batches = kiln_arena_alloc(out->a, sizeof *out->batches * (list.len ? list.len : 1));
        if (!out->batches) rc = nomem();
        for (uint32_t i = 0; !rc && i < list.len; i++) {
            const kiln_value *v = &list.u.items[i];
            rc = v->type == KILN_BYTES
                     ? col_batch_decode(&out->batches[i], out->a, v->u.bytes, v->len)
                     : KILN_ECORRUPT;
            if (!rc) out->rows += out->batches[i].n;
        }
    }
    if (!rc) {
        out->ncols = p->ncols;
        out->cols = kiln_arena_alloc(out->a, sizeof *out->cols * (size_t)(p->ncols ? p->ncols : 1));
        if (!out->cols) rc = nomem();
        for (int i = 0; !rc && i < p->ncols; i++) {
            out->cols[i] = p->cols[i];
            out->cols[i].type = col_type_copy(out->a, p->cols[i].type);
            size_t n = strlen(p->cols[i].name);
            char *name = kiln_arena_alloc(out->a, n + 1);
            if (!name || !out->cols[i].type) {
                rc = nomem();
                break;
            }
            memcpy(name, p->cols[i].name, n + 1);
            out->cols[i].name = name;
            out->cols[i].qualifier = NULL;
        }
    }
    release(&x);
    kiln_arena_free(x.a);
    if (rc) sql_result_release(out);
    return rc;
}

void sql_result_release(sql_result *r)
{
    kiln_arena_free(r->a);
    memset(r, 0, sizeof *r);
}

int sql_exec_rdd(kiln_context *ctx, const sql_settings *s, const plan *p, kiln_rdd **out)
{
    exec x = {ctx, s, kiln_arena_new(), NULL, 0, 0};
    x.no_broadcast = true; /* the RDD is computed after this returns */
    if (!x.a) return nomem();
    kiln_rdd *r;
    int rc = run(&x, p, &r);
    if (!rc) {
        /* The caller's handle; the rest go (the result keeps its parents). */
        x.nrdds--;
        *out = r;
    }
    release(&x);
    kiln_arena_free(x.a);
    return rc;
}
