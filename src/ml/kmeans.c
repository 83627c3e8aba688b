/*
 * ml/kmeans.c - k-means clustering: Lloyd's iterations started from given
 * centres or from k-means|| (Bahmani et al., "Scalable k-means++", 2012),
 * the initialisation Spark MLlib uses by default.
 *
 * Every pass over the data is one job: a map_partitions assigns each point
 * of its partition to the nearest of the centres carried in its env and
 * adds into one partial vector per partition, which a tree_aggregate of
 * depth 2 sums. A partial is, for m centres of dim values:
 *
 *     [ per-centre sums (m x dim) | per-centre counts (m) | cost (1) ]
 *
 * (the sums only when the pass needs them). Points are never copied or
 * allocated per record: the partial lives in the task arena.
 *
 * k-means||: one point drawn at random (each record draws a uniform number
 * from a generator seeded by (seed, 0, partition); the smallest wins), then
 * init_steps rounds in which each point x is kept with probability
 * min(1, 2k d(x)^2 / cost), d the distance to the nearest candidate so far,
 * from a generator seeded by (seed, round, partition). The candidates are
 * weighted by the number of points nearest to each and reduced to k on the
 * driver by weighted k-means++ and a few weighted Lloyd iterations. The
 * same seed and partitioning give the same model on every master.
 *
 * The data is read once per pass: cache it first when it is costly to
 * compute (text parsing, say).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

/* Lloyd iterations of the driver-side reduction of the candidates. */
#define LOCAL_ITERATIONS 30

/* What a pass computes. */
enum pass_kind {
    PASS_ASSIGN, /* per-centre sums, counts and the cost */
    PASS_COUNT,  /* per-centre counts and the cost */
    PASS_SAMPLE, /* the points kept by a k-means|| round */
    PASS_FIRST,  /* each partition's point with the smallest draw */
};

/* The env of a pass: a header and the centres, in one block. */
typedef struct pass_env {
    int32_t kind;
    int32_t ncent; /* centres in c */
    int64_t dim;
    uint64_t seed; /* PASS_SAMPLE, PASS_FIRST: the generator's seed */
    int64_t round; /* PASS_SAMPLE: the k-means|| round (1-based) */
    double factor; /* PASS_SAMPLE: a point is kept when u < factor * d^2 */
    double c[];    /* ncent x dim */
} pass_env;

/* The seed of the generator of one round of one partition. */
static uint64_t stream_seed(uint64_t seed, int64_t round, int partition)
{
    return seed ^ ((uint64_t)round << 40) ^ ((uint64_t)(uint32_t)partition * 0x9E3779B97F4A7C15ull);
}

/* ---- Records and distances ----------------------------------------------- */

/* The features of rec (a vector, or a labeled point's features) into *x.
 * Fails the task naming the record when it is neither, or when its size is
 * not dim (dim < 0 accepts any size). */
static int features_of(kiln_task *t, const kiln_value *rec, int64_t i, int64_t dim, kiln_value *x)
{
    char where[256];
    if (rec->type == KILN_TUPLE && rec->len == 2) *x = rec->u.items[1];
    else *x = *rec;
    if (!kiln_ml_is_vector(x)) {
        ml_record_where(t, rec, i, where, sizeof where);
        return kiln_task_fail(t, "k-means: %s is neither a vector nor a labeled point", where);
    }
    if (dim >= 0 && kiln_ml_vector_size(x) != dim) {
        ml_record_where(t, rec, i, where, sizeof where);
        return kiln_task_fail(t, "k-means: %s has %lld features, the centres %lld", where,
                              (long long)kiln_ml_vector_size(x), (long long)dim);
    }
    return 0;
}

/* The values stored in x and how many. */
static const double *stored_values(const kiln_value *x, size_t *n)
{
    *n = kiln_ml_vector_nnz(x);
    return x->type == KILN_VEC ? x->u.vec : x->u.items[2].u.vec;
}

/* Fails the task for a record whose distances are not finite: a NaN or
 * infinite feature, or a squared distance too large for a double. */
