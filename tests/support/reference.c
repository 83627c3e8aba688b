/*
 * reference.c - the sequential reference operators of reference.h. Keys are
 * grouped with a small open-addressing table over kiln_value_hash and
 * kiln_value_eq; sorting is a stable merge sort over kiln_value_cmp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

static void die(const char *what)
{
    fprintf(stderr, "reference: out of memory (%s)\n", what);
    abort();
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("malloc");
    return p;
}

kiln_value *ref_alloc(kiln_arena *a, size_t n)
{
    kiln_value *p = kiln_arena_alloc(a, (n ? n : 1) * sizeof *p);
    if (!p) die("arena");
    return p;
}

kiln_value ref_list(kiln_arena *a, const kiln_value *items, size_t n)
{
    kiln_value *copy = ref_alloc(a, n);
    if (n) memcpy(copy, items, n * sizeof *copy);
    return kiln_list_ref(copy, n);
}

kiln_value ref_tuple(kiln_arena *a, const kiln_value *items, size_t n)
{
    kiln_value l = ref_list(a, items, n);
    return kiln_tuple_ref(l.u.items, n);
}

kiln_value ref_pair(kiln_arena *a, kiln_value k, kiln_value v)
{
    kiln_value *items = ref_alloc(a, 2);
    items[0] = k;
    items[1] = v;
    return kiln_tuple_ref(items, 2);
}

/* ---- Growable arrays (malloc-backed scratch, turned into lists at the end) */

typedef struct vec {
    kiln_value *v;
    size_t n, cap;
} vec;

static void vec_push(vec *x, kiln_value v)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->v = realloc(x->v, x->cap * sizeof *x->v);
        if (!x->v) die("vec");
    }
    x->v[x->n++] = v;
}

/* Returns the list and frees the scratch array. */
static kiln_value vec_finish(kiln_arena *a, vec *x)
{
    kiln_value l = ref_list(a, x->v, x->n);
    free(x->v);
    x->v = NULL;
    x->n = x->cap = 0;
    return l;
}

/* ---- Stable merge sort ----------------------------------------------------- */

typedef struct order {
    bool by_key;
    bool ascending;
} order;

static int order_cmp(const order *o, const kiln_value *x, const kiln_value *y)
{
    int c = o->by_key ? kiln_value_cmp(kiln_key(x), kiln_key(y)) : kiln_value_cmp(x, y);
    return o->ascending ? c : -c;
}

static void merge_sort(kiln_value *v, kiln_value *tmp, size_t n, const order *o)
{
    if (n < 2) return;
    size_t mid = n / 2;
    merge_sort(v, tmp, mid, o);
    merge_sort(v + mid, tmp, n - mid, o);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        /* Take from the left on ties: that is what makes it stable. */
        if (order_cmp(o, &v[j], &v[i]) < 0) tmp[k++] = v[j++];
        else tmp[k++] = v[i++];
    }
    while (i < mid) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static kiln_value sorted_copy(kiln_arena *a, const kiln_value *items, size_t n, order o)
{
    kiln_value l = ref_list(a, items, n);
    kiln_value *tmp = xmalloc(n * sizeof *tmp);
    merge_sort((kiln_value *)l.u.items, tmp, n, &o);
    free(tmp);
    return l;
}

kiln_value ref_sorted(kiln_arena *a, const kiln_value *list, bool ascending)
{
    return sorted_copy(a, list->u.items, list->len, (order){false, ascending});
}

kiln_value ref_sorted_by_key(kiln_arena *a, const kiln_value *list, bool ascending)
{
    return sorted_copy(a, list->u.items, list->len, (order){true, ascending});
}

kiln_value ref_canonical(kiln_arena *a, const kiln_value *v)
{
    if (v->type != KILN_LIST && v->type != KILN_TUPLE) return *v;
    kiln_value *items = ref_alloc(a, v->len);
    for (uint32_t i = 0; i < v->len; i++) items[i] = ref_canonical(a, &v->u.items[i]);
    if (v->type == KILN_TUPLE) return kiln_tuple_ref(items, v->len);
    return sorted_copy(a, items, v->len, (order){false, true});
}

kiln_value ref_take_ordered(kiln_arena *a, const kiln_value *v, size_t n, size_t k)
{
    kiln_value s = sorted_copy(a, v, n, (order){false, true});
    s.len = (uint32_t)(k < n ? k : n);
    return s;
}

