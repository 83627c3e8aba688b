/*
 * sql/exec_window_limit.c - Spark's WindowGroupLimit in a task (exec_int.h):
 * of the child's rows, only those that may still have a rank-like value
 * (row_number, rank or dense_rank over the window's order within its
 * partition keys) of at most k. The optimiser puts it below a window whose
 * filter keeps `rn <= k` (optimize_window.c); the executor runs it
 * partial in the child's tasks, before the window's exchange, and final
 * after it (exec.c), so only about k rows a key are exchanged and sorted.
 *
 * Rows are not sorted as they come. A hash table (agg_table.h, no
 * aggregates) gives each row its group; every group that had k rows at
 * the last compaction has a bound (the order values of its k-th row, or
 * of the first row of its k-th distinct value for dense_rank), and a row
 * ordered after it (row_number: not before it) is dropped at once. The
 * others are candidates, kept in a sorter (sort.h) by (group, order keys);
 * when they are twice what the last compaction kept, they are sorted and
 * numbered per group, those whose value exceeds k are dropped, and the
 * bounds are set again. At the end the last compaction hands its rows out.
 *
 * Memory is accounted through exec_mem. Over its room the operator hands
 * out what it keeps and starts empty: a union of per-part limits keeps
 * every row the whole limit keeps, and every row it adds still ranks
 * above k among them, so the window and its filter above give the same
 * answer. A partial operator whose first 2^20 rows kept more than half
 * hands its rows on from then on (a near-unique key).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/agg_table.h"
#include "sql/exec_int.h"
#include "sql/exec_mem.h"
#include "sql/ops_int.h"
#include "sql/sort.h"
#include "sql/window.h"

#define NO_BOUND UINT32_MAX
/* Candidates before the first compaction (at least); tests set
 * KILN_TEST_WGL_COMPACT_ROWS to compact every few rows (and to give up
 * after 16 times as many). */
#define FIRST_COMPACT (1u << 16)
#define PASS_ROWS (1u << 20) /* a partial operator's rows before it may give up */
#define SLOT_MAX_K 64        /* row_number keeps each group's rows in slots up to this k */

/* An order key: column, physical class, direction. */
typedef struct wkey {
    int col, phys;
    size_t width;
    bool desc, nulls_first;
} wkey;

typedef struct wgl_op {
    op base;
    op *child;
    const plan *p;
    int ncols; /* the child's; candidates have the group id after them */
    int nord;
    wkey *ord;
    int nkeys;
    col_vec *kvec;     /* the partition key vectors of the batch (views) */
    int *kcol;         /* their columns */
    agg_table *groups; /* partition keys to group ids; NULL without keys */
    const col_type **types;
    sort_key *skeys;  /* group id, order keys */
    sql_sorter *cand; /* candidates */
    sql_sorter *done; /* a finished sorter being read (compaction or output) */
    size_t kept;      /* rows the last compaction kept */
    size_t next_compact, first_compact, pass_rows;
    /* Bounds: bidx[g] is group g's row in bound[] or NO_BOUND. */
    uint32_t *bidx;
    size_t nbidx, bcap;
    ops_store *bound; /* nord stores */
    kiln_arena *bar;  /* strings of the bounds */
    /* Reading a finished sorter: two batches, the current and the one before. */
    kiln_arena *rd[2];
    col_batch rb[2];
    int rcur;
    bool have_prev, gdone;
    const col_batch *prevb;
    uint32_t prevr;
    int32_t cur_gid;
    int64_t rn, rank, dense;
    /* Scratch of the batch being added. */
    uint32_t *gids, *sel;
    int32_t *gcol;
    size_t scap;
    col_vec *cols; /* ncols + 1 */
    exec_mem mem;
    uint64_t rows_in;
    bool ended, pass, restart;
    /* row_number with k <= SLOT_MAX_K: every group's best rows in slots. */
    bool slots;
    ops_store *st;    /* ncols stores: the rows slots name (and dropped ones) */
    kiln_arena *star; /* their strings */
    uint32_t *slot;   /* group g's rows in st, best first: slot[g * k ...], cnt[g] of them */
    uint16_t *cnt;
    size_t gcap, live;     /* groups slot and cnt have room for; rows in slots */
    bool fast;             /* one order key of at most 8 bytes: bounds as numbers (norm_key) */
    unsigned __int128 *bk; /* fast: group g's k-th row's key, when it has k */
    uint32_t *emit;        /* rows being handed out */
    size_t nemit, epos;
    bool emitting;
} wgl_op;