static int not_finite(kiln_task *t, const kiln_value *rec, int64_t i, const kiln_value *x)
{
    char where[256];
    ml_record_where(t, rec, i, where, sizeof where);
    size_t n;
    const double *v = stored_values(x, &n);
    for (size_t j = 0; j < n; j++)
        if (!isfinite(v[j]))
            return kiln_task_fail(t, "k-means: %s has a NaN or infinite feature", where);
    return kiln_task_fail(t,
                          "k-means: %s is too far from the centres (the squared distance "
                          "overflows a double)",
                          where);
}

/* Squared norms of the m centres c into norms (for sparse points). */
static void centre_norms(const double *c, int m, int64_t dim, double *norms)
{
    for (int i = 0; i < m; i++) {
        const double *ci = c + (size_t)i * (size_t)dim;
        double s = 0;
        for (int64_t j = 0; j < dim; j++) s += ci[j] * ci[j];
        norms[i] = s;
    }
}

/* The index of the centre of c (m x dim) nearest to x, the first one on
 * ties, and the squared distance to it in *d2 (not finite when x has a NaN
 * or infinite value). norms holds the centres' squared norms and is only
 * read for sparse x; NULL computes them on the way. Dense points use the
 * difference directly; sparse ones |c|^2 + |x|^2 - 2 x.c, which costs the
 * stored entries only (clamped at 0 against rounding). */
static int nearest(const double *c, const double *norms, int m, int64_t dim, const kiln_value *x,
                   double *d2)
{
    int best = 0;
    double bd = INFINITY;
    if (x->type == KILN_VEC) {
        const double *xv = x->u.vec;
        for (int i = 0; i < m; i++) {
            const double *ci = c + (size_t)i * (size_t)dim;
            double s = 0;
            for (int64_t j = 0; j < dim; j++) {
                double d = xv[j] - ci[j];
                s += d * d;
            }
            if (s < bd) {
                bd = s;
                best = i;
            }
        }
    } else {
        size_t n;
        const double *v = stored_values(x, &n);
        double xx = 0;
        for (size_t j = 0; j < n; j++) xx += v[j] * v[j];
        for (int i = 0; i < m; i++) {
            const double *ci = c + (size_t)i * (size_t)dim;
            double cc;
            if (norms) cc = norms[i];
            else centre_norms(ci, 1, dim, &cc);
            double s = cc + xx - 2 * kiln_ml_dot(x, ci);
            if (s < 0) s = 0;
            if (s < bd) {
                bd = s;
                best = i;
            }
        }
    }
    *d2 = bd;
    return best;
}

/* ---- The passes (user functions of map_partitions) ------------------------ */

/* PASS_ASSIGN and PASS_COUNT: emits the partition's partial (nothing for
 * an empty partition). */
static int assign_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *envp)
{
    const pass_env *e = envp;
    int m = e->ncent;
    int64_t dim = e->dim;
    size_t nsums = e->kind == PASS_ASSIGN ? (size_t)m * (size_t)dim : 0;
    size_t len = nsums + (size_t)m + 1;
    double *acc = kiln_arena_alloc(kiln_task_arena(t), (len + (size_t)m) * sizeof *acc);
    if (!acc) return kiln_task_fail(t, "k-means: out of memory");
    memset(acc, 0, len * sizeof *acc);
    double *counts = acc + nsums, *norms = acc + len;
    centre_norms(e->c, m, dim, norms);
    const kiln_value *rec;
    int64_t i = 0;
    int rc;
    while ((rc = kiln_in_next(in, &rec)) > 0) {
        kiln_value x;
        if (features_of(t, rec, i, dim, &x)) return KILN_EUSER;
        double d2;
        int best = nearest(e->c, norms, m, dim, &x, &d2);
        if (!isfinite(d2)) return not_finite(t, rec, i, &x);
        if (nsums) kiln_ml_axpy(1.0, &x, acc + (size_t)best * (size_t)dim);
        counts[best] += 1;
        acc[len - 1] += d2;
        i++;
    }
    if (rc < 0) return rc;
    if (i == 0) return 0;
    kiln_value v = kiln_vec_ref(acc, len);
    return kiln_emit(out, &v);
}