kiln_value ref_top(kiln_arena *a, const kiln_value *v, size_t n, size_t k)
{
    kiln_value s = sorted_copy(a, v, n, (order){false, false});
    s.len = (uint32_t)(k < n ? k : n);
    return s;
}

size_t ref_min_index(const kiln_value *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (kiln_value_cmp(&v[i], &v[best]) < 0) best = i;
    return best;
}

size_t ref_max_index(const kiln_value *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (kiln_value_cmp(&v[i], &v[best]) > 0) best = i;
    return best;
}

bool ref_is_sub_multiset(kiln_arena *a, const kiln_value *sub, size_t nsub, const kiln_value *of,
                         size_t nof)
{
    kiln_value s = sorted_copy(a, sub, nsub, (order){false, true});
    kiln_value o = sorted_copy(a, of, nof, (order){false, true});
    size_t j = 0;
    for (size_t i = 0; i < nsub; i++) {
        while (j < nof && kiln_value_cmp(&o.u.items[j], &s.u.items[i]) < 0) j++;
        if (j == nof || !kiln_value_eq(&o.u.items[j], &s.u.items[i])) return false;
        j++;
    }
    return true;
}

/* ---- Partition layout ------------------------------------------------------ */

void ref_slice(size_t n, int k, int i, size_t *lo, size_t *hi)
{
    *lo = (size_t)((unsigned __int128)i * n / (unsigned)k);
    *hi = (size_t)((unsigned __int128)(i + 1) * n / (unsigned)k);
}

kiln_value ref_glom(kiln_arena *a, const kiln_value *v, size_t n, int k)
{
    kiln_value *parts = ref_alloc(a, (size_t)k);
    for (int i = 0; i < k; i++) {
        size_t lo, hi;
        ref_slice(n, k, i, &lo, &hi);
        parts[i] = ref_list(a, v + lo, hi - lo);
    }
    return kiln_list_ref(parts, (size_t)k);
}

/* ---- Key index: value -> dense id in first-seen order ----------------------- */

typedef struct keyindex {
    size_t *slots; /* id + 1, 0 = empty */
    size_t cap;    /* power of two */
    const kiln_value **keys;
    size_t n, keycap;
} keyindex;

static void index_init(keyindex *ix, size_t expect)
{
    ix->cap = 16;
    while (ix->cap < 2 * expect + 16) ix->cap *= 2;
    ix->slots = calloc(ix->cap, sizeof *ix->slots);
    ix->keycap = expect + 16;
    ix->keys = xmalloc(ix->keycap * sizeof *ix->keys);
    ix->n = 0;
    if (!ix->slots) die("index");
}

static void index_release(keyindex *ix)
{
    free(ix->slots);
    free(ix->keys);
}

/* Returns the id of key, adding it when add is true; SIZE_MAX when absent. */
static size_t index_get(keyindex *ix, const kiln_value *key, bool add)
{
    size_t mask = ix->cap - 1;
    size_t h = (size_t)kiln_value_hash(key) & mask;
    while (ix->slots[h]) {
        size_t id = ix->slots[h] - 1;
        if (kiln_value_eq(ix->keys[id], key)) return id;
        h = (h + 1) & mask;
    }
    if (!add) return SIZE_MAX;
    if (ix->n == ix->keycap) {
        ix->keycap *= 2;
        ix->keys = realloc(ix->keys, ix->keycap * sizeof *ix->keys);
        if (!ix->keys) die("index keys");
    }
    if (2 * (ix->n + 1) > ix->cap) {
        /* Grow and re-insert; cheap enough for test sizes. */
        size_t ncap = ix->cap * 2;
        size_t *ns = calloc(ncap, sizeof *ns);
        if (!ns) die("index grow");
        for (size_t id = 0; id < ix->n; id++) {
            size_t p = (size_t)kiln_value_hash(ix->keys[id]) & (ncap - 1);
            while (ns[p]) p = (p + 1) & (ncap - 1);
            ns[p] = id + 1;
        }
        free(ix->slots);
        ix->slots = ns;
        ix->cap = ncap;
        mask = ncap - 1;
        h = (size_t)kiln_value_hash(key) & mask;
        while (ix->slots[h]) h = (h + 1) & mask;
    }
    ix->keys[ix->n] = key;
    ix->slots[h] = ix->n + 1;
    return ix->n++;
}

