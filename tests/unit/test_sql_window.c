/*
 * test_sql_window.c - src/sql/window: every window function and frame shape
 * against a reference written the obvious way (for each row, scan its
 * partition, decide frame membership from the values, aggregate the frame),
 * on random sorted input with nulls, ties, NaN, unicode strings, batches
 * with selections, one partition, many tiny ones, skewed ones and none;
 * ANSI overflow; and a timing of 10M rows (KILN_WIN_BENCH=1).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "column/column.h"
#include "kiln.h"
#include "sql/window.h"

/* ---- Data -------------------------------------------------------------------------------- */

enum { C_P, C_O, C_OD, C_XI, C_XD, C_DEC, C_WD, C_S, C_DT, NCOLS };

typedef struct row {
    int32_t p, o, xi, dt;
    double od, xd;
    int64_t dec;
    __int128 wd;
    const char *s;
    bool nul[NCOLS]; /* column is null */
} row;

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int rint_(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static const char *const strs[] = {"",
                                   "a",
                                   "b",
                                   "ab",
                                   "zebra",
                                   "é",
                                   "日本語",
                                   "naïve",
                                   "a long string over 12 bytes",
                                   "a long string over 12 bytez",
                                   "Z",
                                   "\xf0\x9f\x98\x80"};

static const col_type *types[NCOLS];
static kiln_arena *A;

static void setup_types(void)
{
    types[C_P] = &col_type_i32;
    types[C_O] = &col_type_i32;
    types[C_OD] = &col_type_f64;
    types[C_XI] = &col_type_i32;
    types[C_XD] = &col_type_f64;
    types[C_DEC] = col_type_decimal(A, 12, 2);
    types[C_WD] = col_type_decimal(A, 30, 4);
    types[C_S] = &col_type_string;
    types[C_DT] = &col_type_date;
}

/* Random rows; nparts_hint distinct partition keys (0: one partition). */
static row *gen(int n, int nparts, int okeys, int nullpct)
{
    row *r = calloc((size_t)(n ? n : 1), sizeof *r);
    for (int i = 0; i < n; i++) {
        row *x = &r[i];
        if (nparts == -1) x->p = rint_(8) == 0 ? 0 : rint_(1 << 20); /* skewed */
        else x->p = nparts ? rint_(nparts) : 0;
        x->o = rint_(okeys) - okeys / 2;
        x->od = rint_(20) == 0 ? NAN : (rint_(okeys) - okeys / 2) * 0.5;
        x->xi = rint_(2001) - 1000;
        x->xd = rint_(50) == 0 ? (rint_(2) ? INFINITY : -INFINITY) : (rint_(100001) - 50000) / 8.0;
        if (rint_(60) == 0) x->xd = NAN;
        x->dec = (int64_t)(rnd() % 1999999999999ULL) - 999999999999LL;
        x->wd = ((__int128)(int64_t)(rnd() % 1000000000000000ULL) * 1000000000000000LL +
                 (int64_t)(rnd() % 1000000000000000ULL)) *
                (rint_(2) ? 1 : -1);
        x->s = strs[rint_(sizeof strs / sizeof strs[0])];
        x->dt = 18000 + rint_(okeys);
        for (int c = 0; c < NCOLS; c++) x->nul[c] = rint_(100) < nullpct;
        if (nparts == 0) x->nul[C_P] = false;
    }
    return r;
}

/* Sort order of the test: partition key ascending nulls first, then the
 * order key. */
static int okey_col;
static bool o_desc, o_nulls_first;

static int cmp_order(const row *a, const row *b)
{
    bool an = a->nul[okey_col], bn = b->nul[okey_col];
    if (an || bn) {
        if (an && bn) return 0;
        return (an ? -1 : 1) * (o_nulls_first ? 1 : -1);
    }
    int c;
    if (okey_col == C_OD) {
        double x = a->od, y = b->od;
        bool xn = isnan(x), yn = isnan(y);
        c = xn || yn ? (xn && yn ? 0 : xn ? 1 : -1) : (x < y ? -1 : x > y);
    } else {
        c = a->o < b->o ? -1 : a->o > b->o;
    }
    return o_desc ? -c : c;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->nul[C_P] != b->nul[C_P]) return a->nul[C_P] ? -1 : 1;
    if (!a->nul[C_P] && a->p != b->p) return a->p < b->p ? -1 : 1;
    return cmp_order(a, b);
}

static bool same_part(const row *a, const row *b)
{
    return a->nul[C_P] == b->nul[C_P] && (a->nul[C_P] || a->p == b->p);
}

