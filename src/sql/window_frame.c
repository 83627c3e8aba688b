/*
 * sql/window_frame.c - window functions over frames (window.h): the frame
 * of each row as a half-open range [lo, hi) of global rows, computed
 * WIN_CHUNK rows at a time, and the aggregates over those ranges.
 *
 * Frames only move forward (lo and hi never decrease from one row to the
 * next, across partitions too, since the input is sorted), so every
 * aggregate keeps one window [cl, cr) and moves its ends:
 *   - exact sums and counts (integers, decimals) add the rows that enter
 *     and subtract the rows that leave;
 *   - min, max, floating sums and variance, which cannot subtract, use a
 *     two-stack queue: the window is a front part [cl, m) with suffix
 *     aggregates F[j] = op(row j .. m-1) and a back part [m, cr) folded
 *     into one value; when the front runs out it is rebuilt from the back
 *     (each row joins a front once: O(1) amortised per row). Growing
 *     frames never rebuild, so a running sum adds left to right as Spark
 *     does;
 *   - first, last and nth_value index rows directly, through prefix counts
 *     of non-null rows when nulls are ignored.
 * A window that the next frame starts past is dropped, not emptied row by
 * row (a new partition starts afresh that way).
 */
#include <math.h>
#include <string.h>

#include "kiln.h"
#include "sql/sql_error.h"
#include "sql/window_int.h"

/* ---- Frame bounds ------------------------------------------------------------------------ */

typedef struct bounds {
    win_ctx *x;
    win_frame f; /* unit ROWS or RANGE */
    bool rows;
    int64_t so, eo; /* ROWS offsets, signed: + is later */
    uint32_t part, ps, pe;
    uint32_t peer, gs, ge;
    /* RANGE with an offset on the single order key */
    bool range_off;
    win_kind kk;
    const win_col *key;
    bool desc, nulls_first;
    __int128 si, ei; /* signed offsets in the key's domain */
    double sd, ed;
    uint32_t na, nb; /* non-null keys of the partition */
    uint32_t jl, jr;
} bounds;

/* Spark's order of doubles: NaN greater than everything, equal to NaN. */
static inline int dcmp(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0;
    return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
}

static inline __int128 sat_add(__int128 a, __int128 b)
{
    __int128 r;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? (__int128)(((unsigned __int128)1 << 127) - 1)
                 : -(__int128)(((unsigned __int128)1 << 127) - 1) - 1;
}

static void bounds_part(bounds *b, uint32_t p)
{
    win_ctx *x = b->x;
    b->part = p;
    b->ps = x->parts[p];
    b->pe = x->parts[p + 1];
    if (!b->range_off) return;
    const uint8_t *kv = b->key->valid;
    b->na = b->ps;
    b->nb = b->pe;
    if (kv && b->nulls_first)
        while (b->na < b->pe && !kv[b->na]) b->na++;
    else if (kv)
        while (b->nb > b->ps && !kv[b->nb - 1]) b->nb--;
    b->jl = b->jr = b->na;
}

/* The null block of the partition (rows whose key is null). */
static inline uint32_t null_lo(const bounds *b)
{
    return b->nulls_first ? b->ps : b->nb;
}
static inline uint32_t null_hi(const bounds *b)
{
    return b->nulls_first ? b->na : b->pe;
}

/* Is key row j before (after) the bound value of row i, in sort order? */
static uint32_t range_lo(bounds *b, uint32_t i)
{
    if (b->key->valid && !b->key->valid[i]) return null_lo(b);
    uint32_t j = b->jl, e = b->nb;
    switch (b->kk) {
    case WK_I64: {
        const int64_t *k = b->key->canon;
        __int128 t = (__int128)k[i] + b->si;
        if (!b->desc)
            while (j < e && k[j] < t) j++;
        else
            while (j < e && k[j] > t) j++;
        break;
    }
    case WK_I128: {
        const __int128 *k = b->key->canon;
        __int128 t = sat_add(k[i], b->si);
        if (!b->desc)
            while (j < e && k[j] < t) j++;
        else
            while (j < e && k[j] > t) j++;
        break;
    }
    default: {
        const double *k = b->key->canon;
        double t = k[i] + b->sd;
        if (!b->desc)
            while (j < e && dcmp(k[j], t) < 0) j++;
        else
            while (j < e && dcmp(k[j], t) > 0) j++;
        break;
    }
    }
    b->jl = j;
    return j;
}