/* Groups of record indices by key: ids[i] is the group of record i. */
typedef struct groups {
    keyindex ix;
    size_t *ids;   /* per record */
    size_t *count; /* per group */
} groups;

static void groups_build(groups *g, const kiln_value *recs, size_t n, bool pairs)
{
    index_init(&g->ix, n);
    g->ids = xmalloc(n * sizeof *g->ids);
    for (size_t i = 0; i < n; i++)
        g->ids[i] = index_get(&g->ix, pairs ? kiln_key(&recs[i]) : &recs[i], true);
    g->count = calloc(g->ix.n + 1, sizeof *g->count);
    if (!g->count) die("groups");
    for (size_t i = 0; i < n; i++) g->count[g->ids[i]]++;
}

static void groups_release(groups *g)
{
    index_release(&g->ix);
    free(g->ids);
    free(g->count);
}

/* ---- Set operations -------------------------------------------------------- */

kiln_value ref_distinct(kiln_arena *a, const kiln_value *v, size_t n)
{
    keyindex ix;
    index_init(&ix, n);
    for (size_t i = 0; i < n; i++) index_get(&ix, &v[i], true);
    kiln_value *out = ref_alloc(a, ix.n);
    for (size_t id = 0; id < ix.n; id++) out[id] = *ix.keys[id];
    kiln_value l = kiln_list_ref(out, ix.n);
    index_release(&ix);
    return l;
}

kiln_value ref_intersection(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                            size_t ny)
{
    keyindex iy;
    index_init(&iy, ny);
    for (size_t i = 0; i < ny; i++) index_get(&iy, &y[i], true);
    kiln_value dx = ref_distinct(a, x, nx);
    vec out = {0};
    for (uint32_t i = 0; i < dx.len; i++)
        if (index_get(&iy, &dx.u.items[i], false) != SIZE_MAX) vec_push(&out, dx.u.items[i]);
    index_release(&iy);
    return vec_finish(a, &out);
}

kiln_value ref_subtract(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                        size_t ny)
{
    keyindex iy;
    index_init(&iy, ny);
    for (size_t i = 0; i < ny; i++) index_get(&iy, &y[i], true);
    vec out = {0};
    for (size_t i = 0; i < nx; i++)
        if (index_get(&iy, &x[i], false) == SIZE_MAX) vec_push(&out, x[i]);
    index_release(&iy);
    return vec_finish(a, &out);
}

kiln_value ref_cartesian(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                         size_t ny)
{
    kiln_value *out = ref_alloc(a, nx * ny);
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++) out[i * ny + j] = ref_pair(a, x[i], y[j]);
    return kiln_list_ref(out, nx * ny);
}

kiln_value ref_zip_with_index(kiln_arena *a, const kiln_value *v, size_t n)
{
    kiln_value *out = ref_alloc(a, n);
    for (size_t i = 0; i < n; i++) out[i] = ref_pair(a, v[i], kiln_int((int64_t)i));
    return kiln_list_ref(out, n);
}

/* ---- Key-value operations ---------------------------------------------------- */

/* For each group, the values of its records in input order (lists in a). */
static kiln_value *group_values(kiln_arena *a, const groups *g, const kiln_value *pairs, size_t n)
{
    kiln_value *lists = ref_alloc(a, g->ix.n);
    size_t *fill = calloc(g->ix.n + 1, sizeof *fill);
    if (!fill) die("group_values");
    for (size_t id = 0; id < g->ix.n; id++)
        lists[id] = kiln_list_ref(ref_alloc(a, g->count[id]), g->count[id]);
    for (size_t i = 0; i < n; i++) {
        size_t id = g->ids[i];
        ((kiln_value *)lists[id].u.items)[fill[id]++] = *kiln_val(&pairs[i]);
    }
    free(fill);
    return lists;
}

kiln_value ref_group_by_key(kiln_arena *a, const kiln_value *pairs, size_t n)
{
    groups g;
    groups_build(&g, pairs, n, true);
    kiln_value *lists = group_values(a, &g, pairs, n);
    kiln_value *out = ref_alloc(a, g.ix.n);
    for (size_t id = 0; id < g.ix.n; id++) out[id] = ref_pair(a, *g.ix.keys[id], lists[id]);
    kiln_value l = kiln_list_ref(out, g.ix.n);
    groups_release(&g);
    return l;
}