/* Compares two non-null values of a key's class in ascending order (floats:
 * -0.0 = 0.0, NaN last and equal to NaN, as the sorter orders them). */
static inline int cmp_val(int phys, const void *x, const void *y)
{
#define CMP(T)                                                                                     \
    {                                                                                              \
        T a, b;                                                                                    \
        memcpy(&a, x, sizeof a);                                                                   \
        memcpy(&b, y, sizeof b);                                                                   \
        return (a > b) - (a < b);                                                                  \
    }
#define FCMP(T)                                                                                    \
    {                                                                                              \
        T a, b;                                                                                    \
        memcpy(&a, x, sizeof a);                                                                   \
        memcpy(&b, y, sizeof b);                                                                   \
        if (a != a) return b != b ? 0 : 1;                                                         \
        if (b != b) return -1;                                                                     \
        return (a > b) - (a < b);                                                                  \
    }
    switch (phys) {
    case OPS_P_I8:
        CMP(int8_t)
    case OPS_P_I16:
        CMP(int16_t)
    case OPS_P_I32:
        CMP(int32_t)
    case OPS_P_I64:
        CMP(int64_t)
    case OPS_P_I128:
        CMP(__int128)
    case OPS_P_F32:
        FCMP(float)
    case OPS_P_F64:
        FCMP(double)
    case OPS_P_STR:
        return ops_str_cmp((const col_str *)x, (const col_str *)y);
    default:
        return 0;
    }
#undef CMP
#undef FCMP
}

/* Compares two values of key k as the window orders them (< 0: x first). */
static inline int cmp_key(const wkey *k, bool vx, const void *x, bool vy, const void *y)
{
    if (!vx || !vy) {
        if (vx == vy) return 0;
        return (!vx) == k->nulls_first ? -1 : 1;
    }
    int c = cmp_val(k->phys, x, y);
    return k->desc ? -c : c;
}

static inline const void *vec_at(const col_vec *v, const wkey *k, uint32_t i)
{
    return (const char *)v->data + (size_t)col_row(v, i) * k->width;
}

/* Row i of a against row r of stores (indexed by order key: s->bound;
 * by column: s->st when by_col) (< 0: the row comes first). */
static int cmp_stored(const wgl_op *s, const ops_store *stores, bool by_col, const col_batch *a,
                      uint32_t i, uint32_t r)
{
    for (int j = 0; j < s->nord; j++) {
        const wkey *k = &s->ord[j];
        const col_vec *v = &a->cols[k->col];
        const ops_store *st = &stores[by_col ? k->col : j];
        int c = cmp_key(k, col_valid(v, i), vec_at(v, k, i), ops_store_valid(st, r),
                        st->data + (size_t)r * k->width);
        if (c) return c;
    }
    return 0;
}

/* Whether row i of a and row j of b are peers (equal order values). */
static bool peers(const wgl_op *s, const col_batch *a, uint32_t i, const col_batch *b, uint32_t j)
{
    for (int q = 0; q < s->nord; q++) {
        const wkey *k = &s->ord[q];
        const col_vec *x = &a->cols[k->col], *y = &b->cols[k->col];
        if (cmp_key(k, col_valid(x, i), vec_at(x, k, i), col_valid(y, j), vec_at(y, k, j)))
            return false;
    }
    return true;
}

/* Forgets every bound (groups stay). */
static void clear_bounds(wgl_op *s)
{
    if (s->nbidx) memset(s->bidx, 0xff, sizeof *s->bidx * s->nbidx);
    for (int j = 0; j < s->nord; j++) s->bound[j].n = 0;
    kiln_arena_reset(s->bar);
}

/* Makes bidx cover n groups (new ones without a bound). */
static int cover_groups(wgl_op *s, size_t n)
{
    if (n > s->bcap) {
        size_t cap = s->bcap ? s->bcap : 1024;
        while (cap < n) cap *= 2;
        uint32_t *g = realloc(s->bidx, sizeof *g * cap);
        if (!g) return KILN_ENOMEM;
        s->bidx = g;
        s->bcap = cap;
    }
    if (n > s->nbidx) memset(s->bidx + s->nbidx, 0xff, sizeof *s->bidx * (n - s->nbidx));
    if (n > s->nbidx) s->nbidx = n;
    return KILN_OK;
}