static uint32_t range_hi(bounds *b, uint32_t i)
{
    if (b->key->valid && !b->key->valid[i]) return null_hi(b);
    uint32_t j = b->jr, e = b->nb;
    switch (b->kk) {
    case WK_I64: {
        const int64_t *k = b->key->canon;
        __int128 t = (__int128)k[i] + b->ei;
        if (!b->desc)
            while (j < e && k[j] <= t) j++;
        else
            while (j < e && k[j] >= t) j++;
        break;
    }
    case WK_I128: {
        const __int128 *k = b->key->canon;
        __int128 t = sat_add(k[i], b->ei);
        if (!b->desc)
            while (j < e && k[j] <= t) j++;
        else
            while (j < e && k[j] >= t) j++;
        break;
    }
    default: {
        const double *k = b->key->canon;
        double t = k[i] + b->ed;
        if (!b->desc)
            while (j < e && dcmp(k[j], t) <= 0) j++;
        else
            while (j < e && dcmp(k[j], t) >= 0) j++;
        break;
    }
    }
    b->jr = j;
    return j;
}

static inline uint32_t clamp_row(int64_t v, uint32_t lo, uint32_t hi)
{
    return v < (int64_t)lo ? lo : v > (int64_t)hi ? hi : (uint32_t)v;
}

/* Frames of rows i0 .. i0+cnt into lo[], hi[]. */
static void bounds_fill(bounds *b, uint32_t i0, uint32_t cnt, uint32_t *lo, uint32_t *hi)
{
    win_ctx *x = b->x;
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t i = i0 + k;
        while (i >= b->pe) bounds_part(b, b->part + 1);
        if (!b->rows) {
            while (i >= b->ge) {
                b->peer++;
                b->gs = x->peers[b->peer];
                b->ge = x->peers[b->peer + 1];
            }
        }
        uint32_t l, r;
        switch (b->f.start.kind) {
        case WIN_UNBOUNDED_PRECEDING:
            l = b->ps;
            break;
        case WIN_CURRENT_ROW:
            l = b->rows ? i : b->gs;
            break;
        default:
            l = b->rows ? clamp_row((int64_t)i + b->so, b->ps, b->pe) : range_lo(b, i);
            break;
        }
        switch (b->f.end.kind) {
        case WIN_UNBOUNDED_FOLLOWING:
            r = b->pe;
            break;
        case WIN_CURRENT_ROW:
            r = b->rows ? i + 1 : b->ge;
            break;
        default:
            r = b->rows ? clamp_row((int64_t)i + b->eo + 1, b->ps, b->pe) : range_hi(b, i);
            break;
        }
        lo[k] = l;
        hi[k] = r < l ? l : r;
    }
}

static const int64_t pow10_i64[19] = {1LL,
                                      10LL,
                                      100LL,
                                      1000LL,
                                      10000LL,
                                      100000LL,
                                      1000000LL,
                                      10000000LL,
                                      100000000LL,
                                      1000000000LL,
                                      10000000000LL,
                                      100000000000LL,
                                      1000000000000LL,
                                      10000000000000LL,
                                      100000000000000LL,
                                      1000000000000000LL,
                                      10000000000000000LL,
                                      100000000000000000LL,
                                      1000000000000000000LL};

static __int128 pow10_128(int e)
{
    __int128 r = 1;
    while (e-- > 0) r *= 10;
    return r;
}

/* A RANGE offset in the key's domain: *io for integer-like keys (in the
 * key's units; decimals unscaled at the key's scale), *df for float keys. */
static int range_offset(const win_bound *bd, const col_type *kt, __int128 *io, double *df)
{
    win_kind kk = win_kind_of(kt);
    *io = bd->offset;
    *df = (double)bd->offset;
    if (kt->kind == COL_DECIMAL && !bd->value) return KILN_OK;
    const col_vec *v = bd->value;
    if (!v) return KILN_OK;
    if (!col_valid(v, 0) || v->type->kind == COL_NULL)
        return kiln_set_error(KILN_EINVAL, "window: a RANGE frame offset cannot be null");
    win_kind vk = win_kind_of(v->type);
    int vs = v->type->kind == COL_DECIMAL ? v->type->scale : 0;
    __int128 iv = 0;
    double dv = 0;
    switch (v->type->kind) {
    case COL_I8:
        iv = COL_DATA(v, int8_t)[0];
        break;
    case COL_I16:
        iv = COL_DATA(v, int16_t)[0];
        break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        iv = COL_DATA(v, int32_t)[0];
        break;
    case COL_I64:
    case COL_INTERVAL_DT:
        iv = COL_DATA(v, int64_t)[0];
        break;
    case COL_DECIMAL:
        iv = vk == WK_I128 ? COL_DATA(v, __int128)[0] : COL_DATA(v, int64_t)[0];
        break;
    case COL_F32:
        dv = COL_DATA(v, float)[0];
        break;
    case COL_F64:
        dv = COL_DATA(v, double)[0];
        break;
    default:
        return kiln_set_error(KILN_EINVAL, "window: a RANGE frame offset must be a number or an "
                                           "interval");
    }
    if (vk == WK_F64) {
        if (kk != WK_F64)
            return kiln_set_error(KILN_EINVAL, "window: a floating RANGE offset needs a floating "
                                               "order key");
        *df = dv;
        return KILN_OK;
    }
    if (kk == WK_F64) {
        double d = (double)iv;
        for (int k = 0; k < vs; k++) d /= 10;
        *df = d;
        return KILN_OK;
    }
    int ks = kt->kind == COL_DECIMAL ? kt->scale : 0;
    if (vs > ks)
        return kiln_set_error(KILN_EINVAL,
                              "window: the RANGE offset has more decimal places (%d) "
                              "than the order key (%d)",
                              vs, ks);
    *io = iv * pow10_128(ks - vs);
    return KILN_OK;
}

