/*
 * test_ml_features.c - the feature transformers of include/kiln/ml.h under
 * local[1] and local[2]:
 *   - feature hashing of random delimited text against a reference that
 *     hashes each field with XXH3 itself and accumulates into a dense
 *     array; errors name file:line and column; the Criteo and Avazu
 *     samples of /work/shared/data/ctr-samples load;
 *   - one-hot encoding of a small hand-written file against hand-built
 *     points; errors name file:line; UCI adult (/work/shared/data/adult)
 *     against a reference encoder written here;
 *   - summarize and the scalers on random dense and sparse points against
 *     two-pass statistics in long double.
 * The real data sets are skipped, with a message, when absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"

#define NMASTERS 2
static const char *const masters[NMASTERS] = {"local[1]", "local[2]"};

#define CTR_DIR "/work/shared/data/ctr-samples"
#define ADULT_DIR "/work/shared/data/adult"

/* ---- Text helpers ------------------------------------------------------------------------ */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

/* Splits s[0..len) into lines (without "\n" / "\r\n"), malloc'd copies. */
static char **lines_of(const char *s, size_t len, size_t *n)
{
    size_t cap = 16;
    char **v = malloc(cap * sizeof *v);
    *n = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(s + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - s) : len, l = end - at;
        if (l && s[at + l - 1] == '\r') l--;
        if (*n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[*n] = malloc(l + 1);
        memcpy(v[*n], s + at, l);
        v[*n][l] = '\0';
        (*n)++;
        at = end + 1;
    }
    return v;
}

static void lines_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Splits a line at delim into at most max fields (pointers into a copy the
 * caller frees with the returned buffer). */
static char *fields_of(const char *line, char delim, char **f, size_t max, size_t *n)
{
    char *copy = strdup(line);
    *n = 0;
    char *p = copy;
    for (;;) {
        char *d = strchr(p, delim);
        assert_true(*n < max);
        f[(*n)++] = p;
        if (!d) break;
        *d = '\0';
        p = d + 1;
    }
    return copy;
}

/* Trims spaces and tabs in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t')) s[--l] = '\0';
    return s;
}

/* Checks the job failed with a message holding every needle. */
static void expect_failure_naming(int rc, const char *const *needles, size_t n)
{
    KT_CHECK(rc != KILN_OK, "the job succeeded but should have failed");
    const char *msg = kiln_last_error();
    for (size_t i = 0; i < n; i++)
        KT_CHECK(strstr(msg, needles[i]) != NULL, "the error \"%s\" does not name \"%s\"", msg,
                 needles[i]);
}