/* PASS_SAMPLE: emits, densely, the points a k-means|| round keeps. */
static int sample_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *envp)
{
    const pass_env *e = envp;
    int m = e->ncent;
    int64_t dim = e->dim;
    double *norms = kiln_arena_alloc(kiln_task_arena(t), (size_t)m * sizeof *norms);
    if (!norms) return kiln_task_fail(t, "k-means: out of memory");
    centre_norms(e->c, m, dim, norms);
    rng r;
    rng_seed(&r, stream_seed(e->seed, e->round, index));
    const kiln_value *rec;
    int64_t i = 0;
    int rc;
    while ((rc = kiln_in_next(in, &rec)) > 0) {
        kiln_value x;
        if (features_of(t, rec, i, dim, &x)) return KILN_EUSER;
        double d2;
        nearest(e->c, norms, m, dim, &x, &d2);
        if (!isfinite(d2)) return not_finite(t, rec, i, &x);
        if (rng_double(&r) < e->factor * d2) {
            double *p = kiln_arena_alloc(kiln_task_arena(t), (size_t)dim * sizeof *p + 1);
            if (!p) return kiln_task_fail(t, "k-means: out of memory");
            kiln_ml_to_dense(&x, p);
            kiln_value v = kiln_vec_ref(p, (size_t)dim);
            if ((rc = kiln_emit(out, &v))) return rc;
        }
        i++;
    }
    return rc < 0 ? rc : 0;
}

/* PASS_FIRST: emits (u, point) for the partition's point with the smallest
 * draw u, checking every point's values on the way (the first centre must
 * be finite for the distances of the later passes to mean anything). */
static int first_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *envp)
{
    const pass_env *e = envp;
    rng r;
    rng_seed(&r, stream_seed(e->seed, 0, index));
    double best_u = 2;
    double *best = NULL;
    size_t best_cap = 0;
    int64_t best_dim = 0;
    const kiln_value *rec;
    int64_t i = 0;
    int rc;
    while ((rc = kiln_in_next(in, &rec)) > 0) {
        kiln_value x;
        if (features_of(t, rec, i, -1, &x)) return KILN_EUSER;
        size_t n;
        const double *v = stored_values(&x, &n);
        for (size_t j = 0; j < n; j++)
            if (!isfinite(v[j])) return not_finite(t, rec, i, &x);
        double u = rng_double(&r);
        if (u < best_u) {
            best_u = u;
            best_dim = kiln_ml_vector_size(&x);
            if ((size_t)best_dim > best_cap) {
                best_cap = (size_t)best_dim;
                best = kiln_arena_alloc(kiln_task_arena(t), best_cap * sizeof *best);
                if (!best) return kiln_task_fail(t, "k-means: out of memory");
            }
            kiln_ml_to_dense(&x, best);
        }
        i++;
    }
    if (rc < 0) return rc;
    if (i == 0) return 0;
    kiln_value pair = kiln_pair(kiln_task_arena(t), kiln_double(best_u),
                                kiln_vec_ref(best, (size_t)best_dim));
    if (pair.type == KILN_NULL) return kiln_task_fail(t, "k-means: out of memory");
    return kiln_emit(out, &pair);
}

/* Adds two partials (null is the empty partial). */
static int add_partials(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                        const void *env)
{
    if (a->type == KILN_NULL || b->type == KILN_NULL) {
        *out = a->type == KILN_NULL ? *b : *a;
        return 0;
    }
    if (a->type != KILN_VEC || b->type != KILN_VEC || a->len != b->len)
        return kiln_task_fail(t, "k-means: partial sums of different shapes");
    double *s = kiln_arena_alloc(kiln_task_arena(t), a->len * sizeof *s + 1);
    if (!s) return kiln_task_fail(t, "k-means: out of memory");
    for (uint32_t i = 0; i < a->len; i++) s[i] = a->u.vec[i] + b->u.vec[i];
    *out = kiln_vec_ref(s, a->len);
    return 0;
}

/* ---- Running passes from the driver -------------------------------------- */

/* A malloc'd env for a pass over the m centres c (m x dim); NULL when out
 * of memory (error set). */