/* Writes row x into row j of the batch's vectors. */
static void put_row(col_batch *b, uint32_t j, const row *x)
{
    for (int c = 0; c < NCOLS; c++) {
        col_vec *v = &b->cols[c];
        if (x->nul[c]) {
            col_vec_add_validity(v, A, COL_VEC_SIZE * 2);
            col_set_null(v, j);
        }
    }
    COL_DATA(&b->cols[C_P], int32_t)[j] = x->p;
    COL_DATA(&b->cols[C_O], int32_t)[j] = x->o;
    COL_DATA(&b->cols[C_OD], double)[j] = x->od;
    COL_DATA(&b->cols[C_XI], int32_t)[j] = x->xi;
    COL_DATA(&b->cols[C_XD], double)[j] = x->xd;
    COL_DATA(&b->cols[C_DEC], int64_t)[j] = x->dec;
    COL_DATA(&b->cols[C_WD], __int128)[j] = x->wd;
    col_str_copy(A, x->s, (uint32_t)strlen(x->s), &COL_DATA(&b->cols[C_S], col_str)[j]);
    COL_DATA(&b->cols[C_DT], int32_t)[j] = x->dt;
}

/* Batches of random sizes; some with a selection and junk rows between. */
static col_batch *make_batches(const row *r, int n, int *nb_out, uint32_t **where)
{
    col_batch *bs = calloc((size_t)n + 2, sizeof *bs);
    *where = calloc((size_t)(n ? n : 1), sizeof(uint32_t) * 2);
    int nb = 0, i = 0;
    row junk;
    memset(&junk, 0, sizeof junk);
    junk.s = "junk";
    junk.p = 999999;
    do {
        int want = rint_(4) == 0 ? 1 + rint_(5) : 1 + rint_(COL_VEC_SIZE);
        if (want > n - i) want = n - i;
        bool sel = rint_(3) == 0;
        col_batch *b = &bs[nb];
        assert_int_equal(col_batch_init(b, A, NCOLS, types, COL_VEC_SIZE * 2), KILN_OK);
        uint32_t j = 0;
        if (sel) b->sel = kiln_arena_alloc(A, sizeof(uint32_t) * COL_VEC_SIZE * 2);
        for (int k = 0; k < want; k++) {
            if (sel && rint_(2)) put_row(b, j++, &junk);
            put_row(b, j, &r[i + k]);
            (*where)[2 * (i + k)] = (uint32_t)nb;
            (*where)[2 * (i + k) + 1] = j;
            if (sel) b->sel[b->nsel++] = j;
            j++;
        }
        if (sel && rint_(2)) put_row(b, j++, &junk);
        b->n = j;
        for (int c = 0; c < NCOLS; c++) b->cols[c].n = j;
        i += want;
        nb++;
    } while (i < n);
    if (n == 0 && rint_(2)) nb = 0; /* no batch at all, or one empty one */
    *nb_out = nb;
    return bs;
}

/* ---- Reference ----------------------------------------------------------------------------- */

static bool isnull(const row *x, int c)
{
    return x->nul[c];
}

/* Key value of the RANGE order key as a long double (dates and ints exact). */
static long double keyv(const row *x)
{
    return okey_col == C_OD ? (long double)x->od : (long double)x->o;
}

/* Is row j inside row i's frame? (the definition, without positions) */
static bool in_frame(const row *r, int ps, int pe, int i, int j, const win_frame *f, int norder)
{
    (void)ps;
    (void)pe;
    win_frame fr = *f;
    if (fr.unit == WIN_FRAME_DEFAULT) {
        if (norder) {
            fr.unit = WIN_RANGE;
            fr.start.kind = WIN_UNBOUNDED_PRECEDING;
            fr.end.kind = WIN_CURRENT_ROW;
        } else {
            fr.unit = WIN_ROWS;
            fr.start.kind = WIN_UNBOUNDED_PRECEDING;
            fr.end.kind = WIN_UNBOUNDED_FOLLOWING;
        }
    }
    for (int side = 0; side < 2; side++) {
        const win_bound *bd = side == 0 ? &fr.start : &fr.end;
        bool ok = true;
        if (bd->kind == WIN_UNBOUNDED_PRECEDING || bd->kind == WIN_UNBOUNDED_FOLLOWING) continue;
        int64_t off = bd->kind == WIN_PRECEDING   ? -bd->offset
                      : bd->kind == WIN_FOLLOWING ? bd->offset
                                                  : 0;
        if (fr.unit == WIN_ROWS) {
            ok = side == 0 ? j >= i + off : j <= i + off;
        } else if (bd->kind == WIN_CURRENT_ROW) {
            int c = norder ? cmp_order(&r[j], &r[i]) : 0;
            ok = side == 0 ? c >= 0 : c <= 0;
        } else {
            /* compare row j's key with the bound (row i's key + offset) in sort
             * order: a null bound (null key) equals null keys */
            bool in_ = isnull(&r[i], okey_col), jn = isnull(&r[j], okey_col);
            int c;
            if (in_ || jn) {
                c = in_ && jn ? 0 : (jn ? -1 : 1) * (o_nulls_first ? 1 : -1);
            } else {
                long double ki = keyv(&r[i]), kj = keyv(&r[j]);
                if (isnan(ki) || isnan(kj)) {
                    /* NaN + offset is NaN: equal to NaN, greater than all */
                    c = isnan(ki) && isnan(kj) ? 0 : isnan(kj) ? 1 : -1;
                } else {
                    long double t = ki + (o_desc ? -off : off);
                    c = kj < t ? -1 : kj > t;
                }
                if (o_desc) c = -c;
            }
            ok = side == 0 ? c >= 0 : c <= 0;
        }
        if (!ok) return false;
    }
    return true;
}