static int bounds_init(bounds *b, win_ctx *x, const win_frame *f)
{
    memset(b, 0, sizeof *b);
    b->x = x;
    b->f = *f;
    if (f->unit == WIN_FRAME_DEFAULT) {
        if (x->in->norder > 0) {
            b->f.unit = WIN_RANGE;
            b->f.start.kind = WIN_UNBOUNDED_PRECEDING;
            b->f.end.kind = WIN_CURRENT_ROW;
        } else {
            b->f.unit = WIN_ROWS;
            b->f.start.kind = WIN_UNBOUNDED_PRECEDING;
            b->f.end.kind = WIN_UNBOUNDED_FOLLOWING;
        }
    }
    b->rows = b->f.unit == WIN_ROWS;
    const int64_t lim = (int64_t)1 << 40;
    int64_t so = b->f.start.offset, eo = b->f.end.offset;
    so = so > lim ? lim : so < -lim ? -lim : so;
    eo = eo > lim ? lim : eo < -lim ? -lim : eo;
    b->so = b->f.start.kind == WIN_PRECEDING ? -so : so;
    b->eo = b->f.end.kind == WIN_PRECEDING ? -eo : eo;
    bool soff = b->f.start.kind == WIN_PRECEDING || b->f.start.kind == WIN_FOLLOWING;
    bool eoff = b->f.end.kind == WIN_PRECEDING || b->f.end.kind == WIN_FOLLOWING;
    if (!b->rows && (soff || eoff)) {
        b->range_off = true;
        if (!x->have_key) {
            int rc = win_load_col(x, x->tmp, x->in->order[0].col, true, &x->key);
            if (rc) return rc;
            x->have_key = true;
        }
        b->key = &x->key;
        b->kk = x->key.kind;
        if (b->kk != WK_I64 && b->kk != WK_I128 && b->kk != WK_F64)
            return kiln_set_error(KILN_EINVAL, "window: a RANGE frame with an offset needs a "
                                               "numeric, date, timestamp or interval ORDER BY key");
        b->desc = x->in->order[0].desc;
        b->nulls_first = x->in->order[0].nulls_first;
        const col_type *kt = x->key.type;
        int rc;
        __int128 s_i = 0, e_i = 0;
        double s_d = 0, e_d = 0;
        if (soff && (rc = range_offset(&b->f.start, kt, &s_i, &s_d))) return rc;
        if (eoff && (rc = range_offset(&b->f.end, kt, &e_i, &e_d))) return rc;
        const __int128 ilim = (__int128)1 << 100;
        s_i = s_i > ilim ? ilim : s_i < -ilim ? -ilim : s_i;
        e_i = e_i > ilim ? ilim : e_i < -ilim ? -ilim : e_i;
        int sgn_s = (b->f.start.kind == WIN_PRECEDING ? -1 : 1) * (b->desc ? -1 : 1);
        int sgn_e = (b->f.end.kind == WIN_PRECEDING ? -1 : 1) * (b->desc ? -1 : 1);
        b->si = s_i * sgn_s;
        b->ei = e_i * sgn_e;
        b->sd = s_d * sgn_s;
        b->ed = e_d * sgn_e;
    }
    if (x->nparts) {
        bounds_part(b, 0);
        b->peer = 0;
        b->gs = x->peers[0];
        b->ge = x->peers[1];
    }
    return KILN_OK;
}

/* ---- Aggregate kernels ------------------------------------------------------------------- */

typedef struct addsub {
    uint32_t cl, cr;
    __int128 sum;
    int64_t cnt;
} addsub;