static pass_env *env_new(int kind, const double *c, int m, int64_t dim, size_t *len)
{
    *len = sizeof(pass_env) + (size_t)m * (size_t)dim * sizeof(double);
    pass_env *e = calloc(1, *len);
    if (!e) {
        kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        return NULL;
    }
    e->kind = kind;
    e->ncent = m;
    e->dim = dim;
    if (m) memcpy(e->c, c, (size_t)m * (size_t)dim * sizeof(double));
    return e;
}

/* An assignment pass (PASS_ASSIGN or PASS_COUNT) of data against the m
 * centres c: the summed partial into out (caller's, of the layout's
 * length). KILN_EEMPTY when data has no records. */
static int run_assign(kiln_rdd *data, int kind, const double *c, int m, int64_t dim, double *out)
{
    size_t envlen;
    pass_env *e = env_new(kind, c, m, dim, &envlen);
    if (!e) return KILN_ENOMEM;
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *r = kiln_rdd_map_partitions(data, assign_part, e, envlen);
    free(e);
    if (!a) {
        kiln_rdd_free(r);
        return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
    }
    kiln_value zero = kiln_null(), res;
    int rc = kiln_rdd_tree_aggregate(r, &zero, add_partials, add_partials, NULL, 0, 2, a, &res);
    kiln_rdd_free(r); /* one per pass: a long run must not keep them */
    size_t len = (kind == PASS_ASSIGN ? (size_t)m * (size_t)dim : 0) + (size_t)m + 1;
    if (rc == KILN_OK && res.type == KILN_NULL)
        rc = kiln_set_error(KILN_EEMPTY, "k-means: the data has no records");
    else if (rc == KILN_OK && (res.type != KILN_VEC || res.len != len))
        rc = kiln_set_error(KILN_EINVAL,
                            "k-means: internal error: partial of length %u, "
                            "expected %zu",
                            (unsigned)res.len, len);
    if (rc == KILN_OK) memcpy(out, res.u.vec, len * sizeof *out);
    kiln_arena_free(a);
    return rc;
}

/* Collects the points a pass of kind PASS_SAMPLE or PASS_FIRST emits into
 * *out (a list in a). */
static int run_collect(kiln_rdd *data, pass_env *e, size_t envlen, kiln_arena *a, kiln_value *out)
{
    kiln_partitions_fn fn = e->kind == PASS_FIRST ? first_part : sample_part;
    kiln_rdd *r = kiln_rdd_map_partitions(data, fn, e, envlen);
    int rc = kiln_rdd_collect(r, a, out);
    kiln_rdd_free(r);
    return rc;
}

/* ---- k-means|| ------------------------------------------------------------ */

/* A growable array of candidate centres. */
typedef struct cands {
    double *c; /* n x dim */
    int n, cap;
    int64_t dim;
} cands;

static int cands_push(cands *s, const double *p)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        double *c = realloc(s->c, (size_t)cap * (size_t)s->dim * sizeof *c + 1);
        if (!c) return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        s->c = c;
        s->cap = cap;
    }
    memcpy(s->c + (size_t)s->n * (size_t)s->dim, p, (size_t)s->dim * sizeof *p);
    s->n++;
    return KILN_OK;
}

static double sqdist(const double *a, const double *b, int64_t dim)
{
    double s = 0;
    for (int64_t j = 0; j < dim; j++) {
        double d = a[j] - b[j];
        s += d * d;
    }
    return s;
}

/* Index i drawn with probability w[i] / sum (sum > 0). */
static int pick_weighted(rng *r, const double *w, int n, double sum)
{
    double target = rng_double(r) * sum, run = 0;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0) continue;
        run += w[i];
        last = i;
        if (run > target) return i;
    }
    return last; /* rounding left target above the running sum */
}

/* Reduces the n weighted candidates of s to the k centres out (k x dim):
 * k-means++ seeding weighted by w, then weighted Lloyd iterations in which
 * an empty cluster keeps its centre. With no more distinct candidates left
 * to choose (all of weight times distance zero), the remaining centres
 * repeat candidates in order. */