/* The expected and actual results, in a form both can give. */
typedef struct val {
    bool valid;
    long double d; /* numbers (and ints) */
    __int128 i;    /* decimals, ints */
    const char *s; /* strings */
    uint32_t slen;
    int src; /* gathered from this row (-1: default or none) */
} val;

static int arg_col(const win_spec *s)
{
    return s->arg;
}

/* Reads the argument column value of row x as a val. */
static val arg_val(const row *x, int c)
{
    val v;
    memset(&v, 0, sizeof v);
    v.valid = !x->nul[c];
    if (!v.valid) return v;
    switch (c) {
    case C_P:
        v.i = x->p, v.d = x->p;
        break;
    case C_O:
        v.i = x->o, v.d = x->o;
        break;
    case C_OD:
        v.d = x->od;
        break;
    case C_XI:
        v.i = x->xi, v.d = x->xi;
        break;
    case C_XD:
        v.d = x->xd;
        break;
    case C_DEC:
        v.i = x->dec, v.d = (long double)x->dec / 100;
        break;
    case C_WD:
        v.i = x->wd, v.d = (long double)x->wd / 10000;
        break;
    case C_S:
        v.s = x->s, v.slen = (uint32_t)strlen(x->s);
        break;
    case C_DT:
        v.i = x->dt, v.d = x->dt;
        break;
    }
    return v;
}

static int ldcmp(long double a, long double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : isnan(a) ? 1 : -1;
    return a < b ? -1 : a > b;
}

static int vcmp(const val *a, const val *b, int c)
{
    if (c == C_S) {
        uint32_t m = a->slen < b->slen ? a->slen : b->slen;
        int r = memcmp(a->s, b->s, m);
        return r ? r : (a->slen > b->slen) - (a->slen < b->slen);
    }
    if (c == C_DEC || c == C_WD) return (a->i > b->i) - (a->i < b->i);
    return ldcmp(a->d, b->d);
}

/* Spark's decimal average: quotient rounded half up at scale 38, then at rs. */
static bool ref_dec_avg(__int128 sum, int64_t cnt, int s, int rs, int rp, __int128 *out)
{
    bool neg = sum < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)sum : (unsigned __int128)sum;
    unsigned __int128 q = u / (unsigned)cnt, r = u % (unsigned)cnt;
    int digits[64], nd = 38 - s + 1; /* fractional digits beyond scale s, one extra */
    for (int k = 0; k < nd; k++) {
        r *= 10;
        digits[k] = (int)(r / (unsigned)cnt);
        r %= (unsigned)cnt;
    }
    /* round at scale 38: digit index 38 - s decides */
    int carry = digits[38 - s] >= 5;
    for (int k = 38 - s - 1; k >= 0 && carry; k--) {
        digits[k] += 1;
        carry = digits[k] == 10;
        if (carry) digits[k] = 0;
    }
    q += (unsigned)carry;
    /* now round at rs */
    int keep = rs - s;
    int up = keep < 38 - s ? digits[keep] >= 5 : 0;
    for (int k = 0; k < keep; k++) q = q * 10 + (unsigned)digits[k];
    q += (unsigned)up;
    __int128 lim = 1;
    for (int k = 0; k < rp; k++) lim *= 10;
    if (q >= (unsigned __int128)lim) return false;
    *out = neg ? -(__int128)q : (__int128)q;
    return true;
}