static double normal(rng *r)
{
    double u = rng_double(r), v = rng_double(r);
    return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* ---- Feature hashing ------------------------------------------------------------------------- */

typedef struct hash_ref {
    char delim;
    int label;
    const int *numeric, *ignore;
    int nnumeric, nignore;
    int64_t nf;
    bool header;
} hash_ref;

static bool in_list(const int *v, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (v[i] == c) return true;
    return false;
}

static int int_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The reference: the bytes of each field hashed here with XXH3, values
 * added into a dense array (touched marks the stored entries). */
static kiln_value ref_hash_line(kiln_arena *a, const char *line, const hash_ref *o, double *dense,
                                bool *touched)
{
    char *f[400];
    size_t nf;
    char *copy = fields_of(line, o->delim, f, 400, &nf);
    int32_t idx[400];
    size_t n = 0;
    double label = NAN;
    for (size_t c = 0; c < nf; c++) {
        char *s = trim(f[c]), key[600];
        if ((int)c == o->label) {
            label = strtod(s, NULL);
            continue;
        }
        if (in_list(o->ignore, o->nignore, (int)c) || !*s) continue;
        bool numeric = in_list(o->numeric, o->nnumeric, (int)c);
        if (numeric) snprintf(key, sizeof key, "%zu", c);
        else snprintf(key, sizeof key, "%zu=%s", c, s);
        int32_t j = (int32_t)(XXH3_64bits(key, strlen(key)) % (uint64_t)o->nf);
        dense[j] += numeric ? strtod(s, NULL) : 1.0;
        if (!touched[j]) idx[n++] = j;
        touched[j] = true;
    }
    free(copy);
    qsort(idx, n, sizeof *idx, int_cmp);
    double val[400];
    for (size_t i = 0; i < n; i++) {
        val[i] = dense[idx[i]];
        dense[idx[i]] = 0;
        touched[idx[i]] = false;
    }
    kiln_value x = kiln_ml_sparse_new(a, o->nf, idx, val, n);
    assert_int_equal(x.type, KILN_TUPLE);
    return kiln_ml_point(a, label, x);
}

/* The expected points of the files' texts (each file's header skipped). */
static kiln_value ref_hash_files(kiln_arena *a, char *const *texts, size_t nfiles,
                                 const hash_ref *o)
{
    double *dense = calloc((size_t)o->nf, sizeof *dense);
    bool *touched = calloc((size_t)o->nf, sizeof *touched);
    assert_true(dense && touched);
    size_t cap = 64, n = 0;
    kiln_value *pts = malloc(cap * sizeof *pts);
    for (size_t fi = 0; fi < nfiles; fi++) {
        size_t nl;
        char **lines = lines_of(texts[fi], strlen(texts[fi]), &nl);
        for (size_t i = o->header ? 1 : 0; i < nl; i++) {
            if (!*lines[i]) continue;
            if (n == cap) pts = realloc(pts, (cap *= 2) * sizeof *pts);
            pts[n++] = ref_hash_line(a, lines[i], o, dense, touched);
        }
        lines_free(lines, nl);
    }
    kiln_value l = ref_list(a, pts, n);
    free(pts);
    free(dense);
    free(touched);
    return l;
}

/* Random delimited text: label column 2, numeric columns 0 and 5, column 7
 * ignored, the rest categorical from a small vocabulary (with blanks, empty
 * fields, a long value, a row of 150 columns, blank lines). */
static char *random_ctr_text(uint64_t seed, int rows, char delim, bool header)
{
    static const char *const vocab[] = {"a", "bb", "c d", " a ", "x-1", "", "7f3e", "?"};
    rng r;
    rng_seed(&r, seed);
    text t = {0};
    if (header)
        text_add(&t, "n0%cc1%clabel%cc3%cc4%cn5%cc6%cid\n", delim, delim, delim, delim, delim,
                 delim, delim);
    for (int i = 0; i < rows; i++) {
        if (i % 37 == 5) text_add(&t, "\n");
        int ncols = i == 17 ? 150 : 3 + (int)(rng_next(&r) % 7); /* 3..9 */
        for (int c = 0; c < ncols; c++) {
            if (c) text_add(&t, "%c", delim);
            if (c == 2) text_add(&t, "%d", (int)(rng_next(&r) % 2));
            else if (c == 0 || c == 5) {
                if (rng_next(&r) % 5 == 0) continue; /* missing */
                double x = rng_next(&r) % 3 == 0 ? (double)(int)(rng_next(&r) % 100) - 50
                                                 : normal(&r) * 1e3;
                text_add(&t, rng_next(&r) % 4 ? "%.17g" : " %.17g ", x);
            } else if (c == 7) text_add(&t, "%llu", (unsigned long long)rng_next(&r));
            else if (i == 23 && c == 4) {
                for (int k = 0; k < 300; k++) text_add(&t, "%c", 'a' + k % 26);
            } else text_add(&t, "%s", vocab[rng_next(&r) % 8]);
        }
        text_add(&t, i % 11 == 4 ? "\r\n" : "\n");
    }
    return t.s;
}

static void hash_features_match_the_reference(void **state)
{
    static const int numeric[] = {0, 5}, ignore[] = {7};
    char *tmp = kt_tmpdir_new();
    char *texts[2] = {random_ctr_text(1, 400, ',', true), random_ctr_text(2, 250, ',', true)};
    char *pa = kt_path(tmp, "part-a.csv"), *pb = kt_path(tmp, "part-b.csv");
    kt_write_file(pa, texts[0], strlen(texts[0]));
    kt_write_file(pb, texts[1], strlen(texts[1]));
    kiln_arena *a = kiln_arena_new();
    static const int64_t sizes[] = {0, 13}; /* the default 2^18; 13 forces collisions */
    for (size_t si = 0; si < 2; si++) {
        hash_ref o = {',', 2, numeric, ignore, 2, 1, sizes[si] ? sizes[si] : 1 << 18, true};
        kiln_value want = ref_hash_files(a, texts, 2, &o);
        kiln_ml_hashing_options opt = {.label_column = 2,
                                       .numeric = numeric,
                                       .num_numeric = 2,
                                       .ignore = ignore,
                                       .num_ignore = 1,
                                       .num_features = sizes[si],
                                       .header = true};
        for (int m = 0; m < NMASTERS; m++) {
            kiln_context *ctx = kt_context_new(masters[m]);
            for (int parts = 1; parts <= 5; parts += 4) {
                kt_set_case("hash_features, %lld features, %s, min_partitions %d", (long long)o.nf,
                            masters[m], parts);
                kiln_value got = kt_collect(kt_rdd(kiln_ml_hash_features(ctx, tmp, &opt, parts)),
                                            a);
                kt_expect_list(&got, &want);
                for (size_t i = 0; i < got.len; i++)
                    KT_CHECK(kiln_ml_is_sparse(&got.u.items[i].u.items[1]), "row %zu", i);
            }
            kiln_context_free(ctx);
        }
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(texts[0]);
    free(texts[1]);
    free(pa);
    free(pb);
    free(tmp);
}

static void hash_features_fail_naming_file_line_and_column(void **state)
{
    static const int numeric[] = {1, 2};
    char *tmp = kt_tmpdir_new();
    char *bad_label = kt_path(tmp, "bad_label.csv"), *bad_num = kt_path(tmp, "bad_num.tsv");
    char *short_line = kt_path(tmp, "short.csv");
    static const char t1[] = "1,2,3,x\n0,,1,y\nyes,1,1,z\n";
    static const char t2[] = "label\tn1\tn2\n1\t2\t3\n0\t4\t5\n1\t1.5\t12abc\n";
    static const char t3[] = "1,2,3\n0\n";
    kt_write_file(bad_label, t1, sizeof t1 - 1);
    kt_write_file(bad_num, t2, sizeof t2 - 1);
    kt_write_file(short_line, t3, sizeof t3 - 1);
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("hash_features errors, %s", masters[m]);
        kiln_ml_hashing_options opt = {.numeric = numeric, .num_numeric = 2};
        int64_t n;
        kiln_rdd *r = kt_rdd(kiln_ml_hash_features(ctx, bad_label, &opt, 2));
        expect_failure_naming(kiln_rdd_count(r, &n),
                              (const char *[]){"bad_label.csv:3", "column 0", "yes"}, 3);
        opt.delimiter = '\t';
        opt.header = true;
        r = kt_rdd(kiln_ml_hash_features(ctx, bad_num, &opt, 2));
        expect_failure_naming(kiln_rdd_count(r, &n),
                              (const char *[]){"bad_num.tsv:4", "column 2", "12abc"}, 3);
        opt.delimiter = ',';
        opt.header = false;
        opt.label_column = 2;
        opt.num_numeric = 1;
        r = kt_rdd(kiln_ml_hash_features(ctx, short_line, &opt, 1));
        expect_failure_naming(kiln_rdd_count(r, &n), (const char *[]){"short.csv:2", "label"}, 2);
        /* Options refused before any job. */
        opt.num_features = -4;
        KT_CHECK(kiln_ml_hash_features(ctx, short_line, &opt, 1) == NULL, "num_features -4");
        opt.num_features = 0;
        opt.label_column = 1; /* also numeric */
        KT_CHECK(kiln_ml_hash_features(ctx, short_line, &opt, 1) == NULL, "label numeric");
        opt.label_column = 0;
        KT_CHECK(kiln_ml_hash_features(ctx, "/nonexistent/ctr.csv", &opt, 1) == NULL &&
                     strstr(kiln_last_error(), "/nonexistent/ctr.csv"),
                 "missing input: %s", kiln_last_error());
        kiln_context_free(ctx);
    }
    kt_rm_rf(tmp);
    free(bad_label);
    free(bad_num);
    free(short_line);
    free(tmp);
}

/* The Criteo and Avazu samples: every row loads and matches the reference. */
static void hash_features_load_the_ctr_samples(void **state)
{
    if (!kt_exists(CTR_DIR "/criteo_sample.txt") || !kt_exists(CTR_DIR "/avazu_sample.txt")) {
        print_message("skipped: " CTR_DIR " is absent\n");
        return;
    }
    /* Criteo (DeepCTR's copy): comma-separated with a header: label,
     * I1..I13 (numbers, often empty), C1..C26 (hex hashes, often empty). */
    int cri_numeric[13];
    for (int i = 0; i < 13; i++) cri_numeric[i] = 1 + i;
    /* Avazu: id,click,hour,... all categorical but click (the label) and
     * id (dropped). */
    static const int avazu_ignore[] = {0};
    struct {
        const char *file;
        kiln_ml_hashing_options opt;
        int64_t rows;
        size_t max_nnz;
    } sets[] = {
        {CTR_DIR "/criteo_sample.txt",
         {.label_column = 0, .numeric = cri_numeric, .num_numeric = 13, .header = true},
         200,
         39},
        {CTR_DIR "/avazu_sample.txt",
         {.label_column = 1, .ignore = avazu_ignore, .num_ignore = 1, .header = true},
         100,
         22},
    };
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        for (size_t s = 0; s < 2; s++) {
            kt_set_case("ctr sample %s, %s", sets[s].file, masters[m]);
            const kiln_ml_hashing_options *o = &sets[s].opt;
            kiln_value got = kt_collect(kt_rdd(kiln_ml_hash_features(ctx, sets[s].file, o, 3)), a);
            KT_CHECK(got.len == (size_t)sets[s].rows, "%u rows", got.len);
            int64_t positives = 0;
            for (size_t i = 0; i < got.len; i++) {
                double label;
                kiln_value x;
                KT_OK(kiln_ml_point_parts(&got.u.items[i], &label, &x));
                KT_CHECK(label == 0 || label == 1, "row %zu: label %g", i, label);
                positives += label == 1;
                KT_CHECK(kiln_ml_is_sparse(&x) && kiln_ml_vector_size(&x) == 1 << 18 &&
                             kiln_ml_vector_nnz(&x) > 0 &&
                             kiln_ml_vector_nnz(&x) <= sets[s].max_nnz,
                         "row %zu: %zu features", i, kiln_ml_vector_nnz(&x));
            }
            KT_CHECK(positives > 0 && positives < sets[s].rows, "%lld positives",
                     (long long)positives);
            size_t len;
            char *content = kt_read_file(sets[s].file, &len);
            hash_ref ref = {',',           o->label_column, o->numeric, o->ignore, o->num_numeric,
                            o->num_ignore, 1 << 18,         true};
            kiln_value want = ref_hash_files(a, &content, 1, &ref);
            kt_expect_list(&got, &want);
            free(content);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* ---- One-hot encoding ---------------------------------------------------------------------- */

static kiln_value sparse_point(kiln_arena *a, double label, int64_t size, const int32_t *idx,
                               const double *val, size_t n)
{
    kiln_value x = kiln_ml_sparse_new(a, size, idx, val, n);
    assert_int_equal(x.type, KILN_TUPLE);
    return kiln_ml_point(a, label, x);
}

static void one_hot_encodes_a_small_file_as_built_by_hand(void **state)
{
    /* Columns: 0 numeric, 1 categorical, 2 numeric, 3 label, 4 categorical.
     * Features: 0 (column 0), 1 (column 2), then column 1's {blue, red} at
     * 2, 3 and column 4's {?, x, y} at 4, 5, 6. */
    static const char train[] = "|1x3 a comment line\n"
                                "3, red, 0, yes, x\n"
                                "-1.5, blue, 2, no., ?\n"
                                "   \n"
                                "0,  red , 7, yes., y\n";
    static const char test[] = "2.5,green,1,yes,y\n1,red,0,no,z\n";
    char *tmp = kt_tmpdir_new();
    char *ptrain = kt_path(tmp, "train.csv"), *ptest = kt_path(tmp, "test.csv");
    kt_write_file(ptrain, train, sizeof train - 1);
    kt_write_file(ptest, test, sizeof test - 1);
    kiln_arena *a = kiln_arena_new();
    kiln_value want_train[3] = {
        sparse_point(a, 1, 7, (int32_t[]){0, 3, 5}, (double[]){3, 1, 1}, 3),
        sparse_point(a, 0, 7, (int32_t[]){0, 1, 2, 4}, (double[]){-1.5, 2, 1, 1}, 4),
        sparse_point(a, 1, 7, (int32_t[]){1, 3, 6}, (double[]){7, 1, 1}, 3),
    };
    kiln_value want_test[2] = {
        /* green unseen: no indicator */
        sparse_point(a, 1, 7, (int32_t[]){0, 1, 6}, (double[]){2.5, 1, 1}, 3),
        sparse_point(a, 0, 7, (int32_t[]){0, 3}, (double[]){1, 1}, 2),
    };
    kiln_value wtrain = kiln_list_ref(want_train, 3), wtest = kiln_list_ref(want_test, 2);
    static const int cats[] = {4, 1}; /* any order */
    kiln_ml_one_hot_options opt = {.delimiter = ',',
                                   .label_column = 3,
                                   .positive_label = "yes",
                                   .categorical = cats,
                                   .num_categorical = 2};
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("one_hot small file, %s", masters[m]);
        kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, ptrain, &opt);
        KT_CHECK(enc != NULL, "fit failed: %s", kiln_last_error());
        KT_CHECK(kiln_ml_one_hot_num_features(enc) == 7, "%lld features",
                 (long long)kiln_ml_one_hot_num_features(enc));
        for (int parts = 1; parts <= 4; parts += 3) {
            kiln_value got = kt_collect(kt_rdd(kiln_ml_one_hot_transform(enc, ptrain, parts)), a);
            kt_expect_list(&got, &wtrain);
        }
        kiln_rdd *tr = kt_rdd(kiln_ml_one_hot_transform(enc, ptest, 2));
        kiln_ml_one_hot_free(enc); /* the RDD keeps what it needs */
        kiln_value got = kt_collect(tr, a);
        kt_expect_list(&got, &wtest);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(ptrain);
    free(ptest);
    free(tmp);
}

static void one_hot_skips_headers_of_every_file(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *p1 = kt_path(tmp, "a.csv"), *p2 = kt_path(tmp, "b.csv");
    kt_write_file(p1, "k;v;y\nq;1;1\n", 12);
    kt_write_file(p2, "k;v;y\nr;2;0\nq;0;1\n", 18);
    kiln_arena *a = kiln_arena_new();
    /* Features: 0 (column 1), then column 0's {q, r} at 1, 2. */
    kiln_value want[3] = {
        sparse_point(a, 1, 3, (int32_t[]){0, 1}, (double[]){1, 1}, 2),
        sparse_point(a, 0, 3, (int32_t[]){0, 2}, (double[]){2, 1}, 2),
        sparse_point(a, 1, 3, (int32_t[]){1}, (double[]){1}, 1),
    };
    kiln_value wl = kiln_list_ref(want, 3);
    kiln_ml_one_hot_options opt = {.delimiter = ';',
                                   .label_column = 2,
                                   .positive_label = "1",
                                   .categorical = (int[]){0},
                                   .num_categorical = 1,
                                   .header = true};
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("one_hot headers, %s", masters[m]);
        kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, tmp, &opt);
        KT_CHECK(enc != NULL, "fit failed: %s", kiln_last_error());
        kiln_value got = kt_collect(kt_rdd(kiln_ml_one_hot_transform(enc, tmp, 0)), a);
        kt_expect_list(&got, &wl);
        kiln_ml_one_hot_free(enc);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(p1);
    free(p2);
    free(tmp);
}

static void one_hot_fails_naming_file_and_line(void **state)
{
    static const char good[] = "1, a, x\n2, b, y\n";
    static const char columns[] = "1, a, x\n2, b, y\n\n3, c\n";
    static const char missing[] = "1, a, x\n2, ?, y\n?, b, x\n";
    char *tmp = kt_tmpdir_new();
    char *pg = kt_path(tmp, "good.csv"), *pc = kt_path(tmp, "columns.csv");
    char *pm = kt_path(tmp, "missing.csv"), *pe = kt_path(tmp, "empty.csv");
    kt_write_file(pg, good, sizeof good - 1);
    kt_write_file(pc, columns, sizeof columns - 1);
    kt_write_file(pm, missing, sizeof missing - 1);
    kt_write_file(pe, "\n|comment\n", 10);
    kiln_ml_one_hot_options opt = {.delimiter = ',',
                                   .label_column = 2,
                                   .positive_label = "x",
                                   .categorical = (int[]){1},
                                   .num_categorical = 1};
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("one_hot errors, %s", masters[m]);
        kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, pg, &opt);
        KT_CHECK(enc != NULL, "fit failed: %s", kiln_last_error());
        int64_t n;
        expect_failure_naming(kiln_rdd_count(kt_rdd(kiln_ml_one_hot_transform(enc, pc, 2)), &n),
                              (const char *[]){"columns.csv:4", "2 columns"}, 2);
        /* '?' is a category in column 1 but not a number in column 0. */
        expect_failure_naming(kiln_rdd_count(kt_rdd(kiln_ml_one_hot_transform(enc, pm, 2)), &n),
                              (const char *[]){"missing.csv:3", "column 0", "?"}, 3);
        kiln_ml_one_hot_free(enc);
        /* The fit checks the lines as well. */
        KT_CHECK(kiln_ml_one_hot_fit(ctx, pm, &opt) == NULL, "fit on bad data succeeded");
        KT_CHECK(strstr(kiln_last_error(), "missing.csv:3") != NULL, "fit error: %s",
                 kiln_last_error());
        KT_CHECK(kiln_ml_one_hot_fit(ctx, pe, &opt) == NULL, "fit on no data succeeded");
        KT_CHECK(strstr(kiln_last_error(), "no data lines") != NULL, "%s", kiln_last_error());
        KT_CHECK(kiln_ml_one_hot_fit(ctx, "/nonexistent/adult.data", &opt) == NULL &&
                     strstr(kiln_last_error(), "/nonexistent/adult.data"),
                 "missing input: %s", kiln_last_error());
        opt.label_column = 5;
        KT_CHECK(kiln_ml_one_hot_fit(ctx, pg, &opt) == NULL, "label beyond the columns");
        KT_CHECK(strstr(kiln_last_error(), "no column 5") != NULL, "%s", kiln_last_error());
        opt.label_column = 1; /* also categorical */
        KT_CHECK(kiln_ml_one_hot_fit(ctx, pg, &opt) == NULL, "label categorical");
        opt.label_column = 2;
        kiln_context_free(ctx);
    }
    kt_rm_rf(tmp);
    free(pg);
    free(pc);
    free(pm);
    free(pe);
    free(tmp);
}