static int reduce_candidates(const cands *s, const double *w, int k, uint64_t seed, double *out)
{
    int n = s->n;
    int64_t dim = s->dim;
    double *d = malloc((size_t)n * sizeof *d);
    double *p = malloc((size_t)n * sizeof *p);
    int *assign = malloc((size_t)n * sizeof *assign);
    double *sums = malloc((size_t)k * ((size_t)dim + 1) * sizeof *sums);
    bool *taken = calloc((size_t)n, sizeof *taken);
    if (!d || !p || !assign || !sums || !taken) {
        free(d), free(p), free(assign), free(sums), free(taken);
        return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
    }
    rng r;
    rng_seed(&r, stream_seed(seed, -1, -1));
    double wsum = 0;
    for (int i = 0; i < n; i++) wsum += w[i];
    int first = wsum > 0 ? pick_weighted(&r, w, n, wsum) : 0;
    memcpy(out, s->c + (size_t)first * (size_t)dim, (size_t)dim * sizeof *out);
    taken[first] = true;
    for (int i = 0; i < n; i++) d[i] = sqdist(s->c + (size_t)i * (size_t)dim, out, dim);
    for (int c = 1; c < k; c++) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (p[i] = w[i] * d[i]);
        int next = -1;
        if (sum > 0) {
            next = pick_weighted(&r, p, n, sum);
        } else {
            for (int i = 0; i < n && next < 0; i++)
                if (!taken[i]) next = i;
            if (next < 0) next = c % n;
        }
        taken[next] = true;
        double *oc = out + (size_t)c * (size_t)dim;
        memcpy(oc, s->c + (size_t)next * (size_t)dim, (size_t)dim * sizeof *oc);
        for (int i = 0; i < n; i++) {
            double di = sqdist(s->c + (size_t)i * (size_t)dim, oc, dim);
            if (di < d[i]) d[i] = di;
        }
    }
    for (int i = 0; i < n; i++) assign[i] = -1;
    for (int it = 0; it < LOCAL_ITERATIONS; it++) {
        bool changed = false;
        memset(sums, 0, (size_t)k * ((size_t)dim + 1) * sizeof *sums);
        double *wts = sums + (size_t)k * (size_t)dim;
        for (int i = 0; i < n; i++) {
            const double *ci = s->c + (size_t)i * (size_t)dim;
            int best = 0;
            double bd = INFINITY;
            for (int c = 0; c < k; c++) {
                double dc = sqdist(ci, out + (size_t)c * (size_t)dim, dim);
                if (dc < bd) bd = dc, best = c;
            }
            if (assign[i] != best) changed = true;
            assign[i] = best;
            wts[best] += w[i];
            double *sb = sums + (size_t)best * (size_t)dim;
            for (int64_t j = 0; j < dim; j++) sb[j] += w[i] * ci[j];
        }
        if (!changed) break;
        for (int c = 0; c < k; c++)
            if (wts[c] > 0)
                for (int64_t j = 0; j < dim; j++)
                    out[(size_t)c * (size_t)dim + j] = sums[(size_t)c * (size_t)dim + j] / wts[c];
    }
    free(d), free(p), free(assign), free(sums), free(taken);
    return KILN_OK;
}

/* k-means||: the k initial centres into a malloc'd *out, the data's
 * dimension into *dim. */