/* The expected value of spec for row i (rows r sorted, partition [ps, pe)). */
static val expect(const row *r, int ps, int pe, int i, const win_spec *s, int norder,
                  const col_type *rt, bool ansi_ok)
{
    (void)ansi_ok;
    val v;
    memset(&v, 0, sizeof v);
    v.src = -1;
    int rows = pe - ps;
    /* peers */
    int gs = i, ge = i + 1;
    while (norder && gs > ps && cmp_order(&r[gs - 1], &r[i]) == 0) gs--;
    if (!norder) gs = ps;
    while (norder && ge < pe && cmp_order(&r[ge], &r[i]) == 0) ge++;
    if (!norder) ge = pe;
    switch (s->fn) {
    case WIN_ROW_NUMBER:
        v.valid = true, v.i = i - ps + 1;
        return v;
    case WIN_RANK:
        v.valid = true, v.i = gs - ps + 1;
        return v;
    case WIN_DENSE_RANK: {
        int d = 1;
        for (int j = ps + 1; j <= gs; j++) d += norder && cmp_order(&r[j - 1], &r[j]) != 0;
        v.valid = true, v.i = d;
        return v;
    }
    case WIN_PERCENT_RANK:
        v.valid = true, v.d = rows > 1 ? (long double)(gs - ps) / (rows - 1) : 0;
        return v;
    case WIN_CUME_DIST:
        v.valid = true, v.d = (long double)(ge - ps) / rows;
        return v;
    case WIN_NTILE: {
        /* Spark's NTile update rule, row by row */
        int64_t size = rows / s->n, pad = rows % s->n, bucket = 0, thr = 0;
        for (int j = 0; j <= i - ps; j++) {
            int64_t rn = j;
            if (rn >= thr) {
                thr += size + (bucket < pad ? 1 : 0);
                bucket++;
            }
        }
        v.valid = true, v.i = bucket;
        return v;
    }
    case WIN_LAG:
    case WIN_LEAD: {
        int64_t d = s->fn == WIN_LEAD ? s->n : -s->n;
        int c = arg_col(s);
        int j = -1;
        if (!s->ignore_nulls || d == 0) {
            if (i + d >= ps && i + d < pe) j = (int)(i + d);
        } else {
            int need = (int)(d > 0 ? d : -d), step = d > 0 ? 1 : -1;
            for (int k = i + step; k >= ps && k < pe; k += step)
                if (!isnull(&r[k], c) && --need == 0) {
                    j = k;
                    break;
                }
        }
        if (j >= 0) {
            v = arg_val(&r[j], c);
            v.src = j;
        } else if (s->def_col >= 0) {
            v = arg_val(&r[i], s->def_col);
            v.src = -2;
        } else {
            v.valid = false;
            v.src = -1;
        }
        return v;
    }
    default:
        break;
    }
    /* frame functions */
    int c = s->arg;
    int64_t cnt = 0, rowcnt = 0;
    long double sum = 0, sumabs = 0;
    __int128 isum = 0;
    int best = -1, first = -1, last = -1, nth = -1, k = 0;
    long double mean = 0, m2 = 0;
    int nv = 0;
    for (int j = ps; j < pe; j++) {
        if (!in_frame(r, ps, pe, i, j, &s->frame, norder)) continue;
        rowcnt++;
        bool nl = c >= 0 && isnull(&r[j], c);
        if (s->fn == WIN_FIRST || s->fn == WIN_LAST || s->fn == WIN_NTH_VALUE) {
            if (nl && s->ignore_nulls) continue;
            if (first < 0) first = j;
            last = j;
            if (++k == s->n) nth = j;
            continue;
        }
        if (nl) continue;
        cnt++;
        if (c < 0) continue;
        val a = arg_val(&r[j], c);
        if (best < 0) best = j;
        else {
            val b = arg_val(&r[best], c);
            int cm = vcmp(&a, &b, c);
            if (s->fn == WIN_MIN ? cm < 0 : cm > 0) best = j;
        }
        sum += a.d;
        sumabs += fabsl(isinf(a.d) || isnan(a.d) ? 0 : a.d);
        if (c != C_XD) isum += c == C_DEC || c == C_WD ? a.i : (__int128)a.d;
        nv++;
        long double dl = a.d - mean;
        mean += dl / nv;
        m2 += dl * (a.d - mean);
    }
    switch (s->fn) {
    case WIN_FIRST:
    case WIN_LAST:
    case WIN_NTH_VALUE: {
        int j = s->fn == WIN_FIRST ? first : s->fn == WIN_LAST ? last : nth;
        if (j >= 0) v = arg_val(&r[j], c);
        v.src = j;
        return v;
    }
    case WIN_COUNT:
        v.valid = true, v.i = c < 0 ? rowcnt : cnt;
        return v;
    case WIN_MIN:
    case WIN_MAX:
        if (best >= 0) v = arg_val(&r[best], c);
        v.src = best;
        return v;
    case WIN_SUM:
    case WIN_AVG:
        if (!cnt) return v;
        v.valid = true;
        if (rt->kind == COL_DECIMAL) {
            int sc = c == C_DEC ? 2 : 4;
            if (s->fn == WIN_SUM) v.i = isum;
            else v.valid = ref_dec_avg(isum, cnt, sc, rt->scale, rt->precision, &v.i);
        } else if (rt->kind == COL_I64) {
            v.i = isum;
        } else {
            v.d = s->fn == WIN_SUM ? sum : sum / cnt;
            v.i = (__int128)sumabs; /* tolerance scale */
        }
        return v;
    default: {
        bool samp = s->fn == WIN_VAR_SAMP || s->fn == WIN_STDDEV_SAMP;
        if (nv == 0 || (samp && nv == 1)) return v;
        long double var = m2 / (samp ? nv - 1 : nv);
        if (s->fn == WIN_STDDEV_SAMP || s->fn == WIN_STDDEV_POP) var = sqrtl(var);
        v.valid = true, v.d = var;
        /* tolerance scale: the mean's square (its magnitude for stddev) */
        long double sc = s->fn == WIN_VAR_SAMP || s->fn == WIN_VAR_POP ? mean * mean : fabsl(mean);
        v.i = (__int128)sc;
        return v;
    }
    }
}