/* A reference one-hot encoder for adult: sorted distinct values per
 * categorical column from the training lines, then the same layout. */
#define ADULT_COLS 15
static const int adult_cats[] = {1, 3, 5, 6, 7, 8, 9, 13};

typedef struct adult_ref {
    char **vals[ADULT_COLS];
    size_t nvals[ADULT_COLS];
    int64_t base[ADULT_COLS];
    int64_t nf;
} adult_ref;

static bool adult_skip(const char *line)
{
    const char *p = line;
    while (*p == ' ') p++;
    return !*p || line[0] == '|';
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void adult_ref_fit(adult_ref *r, char **lines, size_t n)
{
    memset(r, 0, sizeof *r);
    for (size_t k = 0; k < 8; k++) {
        int c = adult_cats[k];
        r->vals[c] = malloc(n * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            if (adult_skip(lines[i])) continue;
            char *f[ADULT_COLS + 1];
            size_t nf;
            char *copy = fields_of(lines[i], ',', f, ADULT_COLS + 1, &nf);
            assert_int_equal(nf, ADULT_COLS);
            char *v = trim(f[c]);
            bool seen = false;
            for (size_t j = 0; j < r->nvals[c] && !seen; j++) seen = !strcmp(r->vals[c][j], v);
            if (!seen) r->vals[c][r->nvals[c]++] = strdup(v);
            free(copy);
        }
        qsort(r->vals[c], r->nvals[c], sizeof(char *), str_cmp);
    }
    r->nf = 6;
    for (size_t k = 0; k < 8; k++) {
        r->base[adult_cats[k]] = r->nf;
        r->nf += (int64_t)r->nvals[adult_cats[k]];
    }
}

static void adult_ref_release(adult_ref *r)
{
    for (int c = 0; c < ADULT_COLS; c++) {
        for (size_t j = 0; j < r->nvals[c]; j++) free(r->vals[c][j]);
        free(r->vals[c]);
    }
}

static kiln_value adult_ref_encode(kiln_arena *a, const adult_ref *r, char **lines, size_t n,
                                   int64_t *positives)
{
    kiln_value *pts = ref_alloc(a, n);
    size_t m = 0;
    *positives = 0;
    for (size_t i = 0; i < n; i++) {
        if (adult_skip(lines[i])) continue;
        char *f[ADULT_COLS + 1];
        size_t nf;
        char *copy = fields_of(lines[i], ',', f, ADULT_COLS + 1, &nf);
        int32_t idx[ADULT_COLS];
        double val[ADULT_COLS];
        size_t k = 0;
        for (int c = 0, num = 0; c < 14; c++) {
            if (r->vals[c]) continue;
            double x = strtod(f[c], NULL);
            if (x != 0) idx[k] = num, val[k++] = x;
            num++;
        }
        for (size_t q = 0; q < 8; q++) {
            int c = adult_cats[q];
            char *v = trim(f[c]);
            for (size_t j = 0; j < r->nvals[c]; j++) {
                if (strcmp(r->vals[c][j], v)) continue;
                idx[k] = (int32_t)(r->base[c] + (int64_t)j);
                val[k++] = 1;
            }
        }
        char *label = trim(f[14]);
        bool pos = !strcmp(label, ">50K") || !strcmp(label, ">50K.");
        *positives += pos;
        pts[m++] = sparse_point(a, pos, r->nf, idx, val, k);
        free(copy);
    }
    return kiln_list_ref(pts, m);
}

static void one_hot_encodes_uci_adult(void **state)
{
    if (!kt_exists(ADULT_DIR "/adult.data") || !kt_exists(ADULT_DIR "/adult.test")) {
        print_message("skipped: " ADULT_DIR " is absent\n");
        return;
    }
    size_t len_train, len_test, ntrain, ntest;
    char *train = kt_read_file(ADULT_DIR "/adult.data", &len_train);
    char *test = kt_read_file(ADULT_DIR "/adult.test", &len_test);
    char **ltrain = lines_of(train, len_train, &ntrain);
    char **ltest = lines_of(test, len_test, &ntest);
    /* This copy of adult.test starts with a header row where UCI's has the
     * line "|1x3 Cross validator": put that back, which the encoder skips. */
    char *tmp = kt_tmpdir_new();
    char *ptest = kt_path(tmp, "adult.test");
    const char *nl = strchr(test, '\n');
    assert_non_null(nl);
    text t = {0};
    text_add(&t, "|1x3 Cross validator%s", nl);
    kt_write_file(ptest, t.s, t.len);
    free(t.s);
    free(ltest[0]);
    ltest[0] = strdup("|1x3 Cross validator");

    adult_ref ref;
    adult_ref_fit(&ref, ltrain, ntrain);
    kiln_arena *a = kiln_arena_new();
    int64_t pos_train, pos_test;
    kiln_value want_train = adult_ref_encode(a, &ref, ltrain, ntrain, &pos_train);
    kiln_value want_test = adult_ref_encode(a, &ref, ltest, ntest, &pos_test);
    /* The figures of adult.names. */
    assert_int_equal(want_train.len, 32561);
    assert_int_equal(want_test.len, 16281);
    kiln_ml_one_hot_options opt = {.delimiter = ',',
                                   .label_column = 14,
                                   .positive_label = ">50K",
                                   .categorical = adult_cats,
                                   .num_categorical = 8};
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("one_hot adult, %s", masters[m]);
        kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, ADULT_DIR "/adult.data", &opt);
        KT_CHECK(enc != NULL, "fit failed: %s", kiln_last_error());
        KT_CHECK(kiln_ml_one_hot_num_features(enc) == ref.nf, "%lld features, expected %lld",
                 (long long)kiln_ml_one_hot_num_features(enc), (long long)ref.nf);
        kiln_value got = kt_collect(kt_rdd(
                                        kiln_ml_one_hot_transform(enc, ADULT_DIR "/adult.data", 0)),
                                    a);
        kt_expect_list(&got, &want_train);
        got = kt_collect(kt_rdd(kiln_ml_one_hot_transform(enc, ptest, 3)), a);
        kt_expect_list(&got, &want_test);
        /* The file as shipped: its header row skipped by the option. */
        kiln_ml_one_hot_set_header(enc, true);
        got = kt_collect(kt_rdd(kiln_ml_one_hot_transform(enc, ADULT_DIR "/adult.test", 2)), a);
        kt_expect_list(&got, &want_test);
        kiln_ml_one_hot_free(enc);
        kiln_context_free(ctx);
    }
    print_message("adult: %lld features, %lld of %u and %lld of %u positive\n", (long long)ref.nf,
                  (long long)pos_train, want_train.len, (long long)pos_test, want_test.len);
    adult_ref_release(&ref);
    kiln_arena_free(a);
    lines_free(ltrain, ntrain);
    lines_free(ltest, ntest);
    free(train);
    free(test);
    kt_rm_rf(tmp);
    free(ptest);
    free(tmp);
}