static int init_parallel(kiln_rdd *data, int k, int steps, uint64_t seed, int64_t *dim,
                         double **out)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
    cands s = {0};
    double *part = NULL;
    int rc;
    size_t envlen;
    pass_env *e = env_new(PASS_FIRST, NULL, 0, 0, &envlen);
    if (!e) {
        rc = KILN_ENOMEM;
        goto done;
    }
    e->seed = seed;
    kiln_value firsts;
    rc = run_collect(data, e, envlen, a, &firsts);
    free(e);
    if (rc) goto done;
    /* The smallest draw; ties go to the lower partition. */
    const kiln_value *pick = NULL;
    for (uint32_t i = 0; i < firsts.len; i++) {
        const kiln_value *f = &firsts.u.items[i];
        if (!pick || f->u.items[0].u.d < pick->u.items[0].u.d) pick = f;
    }
    if (!pick) {
        rc = kiln_set_error(KILN_EEMPTY, "k-means: the data has no records");
        goto done;
    }
    s.dim = *dim = pick->u.items[1].len;
    if ((rc = cands_push(&s, pick->u.items[1].u.vec))) goto done;

    /* Counts and cost against the candidates so far; the counts of the
     * last pass weigh the candidates. */
    part = malloc(((size_t)s.n + 1) * sizeof *part);
    if (!part) {
        rc = kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        goto done;
    }
    if ((rc = run_assign(data, PASS_COUNT, s.c, s.n, s.dim, part))) goto done;
    for (int round = 1; round <= steps; round++) {
        double cost = part[s.n];
        if (!(cost > 0)) break; /* every point is a candidate */
        e = env_new(PASS_SAMPLE, s.c, s.n, s.dim, &envlen);
        if (!e) {
            rc = KILN_ENOMEM;
            goto done;
        }
        e->seed = seed;
        e->round = round;
        e->factor = 2.0 * k / cost;
        kiln_value kept;
        kiln_arena_reset(a);
        rc = run_collect(data, e, envlen, a, &kept);
        free(e);
        if (rc) goto done;
        for (uint32_t i = 0; i < kept.len; i++)
            if ((rc = cands_push(&s, kept.u.items[i].u.vec))) goto done;
        if (kept.len == 0) continue;
        double *np = realloc(part, ((size_t)s.n + 1) * sizeof *part);
        if (!np) {
            rc = kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
            goto done;
        }
        part = np;
        if ((rc = run_assign(data, PASS_COUNT, s.c, s.n, s.dim, part))) goto done;
    }

    *out = malloc((size_t)k * (size_t)s.dim * sizeof **out + 1);
    if (!*out) {
        rc = kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        goto done;
    }
    if ((rc = reduce_candidates(&s, part, k, seed, *out))) {
        free(*out);
        *out = NULL;
    }
done:
    free(part);
    free(s.c);
    kiln_arena_free(a);
    return rc;
}

/* ---- Model ------------------------------------------------------------------ */

kiln_ml_kmeans *kmeans_alloc(int k, int64_t dim)
{
    if (k < 1 || dim < 0 || (uint64_t)dim > SIZE_MAX / sizeof(double) / (size_t)k) {
        kiln_set_error(KILN_ERANGE, "k-means: sizes out of range (k %d, dimension %lld)", k,
                       (long long)dim);
        return NULL;
    }
    kiln_ml_kmeans *m = calloc(1, sizeof *m);
    if (m) m->centers = calloc((size_t)k * (size_t)dim + 1, sizeof *m->centers);
    if (!m || !m->centers) {
        free(m);
        kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        return NULL;
    }
    m->k = k;
    m->dim = dim;
    return m;
}

/* The dimension of data's first record (given initial centres, the data
 * says what dim is). */
static int first_dim(kiln_rdd *data, int64_t *dim)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
    kiln_value v, x;
    int rc = kiln_rdd_first(data, a, &v);
    if (rc == KILN_EEMPTY) rc = kiln_set_error(KILN_EEMPTY, "k-means: the data has no records");
    if (rc == KILN_OK) {
        x = v.type == KILN_TUPLE && v.len == 2 ? v.u.items[1] : v;
        if (kiln_ml_is_vector(&x)) *dim = kiln_ml_vector_size(&x);
        else
            rc = kiln_set_error(KILN_ETYPE, "k-means: the first record is neither a vector nor "
                                            "a labeled point");
    }
    kiln_arena_free(a);
    return rc;
}

/* Trains a model (see kiln/ml.h): returns it owned, or NULL with the error
 * set. Borrows data and p. */