/* Reads output vector row j as a val. */
static val actual(const col_vec *v, uint32_t j)
{
    val a;
    memset(&a, 0, sizeof a);
    a.valid = col_valid(v, j);
    if (!a.valid) return a;
    uint32_t r = col_row(v, j);
    switch (v->type->kind) {
    case COL_I32:
    case COL_DATE:
        a.i = COL_DATA(v, int32_t)[r], a.d = (long double)a.i;
        break;
    case COL_I64:
        a.i = COL_DATA(v, int64_t)[r], a.d = (long double)a.i;
        break;
    case COL_F64:
        a.d = COL_DATA(v, double)[r];
        break;
    case COL_DECIMAL:
        a.i = col_decimal_is_wide(v->type) ? COL_DATA(v, __int128)[r] : COL_DATA(v, int64_t)[r];
        break;
    case COL_STRING: {
        const col_str *s = &COL_DATA(v, col_str)[r];
        a.s = col_str_data(s), a.slen = s->len;
        break;
    }
    default:
        fail_msg("unexpected output type %d", v->type->kind);
    }
    return a;
}

static bool close_enough(long double e, long double a, long double scale, long double rel)
{
    if (isnan(e) || isnan(a)) return isnan(e) && isnan(a);
    if (isinf(e) || isinf(a)) return e == a;
    long double tol = rel * (fabsl(e) + scale + 1e-300L);
    return fabsl(e - a) <= tol;
}

static const char *fnames[] = {"row_number", "rank",    "dense_rank",  "percent_rank",
                               "cume_dist",  "ntile",   "lag",         "lead",
                               "first",      "last",    "nth_value",   "count",
                               "sum",        "avg",     "min",         "max",
                               "var_samp",   "var_pop", "stddev_samp", "stddev_pop"};

/* Runs specs over rows r (n, sorted) and checks every output row. */
static void check(const row *r, int n, const win_order *ord, int norder, const win_spec *specs,
                  int nspecs)
{
    int nb;
    uint32_t *where;
    col_batch *bs = make_batches(r, n, &nb, &where);
    int part = C_P;
    win_input in = {bs, nb, &part, 1, ord, norder, false};
    col_vec **out = calloc((size_t)nspecs, sizeof *out);
    int rc = win_compute(A, &in, specs, nspecs, out);
    if (rc) fail_msg("win_compute: %s", kiln_last_error());
    if (nb == 0) goto done;
    for (int s = 0; s < nspecs; s++) {
        const win_spec *sp = &specs[s];
        const col_type *rt = win_result_type(A, sp, sp->arg >= 0 ? types[sp->arg] : NULL);
        for (int b = 0; b < nb; b++) {
            assert_true(col_type_eq(out[s][b].type, rt));
            assert_int_equal(out[s][b].n, bs[b].n);
        }
        int ps = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0 && !same_part(&r[i - 1], &r[i])) ps = i;
            int pe = i + 1;
            while (pe < n && same_part(&r[pe], &r[i])) pe++;
            val e = expect(r, ps, pe, i, sp, norder, rt, true);
            val a = actual(&out[s][where[2 * i]], where[2 * i + 1]);
            bool ok = e.valid == a.valid;
            if (ok && e.valid) {
                switch (rt->kind) {
                case COL_STRING:
                    ok = e.slen == a.slen && memcmp(e.s, a.s, e.slen) == 0;
                    break;
                case COL_DECIMAL:
                    ok = e.i == a.i;
                    break;
                case COL_F64:
                    if (sp->fn == WIN_SUM || sp->fn == WIN_AVG)
                        ok = close_enough(e.d, a.d, (long double)e.i, 1e-9L);
                    else if (sp->fn >= WIN_VAR_SAMP)
                        ok = close_enough(e.d, a.d, (long double)e.i, 1e-9L);
                    else ok = close_enough(e.d, a.d, 0, 1e-12L);
                    break;
                default:
                    ok = e.i == a.i;
                    break;
                }
            }
            if (!ok)
                fail_msg("%s (spec %d, frame unit %d %d/%lld..%d/%lld, ignore_nulls %d) row %d "
                         "of %d (partition %d..%d): expected %s %.17Lg / %lld, got %s %.17Lg / "
                         "%lld",
                         fnames[sp->fn], s, sp->frame.unit, sp->frame.start.kind,
                         (long long)sp->frame.start.offset, sp->frame.end.kind,
                         (long long)sp->frame.end.offset, sp->ignore_nulls, i, n, ps, pe,
                         e.valid ? "valid" : "null", e.d, (long long)e.i,
                         a.valid ? "valid" : "null", a.d, (long long)a.i);
        }
    }
done:
    free(out);
    free(bs);
    free(where);
}

/* ---- Spec lists -------------------------------------------------------------------------- */