static int new_cand(wgl_op *s)
{
    s->cand = sql_sorter_new(s->types, s->ncols + 1, s->skeys, s->nord + 1);
    return s->cand ? KILN_OK : KILN_ESQL;
}

/* Finishes the candidates into s->done for reading; a new empty sorter
 * takes them when keep_going. */
static int start_read(wgl_op *s, bool keep_going)
{
    int rc = sql_sorter_finish(s->cand);
    if (rc) return rc;
    s->done = s->cand;
    s->cand = NULL;
    s->have_prev = false;
    clear_bounds(s);
    return keep_going ? new_cand(s) : KILN_OK;
}

/* The next sorted batch of s->done with only the rows whose value is at
 * most k live, setting the bounds of the groups that reach k; *b NULL at
 * the end. */
static int read_kept(wgl_op *s, col_batch **out)
{
    int nxt = s->rcur ^ 1, rc;
    kiln_arena *a = s->rd[nxt];
    kiln_arena_reset(a);
    col_batch *b = &s->rb[nxt];
    if ((rc = sql_sorter_next_batch(s->done, a, b))) return rc;
    *out = NULL;
    if (!b->n) return KILN_OK;
    s->rcur = nxt;
    uint32_t *sel = kiln_arena_alloc(a, sizeof *sel * b->n);
    uint32_t *bsel = kiln_arena_alloc(a, sizeof *bsel * b->n);
    if (!sel || !bsel) return KILN_ENOMEM;
    const int32_t *g = b->cols[s->ncols].data;
    int64_t k = s->p->limit;
    int fn = s->p->wgl_fn;
    uint32_t m = 0, nb = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        bool first = !s->have_prev || g[i] != s->cur_gid, peer = false;
        if (first) {
            s->cur_gid = g[i];
            s->rn = s->rank = s->dense = 1;
            s->gdone = k < 1;
        } else if (s->gdone) {
            s->prevb = b;
            s->prevr = i;
            continue;
        } else {
            s->rn++;
            if (fn != WIN_ROW_NUMBER) peer = peers(s, s->prevb, s->prevr, b, i);
            if (!peer) {
                s->rank = s->rn;
                s->dense++;
            }
        }
        s->have_prev = true;
        s->prevb = b;
        s->prevr = i;
        int64_t v = fn == WIN_ROW_NUMBER ? s->rn : fn == WIN_RANK ? s->rank : s->dense;
        if (v > k) {
            s->gdone = true;
            continue;
        }
        sel[m++] = i;
        if (fn == WIN_DENSE_RANK ? s->dense == k && !peer : s->rn == k) bsel[nb++] = i;
    }
    if (nb) {
        size_t base = s->bound[0].n;
        for (int j = 0; j < s->nord; j++)
            if ((rc = ops_store_append(&s->bound[j], s->bar, &b->cols[s->ord[j].col], bsel, nb,
                                       false)))
                return rc;
        for (uint32_t t = 0; t < nb; t++) s->bidx[g[bsel[t]]] = (uint32_t)(base + t);
    }
    b->sel = sel;
    b->nsel = m;
    *out = b;
    return KILN_OK;
}

/* Sorts the candidates and keeps those within the limit (and the bounds). */
static int compact(wgl_op *s)
{
    int rc = start_read(s, true);
    for (col_batch *b; !rc;) {
        if ((rc = read_kept(s, &b)) || !b) break;
        if (b->nsel) rc = sql_sorter_add_batch(s->cand, b);
    }
    sql_sorter_free(s->done);
    s->done = NULL;
    if (rc) return rc;
    s->kept = sql_sorter_rows(s->cand);
    s->next_compact = s->kept * 2 > s->first_compact ? s->kept * 2 : s->first_compact;
    return KILN_OK;
}

static int64_t held(const wgl_op *s)
{
    size_t n = s->cand ? sql_sorter_bytes(s->cand) : 0;
    if (s->groups) n += agg_table_bytes(s->groups);
    for (int j = 0; j < s->nord; j++) n += ops_store_bytes(&s->bound[j]);
    return (int64_t)(n + s->bcap * sizeof *s->bidx);
}