kiln_ml_kmeans *kiln_ml_kmeans_train(kiln_rdd *data, const kiln_ml_kmeans_params *p)
{
    if (!data || !p) {
        kiln_set_error(KILN_EINVAL, "k-means: %s is NULL", data ? "params" : "the data RDD");
        return NULL;
    }
    if (p->k < 1 || p->max_iter < 0 || p->init_steps < 0 || !(p->tol >= 0)) {
        kiln_set_error(KILN_EINVAL,
                       "k-means: bad parameters (k %d must be >= 1, max_iter %d "
                       "and init_steps %d >= 0, tol %g >= 0)",
                       p->k, p->max_iter, p->init_steps, p->tol);
        return NULL;
    }
    int k = p->k, max_iter = p->max_iter ? p->max_iter : 20;
    int steps = p->init_steps ? p->init_steps : 2;
    double tol = p->tol > 0 ? p->tol : 1e-4;
    int64_t dim = 0;
    double *start = NULL;
    if (p->initial) {
        if (first_dim(data, &dim)) return NULL;
        for (size_t i = 0; i < (size_t)k * (size_t)dim; i++)
            if (!isfinite(p->initial[i])) {
                kiln_set_error(KILN_EINVAL,
                               "k-means: initial centre %zu has a NaN or infinite "
                               "value",
                               i / (size_t)dim);
                return NULL;
            }
    } else if (init_parallel(data, k, steps, p->seed, &dim, &start)) {
        return NULL;
    }
    kiln_ml_kmeans *m = kmeans_alloc(k, dim);
    size_t len = (size_t)k * (size_t)dim + (size_t)k + 1;
    double *acc = m ? malloc(len * sizeof *acc) : NULL;
    if (!acc) {
        if (m) kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
        goto fail;
    }
    memcpy(m->centers, p->initial ? p->initial : start, (size_t)k * (size_t)dim * sizeof(double));
    bool changed = true; /* whether the last update moved any centre at all */
    for (int it = 0; it < max_iter; it++) {
        if (run_assign(data, PASS_ASSIGN, m->centers, k, dim, acc)) goto fail;
        m->cost = acc[len - 1];
        m->iterations = it + 1;
        bool moved = false;
        changed = false;
        const double *counts = acc + (size_t)k * (size_t)dim;
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) continue; /* an empty cluster keeps its centre */
            double *cc = m->centers + (size_t)c * (size_t)dim;
            const double *sc = acc + (size_t)c * (size_t)dim;
            double shift = 0;
            for (int64_t j = 0; j < dim; j++) {
                double v = sc[j] / counts[c], d = v - cc[j];
                shift += d * d;
                cc[j] = v;
            }
            if (shift > 0) changed = true;
            if (shift >= tol * tol) moved = true;
        }
        if (!moved) break;
    }
    /* The cost of the last pass is the final centres' unless they moved. */
    if (changed && kiln_ml_kmeans_cost(m, data, &m->cost)) goto fail;
    free(acc);
    free(start);
    return m;
fail:
    free(acc);
    free(start);
    kiln_ml_kmeans_free(m);
    return NULL;
}

/* The nearest centre's index (the first on ties), or -1 with the error set
 * when features is not a vector of the model's dimension. */
int kiln_ml_kmeans_predict(const kiln_ml_kmeans *m, const kiln_value *features)
{
    if (!kiln_ml_is_vector(features) || kiln_ml_vector_size(features) != m->dim) {
        kiln_set_error(KILN_EINVAL, "k-means predict: expected a vector of %lld features",
                       (long long)m->dim);
        return -1;
    }
    double d2;
    return nearest(m->centers, NULL, m->k, m->dim, features, &d2);
}

/* Sum of squared distances of data (vectors or labeled points) to their
 * nearest centre of m, into *cost (one job). */
int kiln_ml_kmeans_cost(const kiln_ml_kmeans *m, kiln_rdd *data, double *cost)
{
    if (!m || !data)
        return kiln_set_error(KILN_EINVAL, "k-means cost: %s is NULL",
                              m ? "the data RDD" : "the model");
    double *acc = malloc(((size_t)m->k + 1) * sizeof *acc);
    if (!acc) return kiln_set_error(KILN_ENOMEM, "k-means: out of memory");
    int rc = run_assign(data, PASS_COUNT, m->centers, m->k, m->dim, acc);
    if (rc == KILN_OK) *cost = acc[m->k];
    free(acc);
    return rc;
}

/* Frees m and its centres (NULL is ignored). */
void kiln_ml_kmeans_free(kiln_ml_kmeans *m)
{
    if (!m) return;
    free(m->centers);
    free(m);
}