static void check_op(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "reference: %s failed on a test value\n", what);
        abort();
    }
}

kiln_value ref_reduce_by_key(kiln_arena *a, const kiln_value *pairs, size_t n, ref_binop op)
{
    kiln_value grouped = ref_group_by_key(a, pairs, n);
    kiln_value *out = ref_alloc(a, grouped.len);
    for (uint32_t i = 0; i < grouped.len; i++) {
        const kiln_value *vs = kiln_val(&grouped.u.items[i]);
        kiln_value acc = vs->u.items[0];
        for (uint32_t j = 1; j < vs->len; j++) {
            kiln_value next;
            check_op(op(a, &acc, &vs->u.items[j], &next), "reduce op");
            acc = next;
        }
        out[i] = ref_pair(a, *kiln_key(&grouped.u.items[i]), acc);
    }
    return kiln_list_ref(out, grouped.len);
}

kiln_value ref_aggregate_by_key(kiln_arena *a, const kiln_value *pairs, size_t n,
                                const kiln_value *zero, ref_binop seq)
{
    kiln_value grouped = ref_group_by_key(a, pairs, n);
    kiln_value *out = ref_alloc(a, grouped.len);
    for (uint32_t i = 0; i < grouped.len; i++) {
        const kiln_value *vs = kiln_val(&grouped.u.items[i]);
        kiln_value acc = *zero;
        for (uint32_t j = 0; j < vs->len; j++) {
            kiln_value next;
            check_op(seq(a, &acc, &vs->u.items[j], &next), "seq op");
            acc = next;
        }
        out[i] = ref_pair(a, *kiln_key(&grouped.u.items[i]), acc);
    }
    return kiln_list_ref(out, grouped.len);
}

kiln_value ref_combine_by_key(kiln_arena *a, const kiln_value *pairs, size_t n, ref_unop create,
                              ref_binop merge)
{
    kiln_value grouped = ref_group_by_key(a, pairs, n);
    kiln_value *out = ref_alloc(a, grouped.len);
    for (uint32_t i = 0; i < grouped.len; i++) {
        const kiln_value *vs = kiln_val(&grouped.u.items[i]);
        kiln_value acc;
        check_op(create(a, &vs->u.items[0], &acc), "create op");
        for (uint32_t j = 1; j < vs->len; j++) {
            kiln_value next;
            check_op(merge(a, &acc, &vs->u.items[j], &next), "merge op");
            acc = next;
        }
        out[i] = ref_pair(a, *kiln_key(&grouped.u.items[i]), acc);
    }
    return kiln_list_ref(out, grouped.len);
}

kiln_value ref_join(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y, size_t ny,
                    enum ref_join_kind kind)
{
    groups gy, gx;
    groups_build(&gy, y, ny, true);
    groups_build(&gx, x, nx, true);
    kiln_value *ylists = group_values(a, &gy, y, ny);
    vec out = {0};
    for (size_t i = 0; i < nx; i++) {
        const kiln_value *k = kiln_key(&x[i]);
        size_t id = index_get(&gy.ix, k, false);
        if (id != SIZE_MAX) {
            const kiln_value *ws = &ylists[id];
            for (uint32_t j = 0; j < ws->len; j++)
                vec_push(&out, ref_pair(a, *k, ref_pair(a, *kiln_val(&x[i]), ws->u.items[j])));
        } else if (kind == REF_LEFT_OUTER || kind == REF_FULL_OUTER) {
            vec_push(&out, ref_pair(a, *k, ref_pair(a, *kiln_val(&x[i]), kiln_null())));
        }
    }
    if (kind == REF_RIGHT_OUTER || kind == REF_FULL_OUTER) {
        for (size_t j = 0; j < ny; j++) {
            const kiln_value *k = kiln_key(&y[j]);
            if (index_get(&gx.ix, k, false) == SIZE_MAX)
                vec_push(&out, ref_pair(a, *k, ref_pair(a, kiln_null(), *kiln_val(&y[j]))));
        }
    }
    groups_release(&gy);
    groups_release(&gx);
    return vec_finish(a, &out);
}