static int scratch(wgl_op *s, size_t n)
{
    if (n <= s->scap) return KILN_OK;
    free(s->gids);
    free(s->sel);
    free(s->gcol);
    s->gids = malloc(sizeof *s->gids * n);
    s->sel = malloc(sizeof *s->sel * n);
    s->gcol = malloc(sizeof *s->gcol * n);
    s->scap = s->gids && s->sel && s->gcol ? n : 0;
    return s->scap ? KILN_OK : KILN_ENOMEM;
}

/* The group of every live row of in into s->gids. */
static int group_ids(wgl_op *s, const col_batch *in, uint32_t live)
{
    if (!s->groups) {
        memset(s->gids, 0, sizeof *s->gids * live);
        return KILN_OK;
    }
    for (int i = 0; i < s->nkeys; i++) s->kvec[i] = in->cols[s->kcol[i]];
    return agg_table_find_groups(s->groups, s->kvec, in->sel, live, s->gids, NULL);
}

/* Adds the rows of in that can still make the limit to the candidates. */
static int add_batch(wgl_op *s, const col_batch *in)
{
    uint32_t live = col_batch_live(in);
    int rc;
    if (!live) return KILN_OK;
    if ((rc = scratch(s, in->n > live ? in->n : live)) || (rc = group_ids(s, in, live)) ||
        (rc = cover_groups(s, s->groups ? agg_table_groups(s->groups) : 1)))
        return rc;
    bool ties = s->p->wgl_fn != WIN_ROW_NUMBER; /* rows equal to the bound stay */
    uint32_t m = 0;
    for (uint32_t j = 0; j < live; j++) {
        uint32_t r = in->sel ? in->sel[j] : j, g = s->gids[j], bi = s->bidx[g];
        s->gcol[r] = (int32_t)g;
        if (bi != NO_BOUND) {
            int c = cmp_stored(s, s->bound, false, in, r, bi);
            if (c > 0 || (c == 0 && !ties)) continue;
        }
        s->sel[m++] = r;
    }
    s->rows_in += live;
    if (!m) return KILN_OK;
    memcpy(s->cols, in->cols, sizeof *s->cols * (size_t)s->ncols);
    col_vec *gv = &s->cols[s->ncols];
    memset(gv, 0, sizeof *gv);
    gv->type = &col_type_i32;
    gv->n = in->n;
    gv->data = s->gcol;
    col_batch t = {.ncols = s->ncols + 1, .n = in->n, .cols = s->cols, .sel = s->sel, .nsel = m};
    return sql_sorter_add_batch(s->cand, &t);
}

/* After a batch: compacts when the candidates doubled; over the memory
 * room, hands out what is kept (s->done) and starts again. */
static int after_batch(wgl_op *s)
{
    int rc;
    if (sql_sorter_rows(s->cand) >= s->next_compact) {
        if ((rc = compact(s))) return rc;
        if (s->p->wgl_mode == 1 && s->rows_in >= s->pass_rows && s->kept * 2 > s->rows_in) {
            s->pass = true; /* hardly anything is dropped: hand rows on */
            return start_read(s, false);
        }
    }
    if (!exec_mem_over(&s->mem, held(s))) return KILN_OK;
    if (sql_sorter_rows(s->cand) > s->kept && (rc = compact(s))) return rc;
    if (!exec_mem_over(&s->mem, held(s))) return KILN_OK;
    s->restart = true;
    return start_read(s, false);
}

/* Forgets every group after a flush. */
static int restart(wgl_op *s)
{
    s->restart = false;
    if (s->groups) agg_table_clear(s->groups);
    s->nbidx = 0;
    free(s->bidx);
    s->bidx = NULL;
    s->bcap = 0;
    clear_bounds(s);
    s->kept = 0;
    s->next_compact = s->first_compact;
    return new_cand(s);
}

/* ---- row_number, small k: slots ------------------------------------------------------ */

/* Stored rows a and b by the order keys (< 0: a first). */
static int cmp_rows(const wgl_op *s, uint32_t a, uint32_t b)
{
    for (int j = 0; j < s->nord; j++) {
        const wkey *k = &s->ord[j];
        const ops_store *st = &s->st[k->col];
        int c = cmp_key(k, ops_store_valid(st, a), st->data + (size_t)a * k->width,
                        ops_store_valid(st, b), st->data + (size_t)b * k->width);
        if (c) return c;
    }
    return 0;
}

