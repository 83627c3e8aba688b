/*
 * sql/plan_wire.c - plan fragments as bytes (plan.h): what a task of a SQL
 * stage receives as its function's environment. Expressions travel by
 * expr_encode (functions by name); values of PLAN_VALUES as batches.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sql/generate.h"
#include "sql/plan.h"
#include "sql/scan_int.h"
#include "sql/window.h"

#define PLAN_MAX_DEPTH 500
#define MAX_ITEMS 100000

static void put_str0(wire_writer *w, const char *s)
{
    wire_put_u8(w, s != NULL);
    if (s) wire_put_str(w, s);
}

static void put_exprs(wire_writer *w, expr *const *e, int n)
{
    wire_put_u32(w, (uint32_t)n);
    for (int i = 0; i < n; i++) expr_encode(w, e[i]);
}

static void put_opt_expr(wire_writer *w, const expr *e)
{
    wire_put_u8(w, e != NULL);
    if (e) expr_encode(w, e);
}

static void put_order(wire_writer *w, const plan *p)
{
    wire_put_u32(w, (uint32_t)p->norder);
    for (int i = 0; i < p->norder; i++) {
        expr_encode(w, p->order[i].e);
        wire_put_u8(w, (uint8_t)(p->order[i].desc | p->order[i].nulls_first << 1));
    }
}

static void put_plan(wire_writer *w, const plan *p)
{
    wire_put_u8(w, p->kind);
    wire_put_u32(w, (uint32_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        wire_put_str(w, p->cols[i].name ? p->cols[i].name : "");
        put_str0(w, p->cols[i].qualifier);
        col_type_put(w, p->cols[i].type);
        wire_put_u8(w, p->cols[i].nullable);
    }
    wire_put_u64(w, (uint64_t)p->acc);
    wire_put_u32(w, (uint32_t)p->nin);
    for (int i = 0; i < p->nin; i++) put_plan(w, p->in[i]);
    switch (p->kind) {
    case PLAN_SCAN:
        wire_put_str(w, p->src.format);
        wire_put_str(w, p->src.paths);
        wire_put_u32(w, (uint32_t)p->src.nopts);
        for (int i = 0; i < p->src.nopts; i++) {
            wire_put_str(w, p->src.keys[i]);
            wire_put_str(w, p->src.values[i]);
        }
        wire_put_u32(w, (uint32_t)p->src.schema.n);
        for (int i = 0; i < p->src.schema.n; i++) {
            wire_put_str(w, p->src.schema.fields[i].name);
            col_type_put(w, p->src.schema.fields[i].type);
            wire_put_u8(w, p->src.schema.fields[i].nullable);
        }
        for (int i = 0; i < p->ncols; i++) wire_put_u32(w, (uint32_t)p->proj[i]);
        scan_put_dataset(w, &p->src);
        break;
    case PLAN_VALUES: {
        wire_put_u32(w, (uint32_t)p->nbatches);
        kiln_buf b;
        kiln_buf_init(&b);
        for (int i = 0; i < p->nbatches; i++) {
            b.len = 0;
            if (col_batch_encode(&b, &p->batches[i]) && !w->err) w->err = KILN_ENOMEM;
            wire_put_bytes(w, b.data, b.len);
        }
        kiln_buf_release(&b);
        break;
    }
    case PLAN_RANGE:
        wire_put_u64(w, (uint64_t)p->start);
        wire_put_u64(w, (uint64_t)p->end);
        wire_put_u64(w, (uint64_t)p->step);
        wire_put_u32(w, (uint32_t)p->slices);
        break;
    case PLAN_PROJECT:
        put_exprs(w, p->exprs, p->ncols);
        break;
    case PLAN_FILTER:
        expr_encode(w, p->pred);
        break;
    case PLAN_AGG:
        wire_put_u8(w, p->agg_mode);
        put_exprs(w, p->keys, p->nkeys);
        wire_put_u32(w, (uint32_t)p->naggs);
        for (int i = 0; i < p->naggs; i++) {
            const plan_agg *g = &p->aggs[i];
            wire_put_str(w, g->fn);
            put_exprs(w, g->args, g->nargs);
            wire_put_u8(w, g->distinct);
            put_opt_expr(w, g->filter);
            col_type_put(w, g->type);
        }
        break;
    case PLAN_JOIN:
        wire_put_u8(w, (uint8_t)p->join);
        wire_put_u8(w, (uint8_t)(p->build | p->null_aware << 1));
        put_exprs(w, p->keys, p->nkeys);
        put_exprs(w, p->rkeys, p->nkeys);
        for (int i = 0; i < p->nkeys; i++) wire_put_u8(w, p->null_safe ? p->null_safe[i] : 0);
        put_opt_expr(w, p->pred);
        break;
    case PLAN_SORT:
        put_order(w, p);
        wire_put_u64(w, (uint64_t)p->limit); /* a top-N sort when > 0 */
        break;
    case PLAN_LIMIT:
        wire_put_u64(w, (uint64_t)p->offset);
        wire_put_u64(w, (uint64_t)p->limit);
        break;
    case PLAN_EXPLODE:
        put_exprs(w, p->exprs, 1);
        wire_put_u8(w, (uint8_t)(p->outer | p->gen << 1));
        break;
    case PLAN_INPUT:
        wire_put_u32(w, (uint32_t)(p->side + 1));
        wire_put_u8(w, p->proj != NULL);
        for (int i = 0; p->proj && i < p->ncols; i++) wire_put_u32(w, (uint32_t)p->proj[i]);
        break;
    case PLAN_BROADCAST:
        wire_put_u64(w, (uint64_t)p->bcast);
        break;
    case PLAN_UNION:
        break;
    case PLAN_WINDOW:
        put_exprs(w, p->keys, p->nkeys);
        put_order(w, p);
        wire_put_u32(w, (uint32_t)p->nwin);
        for (int i = 0; i < p->nwin; i++) {
            const plan_win *f = &p->win[i];
            wire_put_str(w, f->fn);
            wire_put_u8(w, (uint8_t)(f->core + 1));
            put_exprs(w, f->args, f->nargs);
            wire_put_u64(w, (uint64_t)f->n);
            wire_put_u8(w, f->ignore_nulls);
            wire_put_u8(w, f->unit);
            wire_put_u8(w, f->start);
            wire_put_u8(w, f->end);
            wire_put_u64(w, (uint64_t)f->start_off);
            wire_put_u64(w, (uint64_t)f->end_off);
            put_opt_expr(w, f->start_val);
            put_opt_expr(w, f->end_val);
            col_type_put(w, f->type);
        }
        break;
    case PLAN_WINDOW_LIMIT:
        put_exprs(w, p->keys, p->nkeys);
        put_order(w, p);
        wire_put_u64(w, (uint64_t)p->limit);
        wire_put_u8(w, p->wgl_fn);
        wire_put_u8(w, p->wgl_mode);
        break;
    default:
        if (!w->err) w->err = KILN_EINVAL; /* not a node tasks run */
        break;
    }
}