static const win_bound UP = {WIN_UNBOUNDED_PRECEDING, 0, NULL};
static const win_bound UF = {WIN_UNBOUNDED_FOLLOWING, 0, NULL};
static const win_bound CR = {WIN_CURRENT_ROW, 0, NULL};
static win_bound P(int64_t k)
{
    return (win_bound){WIN_PRECEDING, k, NULL};
}
static win_bound F(int64_t k)
{
    return (win_bound){WIN_FOLLOWING, k, NULL};
}

static int frames(win_frame *fr, bool range_offsets)
{
    int n = 0;
    fr[n++] = (win_frame){WIN_FRAME_DEFAULT, UP, UP};
    win_bound starts[] = {UP, P(3), P(1), CR, F(1), F(2)};
    win_bound ends[] = {P(2), P(1), CR, F(1), F(4), UF};
    for (int u = WIN_ROWS; u <= WIN_RANGE; u++)
        for (size_t a = 0; a < 6; a++)
            for (size_t b = 0; b < 6; b++) {
                bool off = starts[a].kind == WIN_PRECEDING || starts[a].kind == WIN_FOLLOWING ||
                           ends[b].kind == WIN_PRECEDING || ends[b].kind == WIN_FOLLOWING;
                if (u == WIN_RANGE && off && !range_offsets) continue;
                fr[n++] = (win_frame){(win_frame_unit)u, starts[a], ends[b]};
            }
    return n;
}

/* All functions over every arg column and frame, a few at a time. */
static void run_all(const row *r, int n, const win_order *ord, int norder, bool range_offsets,
                    int frame_stride)
{
    win_spec specs[64];
    int ns = 0;
#define ADD_SPEC(...)                                                                              \
    do {                                                                                           \
        specs[ns++] = (win_spec){__VA_ARGS__};                                                     \
        if (ns == 64) {                                                                            \
            check(r, n, ord, norder, specs, ns);                                                   \
            ns = 0;                                                                                \
        }                                                                                          \
    } while (0)
    for (int f = WIN_ROW_NUMBER; f <= WIN_NTILE; f++)
        ADD_SPEC(.fn = (win_fn)f, .arg = -1, .n = f == WIN_NTILE ? 1 + rint_(7) : 0, .def_col = -1);
    ADD_SPEC(.fn = WIN_NTILE, .arg = -1, .n = 100000, .def_col = -1);
    int cols[] = {C_XI, C_XD, C_DEC, C_WD, C_S, C_DT};
    for (size_t c = 0; c < 6; c++)
        for (int off = -2; off <= 3; off++) {
            ADD_SPEC(.fn = WIN_LAG, .arg = cols[c], .n = off, .def_col = -1,
                     .ignore_nulls = rint_(2));
            ADD_SPEC(.fn = WIN_LEAD, .arg = cols[c], .n = off, .def_col = rint_(2) ? cols[c] : -1,
                     .ignore_nulls = rint_(2));
        }
    win_frame fr[100];
    int nf = frames(fr, range_offsets);
    for (int k = rint_(frame_stride); k < nf; k += frame_stride) {
        for (size_t c = 0; c < 6; c++) {
            int col = cols[c];
            bool num = col != C_S && col != C_DT;
            ADD_SPEC(.fn = WIN_FIRST, .arg = col, .def_col = -1, .ignore_nulls = rint_(2),
                     .frame = fr[k]);
            ADD_SPEC(.fn = WIN_LAST, .arg = col, .def_col = -1, .ignore_nulls = rint_(2),
                     .frame = fr[k]);
            ADD_SPEC(.fn = WIN_NTH_VALUE, .arg = col, .n = 1 + rint_(3), .def_col = -1,
                     .ignore_nulls = rint_(2), .frame = fr[k]);
            ADD_SPEC(.fn = WIN_COUNT, .arg = col, .def_col = -1, .frame = fr[k]);
            ADD_SPEC(.fn = WIN_MIN, .arg = col, .def_col = -1, .frame = fr[k]);
            ADD_SPEC(.fn = WIN_MAX, .arg = col, .def_col = -1, .frame = fr[k]);
            if (num) {
                ADD_SPEC(.fn = WIN_SUM, .arg = col, .def_col = -1, .frame = fr[k]);
                ADD_SPEC(.fn = WIN_AVG, .arg = col, .def_col = -1, .frame = fr[k]);
                if (col != C_XD)
                    ADD_SPEC(.fn = (win_fn)(WIN_VAR_SAMP + rint_(4)), .arg = col, .def_col = -1,
                             .frame = fr[k]);
            }
        }
        ADD_SPEC(.fn = WIN_COUNT, .arg = -1, .def_col = -1, .frame = fr[k]);
    }
    if (ns) check(r, n, ord, norder, specs, ns);
#undef ADD_SPEC
}

static void sort_rows(row *r, int n, int col, bool desc, bool nulls_first)
{
    okey_col = col;
    o_desc = desc;
    o_nulls_first = nulls_first;
    qsort(r, (size_t)n, sizeof *r, cmp_rows);
}