/* Sum and count of int64 values (nulls stored as 0) over each frame. */
static void k_sum_i64(addsub *st, const int64_t *v, const uint8_t *vd, const uint32_t *lo,
                      const uint32_t *hi, uint32_t cnt, __int128 *osum, int64_t *ocnt)
{
    uint32_t cl = st->cl, cr = st->cr;
    __int128 sum = st->sum;
    int64_t c = st->cnt;
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t l = lo[k], r = hi[k];
        if (l >= cr) {
            cl = cr = l;
            sum = 0;
            c = 0;
        }
        if (vd) {
            for (; cr < r; cr++) sum += v[cr], c += vd[cr];
            for (; cl < l; cl++) sum -= v[cl], c -= vd[cl];
        } else {
            for (; cr < r; cr++) sum += v[cr];
            for (; cl < l; cl++) sum -= v[cl];
            c = cr - cl;
        }
        osum[k] = sum;
        ocnt[k] = c;
    }
    st->cl = cl, st->cr = cr, st->sum = sum, st->cnt = c;
}

/* Count of non-null rows over each frame. */
static void k_count(addsub *st, const uint8_t *vd, const uint32_t *lo, const uint32_t *hi,
                    uint32_t cnt, int64_t *ocnt)
{
    uint32_t cl = st->cl, cr = st->cr;
    int64_t c = st->cnt;
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t l = lo[k], r = hi[k];
        if (l >= cr) {
            cl = cr = l;
            c = 0;
        }
        for (; cr < r; cr++) c += vd[cr];
        for (; cl < l; cl++) c -= vd[cl];
        ocnt[k] = c;
    }
    st->cl = cl, st->cr = cr, st->cnt = c;
}

/* A 192-bit signed sum of int128 values: wide decimals never overflow it. */
typedef struct wsum {
    unsigned __int128 lo;
    int64_t hi;
} wsum;

static inline void wsum_add(wsum *s, __int128 v)
{
    unsigned __int128 u = (unsigned __int128)v, n = s->lo + u;
    s->hi += (n < s->lo) + (v < 0 ? -1 : 0);
    s->lo = n;
}
static inline void wsum_sub(wsum *s, __int128 v)
{
    unsigned __int128 u = (unsigned __int128)v, n = s->lo - u;
    s->hi -= (s->lo < u) + (v < 0 ? -1 : 0);
    s->lo = n;
}
/* The sum as an int128, or false when it does not fit. */
static inline bool wsum_get(const wsum *s, __int128 *out)
{
    bool neg = s->lo >> 127;
    if ((s->hi == 0 && !neg) || (s->hi == -1 && neg)) {
        *out = (__int128)s->lo;
        return true;
    }
    return false;
}

typedef struct addsub_w {
    uint32_t cl, cr;
    wsum sum;
    int64_t cnt;
} addsub_w;

static void k_sum_i128(addsub_w *st, const __int128 *v, const uint8_t *vd, const uint32_t *lo,
                       const uint32_t *hi, uint32_t cnt, __int128 *osum, uint8_t *oovf,
                       int64_t *ocnt)
{
    uint32_t cl = st->cl, cr = st->cr;
    wsum sum = st->sum;
    int64_t c = st->cnt;
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t l = lo[k], r = hi[k];
        if (l >= cr) {
            cl = cr = l;
            memset(&sum, 0, sizeof sum);
            c = 0;
        }
        for (; cr < r; cr++) wsum_add(&sum, v[cr]), c += vd ? vd[cr] : 1;
        for (; cl < l; cl++) wsum_sub(&sum, v[cl]), c -= vd ? vd[cl] : 1;
        oovf[k] = !wsum_get(&sum, &osum[k]);
        ocnt[k] = c;
    }
    st->cl = cl, st->cr = cr, st->sum = sum, st->cnt = c;
}

/* The two-stack queue over a type T with identity ID and associative OP;
 * LOAD(j) is row j's element. F has room for the largest partition. */