/* ---- Summary and scalers ------------------------------------------------------------------ */

/* Random points: dense with columns of very different scales (one far from
 * zero, one constant), or sparse (~10% stored, a column never stored, one
 * always stored and negative, two of one sign with zeros). */
static kiln_value *random_points(kiln_arena *a, uint64_t seed, size_t n, bool sparse, int64_t *dim)
{
    rng r;
    rng_seed(&r, seed);
    kiln_value *pts = ref_alloc(a, n);
    int64_t d = sparse ? 40 : 6;
    for (size_t i = 0; i < n; i++) {
        double x[40];
        int32_t idx[40];
        double val[40];
        size_t k = 0;
        for (int64_t j = 0; j < d; j++) {
            if (!sparse) {
                static const double mu[] = {0, 1e6, 3.5, 0, -1e-3, 0};
                static const double sd[] = {1, 1, 0, 0, 1e-4, 0};
                x[j] = j == 3   ? rng_double(&r) * 10 - 5
                       : j == 5 ? (double)(rng_next(&r) % 2)
                                : mu[j] + sd[j] * normal(&r);
            } else if (j == 7) {
                idx[k] = (int32_t)j, val[k++] = -1 - rng_double(&r);
            } else if (j == 9 || j == 11) { /* one sign: an implicit 0 is the max / min */
                if (rng_next(&r) % 5 == 0) idx[k] = (int32_t)j, val[k++] = j == 9 ? -1e3 : 1e3;
            } else if (j != 3 && rng_next(&r) % 10 == 0) {
                idx[k] = (int32_t)j, val[k++] = 2 + 3 * normal(&r);
            }
        }
        double label = 5 + 2 * normal(&r);
        kiln_value v = sparse ? kiln_ml_sparse_new(a, d, idx, val, k)
                              : kiln_vec_new(a, x, (size_t)d);
        assert_int_not_equal(v.type, KILN_NULL);
        pts[i] = kiln_ml_point(a, label, v);
    }
    *dim = d;
    return pts;
}