kiln_value ref_cogroup(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                       size_t ny)
{
    groups gx, gy;
    groups_build(&gx, x, nx, true);
    groups_build(&gy, y, ny, true);
    kiln_value *xl = group_values(a, &gx, x, nx);
    kiln_value *yl = group_values(a, &gy, y, ny);
    kiln_value empty = kiln_list_ref(NULL, 0);
    vec out = {0};
    for (size_t id = 0; id < gx.ix.n; id++) {
        const kiln_value *k = gx.ix.keys[id];
        size_t jd = index_get(&gy.ix, k, false);
        kiln_value ws = jd == SIZE_MAX ? empty : yl[jd];
        vec_push(&out, ref_pair(a, *k, ref_pair(a, xl[id], ws)));
    }
    for (size_t jd = 0; jd < gy.ix.n; jd++) {
        const kiln_value *k = gy.ix.keys[jd];
        if (index_get(&gx.ix, k, false) == SIZE_MAX)
            vec_push(&out, ref_pair(a, *k, ref_pair(a, empty, yl[jd])));
    }
    groups_release(&gx);
    groups_release(&gy);
    return vec_finish(a, &out);
}

static kiln_value counts(kiln_arena *a, const kiln_value *recs, size_t n, bool pairs)
{
    groups g;
    groups_build(&g, recs, n, pairs);
    kiln_value *out = ref_alloc(a, g.ix.n);
    for (size_t id = 0; id < g.ix.n; id++)
        out[id] = ref_pair(a, *g.ix.keys[id], kiln_int((int64_t)g.count[id]));
    kiln_value l = kiln_list_ref(out, g.ix.n);
    groups_release(&g);
    return ref_sorted_by_key(a, &l, true);
}

kiln_value ref_count_by_key(kiln_arena *a, const kiln_value *pairs, size_t n)
{
    return counts(a, pairs, n, true);
}

kiln_value ref_count_by_value(kiln_arena *a, const kiln_value *v, size_t n)
{
    return counts(a, v, n, false);
}

kiln_value ref_lookup(kiln_arena *a, const kiln_value *pairs, size_t n, const kiln_value *key)
{
    vec out = {0};
    for (size_t i = 0; i < n; i++)
        if (kiln_value_eq(kiln_key(&pairs[i]), key)) vec_push(&out, *kiln_val(&pairs[i]));
    return vec_finish(a, &out);
}

/* ---- Numbers ------------------------------------------------------------------ */

int ref_compute_stats(const kiln_value *v, size_t n, ref_stats *out)
{
    memset(out, 0, sizeof *out);
    out->count = (int64_t)n;
    for (size_t i = 0; i < n; i++) {
        long double x;
        if (v[i].type == KILN_INT) x = (long double)v[i].u.i;
        else if (v[i].type == KILN_DOUBLE) x = (long double)v[i].u.d;
        else return KILN_ETYPE;
        out->sum += x;
        if (i == 0 || x < out->min) out->min = x;
        if (i == 0 || x > out->max) out->max = x;
    }
    if (n == 0) return 0;
    out->mean = out->sum / (long double)n;
    long double ss = 0;
    for (size_t i = 0; i < n; i++) {
        long double x = v[i].type == KILN_INT ? (long double)v[i].u.i : (long double)v[i].u.d;
        ss += (x - out->mean) * (x - out->mean);
    }
    out->variance = ss / (long double)n;
    out->sample_variance = n > 1 ? ss / (long double)(n - 1) : 0;
    return 0;
}

/* ---- Text ------------------------------------------------------------------------ */

kiln_value ref_lines(kiln_arena *a, const char *text, size_t len)
{
    vec out = {0};
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t stop = end;
        if (stop > start && text[stop - 1] == '\r') stop--;
        vec_push(&out, kiln_str_ref(text + start, stop - start));
        start = end + 1;
    }
    return vec_finish(a, &out);
}

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

kiln_value ref_split_whitespace(kiln_arena *a, const kiln_value *s)
{
    vec out = {0};
    size_t i = 0, n = s->len;
    while (i < n) {
        while (i < n && is_ascii_space(s->u.s[i])) i++;
        size_t start = i;
        while (i < n && !is_ascii_space(s->u.s[i])) i++;
        if (i > start) vec_push(&out, kiln_str_ref(s->u.s + start, i - start));
    }
    return vec_finish(a, &out);
}

kiln_value ref_format(kiln_arena *a, const kiln_value *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    if (kiln_value_format(&b, v) != KILN_OK) die("format");
    kiln_value s = kiln_str_new(a, (const char *)b.data, b.len);
    kiln_buf_release(&b);
    if (s.type != KILN_STR) die("format copy");
    return s;
}