#define TWO_STACK(T, ID, OP, LOAD)                                                                 \
    uint32_t cl = st->cl, cr = st->cr, m = st->m, fb = st->fb;                                     \
    T bk = st->b;                                                                                  \
    for (uint32_t k = 0; k < cnt; k++) {                                                           \
        uint32_t l = lo[k], r = hi[k];                                                             \
        if (l >= cr) {                                                                             \
            cl = cr = m = fb = l;                                                                  \
            bk = ID;                                                                               \
        }                                                                                          \
        for (; cr < r; cr++) bk = OP(bk, LOAD(cr));                                                \
        if (cl < l) {                                                                              \
            if (l >= m) {                                                                          \
                /* the front runs out: rebuild it from [l, cr) */                                  \
                T acc_ = ID;                                                                       \
                fb = l;                                                                            \
                m = cr;                                                                            \
                for (uint32_t j = cr; j-- > l;) {                                                  \
                    acc_ = OP(LOAD(j), acc_);                                                      \
                    F[j - fb] = acc_;                                                              \
                }                                                                                  \
                bk = ID;                                                                           \
            }                                                                                      \
            cl = l;                                                                                \
        }                                                                                          \
        res[k] = cl < m ? OP(F[cl - fb], bk) : bk;                                                 \
    }                                                                                              \
    st->cl = cl, st->cr = cr, st->m = m, st->fb = fb, st->b = bk

typedef struct ts_f64 {
    uint32_t cl, cr, m, fb;
    double b;
} ts_f64;

#define ADD(a, b) ((a) + (b))
#define LOAD_D(j) (v[j])
static void k_sum_f64(ts_f64 *st, double *F, const double *v, const uint32_t *lo,
                      const uint32_t *hi, uint32_t cnt, double *res)
{
    TWO_STACK(double, 0.0, ADD, LOAD_D);
}

typedef struct mom {
    double n, avg, m2;
} mom;

static inline mom mom_merge(mom a, mom b)
{
    if (b.n == 0) return a;
    if (a.n == 0) return b;
    mom r;
    r.n = a.n + b.n;
    double delta = b.avg - a.avg, dn = delta / r.n;
    r.avg = a.avg + dn * b.n;
    r.m2 = a.m2 + b.m2 + delta * dn * a.n * b.n;
    return r;
}

typedef struct ts_mom {
    uint32_t cl, cr, m, fb;
    mom b;
} ts_mom;

#define LOAD_M(j) ((mom){vd && !vd[j] ? 0.0 : 1.0, v[j], 0.0})
static void k_moments(ts_mom *st, mom *F, const double *v, const uint8_t *vd, const uint32_t *lo,
                      const uint32_t *hi, uint32_t cnt, mom *res)
{
    const mom zero = {0, 0, 0};
    TWO_STACK(mom, zero, mom_merge, LOAD_M);
}

typedef struct ts_idx {
    uint32_t cl, cr, m, fb;
    uint32_t b;
} ts_idx;

/* Min (max) as the index of the first least (greatest) row. */
#define LOAD_I(j) (vd && !vd[j] ? WIN_NONE : (j))
#define PICK(a, b, BETTER)                                                                         \
    ((a) == WIN_NONE ? (b) : (b) == WIN_NONE ? (a) : BETTER(b, a) ? (b) : (a))