/* Two-pass statistics in long double over the dense form of the points. */
typedef struct col_stats {
    long double mean[41], var[41], min[41], max[41]; /* index d: the label */
} col_stats;

static void two_pass(const kiln_value *pts, size_t n, int64_t d, col_stats *s)
{
    double x[41];
    for (int64_t j = 0; j <= d; j++) {
        s->mean[j] = s->var[j] = 0;
        s->min[j] = INFINITY;
        s->max[j] = -INFINITY;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            kiln_value f;
            double label;
            assert_int_equal(kiln_ml_point_parts(&pts[i], &label, &f), KILN_OK);
            kiln_ml_to_dense(&f, x);
            x[d] = label;
            for (int64_t j = 0; j <= d; j++) {
                if (pass == 0) {
                    s->mean[j] += x[j];
                    if (x[j] < s->min[j]) s->min[j] = x[j];
                    if (x[j] > s->max[j]) s->max[j] = x[j];
                } else {
                    long double dev = x[j] - s->mean[j];
                    s->var[j] += dev * dev;
                }
            }
            if (pass == 0 && i == n - 1)
                for (int64_t j = 0; j <= d; j++) s->mean[j] /= (long double)n;
        }
    for (int64_t j = 0; j <= d; j++) s->var[j] = n > 1 ? s->var[j] / (long double)(n - 1) : 0;
}