/* A value of order key k (fixed width, at most 8 bytes) as a number in
 * the window's order: nulls 0 (first) or 2 << 64 (last), values 1 << 64
 * and the value's bits made to sort as unsigned (floats: -0.0 = 0.0, NaN
 * last), inverted when descending. */
static inline unsigned __int128 norm_key(const wkey *k, bool valid, const void *p)
{
    if (!valid) return k->nulls_first ? 0 : (unsigned __int128)2 << 64;
    uint64_t u = 0;
    int64_t i = 0;
    switch (k->phys) {
    case OPS_P_I8:
        i = *(const int8_t *)p;
        break;
    case OPS_P_I16: {
        int16_t x;
        memcpy(&x, p, 2);
        i = x;
        break;
    }
    case OPS_P_I32: {
        int32_t x;
        memcpy(&x, p, 4);
        i = x;
        break;
    }
    case OPS_P_I64:
        memcpy(&i, p, 8);
        break;
    default: { /* OPS_P_F32, OPS_P_F64 */
        double d;
        if (k->phys == OPS_P_F32) {
            float f;
            memcpy(&f, p, 4);
            d = f;
        } else {
            memcpy(&d, p, 8);
        }
        d = ops_norm_f64(d);
        memcpy(&u, &d, 8);
        u = (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63);
        return (unsigned __int128)1 << 64 | (k->desc ? ~u : u);
    }
    }
    u = (uint64_t)i ^ (UINT64_C(1) << 63);
    return (unsigned __int128)1 << 64 | (k->desc ? ~u : u);
}

static int cover_slots(wgl_op *s, size_t n)
{
    if (n <= s->gcap) return KILN_OK;
    size_t cap = s->gcap ? s->gcap : 1024, k = (size_t)s->p->limit;
    while (cap < n) cap *= 2;
    uint32_t *sl = realloc(s->slot, sizeof *sl * cap * k);
    if (sl) s->slot = sl;
    uint16_t *c = realloc(s->cnt, sizeof *c * cap);
    if (c) s->cnt = c;
    unsigned __int128 *b = s->fast ? realloc(s->bk, sizeof *b * cap) : NULL;
    if (b) s->bk = b;
    if (!sl || !c || (s->fast && !b)) return KILN_ENOMEM;
    memset(s->cnt + s->gcap, 0, sizeof *c * (cap - s->gcap));
    s->gcap = cap;
    return KILN_OK;
}

/* The rows in slots, group by group, best first, into s->emit. */
static int list_live(wgl_op *s)
{
    free(s->emit);
    s->emit = malloc(sizeof *s->emit * (s->live ? s->live : 1));
    if (!s->emit) return KILN_ENOMEM;
    size_t n = 0, k = (size_t)s->p->limit, ng = s->groups ? agg_table_groups(s->groups) : 1;
    for (size_t g = 0; g < ng && g < s->gcap; g++)
        for (size_t j = 0; j < s->cnt[g]; j++) s->emit[n++] = s->slot[g * k + j];
    s->nemit = n;
    s->epos = 0;
    return KILN_OK;
}

/* Rebuilds the stores with only the rows in slots. */
static int slots_gc(wgl_op *s)
{
    int rc = list_live(s);
    if (rc) return rc;
    kiln_arena *na = kiln_arena_new(), *tmp = kiln_arena_new();
    rc = na && tmp ? KILN_OK : KILN_ENOMEM;
    for (int c = 0; !rc && c < s->ncols; c++) {
        ops_store ns;
        ops_store_init(&ns, s->st[c].type);
        for (size_t off = 0; !rc && off < s->nemit; off += COL_VEC_SIZE) {
            uint32_t m = (uint32_t)(s->nemit - off < COL_VEC_SIZE ? s->nemit - off : COL_VEC_SIZE);
            col_vec v;
            if (!(rc = ops_store_gather(&s->st[c], tmp, s->emit + off, 0, m, &v)))
                rc = ops_store_append(&ns, na, &v, NULL, m, false);
            kiln_arena_reset(tmp);
        }
        ops_store_release(&s->st[c]);
        s->st[c] = ns;
    }
    kiln_arena_free(tmp);
    if (rc) {
        kiln_arena_free(na);
        return rc;
    }
    kiln_arena_free(s->star);
    s->star = na;
    /* list_live's order: the slots in turn */
    size_t n = 0, k = (size_t)s->p->limit, ng = s->groups ? agg_table_groups(s->groups) : 1;
    for (size_t g = 0; g < ng && g < s->gcap; g++)
        for (size_t j = 0; j < s->cnt[g]; j++) s->slot[g * k + j] = (uint32_t)n++;
    s->nemit = 0;
    return KILN_OK;
}