#define LT_V(b, a) (v[b] < v[a])
#define GT_V(b, a) (v[b] > v[a])
#define LT_D(b, a) (dcmp(v[b], v[a]) < 0)
#define GT_D(b, a) (dcmp(v[b], v[a]) > 0)
#define LT_S(b, a) (col_str_cmp(&v[b], &v[a]) < 0)
#define GT_S(b, a) (col_str_cmp(&v[b], &v[a]) > 0)
#define MINMAX_KERNEL(NAME, T, BETTER)                                                             \
    static void NAME(ts_idx *st, uint32_t *F, const T *v, const uint8_t *vd, const uint32_t *lo,   \
                     const uint32_t *hi, uint32_t cnt, uint32_t *res)                              \
    {                                                                                              \
        TWO_STACK(uint32_t, WIN_NONE, OP_##NAME, LOAD_I);                                          \
    }
#define OP_k_min_i64(a, b) PICK(a, b, LT_V)
#define OP_k_max_i64(a, b) PICK(a, b, GT_V)
#define OP_k_min_i128(a, b) PICK(a, b, LT_V)
#define OP_k_max_i128(a, b) PICK(a, b, GT_V)
#define OP_k_min_f64(a, b) PICK(a, b, LT_D)
#define OP_k_max_f64(a, b) PICK(a, b, GT_D)
#define OP_k_min_str(a, b) PICK(a, b, LT_S)
#define OP_k_max_str(a, b) PICK(a, b, GT_S)
MINMAX_KERNEL(k_min_i64, int64_t, LT_V)
MINMAX_KERNEL(k_max_i64, int64_t, GT_V)
MINMAX_KERNEL(k_min_i128, __int128, LT_V)
MINMAX_KERNEL(k_max_i128, __int128, GT_V)
MINMAX_KERNEL(k_min_f64, double, LT_D)
MINMAX_KERNEL(k_max_f64, double, GT_D)
MINMAX_KERNEL(k_min_str, col_str, LT_S)
MINMAX_KERNEL(k_max_str, col_str, GT_S)

/* ---- Finishing ---------------------------------------------------------------------------- */

static int overflow_long(void)
{
    return sql_error(KILN_ESQL, NULL, SQL_NO_POS, 0, "ARITHMETIC_OVERFLOW", "22003",
                     "long overflow. Use 'try_sum' to tolerate overflow and return NULL instead. "
                     "If necessary set \"kiln.sql.ansi.enabled\" to \"false\" to bypass this "
                     "error.");
}

static int overflow_decimal(void)
{
    return sql_error(KILN_ESQL, NULL, SQL_NO_POS, 0, "ARITHMETIC_OVERFLOW", "22003",
                     "Overflow in sum of decimals. Use 'try_sum' to tolerate overflow and return "
                     "NULL instead. If necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                     "bypass this error.");
}

static int decimal_out_of_range(const col_type *t)
{
    return sql_error(KILN_ESQL, NULL, SQL_NO_POS, 0, "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION",
                     "22003",
                     "The average cannot be represented as Decimal(%d, %d). If necessary set "
                     "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error, and return "
                     "NULL instead.",
                     t->precision, t->scale);
}

static inline unsigned __int128 uabs128(__int128 v)
{
    return v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
}

/* The average sum / cnt of a decimal of scale s as a decimal of scale rs
 * and precision rp, as Spark computes it: the quotient rounded half up to
 * scale 38, then to rs. False when it does not fit rp digits. */
static bool dec_avg(__int128 sum, int64_t cnt, int s, int rs, int rp, __int128 *out)
{
    unsigned __int128 u = uabs128(sum), c = (unsigned __int128)cnt;
    unsigned __int128 q = u / c, r = u % c;
    const unsigned __int128 lim37 = (unsigned __int128)pow10_128(37);
    for (int i = s; i < rs; i++) {
        if (q >= lim37) return false;
        r *= 10;
        q = q * 10 + r / c;
        r %= c;
    }
    int k = 38 - rs;
    bool up;
    if (k == 0 || k >= 10) {
        up = 2 * r >= c;
    } else {
        unsigned __int128 pk = (unsigned __int128)pow10_i64[k];
        up = 2 * r * pk >= c * (pk - 1);
    }
    q += up;
    if (q >= (unsigned __int128)pow10_128(rp)) return false;
    *out = sum < 0 ? -(__int128)q : (__int128)q;
    return true;
}

/* ---- The driver --------------------------------------------------------------------------- */

typedef enum fam { F_FIRST, F_COUNT_STAR, F_COUNT, F_SUM_I, F_SUM_W, F_SUM_D, F_MOM, F_MINMAX } fam;

int win_frame_fn(win_ctx *x, const win_spec *s, const col_type *rt, col_vec *out)
{
    uint32_t n = x->n;
    kiln_arena *st = x->spec_tmp;
    int rc;
    bounds b;
    if ((rc = bounds_init(&b, x, &s->frame))) return rc;
    win_col c;
    memset(&c, 0, sizeof c);
    fam f;
    switch (s->fn) {
    case WIN_FIRST:
    case WIN_LAST:
    case WIN_NTH_VALUE:
        f = F_FIRST;
        break;
    case WIN_COUNT:
        f = s->arg < 0 ? F_COUNT_STAR : F_COUNT;
        break;
    case WIN_MIN:
    case WIN_MAX:
        f = F_MINMAX;
        break;
    case WIN_VAR_SAMP:
    case WIN_VAR_POP:
    case WIN_STDDEV_SAMP:
    case WIN_STDDEV_POP:
        f = F_MOM;
        break;
    default: /* sum, avg */
        f = F_SUM_I;
        break;
    }
    if (f != F_COUNT_STAR) {
        bool canon = f != F_FIRST && f != F_COUNT;
        if ((rc = win_load_col(x, st, s->arg, canon, &c))) return rc;
        if (f == F_COUNT && c.type->kind == COL_NULL) f = F_COUNT_STAR; /* then all zero */
    }
    if (f == F_SUM_I && c.kind == WK_I128) f = F_SUM_W;
    if (f == F_SUM_I && c.kind == WK_F64) f = F_SUM_D;
    if (f == F_MOM && c.kind != WK_F64) {
        /* variance works on doubles */
        double *d = kiln_arena_alloc(st, sizeof(double) * (n ? n : 1));
        if (!d) return KILN_ENOMEM;
        int sc = c.type->kind == COL_DECIMAL ? c.type->scale : 0;
        double div = (double)pow10_128(sc);
        for (uint32_t i = 0; i < n; i++)
            d[i] = c.kind == WK_I128 ? (double)((const __int128 *)c.canon)[i] / div
                                     : (double)((const int64_t *)c.canon)[i] / div;
        c.canon = d;
    }
    bool ignore = f == F_FIRST && s->ignore_nulls && c.valid;
    if (ignore && (rc = win_prefix_valid(x, st, &c))) return rc;

    /* Outputs: idx for gathered results, else raw values + validity. */
    uint32_t *idx = NULL;
    void *raw = NULL;
    uint8_t *valid = NULL;
    size_t rw = col_type_width(rt);
    if (f == F_FIRST || f == F_MINMAX) {
        if (!(idx = kiln_arena_alloc(st, sizeof(uint32_t) * (n ? n : 1)))) return KILN_ENOMEM;
    } else {
        raw = kiln_arena_alloc(x->out, rw * (n ? n : 1));
        valid = kiln_arena_alloc(st, n ? n : 1);
        if (!raw || !valid) return KILN_ENOMEM;
        memset(raw, 0, rw * (n ? n : 1));
    }
    /* Scratch per chunk and the two-stack fronts. */
    uint32_t lo[WIN_CHUNK], hi[WIN_CHUNK];
    __int128 *osum = kiln_arena_alloc(st, sizeof(__int128) * WIN_CHUNK);
    int64_t *ocnt = kiln_arena_alloc(st, sizeof(int64_t) * WIN_CHUNK);
    uint8_t *oovf = kiln_arena_alloc(st, WIN_CHUNK);
    double *od = kiln_arena_alloc(st, sizeof(double) * WIN_CHUNK);
    mom *om = kiln_arena_alloc(st, sizeof(mom) * WIN_CHUNK);
    if (!osum || !ocnt || !oovf || !od || !om) return KILN_ENOMEM;
    size_t fw = f == F_SUM_D ? sizeof(double) : f == F_MOM ? sizeof(mom) : sizeof(uint32_t);
    void *front = NULL;
    if (f == F_SUM_D || f == F_MOM || f == F_MINMAX) {
        if (!(front = kiln_arena_alloc(st, fw * (x->max_part ? x->max_part : 1))))
            return KILN_ENOMEM;
    }
    addsub as;
    addsub_w aw;
    ts_f64 tsd;
    ts_mom tsm;
    ts_idx tsi;
    memset(&as, 0, sizeof as);
    memset(&aw, 0, sizeof aw);
    memset(&tsd, 0, sizeof tsd);
    memset(&tsm, 0, sizeof tsm);
    memset(&tsi, 0, sizeof tsi);
    tsi.b = WIN_NONE;

    const col_type *at = c.type;
    bool is_max = s->fn == WIN_MAX;
    int ascale = at && at->kind == COL_DECIMAL ? at->scale : 0;
    bool dec_narrow_out = rt->kind == COL_DECIMAL && !col_decimal_is_wide(rt);

    for (uint32_t i0 = 0; i0 < n; i0 += WIN_CHUNK) {
        uint32_t m = n - i0 < WIN_CHUNK ? n - i0 : WIN_CHUNK;
        bounds_fill(&b, i0, m, lo, hi);
        switch (f) {
        case F_FIRST: {
            uint32_t *o = idx + i0;
            int64_t nth = s->fn == WIN_NTH_VALUE ? s->n : 1;
            for (uint32_t k = 0; k < m; k++) {
                uint32_t l = lo[k], r = hi[k];
                if (!ignore) {
                    if (s->fn == WIN_LAST) o[k] = r > l ? r - 1 : WIN_NONE;
                    else o[k] = (int64_t)r - (int64_t)l >= nth ? l + (uint32_t)(nth - 1) : WIN_NONE;
                } else {
                    uint32_t a = c.cntv[l], e = c.cntv[r];
                    if (s->fn == WIN_LAST) o[k] = e > a ? c.pos[e - 1] : WIN_NONE;
                    else o[k] = (int64_t)e - (int64_t)a >= nth ? c.pos[a + nth - 1] : WIN_NONE;
                }
            }
            break;
        }
        case F_COUNT_STAR:
            for (uint32_t k = 0; k < m; k++)
                ((int64_t *)raw)[i0 + k] = c.type && c.type->kind == COL_NULL ? 0 : hi[k] - lo[k];
            memset(valid + i0, 1, m);
            break;
        case F_COUNT:
            if (!c.valid) {
                for (uint32_t k = 0; k < m; k++) ((int64_t *)raw)[i0 + k] = hi[k] - lo[k];
            } else {
                k_count(&as, c.valid, lo, hi, m, (int64_t *)raw + i0);
            }
            memset(valid + i0, 1, m);
            break;
        case F_SUM_I:
        case F_SUM_W:
        case F_SUM_D:
            if (f == F_SUM_I) {
                k_sum_i64(&as, c.canon, c.valid, lo, hi, m, osum, ocnt);
                memset(oovf, 0, m);
            } else if (f == F_SUM_W) {
                k_sum_i128(&aw, c.canon, c.valid, lo, hi, m, osum, oovf, ocnt);
            } else {
                k_sum_f64(&tsd, front, c.canon, lo, hi, m, od);
                if (c.valid) {
                    k_count(&as, c.valid, lo, hi, m, ocnt);
                } else {
                    for (uint32_t k = 0; k < m; k++) ocnt[k] = hi[k] - lo[k];
                }
            }
            for (uint32_t k = 0; k < m; k++) {
                uint32_t i = i0 + k;
                valid[i] = ocnt[k] > 0;
                if (!valid[i]) continue;
                if (f == F_SUM_D) {
                    ((double *)raw)[i] = s->fn == WIN_SUM ? od[k] : od[k] / (double)ocnt[k];
                    continue;
                }
                if (rt->kind == COL_F64) { /* avg of integers */
                    ((double *)raw)[i] = (double)osum[k] / (double)ocnt[k];
                    continue;
                }
                if (rt->kind == COL_I64) { /* sum of integers */
                    if (osum[k] > INT64_MAX || osum[k] < INT64_MIN) {
                        if (x->in->ansi) return overflow_long();
                        ((int64_t *)raw)[i] = (int64_t)(uint64_t)(unsigned __int128)osum[k];
                    } else {
                        ((int64_t *)raw)[i] = (int64_t)osum[k];
                    }
                    continue;
                }
                /* decimals: the sum must fit min(38, p + 10) digits */
                int sp = at->precision + 10 > 38 ? 38 : at->precision + 10;
                __int128 v = osum[k], slim = pow10_128(sp);
                if (oovf[k] || v >= slim || v <= -slim) {
                    if (x->in->ansi) return overflow_decimal();
                    valid[i] = 0;
                    continue;
                }
                if (s->fn == WIN_AVG &&
                    !dec_avg(v, ocnt[k], ascale, rt->scale, rt->precision, &v)) {
                    if (x->in->ansi) return decimal_out_of_range(rt);
                    valid[i] = 0;
                    continue;
                }
                if (dec_narrow_out) ((int64_t *)raw)[i] = (int64_t)v;
                else ((__int128 *)raw)[i] = v;
            }
            break;
        case F_MOM:
            k_moments(&tsm, front, c.canon, c.valid, lo, hi, m, om);
            for (uint32_t k = 0; k < m; k++) {
                uint32_t i = i0 + k;
                mom mm = om[k];
                bool samp = s->fn == WIN_VAR_SAMP || s->fn == WIN_STDDEV_SAMP;
                if (mm.n == 0 || (samp && mm.n == 1)) {
                    valid[i] = 0;
                    continue;
                }
                double v = mm.m2 / (samp ? mm.n - 1 : mm.n);
                if (s->fn == WIN_STDDEV_SAMP || s->fn == WIN_STDDEV_POP) v = sqrt(v);
                ((double *)raw)[i] = v;
                valid[i] = 1;
            }
            break;
        case F_MINMAX: {
            uint32_t *o = idx + i0;
            switch (c.kind) {
            case WK_I64:
                (is_max ? k_max_i64 : k_min_i64)(&tsi, front, c.canon, c.valid, lo, hi, m, o);
                break;
            case WK_I128:
                (is_max ? k_max_i128 : k_min_i128)(&tsi, front, c.canon, c.valid, lo, hi, m, o);
                break;
            case WK_F64:
                (is_max ? k_max_f64 : k_min_f64)(&tsi, front, c.canon, c.valid, lo, hi, m, o);
                break;
            default:
                (is_max ? k_max_str : k_min_str)(&tsi, front, c.canon, c.valid, lo, hi, m, o);
                break;
            }
            break;
        }
        }
    }
    if (f == F_FIRST || f == F_MINMAX) {
        if (c.kind == WK_OTHER) {
            if (c.type->kind == COL_NULL) return win_emit_all_null(x, rt, out);
            return win_emit_gather_nested(x, s->arg, idx, -1, NULL, rt, out);
        }
        return win_emit_gather(x, &c, idx, NULL, NULL, out);
    }
    return win_emit(x, rt, raw, valid, out);
}