static void summarize_matches_two_pass_statistics(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int sparse = 0; sparse < 2; sparse++) {
        int64_t d;
        size_t n = 3000;
        kiln_value *pts = random_points(a, 10 + (uint64_t)sparse, n, sparse, &d);
        col_stats ref;
        two_pass(pts, n, d, &ref);
        for (int m = 0; m < NMASTERS; m++) {
            kiln_context *ctx = kt_context_new(masters[m]);
            for (int slices = 1; slices <= 7; slices += 6) {
                kt_set_case("summarize %s, %s, %d slices", sparse ? "sparse" : "dense", masters[m],
                            slices);
                kiln_ml_summary s;
                KT_OK(kiln_ml_summarize(kt_rdd(kiln_parallelize(ctx, pts, n, slices)), &s));
                KT_CHECK(s.count == (int64_t)n && s.num_features == d, "count %lld, %lld features",
                         (long long)s.count, (long long)s.num_features);
                for (int64_t j = 0; j <= d; j++) {
                    double mean = j < d ? s.mean[j] : s.label_mean;
                    double var = j < d ? s.variance[j] : s.label_variance;
                    long double scale = fabsl(ref.mean[j]) + sqrtl(ref.var[j]);
                    kt_case_detail("feature %lld", (long long)j);
                    kt_expect_close(mean, ref.mean[j], 1e-12, 1e-12 * scale, "mean");
                    kt_expect_close(var, ref.var[j], 1e-12, 0, "variance");
                    if (j < d) {
                        KT_CHECK(s.min[j] == (double)ref.min[j] && s.max[j] == (double)ref.max[j],
                                 "min %g max %g", s.min[j], s.max[j]);
                    }
                }
                kiln_ml_summary_release(&s);
            }
            kiln_context_free(ctx);
        }
    }
    kiln_arena_free(a);
}