void plan_encode(wire_writer *w, const plan *p)
{
    put_plan(w, p);
}

/* ---- Decoding ------------------------------------------------------------ */

typedef struct dec {
    wire_reader *r;
    kiln_arena *a;
    bool ansi;
    const char *tz;
    /* Where the decoder is, for messages: the node being read, its depth
     * and the part of it (set before each part is read). */
    uint8_t kind;
    int depth;
    const char *part;
} dec;

static const char *kind_name(uint8_t k)
{
    static const char *const names[] = {
        "Scan",   "Values",    "Range",  "RDD",      "Project",
        "Filter", "Aggregate", "Join",   "Sort",     "Limit",
        "Union",  "Explode",   "Window", "Distinct", "WindowGroupLimit",
        "Input",  "Broadcast",
    };
    return k < sizeof names / sizeof *names ? names[k] : "unknown";
}

/* Fails the decode with a message naming the node, its depth, the byte
 * and what is wrong (the wire reader's own message, naming the field, is
 * kept when it failed first). */
static int bad(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(dec *d, const char *fmt, ...)
{
    if (d->r->err) return KILN_ECORRUPT;
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return kiln_set_error(KILN_ECORRUPT, "%s: %s node at depth %d, byte %zu: %s",
                          d->r->what ? d->r->what : "plan fragment", kind_name(d->kind), d->depth,
                          d->r->off, detail);
}

static char *get_str(dec *d, const char *field)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(d->r, 1u << 20, &n, field);
    if (!p) return NULL;
    char *s = kiln_arena_alloc(d->a, n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static char *get_str0(dec *d, const char *field)
{
    if (!wire_get_u8(d->r, field)) return NULL;
    return get_str(d, field);
}

static int get_exprs(dec *d, expr ***out, int *n)
{
    uint32_t k = wire_get_u32(d->r, d->part);
    if (d->r->err || k > MAX_ITEMS) return bad(d, "%u %s (at most %d)", k, d->part, MAX_ITEMS);
    /* Each expression takes more than a byte: a count past the bytes left
     * is refused before its array is allocated. */
    if (k > d->r->len - d->r->off)
        return bad(d, "%u %s in %zu bytes", k, d->part, d->r->len - d->r->off);
    expr **e = kiln_arena_alloc(d->a, sizeof *e * (k ? k : 1));
    if (!e) return KILN_ENOMEM;
    for (uint32_t i = 0; i < k; i++) {
        int rc = expr_decode(d->r, d->a, d->ansi, d->tz, &e[i]);
        if (rc) return rc;
    }
    *out = e;
    if (n) *n = (int)k;
    return KILN_OK;
}

static int get_opt_expr(dec *d, expr **out)
{
    *out = NULL;
    if (!wire_get_u8(d->r, "optional expression")) return d->r->err ? KILN_ECORRUPT : KILN_OK;
    return expr_decode(d->r, d->a, d->ansi, d->tz, out);
}

static int get_order(dec *d, plan *p)
{
    wire_reader *r = d->r;
    d->part = "sort keys";
    uint32_t no = wire_get_u32(r, "sort keys");
    if (r->err || no > MAX_ITEMS || no > r->len - r->off)
        return bad(d, "%u sort keys in %zu bytes (at most %d)", no, r->len - r->off, MAX_ITEMS);
    p->norder = (int)no;
    p->order = kiln_arena_alloc(d->a, sizeof *p->order * (no ? no : 1));
    if (!p->order) return KILN_ENOMEM;
    for (uint32_t i = 0; i < no; i++) {
        int rc = expr_decode(r, d->a, d->ansi, d->tz, &p->order[i].e);
        if (rc) return rc;
        uint8_t f = wire_get_u8(r, "sort flags");
        p->order[i].desc = f & 1;
        p->order[i].nulls_first = (f >> 1) & 1;
    }
    return KILN_OK;
}

/* A count n just read: over max, or past the bytes left (every item takes
 * at least one), it is refused before anything is allocated for it. */
static int check_count(dec *d, uint32_t n, uint32_t max, const char *what)
{
    wire_reader *r = d->r;
    if (r->err) return KILN_ECORRUPT;
    if (n > max) return bad(d, "%u %s (at most %u)", n, what, max);
    if (n > r->len - r->off) return bad(d, "%u %s in %zu bytes", n, what, r->len - r->off);
    return KILN_OK;
}

static int get_plan(dec *d, int depth, plan **out)
{
    wire_reader *r = d->r;
    d->depth = depth;
    d->part = "node";
    if (depth > PLAN_MAX_DEPTH) return bad(d, "plans nest deeper than %d nodes", PLAN_MAX_DEPTH);
    uint8_t kind = wire_get_u8(r, "plan kind");
    d->kind = kind;
    if (r->err) return KILN_ECORRUPT;
    if (kind > PLAN_BROADCAST || kind == PLAN_RDD || kind == PLAN_DISTINCT)
        return bad(d, "kind %u is not a node of a fragment", kind);
    uint32_t ncols = wire_get_u32(r, "columns");
    int rc = check_count(d, ncols, MAX_ITEMS, "columns");
    if (rc) return rc;
    plan *p = plan_new(d->a, kind, NULL, 0, (int)ncols);
    if (!p) return KILN_ENOMEM;
    d->part = "column";
    for (uint32_t i = 0; i < ncols; i++) {
        p->cols[i].name = get_str(d, "column name");
        p->cols[i].qualifier = get_str0(d, "qualifier");
        p->cols[i].type = col_type_get(r, d->a);
        p->cols[i].nullable = wire_get_u8(r, "nullable") != 0;
        if (r->err || !p->cols[i].name || !p->cols[i].type)
            return bad(d, "column %u has no valid type", i);
    }
    p->acc = (int64_t)wire_get_u64(r, "metrics");
    uint32_t nin = wire_get_u32(r, "inputs");
    if (r->err) return KILN_ECORRUPT;
    if (p->acc < 0) return bad(d, "metrics accumulator %lld is negative", (long long)p->acc);
    if ((rc = check_count(d, nin, 64, "inputs"))) return rc;
    p->nin = (int)nin;
    p->in = kiln_arena_alloc(d->a, sizeof *p->in * (nin ? nin : 1));
    if (!p->in) return KILN_ENOMEM;
    for (uint32_t i = 0; i < nin; i++) {
        if ((rc = get_plan(d, depth + 1, &p->in[i]))) return rc;
        d->kind = kind; /* back in this node, for messages */
        d->depth = depth;
    }
    bool one_in = kind == PLAN_PROJECT || kind == PLAN_FILTER || kind == PLAN_AGG ||
                  kind == PLAN_SORT || kind == PLAN_LIMIT || kind == PLAN_EXPLODE ||
                  kind == PLAN_WINDOW || kind == PLAN_WINDOW_LIMIT;
    if (one_in && nin != 1) return bad(d, "%u inputs (needs 1)", nin);
    if (kind == PLAN_JOIN && nin != 2) return bad(d, "%u inputs (needs 2)", nin);
    switch (kind) {
    case PLAN_SCAN: {
        d->part = "source";
        p->src.format = get_str(d, "format");
        p->src.paths = get_str(d, "paths");
        uint32_t no = wire_get_u32(r, "options");
        if ((rc = check_count(d, no, 10000, "reader options"))) return rc;
        p->src.nopts = (int)no;
        p->src.keys = kiln_arena_alloc(d->a, sizeof(char *) * (no ? no : 1));
        p->src.values = kiln_arena_alloc(d->a, sizeof(char *) * (no ? no : 1));
        if (!p->src.keys || !p->src.values) return KILN_ENOMEM;
        for (uint32_t i = 0; i < no; i++) {
            p->src.keys[i] = get_str(d, "option key");
            p->src.values[i] = get_str(d, "option value");
        }
        uint32_t nf = wire_get_u32(r, "schema fields");
        if ((rc = check_count(d, nf, MAX_ITEMS, "schema fields"))) return rc;
        p->src.schema.n = (int)nf;
        p->src.schema.fields = kiln_arena_alloc(d->a, sizeof(col_field) * (nf ? nf : 1));
        p->proj = kiln_arena_alloc(d->a, sizeof(int) * (ncols ? ncols : 1));
        if (!p->src.schema.fields || !p->proj) return KILN_ENOMEM;
        for (uint32_t i = 0; i < nf; i++) {
            p->src.schema.fields[i].name = get_str(d, "field");
            p->src.schema.fields[i].type = col_type_get(r, d->a);
            p->src.schema.fields[i].nullable = wire_get_u8(r, "nullable") != 0;
            if (r->err || !p->src.schema.fields[i].name || !p->src.schema.fields[i].type)
                return bad(d, "schema field %u has no valid type", i);
        }
        for (uint32_t i = 0; i < ncols; i++) {
            uint32_t c = wire_get_u32(r, "projection");
            if (r->err || c >= nf)
                return bad(d, "column %u reads field %u of a schema of %u", i, c, nf);
            p->proj[i] = (int)c;
        }
        if (r->err) return KILN_ECORRUPT;
        d->part = "dataset";
        rc = scan_get_dataset(r, d->a, d->ansi, d->tz, &p->src);
        break;
    }
    case PLAN_VALUES: {
        uint32_t nb = wire_get_u32(r, "batches");
        if ((rc = check_count(d, nb, MAX_ITEMS, "batches"))) return rc;
        p->nbatches = (int)nb;
        p->batches = kiln_arena_alloc(d->a, sizeof(col_batch) * (nb ? nb : 1));
        if (!p->batches) return KILN_ENOMEM;
        d->part = "batch";
        for (uint32_t i = 0; i < nb; i++) {
            size_t n;
            const uint8_t *b = wire_get_bytes(r, 1u << 30, &n, "batch");
            if (!b) return KILN_ECORRUPT;
            if (col_batch_decode(&p->batches[i], d->a, b, n) != KILN_OK)
                return bad(d, "batch %u (%zu bytes) does not decode", i, n);
            if (p->batches[i].ncols != (int)ncols)
                return bad(d, "batch %u has %d columns, the node %u", i, p->batches[i].ncols,
                           ncols);
        }
        break;
    }
    case PLAN_RANGE:
        p->start = (int64_t)wire_get_u64(r, "start");
        p->end = (int64_t)wire_get_u64(r, "end");
        p->step = (int64_t)wire_get_u64(r, "step");
        p->slices = (int)wire_get_u32(r, "slices");
        if (r->err) return KILN_ECORRUPT;
        if (p->step == 0) return bad(d, "a step of 0");
        if (p->slices < 0) return bad(d, "%d slices", p->slices);
        break;
    case PLAN_PROJECT: {
        int n;
        d->part = "projections";
        if ((rc = get_exprs(d, &p->exprs, &n))) return rc;
        if (n != (int)ncols) return bad(d, "%d expressions for %u columns", n, ncols);
        break;
    }
    case PLAN_FILTER:
        d->part = "predicate";
        rc = expr_decode(r, d->a, d->ansi, d->tz, &p->pred);
        break;
    case PLAN_AGG: {
        p->agg_mode = wire_get_u8(r, "aggregate mode");
        if (!r->err && p->agg_mode > PAGG_FINAL) return bad(d, "aggregate mode %u", p->agg_mode);
        d->part = "grouping keys";
        if ((rc = get_exprs(d, &p->keys, &p->nkeys))) return rc;
        uint32_t na = wire_get_u32(r, "aggregates");
        if ((rc = check_count(d, na, MAX_ITEMS, "aggregates"))) return rc;
        p->naggs = (int)na;
        p->aggs = kiln_arena_alloc(d->a, sizeof *p->aggs * (na ? na : 1));
        if (!p->aggs) return KILN_ENOMEM;
        for (uint32_t i = 0; i < na; i++) {
            plan_agg *g = &p->aggs[i];
            memset(g, 0, sizeof *g);
            g->fn = get_str(d, "aggregate function");
            d->part = "aggregate arguments";
            if ((rc = get_exprs(d, &g->args, &g->nargs))) return rc;
            g->distinct = wire_get_u8(r, "distinct") != 0;
            d->part = "aggregate filter";
            if ((rc = get_opt_expr(d, &g->filter))) return rc;
            d->part = "aggregate type";
            g->type = col_type_get(r, d->a);
            if (!g->fn || !g->type) return bad(d, "aggregate %u has no valid type", i);
        }
        break;
    }
    case PLAN_JOIN: {
        p->join = (plan_join)wire_get_u8(r, "join type");
        uint8_t jf = wire_get_u8(r, "build side");
        if (!r->err && p->join > PJ_CROSS) return bad(d, "join type %u", (unsigned)p->join);
        p->build = jf & 1;
        p->null_aware = (jf >> 1) & 1;
        int nl, nr;
        d->part = "left keys";
        if ((rc = get_exprs(d, &p->keys, &nl))) return rc;
        d->part = "right keys";
        if ((rc = get_exprs(d, &p->rkeys, &nr))) return rc;
        if (nl != nr) return bad(d, "%d left keys and %d right keys", nl, nr);
        p->nkeys = nl;
        p->null_safe = kiln_arena_alloc(d->a, (size_t)(nl ? nl : 1));
        if (!p->null_safe) return KILN_ENOMEM;
        for (int i = 0; i < nl; i++) p->null_safe[i] = wire_get_u8(r, "null safe") != 0;
        d->part = "join condition";
        rc = get_opt_expr(d, &p->pred);
        break;
    }
    case PLAN_SORT: {
        if ((rc = get_order(d, p))) return rc;
        p->limit = (int64_t)wire_get_u64(r, "top n");
        break;
    }
    case PLAN_LIMIT:
        p->offset = (int64_t)wire_get_u64(r, "offset");
        p->limit = (int64_t)wire_get_u64(r, "limit");
        break;
    case PLAN_EXPLODE: {
        int n;
        d->part = "generator arguments";
        if ((rc = get_exprs(d, &p->exprs, &n))) return rc;
        uint8_t f = wire_get_u8(r, "explode flags");
        p->outer = f & 1;
        p->gen = (uint8_t)(f >> 1);
        if (r->err) return KILN_ECORRUPT;
        if (n != 1) return bad(d, "%d generator arguments (needs 1)", n);
        if (p->gen > GEN_REPLICATE) return bad(d, "generator %u", p->gen);
        break;
    }
    case PLAN_INPUT:
        p->side = (int)wire_get_u32(r, "side") - 1;
        if (!r->err && (p->side < -1 || p->side > 1)) return bad(d, "input side %d", p->side);
        if (wire_get_u8(r, "input projection")) {
            if (!(p->proj = kiln_arena_alloc(d->a, sizeof(int) * (ncols ? ncols : 1))))
                return KILN_ENOMEM;
            for (uint32_t i = 0; i < ncols; i++) {
                uint32_t c = wire_get_u32(r, "input projection");
                if (r->err) return KILN_ECORRUPT;
                if (c > MAX_ITEMS) return bad(d, "column %u reads input column %u", i, c);
                p->proj[i] = (int)c;
            }
        }
        break;
    case PLAN_BROADCAST:
        p->bcast = (int64_t)wire_get_u64(r, "broadcast");
        break;
    case PLAN_UNION:
        break;
    case PLAN_WINDOW: {
        d->part = "window partition keys";
        if ((rc = get_exprs(d, &p->keys, &p->nkeys))) return rc;
        if ((rc = get_order(d, p))) return rc;
        uint32_t nw = wire_get_u32(r, "window functions");
        if ((rc = check_count(d, nw, ncols, "window functions"))) return rc;
        p->nwin = (int)nw;
        p->win = kiln_arena_alloc(d->a, sizeof *p->win * (nw ? nw : 1));
        if (!p->win) return KILN_ENOMEM;
        for (uint32_t i = 0; i < nw; i++) {
            plan_win *f = &p->win[i];
            memset(f, 0, sizeof *f);
            f->fn = get_str(d, "window function");
            f->core = (int8_t)(wire_get_u8(r, "window core") - 1);
            if (!r->err && (f->core < -1 || f->core > WIN_STDDEV_POP))
                return bad(d, "window function %u: core function %d", i, f->core);
            d->part = "window function arguments";
            if ((rc = get_exprs(d, &f->args, &f->nargs))) return rc;
            f->n = (int64_t)wire_get_u64(r, "window n");
            f->ignore_nulls = wire_get_u8(r, "ignore nulls") != 0;
            f->unit = wire_get_u8(r, "frame unit");
            f->start = wire_get_u8(r, "frame start");
            f->end = wire_get_u8(r, "frame end");
            f->start_off = (int64_t)wire_get_u64(r, "frame start offset");
            f->end_off = (int64_t)wire_get_u64(r, "frame end offset");
            d->part = "window frame bounds";
            if ((rc = get_opt_expr(d, &f->start_val)) || (rc = get_opt_expr(d, &f->end_val)))
                return rc;
            d->part = "window function type";
            f->type = col_type_get(r, d->a);
            if (!f->fn || !f->type) return bad(d, "window function %u has no valid type", i);
            if (f->unit > 2 || f->start > 4 || f->end > 4)
                return bad(d, "window function %u: frame unit %u from %u to %u", i, f->unit,
                           f->start, f->end);
        }
        break;
    }
    case PLAN_WINDOW_LIMIT:
        d->part = "window partition keys";
        if ((rc = get_exprs(d, &p->keys, &p->nkeys)) || (rc = get_order(d, p))) return rc;
        p->limit = (int64_t)wire_get_u64(r, "window group limit");
        p->wgl_fn = wire_get_u8(r, "window group limit function");
        p->wgl_mode = wire_get_u8(r, "window group limit mode");
        if (r->err) return KILN_ECORRUPT;
        /* row_number, rank or dense_rank (win_fn 0..2) */
        if (p->limit < 0 || p->wgl_fn > 2 || p->wgl_mode > 2)
            return bad(d, "limit %lld of function %u in mode %u", (long long)p->limit, p->wgl_fn,
                       p->wgl_mode);
        break;
    default:
        return bad(d, "kind %u is not a node of a fragment", kind);
    }
    if (rc || r->err) return rc ? rc : KILN_ECORRUPT;
    *out = p;
    return KILN_OK;
}

int plan_decode(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, plan **out)
{
    dec d = {r, a, ansi, tz, 0, 0, "node"};
    /* The decoders of expressions, types and batches below may fail
     * without a message of their own: one naming the node is set then. */
    kiln_set_error(KILN_OK, NULL);
    int rc = get_plan(&d, 0, out);
    if (rc && !kiln_last_error()[0])
        kiln_set_error(rc, "%s: %s node at depth %d, byte %zu: corrupt %s",
                       r->what ? r->what : "plan fragment", kind_name(d.kind), d.depth, r->off,
                       d.part);
    return rc;
}