/* ---- Tests ------------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    A = kiln_arena_new();
    setup_types();
    return 0;
}
static int teardown(void **state)
{
    (void)state;
    kiln_arena_free(A);
    return 0;
}

static void shapes(void **state)
{
    (void)state;
    struct {
        int n, nparts, okeys, nullpct;
    } cases[] = {
        {300, 0, 40, 10},                     /* one partition */
        {500, 200, 5, 10},                    /* many tiny partitions */
        {400, 6, 3, 30},                      /* lots of ties and nulls */
        {400, -1, 50, 5},                     /* skewed */
        {0, 3, 5, 10},                        /* empty */
        {1, 1, 1, 0},      {300, 4, 1000, 0}, /* no nulls, few ties */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int variant = 0; variant < 4; variant++) {
            row *r = gen(cases[k].n, cases[k].nparts, cases[k].okeys, cases[k].nullpct);
            int ocol = variant == 3 ? C_OD : C_O;
            bool desc = variant & 1, nf = variant == 0 || variant == 3;
            sort_rows(r, cases[k].n, ocol, desc, nf);
            win_order ord = {ocol, desc, nf};
            run_all(r, cases[k].n, &ord, 1, true, 5);
            free(r);
        }
    }
}

static void no_order_and_two_keys(void **state)
{
    (void)state;
    row *r = gen(400, 5, 6, 15);
    sort_rows(r, 400, C_O, false, true);
    run_all(r, 400, NULL, 0, false, 4); /* no ORDER BY: every row a peer */
    /* two order keys: (o, od) - rows sorted by o only are still sorted by (o, od)
     * when od is made constant within o-groups */
    for (int i = 0; i < 400; i++) r[i].od = r[i].o * 2.0, r[i].nul[C_OD] = r[i].nul[C_O];
    win_order ord[2] = {{C_O, false, true}, {C_OD, false, true}};
    run_all(r, 400, ord, 2, false, 4);
    free(r);
}

static void range_offsets_values(void **state)
{
    (void)state;
    /* decimal and date keys with the offset given as a value */
    kiln_arena *a = A;
    col_vec off;
    int64_t unscaled = 150; /* 1.50 */
    assert_int_equal(col_vec_constant(&off, a, col_type_decimal(a, 5, 2), &unscaled, 1), KILN_OK);
    const col_type *t[2] = {col_type_decimal(a, 12, 2), &col_type_i64};
    col_batch b;
    assert_int_equal(col_batch_init(&b, a, 2, t, 8), KILN_OK);
    int64_t keys[] = {100, 200, 250, 400, 401, 560, 700, 710};
    for (int i = 0; i < 8; i++) {
        COL_DATA(&b.cols[0], int64_t)[i] = keys[i];
        COL_DATA(&b.cols[1], int64_t)[i] = i + 1;
    }
    b.n = b.cols[0].n = b.cols[1].n = 8;
    win_order o = {0, false, true};
    win_spec s = {.fn = WIN_SUM,
                  .arg = 1,
                  .def_col = -1,
                  .frame = {WIN_RANGE, {WIN_PRECEDING, 0, &off}, {WIN_CURRENT_ROW, 0, NULL}}};
    win_input in = {&b, 1, NULL, 0, &o, 1, true};
    col_vec *out[1];
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_OK);
    /* frames: keys within [k - 1.50, k] */
    int64_t want[] = {1, 1 + 2, 1 + 2 + 3, 3 + 4, 4 + 5, 6, 6 + 7, 6 + 7 + 8};
    for (int i = 0; i < 8; i++) assert_int_equal(COL_DATA(&out[0][0], int64_t)[i], want[i]);
    /* more decimal places than the key: refused */
    unscaled = 1505;
    assert_int_equal(col_vec_constant(&off, a, col_type_decimal(a, 5, 3), &unscaled, 1), KILN_OK);
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "decimal places"));
}