/* Puts the rows of in that beat their group's k-th into the slots. */
static int slots_add(wgl_op *s, const col_batch *in)
{
    uint32_t live = col_batch_live(in);
    int rc;
    if (!live) return KILN_OK;
    if ((rc = scratch(s, live)) || (rc = group_ids(s, in, live)) ||
        (rc = cover_slots(s, s->groups ? agg_table_groups(s->groups) : 1)))
        return rc;
    size_t k = (size_t)s->p->limit;
    uint32_t m = 0;
    const wkey *ok = &s->ord[0];
    const col_vec *ov = &in->cols[ok->col];
    for (uint32_t j = 0; j < live; j++) {
        uint32_t r = in->sel ? in->sel[j] : j, g = s->gids[j];
        if (s->cnt[g] == k &&
            (s->fast ? norm_key(ok, col_valid(ov, r), vec_at(ov, ok, r)) >= s->bk[g]
                     : cmp_stored(s, s->st, true, in, r, s->slot[g * k + k - 1]) >= 0))
            continue;
        s->gids[m] = g;
        s->sel[m++] = r;
    }
    s->rows_in += live;
    if (!m) return KILN_OK;
    size_t base = s->st[0].n;
    for (int c = 0; c < s->ncols; c++)
        if ((rc = ops_store_append(&s->st[c], s->star, &in->cols[c], s->sel, m, false))) return rc;
    /* In turn: earlier rows of the batch may have raised the bar. */
    for (uint32_t j = 0; j < m; j++) {
        uint32_t row = (uint32_t)(base + j), *sl = s->slot + (size_t)s->gids[j] * k;
        uint16_t *n = &s->cnt[s->gids[j]];
        size_t pos;
        if (*n < k) {
            pos = (*n)++;
            s->live++;
        } else if (cmp_rows(s, row, sl[k - 1]) < 0) {
            pos = k - 1;
        } else {
            continue;
        }
        while (pos > 0 && cmp_rows(s, row, sl[pos - 1]) < 0) {
            sl[pos] = sl[pos - 1];
            pos--;
        }
        sl[pos] = row;
        if (s->fast && *n == k) {
            const ops_store *st = &s->st[ok->col];
            s->bk[s->gids[j]] = norm_key(ok, ops_store_valid(st, sl[k - 1]),
                                         st->data + (size_t)sl[k - 1] * ok->width);
        }
    }
    return KILN_OK;
}

static int64_t slots_held(const wgl_op *s)
{
    size_t n = kiln_arena_bytes(s->star) +
               s->gcap * (sizeof *s->cnt + sizeof *s->slot * (size_t)s->p->limit);
    for (int c = 0; c < s->ncols; c++) n += ops_store_bytes(&s->st[c]);
    if (s->groups) n += agg_table_bytes(s->groups);
    return (int64_t)n;
}

/* Hands the slots' rows out next (the operator starts again after them
 * when restart is set). */
static int slots_emit(wgl_op *s)
{
    int rc = list_live(s);
    s->emitting = rc == KILN_OK;
    return rc;
}

/* After a batch: stores of mostly dropped rows are rebuilt; over the
 * memory room the rows are handed out and the operator starts again. */
static int slots_after(wgl_op *s)
{
    int rc;
    if (s->st[0].n > 2 * s->live + s->first_compact && (rc = slots_gc(s))) return rc;
    if (s->p->wgl_mode == 1 && s->rows_in >= s->pass_rows && s->live * 2 > s->rows_in) {
        s->pass = true; /* hardly anything is dropped: hand rows on */
        return slots_emit(s);
    }
    if (!exec_mem_over(&s->mem, slots_held(s))) return KILN_OK;
    s->restart = true;
    return slots_emit(s);
}