static void summarize_refuses_bad_points(void **state)
{
    kiln_arena *a = kiln_arena_new();
    double ok[2] = {1, 2}, nan[2] = {1, NAN}, three[3] = {1, 2, 3};
    kiln_value one = kiln_ml_point(a, 1, kiln_vec_ref(ok, 2));
    kiln_value bad[3] = {one, kiln_ml_point(a, 0, kiln_vec_ref(nan, 2)), one};
    kiln_value sizes[3] = {one, one, kiln_ml_point(a, 0, kiln_vec_ref(three, 3))};
    kiln_value label[2] = {one, kiln_ml_point(a, INFINITY, kiln_vec_ref(ok, 2))};
    kiln_value notpoint[2] = {one, kiln_int(4)};
    for (int m = 0; m < NMASTERS; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("summarize errors, %s", masters[m]);
        kiln_ml_summary s;
        expect_failure_naming(kiln_ml_summarize(kiln_parallelize(ctx, bad, 3, 1), &s),
                              (const char *[]){"NaN or infinite feature"}, 1);
        expect_failure_naming(kiln_ml_summarize(kiln_parallelize(ctx, label, 2, 1), &s),
                              (const char *[]){"label"}, 1);
        expect_failure_naming(kiln_ml_summarize(kiln_parallelize(ctx, notpoint, 2, 1), &s),
                              (const char *[]){"not a labeled point"}, 1);
        /* Sizes differ within a partition and across partitions. */
        expect_failure_naming(kiln_ml_summarize(kiln_parallelize(ctx, sizes, 3, 1), &s),
                              (const char *[]){"features"}, 1);
        expect_failure_naming(kiln_ml_summarize(kiln_parallelize(ctx, sizes, 3, 3), &s),
                              (const char *[]){"features"}, 1);
        KT_RC(KILN_EEMPTY, kiln_ml_summarize(kiln_parallelize(ctx, bad, 0, 2), &s));
        /* One point: no spread. */
        KT_OK(kiln_ml_summarize(kiln_parallelize(ctx, &one, 1, 2), &s));
        KT_CHECK(s.count == 1 && s.mean[1] == 2 && s.variance[1] == 0 && s.min[0] == 1 &&
                     s.label_variance == 0,
                 "one point");
        kiln_ml_summary_release(&s);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* Checks the scaled points against the reference statistics. */
static void expect_scaled(const kiln_value *got, const kiln_value *pts, size_t n, int64_t d,
                          const col_stats *ref, int kind, bool with_mean, bool with_std)
{
    KT_CHECK(got->len == n, "%u points", got->len);
    double x[41], y[41];
    for (size_t i = 0; i < n; i++) {
        double label, want_label;
        kiln_value f, g;
        KT_OK(kiln_ml_point_parts(&pts[i], &want_label, &f));
        KT_OK(kiln_ml_point_parts(&got->u.items[i], &label, &g));
        KT_CHECK(label == want_label, "point %zu: label %g", i, label);
        bool want_dense = kind == 1 || with_mean || f.type == KILN_VEC;
        KT_CHECK(want_dense ? g.type == KILN_VEC : kiln_ml_is_sparse(&g), "point %zu: a %s vector",
                 i, g.type == KILN_VEC ? "dense" : "sparse");
        KT_CHECK(kiln_ml_vector_size(&g) == d, "point %zu: size", i);
        if (!want_dense) /* same stored indices */
            KT_CHECK(kiln_value_eq(&g.u.items[1], &f.u.items[1]), "point %zu: indices", i);
        kiln_ml_to_dense(&f, x);
        kiln_ml_to_dense(&g, y);
        for (int64_t j = 0; j < d; j++) {
            /* want = (x - shift) * factor; the tolerance is relative to
             * the terms, since a double shift is only as exact as its ulp. */
            long double want, shift = 0, factor = 1;
            if (kind == 1) {
                long double range = ref->max[j] - ref->min[j];
                shift = ref->min[j];
                factor = range != 0 ? 1 / range : 0;
                want = range != 0 ? (x[j] - shift) * factor : 0.5L;
            } else {
                long double sd = sqrtl(ref->var[j]);
                shift = with_mean ? ref->mean[j] : 0;
                factor = !with_std ? 1 : sd != 0 ? 1 / sd : 0;
                want = (x[j] - shift) * factor;
            }
            kt_case_detail("point %zu, feature %lld", i, (long long)j);
            long double tol = 1e-12L * ((fabsl(x[j]) + fabsl(shift)) * factor + 1);
            kt_expect_close(y[j], want, 0, tol, "scaled value");
        }
    }
}

static void scalers_match_the_reference(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int sparse = 0; sparse < 2; sparse++) {
        int64_t d;
        size_t n = 500;
        kiln_value *pts = random_points(a, 20 + (uint64_t)sparse, n, sparse, &d);
        col_stats ref;
        two_pass(pts, n, d, &ref);
        for (int m = 0; m < NMASTERS; m++) {
            kiln_context *ctx = kt_context_new(masters[m]);
            kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, pts, n, 3));
            for (int kind = 0; kind < 5; kind++) {
                bool with_mean = kind & 1, with_std = kind & 2;
                kt_set_case("%s scaler (mean %d, std %d), %s, %s",
                            kind == 4 ? "min-max" : "standard", with_mean, with_std,
                            sparse ? "sparse" : "dense", masters[m]);
                kiln_ml_scaler *sc = kind == 4
                                         ? kiln_ml_min_max_scaler_fit(r)
                                         : kiln_ml_standard_scaler_fit(r, with_mean, with_std);
                KT_CHECK(sc != NULL, "fit failed: %s", kiln_last_error());
                kiln_rdd *out = kt_rdd(kiln_ml_scaler_transform(sc, r));
                kiln_ml_scaler_free(sc); /* the RDD keeps a copy */
                kiln_value got = kt_collect(out, a);
                expect_scaled(&got, pts, n, d, &ref, kind == 4, with_mean, with_std);
            }
            /* A point of another size fails the task. */
            kiln_value odd = kiln_ml_point(a, 1, kiln_vec_ref((double[]){1, 2, 3}, 3));
            kiln_ml_scaler *sc = kiln_ml_min_max_scaler_fit(r);
            KT_CHECK(sc != NULL, "fit failed: %s", kiln_last_error());
            int64_t cnt;
            expect_failure_naming(
                kiln_rdd_count(kiln_ml_scaler_transform(sc, kiln_parallelize(ctx, &odd, 1, 1)),
                               &cnt),
                (const char *[]){"3 features", "fitted on"}, 2);
            kiln_ml_scaler_free(sc);
            kiln_context_free(ctx);
        }
    }
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_features_match_the_reference),
        cmocka_unit_test(hash_features_fail_naming_file_line_and_column),
        cmocka_unit_test(hash_features_load_the_ctr_samples),
        cmocka_unit_test(one_hot_encodes_a_small_file_as_built_by_hand),
        cmocka_unit_test(one_hot_skips_headers_of_every_file),
        cmocka_unit_test(one_hot_fails_naming_file_and_line),
        cmocka_unit_test(one_hot_encodes_uci_adult),
        cmocka_unit_test(summarize_matches_two_pass_statistics),
        cmocka_unit_test(summarize_refuses_bad_points),
        cmocka_unit_test(scalers_match_the_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