static void overflow_and_errors(void **state)
{
    (void)state;
    kiln_arena *a = A;
    const col_type *t[2] = {&col_type_i64, col_type_decimal(a, 38, 0)};
    col_batch b;
    assert_int_equal(col_batch_init(&b, a, 2, t, 4), KILN_OK);
    __int128 big = 1;
    for (int k = 0; k < 37; k++) big *= 10;
    for (int i = 0; i < 3; i++) {
        COL_DATA(&b.cols[0], int64_t)[i] = INT64_MAX - i;
        COL_DATA(&b.cols[1], __int128)[i] = big * 9;
    }
    b.n = b.cols[0].n = b.cols[1].n = 3;
    win_spec s = {.fn = WIN_SUM, .arg = 0, .def_col = -1};
    win_input in = {&b, 1, NULL, 0, NULL, 0, true};
    col_vec *out[1];
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "ARITHMETIC_OVERFLOW"));
    in.ansi = false; /* wraps like Java's long */
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_OK);
    int64_t wrap = (int64_t)((uint64_t)INT64_MAX * 3 - 3);
    assert_int_equal(COL_DATA(&out[0][0], int64_t)[0], wrap);
    /* decimal(38,0): 3 * 9e37 overflows 38 digits: null, or an error */
    s.arg = 1;
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_OK);
    assert_false(col_valid(&out[0][0], 0));
    s.fn = WIN_AVG; /* the sum overflows too */
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_OK);
    assert_false(col_valid(&out[0][0], 0));
    s.fn = WIN_SUM;
    s.frame = (win_frame){WIN_ROWS, CR, CR}; /* one row at a time fits */
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_OK);
    assert_true(col_valid(&out[0][0], 0));
    assert_true(COL_DATA(&out[0][0], __int128)[1] == big * 9);
    s.frame = (win_frame){WIN_FRAME_DEFAULT, UP, UP};
    in.ansi = true;
    assert_int_equal(win_compute(a, &in, &s, 1, out), KILN_ESQL);
    /* malformed specs */
    win_spec bad[] = {
        {.fn = WIN_NTILE, .arg = -1, .n = 0, .def_col = -1},
        {.fn = WIN_SUM, .arg = 5, .def_col = -1},
        {.fn = WIN_SUM, .arg = 0, .def_col = -1, .frame = {WIN_ROWS, UF, CR}},
        {.fn = WIN_SUM, .arg = 0, .def_col = -1, .frame = {WIN_RANGE, P(1), CR}},
        {.fn = WIN_NTH_VALUE, .arg = 0, .n = 0, .def_col = -1},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        kiln_set_error(KILN_OK, "%s", "");
        assert_int_equal(win_compute(a, &in, &bad[k], 1, out), KILN_EINVAL);
        assert_true(strlen(kiln_last_error()) > 0);
    }
    /* a string sum is refused by type */
    const col_type *st = &col_type_string;
    win_spec ss = {.fn = WIN_SUM, .arg = 0, .def_col = -1};
    assert_null(win_result_type(a, &ss, st));
}

/* rows/s for row_number + a one-row sliding sum, and a running sum, over
 * 10M rows in 1,000 partitions. */
static void bench(void **state)
{
    (void)state;
    const char *e = getenv("KILN_WIN_BENCH");
    int n = e && *e == '1' ? 10000000 : 200000;
    kiln_arena *a = kiln_arena_new();
    const col_type *t[3] = {&col_type_i32, &col_type_i64, &col_type_i64};
    int nb = (n + COL_VEC_SIZE - 1) / COL_VEC_SIZE;
    col_batch *bs = calloc((size_t)nb, sizeof *bs);
    int per = n / 1000;
    for (int b = 0; b < nb; b++) {
        assert_int_equal(col_batch_init(&bs[b], a, 3, t, COL_VEC_SIZE), KILN_OK);
        uint32_t m = (uint32_t)(n - b * COL_VEC_SIZE < COL_VEC_SIZE ? n - b * COL_VEC_SIZE
                                                                    : COL_VEC_SIZE);
        for (uint32_t k = 0; k < m; k++) {
            int64_t g = (int64_t)b * COL_VEC_SIZE + k;
            COL_DATA(&bs[b].cols[0], int32_t)[k] = (int32_t)(g / per);
            COL_DATA(&bs[b].cols[1], int64_t)[k] = g;
            COL_DATA(&bs[b].cols[2], int64_t)[k] = (int64_t)(rnd() % 1000);
        }
        bs[b].n = m;
        for (int c = 0; c < 3; c++) bs[b].cols[c].n = m;
    }
    int part = 0;
    win_order o = {1, false, true};
    win_input in = {bs, nb, &part, 1, &o, 1, true};
    win_spec sp[2] = {{.fn = WIN_ROW_NUMBER, .arg = -1, .def_col = -1},
                      {.fn = WIN_SUM, .arg = 2, .def_col = -1, .frame = {WIN_ROWS, P(1), CR}}};
    col_vec *out[2];
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    assert_int_equal(win_compute(a, &in, sp, 2, out), KILN_OK);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double s1 = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    win_spec rs = {.fn = WIN_SUM, .arg = 2, .def_col = -1}; /* running sum (default frame) */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    assert_int_equal(win_compute(a, &in, &rs, 1, out), KILN_OK);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double s2 = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* the running sum of the last row of partition 0 */
    int64_t want = 0;
    for (int k = 0; k < per; k++)
        want += COL_DATA(&bs[k / COL_VEC_SIZE].cols[2], int64_t)[k % COL_VEC_SIZE];
    assert_int_equal(COL_DATA(&out[0][(per - 1) / COL_VEC_SIZE], int64_t)[(per - 1) % COL_VEC_SIZE],
                     want);
    printf("window: %d rows, 1000 partitions: row_number + sum(1 preceding..current) %.0f rows/s, "
           "running sum %.0f rows/s\n",
           n, n / s1, n / s2);
    free(bs);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shapes),
        cmocka_unit_test(no_order_and_two_keys),
        cmocka_unit_test(range_offsets_values),
        cmocka_unit_test(overflow_and_errors),
        cmocka_unit_test(bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