/* The next batch of rows being handed out, or 0 at their end (then the
 * slots are emptied when the operator starts again). */
static int slots_next(wgl_op *s, col_batch **out)
{
    op *o = &s->base;
    if (s->epos == s->nemit) {
        s->emitting = false;
        if (s->restart) {
            s->restart = false;
            if (s->groups) agg_table_clear(s->groups);
            if (s->gcap) memset(s->cnt, 0, sizeof *s->cnt * s->gcap);
            s->live = 0;
            for (int c = 0; c < s->ncols; c++) s->st[c].n = 0;
            kiln_arena_reset(s->star);
        }
        exec_mem_track(&s->mem, slots_held(s));
        return 0;
    }
    kiln_arena_reset(o->arena);
    uint32_t m = (uint32_t)(s->nemit - s->epos < COL_VEC_SIZE ? s->nemit - s->epos : COL_VEC_SIZE);
    o->out = (col_batch){.ncols = s->ncols, .n = m};
    o->out.cols = kiln_arena_alloc(o->arena, sizeof *o->out.cols * (size_t)(s->ncols + 1));
    if (!o->out.cols) return KILN_ENOMEM;
    for (int c = 0; c < s->ncols; c++) {
        int rc = ops_store_gather(&s->st[c], o->arena, s->emit + s->epos, 0, m, &o->out.cols[c]);
        if (rc) return rc;
    }
    s->epos += m;
    *out = &o->out;
    return 1;
}

static int wgl_next(op *o, col_batch **out)
{
    wgl_op *s = (wgl_op *)o;
    int rc;
    if (s->p->limit <= 0) return 0; /* rn <= 0 keeps nothing */
    for (;;) {
        if (s->emitting) {
            if ((rc = slots_next(s, out))) return rc;
            continue;
        }
        if (s->done) {
            col_batch *b;
            if ((rc = read_kept(s, &b))) return rc;
            if (b) {
                if (!b->nsel) continue;
                o->out = *b;
                o->out.ncols = s->ncols; /* without the group id */
                *out = &o->out;
                return 1;
            }
            sql_sorter_free(s->done);
            s->done = NULL;
            if (s->restart && (rc = restart(s))) return rc;
            exec_mem_track(&s->mem, held(s));
            continue;
        }
        if (s->ended) return 0;
        col_batch *in;
        if ((rc = op_next(s->child, &in)) < 0) return rc;
        if (s->pass && rc == 1) {
            *out = in;
            return 1;
        }
        if (rc == 0) {
            s->ended = true;
            if (s->pass) return 0;
            if (s->slots) rc = s->live ? slots_emit(s) : KILN_OK;
            else if (sql_sorter_rows(s->cand)) rc = start_read(s, false);
            if (rc) return rc;
            continue;
        }
        if (s->slots) rc = slots_add(s, in);
        else rc = add_batch(s, in);
        if (rc || (rc = s->slots ? slots_after(s) : after_batch(s))) return rc;
    }
}

static void wgl_close(op *o)
{
    wgl_op *s = (wgl_op *)o;
    op_close(s->child);
    sql_sorter_free(s->cand);
    sql_sorter_free(s->done);
    agg_table_free(s->groups);
    for (int j = 0; s->bound && j < s->nord; j++) ops_store_release(&s->bound[j]);
    free(s->bound);
    kiln_arena_free(s->bar);
    kiln_arena_free(s->rd[0]);
    kiln_arena_free(s->rd[1]);
    for (int c = 0; s->st && c < s->ncols; c++) ops_store_release(&s->st[c]);
    free(s->st);
    kiln_arena_free(s->star);
    free(s->slot);
    free(s->cnt);
    free(s->bk);
    free(s->emit);
    free(s->bidx);
    free(s->gids);
    free(s->sel);
    free(s->gcol);
    free(s->cols);
    free(s->ord);
    free(s->kvec);
    free(s->kcol);
    free(s->types);
    free(s->skeys);
    exec_mem_release(&s->mem);
    op_free(o);
}

static const op_ops wgl_ops = {"window group limit", wgl_next, wgl_close};

/* Column of a key or order expression (plain columns, as the window's). */
static int key_col(const expr *e, int *out)
{
    if (e->kind != EX_COL)
        return kiln_set_error(KILN_ESQL, "a window group limit's key is not a column: %s",
                              e->text ? e->text : "?");
    *out = e->col;
    return KILN_OK;
}

op *op_window_limit(fn_ctx *fc, op *child, const plan *p)
{
    wgl_op *s = (wgl_op *)op_alloc(sizeof *s, &wgl_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->p = p;
    const plan *in = p->in[0];
    s->ncols = in->ncols;
    s->nord = p->norder;
    s->nkeys = p->nkeys;
    const char *fc_env = getenv("KILN_TEST_WGL_COMPACT_ROWS");
    s->first_compact = fc_env && atoi(fc_env) > 0 ? (size_t)atoi(fc_env) : FIRST_COMPACT;
    s->next_compact = s->first_compact;
    s->pass_rows = fc_env ? s->first_compact * 16 : PASS_ROWS;
    exec_mem_init(&s->mem, fc->task);
    s->ord = calloc((size_t)s->nord + 1, sizeof *s->ord);
    s->bound = calloc((size_t)s->nord + 1, sizeof *s->bound);
    s->kvec = calloc((size_t)s->nkeys + 1, sizeof *s->kvec);
    s->kcol = calloc((size_t)s->nkeys + 1, sizeof *s->kcol);
    s->types = calloc((size_t)s->ncols + 1, sizeof *s->types);
    s->skeys = calloc((size_t)s->nord + 1, sizeof *s->skeys);
    s->cols = calloc((size_t)s->ncols + 1, sizeof *s->cols);
    s->bar = kiln_arena_new();
    s->rd[0] = kiln_arena_new();
    s->rd[1] = kiln_arena_new();
    const col_type **kt = calloc((size_t)s->nkeys + 1, sizeof *kt);
    int rc = s->ord && s->bound && s->kvec && s->kcol && s->types && s->skeys && s->cols &&
                     s->bar && s->rd[0] && s->rd[1] && kt
                 ? KILN_OK
                 : KILN_ENOMEM;
    for (int i = 0; !rc && i < s->ncols; i++) s->types[i] = in->cols[i].type;
    if (!rc) s->types[s->ncols] = &col_type_i32;
    s->skeys[0] = (sort_key){s->ncols, false, true};
    for (int j = 0; !rc && j < s->nord; j++) {
        wkey *k = &s->ord[j];
        if ((rc = key_col(p->order[j].e, &k->col))) break;
        k->phys = ops_phys(in->cols[k->col].type);
        k->width = ops_phys_width(k->phys);
        k->desc = p->order[j].desc;
        k->nulls_first = p->order[j].nulls_first;
        if (k->phys == OPS_P_NONE)
            rc = kiln_set_error(KILN_ESQL, "a window group limit cannot order by %s",
                                p->order[j].e->text ? p->order[j].e->text : "this type");
        ops_store_init(&s->bound[j], in->cols[k->col].type);
        s->skeys[j + 1] = (sort_key){k->col, k->desc, k->nulls_first};
    }
    for (int i = 0; !rc && i < s->nkeys; i++) {
        rc = key_col(p->keys[i], &s->kcol[i]);
        kt[i] = in->cols[s->kcol[i]].type;
    }
    if (!rc && s->nkeys && !(s->groups = agg_table_new(kt, s->nkeys, NULL, 0, AGG_COMPLETE, false)))
        rc = KILN_ESQL;
    free(kt);
    s->slots = p->wgl_fn == WIN_ROW_NUMBER && p->limit <= SLOT_MAX_K;
    if (!rc && s->slots) {
        s->st = calloc((size_t)s->ncols + 1, sizeof *s->st);
        s->star = kiln_arena_new();
        if (!s->st || !s->star) rc = KILN_ENOMEM;
        for (int c = 0; !rc && c < s->ncols; c++) {
            ops_store_init(&s->st[c], in->cols[c].type);
            if (ops_phys(in->cols[c].type) == OPS_P_NONE) s->slots = false; /* nested: sorter */
        }
    }
    if (!rc && !s->slots) rc = new_cand(s);
    s->fast = s->slots && s->nord == 1 && s->ord[0].phys != OPS_P_STR &&
              s->ord[0].phys != OPS_P_I128;
    if (rc) {
        if (rc == KILN_ENOMEM) kiln_set_error(rc, "out of memory opening a window group limit");
        wgl_close(&s->base);
        return NULL;
    }
    return &s->base;
}
