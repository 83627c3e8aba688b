/*
 * test_ml_load.c - the LIBSVM and CSV loaders and their number parser.
 * ml_parse_double is checked against strtod on a million random strings of
 * many shapes (same bits, same length consumed, never reading past the
 * end); loaded points against values written here (labels, sizes, sparse
 * structure, dense features); num_features inferred and given; header
 * skipping; directories of files; bad input failing with file, line (and
 * column) in kiln_last_error(), also deep in a file read as several
 * partitions; and Spark's sample_libsvm_data.txt (692 features).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"
#include "ml/parse.h"

/* ---- Helpers -------------------------------------------------------------------------------- */

static char *write_text(const char *dir, const char *name, const char *text)
{
    char *path = kt_path(dir, name);
    kt_write_file(path, text, strlen(text));
    return path;
}

/* kiln_last_error() must contain each of the (up to two) strings. */
static void expect_error(const char *want, const char *also)
{
    const char *m = kiln_last_error();
    KT_CHECK(strstr(m, want) && (!also || strstr(m, also)),
             "the error \"%s\" should contain \"%s\"%s%s%s", m, want, also ? " and \"" : "",
             also ? also : "", also ? "\"" : "");
}

typedef struct want_point {
    double label;
    int n;
    int32_t idx[4]; /* 0-based */
    double val[4];
} want_point;

/* got (a list of labeled points) must hold want[0..n), sparse of size size. */
static void expect_sparse_points(const kiln_value *got, const want_point *want, size_t n,
                                 int64_t size)
{
    KT_CHECK(got->type == KILN_LIST && got->len == n, "%u points, expected %zu", got->len, n);
    for (size_t i = 0; i < n; i++) {
        double label;
        kiln_value f;
        KT_OK(kiln_ml_point_parts(&kt_items(got)[i], &label, &f));
        KT_CHECK(label == want[i].label, "point %zu: label %g, expected %g", i, label,
                 want[i].label);
        KT_CHECK(kiln_ml_is_sparse(&f), "point %zu: features %s are not sparse", i, kt_fmt(&f));
        KT_CHECK(kiln_ml_vector_size(&f) == size, "point %zu: size %lld, expected %lld", i,
                 (long long)kiln_ml_vector_size(&f), (long long)size);
        KT_CHECK(kiln_ml_vector_nnz(&f) == (size_t)want[i].n, "point %zu: %zu entries, want %d", i,
                 kiln_ml_vector_nnz(&f), want[i].n);
        for (int k = 0; k < want[i].n; k++) {
            int32_t ix;
            double v;
            kiln_ml_sparse_entry(&f, (size_t)k, &ix, &v);
            KT_CHECK(ix == want[i].idx[k] && v == want[i].val[k],
                     "point %zu entry %d: %d:%g, expected %d:%g", i, k, ix, v, want[i].idx[k],
                     want[i].val[k]);
        }
    }
}

/* got must hold points (label, dense features) equal to want rows of
 * width values each: label first, then the features. */
static void expect_dense_points(const kiln_value *got, const double *want, size_t n, int width)
{
    KT_CHECK(got->type == KILN_LIST && got->len == n, "%u points, expected %zu", got->len, n);
    for (size_t i = 0; i < n; i++) {
        const double *w = want + i * (size_t)width;
        double label;
        kiln_value f;
        KT_OK(kiln_ml_point_parts(&kt_items(got)[i], &label, &f));
        KT_CHECK(label == w[0], "row %zu: label %g, expected %g", i, label, w[0]);
        KT_CHECK(f.type == KILN_VEC && f.len == (uint32_t)(width - 1),
                 "row %zu: features %s, expected a vector of %d", i, kt_fmt(&f), width - 1);
        for (int k = 0; k < width - 1; k++)
            KT_CHECK(f.u.vec[k] == w[k + 1], "row %zu feature %d: %.17g, expected %.17g", i, k,
                     f.u.vec[k], w[k + 1]);
    }
}

/* ---- The number parser ---------------------------------------------------------------------- */

/* Compares ml_parse_double on s[0..len) with strtod on a NUL-terminated
 * copy of it. s[len] and beyond may hold more characters: the parser must
 * not look at them. Returns false (after reporting) on a difference. */
static bool same_as_strtod(const char *s, size_t len)
{
    char small[512];
    char *copy = len < sizeof small ? small : malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    copy[len] = '\0';
    char *stop;
    double want = strtod(copy, &stop);
    size_t want_len = (size_t)(stop - copy);
    double got;
    const char *end = ml_parse_double(s, s + len, &got);
    size_t got_len = (size_t)(end - s);
    bool same = got_len == want_len &&
                (want_len == 0 || (isnan(want) ? isnan(got) : !memcmp(&got, &want, sizeof got)));
    if (!same)
        kt_report("\"%.80s\": parsed %zu chars as %.17g (%a), strtod %zu chars as %.17g (%a)", copy,
                  got_len, got, got, want_len, want, want);
    if (copy != small) free(copy);
    return same;
}

static void digits(rng *r, char *out, size_t *n, int count)
{
    for (int i = 0; i < count; i++) out[(*n)++] = (char)('0' + rng_next(r) % 10);
}

/* A random string in one of several shapes; returns its length. */
static size_t random_number_text(rng *r, char *out, size_t cap)
{
    size_t n = 0;
    int shape = (int)(rng_next(r) % 10);
    double d;
    uint64_t bits;
    switch (shape) {
    case 0: /* integers, possibly long or with leading zeros */
    case 1: /* decimals with an exponent, anything from 1 to 25 digits */
    case 2: {
        if (rng_next(r) % 3 == 0) out[n++] = rng_next(r) % 2 ? '-' : '+';
        int lead = (int)(rng_next(r) % 4 == 0 ? rng_next(r) % 5 : 0);
        for (int i = 0; i < lead; i++) out[n++] = '0';
        int total = 1 + (int)(rng_next(r) % (rng_next(r) % 4 == 0 ? 25 : 17));
        int point = shape == 0 ? total : (int)(rng_next(r) % (unsigned)(total + 1));
        digits(r, out, &n, point);
        if (shape != 0) {
            out[n++] = '.';
            digits(r, out, &n, total - point);
        }
        if (rng_next(r) % 3 == 0) /* trailing zeros */
            for (int i = (int)(rng_next(r) % 6); i > 0; i--) out[n++] = '0';
        if (shape == 2) {
            out[n++] = rng_next(r) % 2 ? 'e' : 'E';
            if (rng_next(r) % 2) out[n++] = rng_next(r) % 2 ? '-' : '+';
            int e = (int)(rng_next(r) % (rng_next(r) % 4 == 0 ? 400 : 30));
            n += (size_t)snprintf(out + n, cap - n, "%d", e);
        }
        break;
    }
    case 3: /* any double, printed with a random precision */
        do {
            bits = rng_next(r);
            memcpy(&d, &bits, sizeof d);
        } while (!isfinite(d));
        n = (size_t)snprintf(out, cap, "%.*g", 1 + (int)(rng_next(r) % 20), d);
        break;
    case 4: /* everyday data values: [0, 1000) with a few digits */
        d = rng_double(r) * pow(10, (double)(rng_next(r) % 7) - 3);
        n = (size_t)snprintf(out, cap, rng_next(r) % 2 ? "%.*f" : "%.*e", (int)(rng_next(r) % 12),
                             rng_next(r) % 2 ? d : -d);
        break;
    case 5: { /* near a halfway point between two doubles (hard rounding) */
        do {
            bits = rng_next(r) >> (rng_next(r) % 2 ? 1 : 12);
            memcpy(&d, &bits, sizeof d);
        } while (!isfinite(d) || d == 0);
        long double mid = ((long double)d + (long double)nextafter(d, INFINITY)) / 2;
        n = (size_t)snprintf(out, cap, "%.*Le", 15 + (int)(rng_next(r) % 30), mid);
        break;
    }
    case 6: /* subnormals, the range ends and integers around 2^53 */
        switch (rng_next(r) % 4) {
        case 0:
            n = (size_t)snprintf(out, cap, "%.*e", (int)(rng_next(r) % 20),
                                 (double)(rng_next(r) % 100000) * 4.9406564584124654e-324);
            break;
        case 1:
            n = (size_t)snprintf(out, cap, "%d.%de%d", (int)(rng_next(r) % 10),
                                 (int)(rng_next(r) % 1000), 300 + (int)(rng_next(r) % 30));
            break;
        case 2:
            n = (size_t)snprintf(out, cap, "%llu",
                                 (unsigned long long)((1ull << 53) - 50 + rng_next(r) % 100));
            break;
        default:
            n = (size_t)snprintf(out, cap, "%llue%d",
                                 (unsigned long long)(rng_next(r) % (1ull << 54)),
                                 (int)(rng_next(r) % 60) - 30);
        }
        break;
    case 7: { /* nan, inf and infinity in any case, with a sign or junk after */
        static const char *const words[] = {"nan", "inf", "infinity", "infin", "na", "in"};
        const char *w = words[rng_next(r) % 6];
        if (rng_next(r) % 2) out[n++] = rng_next(r) % 2 ? '-' : '+';
        for (; *w; w++) out[n++] = (char)(rng_next(r) % 2 ? *w - 32 : *w);
        if (rng_next(r) % 2) out[n++] = "x1 ,"[rng_next(r) % 4];
        break;
    }
    default: { /* short strings over the number alphabet: the grammar's edges */
        static const char alpha[] = "0123456789.eE+-.,na ";
        int len = 1 + (int)(rng_next(r) % 10);
        for (int i = 0; i < len; i++) {
            char c = alpha[rng_next(r) % (sizeof alpha - 1)];
            if (i == 0 && c == ' ') c = '.'; /* strtod skips leading spaces */
            out[n++] = c;
        }
    }
    }
    out[n] = '\0';
    return n;
}

static void parse_number_matches_strtod_on_a_million_random_strings(void **state)
{
    rng r;
    rng_seed(&r, 20240611);
    kt_set_case("ml_parse_double vs strtod");
    char buf[512];
    int bad = 0;
    for (int i = 0; i < 1000000 && bad < 10; i++) {
        size_t n = random_number_text(&r, buf, sizeof buf);
        /* Every fourth string is cut short: the rest must stay unread. */
        size_t len = i % 4 == 0 && n > 0 ? (size_t)(rng_next(&r) % n) : n;
        if (!same_as_strtod(buf, len)) bad++;
    }
    assert_int_equal(bad, 0);
}

static void parse_number_handles_hard_and_special_cases(void **state)
{
    static const char *const cases[] = {
        "0",
        "-0",
        "+0",
        "0.0",
        "-0.0e10",
        "0e999999999",
        "1",
        "-1",
        "0.1",
        "0.3",
        ".5",
        "5.",
        "-.5e1",
        "1e22",
        "1e23",
        "9007199254740992",
        "9007199254740993",
        "9007199254740993.0",
        "123456789012345678",
        "1234567890123456789",
        "12345678901234567890",
        "123456789012345678901234567890",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e309",
        "-1e400",
        "1e-400",
        "123e25",
        "9007199254740992e15",
        "9007199254740993e15",
        "0.000000000000000000000000000000000001",
        "7.038531e-26",
        "1e",
        "1e+",
        "1e-x",
        "1.e5",
        ".e5",
        ".",
        "-",
        "+",
        "",
        "e5",
        "nan",
        "-NaN",
        "inf",
        "-Infinity",
        "INFINITYx",
        "infinit",
        "1,5",
        "3.14159 rest",
        "00000000000000000000000000001",
        "1"
        "0000000000000000000000",
        "8.98846567431158e307",
        "179769313486231570000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        ".0",
    };
    kt_set_case("ml_parse_double special cases");
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (!same_as_strtod(cases[i], strlen(cases[i]))) bad++;
    assert_int_equal(bad, 0);
    /* Hexadecimal floats are not numbers here (strtod reads them): "0" and junk. */
    double d;
    const char *hex = "0x10";
    assert_ptr_equal(ml_parse_double(hex, hex + 4, &d), hex + 1);
    assert_true(d == 0);
    /* A number longer than any stack copy still parses (the slow path). */
    size_t n = 5000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    big[0] = '1';
    memset(big + 1, '0', n - 1);
    big[n / 2] = '.';
    big[n - 1] = '7';
    big[n] = '\0';
    assert_true(same_as_strtod(big, n));
    free(big);
}

/* ---- LIBSVM --------------------------------------------------------------------------------- */

static const char libsvm_text[] = "# a comment line\n"
                                  "1 1:0.5 3:-2 10:1e3\n"
                                  "   \n"
                                  "\n"
                                  "0\t2:1.25\t 4:7   \n"
                                  "-1\n"
                                  "+1.5 5:3 6:4   7:5\r\n"
                                  "  #indented comment 99:1\n"
                                  "2.5e-1 1:-0.0 2:+3.5e2\n";
static const want_point libsvm_want[] = {
    {1, 3, {0, 2, 9}, {0.5, -2, 1000}}, {0, 2, {1, 3}, {1.25, 7}},      {-1, 0, {0}, {0}},
    {1.5, 3, {4, 5, 6}, {3, 4, 5}},     {0.25, 2, {0, 1}, {-0.0, 350}},
};

static void libsvm_loads_sparse_points_inferring_or_given_num_features(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *path = write_text(tmp, "a.txt", libsvm_text);
    kiln_arena *a = kiln_arena_new();
    size_t n = sizeof libsvm_want / sizeof *libsvm_want;
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int parts = 1; parts <= 3; parts += 2) {
            kt_set_case("libsvm inferred, master %s, %d partitions", kt_masters[m], parts);
            kiln_value got = kt_collect(kt_rdd(kiln_ml_load_libsvm(ctx, path, 0, parts)), a);
            expect_sparse_points(&got, libsvm_want, n, 10);
            kt_set_case("libsvm num_features 25, master %s, %d partitions", kt_masters[m], parts);
            got = kt_collect(kt_rdd(kiln_ml_load_libsvm(ctx, path, 25, parts)), a);
            expect_sparse_points(&got, libsvm_want, n, 25);
        }
        /* The largest index exactly at num_features is fine, one more is not. */
        kt_set_case("libsvm num_features 10 / 9, master %s", kt_masters[m]);
        kiln_value got = kt_collect(kt_rdd(kiln_ml_load_libsvm(ctx, path, 10, 0)), a);
        expect_sparse_points(&got, libsvm_want, n, 10);
        kiln_rdd *small = kt_rdd(kiln_ml_load_libsvm(ctx, path, 9, 0));
        int64_t count;
        KT_RC(KILN_EUSER, kiln_rdd_count(small, &count));
        expect_error("a.txt:2: ", "index 10 is above num_features 9");
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(path);
    free(tmp);
}

static void libsvm_reads_every_file_of_a_directory_in_name_order(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *p[4] = {write_text(tmp, "part-b", "2 2:2\n3 3:3\n"), write_text(tmp, "part-a", "1 1:1\n"),
                  write_text(tmp, "part-c", "# only 40 here\n4 40:4\n"),
                  write_text(tmp, "_SUCCESS", "")};
    static const want_point want[] = {{1, 1, {0}, {1}},
                                      {2, 1, {1}, {2}},
                                      {3, 1, {2}, {3}},
                                      {4, 1, {39}, {4}}};
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("libsvm directory");
    kiln_value got = kt_collect(kt_rdd(kiln_ml_load_libsvm(ctx, tmp, 0, 0)), a);
    expect_sparse_points(&got, want, 4, 40);
    kiln_context_free(ctx);
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    for (int i = 0; i < 4; i++) free(p[i]);
    free(tmp);
}

static void libsvm_bad_lines_fail_naming_file_and_line(void **state)
{
    static const struct {
        const char *line, *what;
    } cases[] = {
        {"1 1:2 3", "expected index:value"},
        {"1 1:2 3:x", "bad value"},
        {"1 1:2:3", "bad value"},
        {"1 1: 2", "bad value"},
        {"1 3:1 2:1", "strictly increasing"},
        {"1 2:1 2:1", "strictly increasing"},
        {"1 0:1", "1-based"},
        {"1 -1:2", "expected index:value"},
        {"1 99999999999:1", "too large"},
        {"x 1:1", "bad label"},
        {"1,5 1:1", "bad label"},
        {"nan 1:1", "label nan is not a finite number"},
        {"1 1:inf", "not finite"},
        {"1 1:-1e999", "not finite"},
        {"1 1:NaN", "not finite"},
    };
    char *tmp = kt_tmpdir_new();
    kiln_context *ctx = kt_context_new("local[2]");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kt_set_case("libsvm bad line \"%s\"", cases[i].line);
        char text[256], name[32];
        snprintf(text, sizeof text, "0 1:1\n# comment\n%s\n1 2:2\n", cases[i].line);
        snprintf(name, sizeof name, "bad%zu.txt", i);
        char *path = write_text(tmp, name, text);
        char where[64];
        snprintf(where, sizeof where, "%s:3: ", name);
        /* Inferring the size runs a job now: the load itself fails. */
        KT_CHECK(kiln_ml_load_libsvm(ctx, path, 0, 1) == NULL, "the load should fail");
        expect_error(where, cases[i].what);
        /* With the size given, the first action fails. */
        kiln_rdd *r = kt_rdd(kiln_ml_load_libsvm(ctx, path, 100, 1));
        int64_t count;
        KT_FAILS(kiln_rdd_count(r, &count));
        expect_error(where, cases[i].what);
        free(path);
    }
    /* Arguments are checked when the RDD is made. */
    KT_CHECK(!kiln_ml_load_libsvm(ctx, tmp, -1, 0), "negative num_features accepted");
    KT_CHECK(!kiln_ml_load_libsvm(ctx, "/nonexistent/kiln/x.txt", 0, 0), "missing file");
    expect_error("/nonexistent/kiln/x.txt", NULL);
    kiln_context_free(ctx);
    kt_rm_rf(tmp);
    free(tmp);
}

/* A file of lines lines (about 30 bytes each) whose line bad (1-based) is
 * replaced by bad_text. Returns the malloc'd text. */
static char *many_libsvm_lines(int lines, int bad, const char *bad_text)
{
    size_t cap = (size_t)lines * 48 + 64, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (int i = 1; i <= lines; i++) {
        if (i == bad) n += (size_t)snprintf(t + n, cap - n, "%s\n", bad_text);
        else
            n += (size_t)snprintf(t + n, cap - n, "%d 1:%d.5 5:-%d 17:%de-3\n", i % 2, i % 97,
                                  i % 13, i);
    }
    return t;
}

static void libsvm_bad_line_deep_in_a_split_file_is_named(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *text = many_libsvm_lines(30000, 23456, "1 1:1 5:2 5:3");
    char *path = write_text(tmp, "big.txt", text);
    char *good_text = many_libsvm_lines(30000, 0, "");
    char *good = write_text(tmp, "good.txt", good_text);
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("libsvm bad line 23456 of 30000, master %s", kt_masters[m]);
        kiln_rdd *r = kt_rdd(kiln_ml_load_libsvm(ctx, path, 17, 6));
        KT_CHECK(kiln_rdd_num_partitions(r) >= 6, "%d partitions", kiln_rdd_num_partitions(r));
        int64_t count;
        KT_RC(KILN_EUSER, kiln_rdd_count(r, &count));
        expect_error("big.txt:23456: ", "strictly increasing");
        KT_CHECK(kiln_ml_load_libsvm(ctx, path, 0, 6) == NULL, "inferring should fail");
        expect_error("big.txt:23456: ", "strictly increasing");
        /* The same file without the bad line: every line a point of size 17. */
        kiln_rdd *ok = kt_rdd(kiln_ml_load_libsvm(ctx, good, 0, 6));
        KT_CHECK(kt_count(ok) == 30000, "count differs");
        kiln_arena *a = kiln_arena_new();
        kiln_value first;
        KT_OK(kiln_rdd_first(ok, a, &first));
        double label;
        kiln_value f;
        KT_OK(kiln_ml_point_parts(&first, &label, &f));
        KT_CHECK(label == 1 && kiln_ml_vector_size(&f) == 17 && kiln_ml_vector_nnz(&f) == 3,
                 "first point %s", kt_fmt(&first));
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
    kt_rm_rf(tmp);
    free(text);
    free(good_text);
    free(path);
    free(good);
    free(tmp);
}

/* The directory of this source tree (from __FILE__, which CMake gives as
 * an absolute path), malloc'd. */
static char *source_root(void)
{
    const char *me = __FILE__;
    const char *tail = strstr(me, "tests/unit/test_ml_load.c");
    char *root;
    if (me[0] == '/' && tail) root = strndup(me, (size_t)(tail - me - 1));
    else root = strdup("."); /* ctest runs the tests from the source tree */
    assert_non_null(root);
    return root;
}

static void libsvm_loads_spark_sample_data_with_692_features(void **state)
{
    char *root = source_root();
    char *path = kt_path(root,
                         "../shared/data/spark-sample-data/data/mllib/sample_libsvm_data.txt");
    free(root);
    size_t len;
    char *text = kt_read_file(path, &len);
    if (!text) {
        printf("skipped: %s is absent\n", path);
        free(path);
        skip();
    }
    /* The expected points, parsed here with strtod/strtol, line by line. */
    kiln_arena *a = kiln_arena_new();
    size_t lines = 0, cap = 128;
    double *labels = malloc(cap * sizeof *labels);
    kiln_value *feats = malloc(cap * sizeof *feats);
    int32_t idx[1000];
    double val[1000];
    long max_index = 0;
    assert_non_null(labels);
    assert_non_null(feats);
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char *p = line;
        labels[lines] = strtod(p, &p);
        size_t k = 0;
        for (;;) {
            while (*p == ' ') p++;
            if (!*p) break;
            long ix = strtol(p, &p, 10);
            assert_true(*p == ':');
            val[k] = strtod(p + 1, &p);
            idx[k++] = (int32_t)(ix - 1);
            if (ix > max_index) max_index = ix;
        }
        feats[lines] = kiln_vec_new(a, val, k); /* sized below */
        kiln_value ib = kiln_bytes_new(a, idx, 4 * k);
        feats[lines] = kiln_pair(a, ib, feats[lines]);
        lines++;
        assert_true(lines < cap);
    }
    assert_int_equal(max_index, 692);
    kiln_context *ctx = kt_context_new("local[2]");
    for (int given = 0; given < 2; given++) {
        kt_set_case("sample_libsvm_data.txt, num_features %s", given ? "692" : "inferred");
        kiln_rdd *r = kt_rdd(kiln_ml_load_libsvm(ctx, path, given ? 692 : 0, 3));
        KT_CHECK(kt_count(r) == (int64_t)lines, "count differs from the %zu lines", lines);
        kiln_value got = kt_collect(r, a);
        KT_CHECK(got.len == lines, "%u points", got.len);
        for (size_t i = 0; i < lines; i++) {
            double label;
            kiln_value f;
            KT_OK(kiln_ml_point_parts(&kt_items(&got)[i], &label, &f));
            KT_CHECK(label == labels[i] && kiln_ml_is_sparse(&f) && kiln_ml_vector_size(&f) == 692,
                     "point %zu: %s", i, kt_fmt(&kt_items(&got)[i]));
            const kiln_value *ib = &feats[i].u.items[0], *vv = &feats[i].u.items[1];
            KT_CHECK(kiln_ml_vector_nnz(&f) == vv->len, "point %zu: %zu entries, expected %u", i,
                     kiln_ml_vector_nnz(&f), vv->len);
            for (size_t k = 0; k < vv->len; k++) {
                int32_t ix, want_ix;
                double v;
                kiln_ml_sparse_entry(&f, k, &ix, &v);
                memcpy(&want_ix, ib->u.bytes + 4 * k, 4);
                KT_CHECK(ix == want_ix && v == vv->u.vec[k], "point %zu entry %zu differs", i, k);
            }
        }
    }
    /* One fewer feature: the first line using index 692 is named. */
    size_t line692 = 0;
    for (size_t i = 0; i < lines && !line692; i++) {
        const kiln_value *ib = &feats[i].u.items[0];
        int32_t last;
        if (ib->len == 0) continue;
        memcpy(&last, ib->u.bytes + ib->len - 4, 4);
        if (last == 691) line692 = i + 1;
    }
    KT_CHECK(line692 > 0, "no line uses index 692");
    kiln_rdd *r = kt_rdd(kiln_ml_load_libsvm(ctx, path, 691, 1)); /* one failing task */
    int64_t count;
    KT_RC(KILN_EUSER, kiln_rdd_count(r, &count));
    char where[64];
    snprintf(where, sizeof where, "sample_libsvm_data.txt:%zu: ", line692);
    expect_error(where, "index 692 is above num_features 691");
    kiln_context_free(ctx);
    kiln_arena_free(a);
    free(labels);
    free(feats);
    free(text);
    free(path);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void csv_loads_dense_points_for_any_label_column_and_delimiter(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *comma = write_text(tmp, "c.csv", "1,2,3\n4.5, 5 ,6e1\n\n-7,8,9\r\n  \n0.1,-0.0,1e-5\n");
    char *tabs = write_text(tmp, "t.tsv", "1\t2\t3\n4.5\t 5 \t6e1\n-7\t8\t9\n0.1\t-0.0\t1e-5\n");
    static const double rows[4][3] = {{1, 2, 3}, {4.5, 5, 60}, {-7, 8, 9}, {0.1, -0.0, 1e-5}};
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int label = 0; label < 3; label++) {
            for (int tab = 0; tab < 2; tab++) {
                kt_set_case("csv label column %d, %s, master %s", label, tab ? "tabs" : "commas",
                            kt_masters[m]);
                kiln_ml_csv_options opt = {.delimiter = tab ? '\t' : 0, .label_column = label};
                kiln_value got = kt_collect(kt_rdd(
                                                kiln_ml_load_csv(ctx, tab ? tabs : comma, &opt, 2)),
                                            a);
                double want[4][3];
                for (int i = 0; i < 4; i++)
                    for (int j = 0, k = 1; j < 3; j++) want[i][j == label ? 0 : k++] = rows[i][j];
                expect_dense_points(&got, &want[0][0], 4, 3);
            }
        }
        /* A label column past the last one fails naming it. */
        kt_set_case("csv label column 3, master %s", kt_masters[m]);
        kiln_ml_csv_options opt = {.label_column = 3};
        int64_t count;
        KT_RC(KILN_EUSER, kiln_rdd_count(kt_rdd(kiln_ml_load_csv(ctx, comma, &opt, 1)), &count));
        expect_error("c.csv:1: ", "label_column 3 is past the last column");
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(comma);
    free(tabs);
    free(tmp);
}

static void csv_skips_the_header_of_each_file_of_a_directory(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *p[3] = {write_text(tmp, "1.csv", "y;a;b\n1;2;3\n4;5;6\n"),
                  write_text(tmp, "2.csv", "label;x;z\n7;8;9\n"),
                  write_text(tmp, "3.csv", "only;a;header\n")};
    static const double want[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("csv header, directory");
    kiln_ml_csv_options opt = {.delimiter = ';', .header = true};
    kiln_value got = kt_collect(kt_rdd(kiln_ml_load_csv(ctx, tmp, &opt, 0)), a);
    expect_dense_points(&got, &want[0][0], 3, 3);
    /* Without header the header line is data, and not a number. */
    opt.header = false;
    int64_t count;
    KT_RC(KILN_EUSER, kiln_rdd_count(kt_rdd(kiln_ml_load_csv(ctx, tmp, &opt, 0)), &count));
    expect_error(".csv:1:1: ", "not a number: \"");
    kiln_context_free(ctx);
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    for (int i = 0; i < 3; i++) free(p[i]);
    free(tmp);
}

static void csv_bad_fields_fail_naming_file_line_and_column(void **state)
{
    static const struct {
        const char *line, *where, *what;
    } cases[] = {
        {"1,2,abc,4", ":4:3: ", "not a number: \"abc\""},
        {"1,2,3x,4", ":4:3: ", "not a number: \"3x\""},
        {"1,2 3,3,4", ":4:2: ", "not a number: \"2 3\""},
        {"1,,3,4", ":4:2: ", "empty field"},
        {"1,2,3,", ":4:4: ", "empty field"},
        {"1,nan,3,4", ":4:2: ", "not a finite number"},
        {"-inf,2,3,4", ":4:1: ", "not a finite number"},
        {"1,2,3,1e400", ":4:4: ", "not a finite number"},
        {"1,2,3", ":4: ", "3 columns, but the file's first data line has 4"},
        {"1,2,3,4,5,6", ":4: ", "6 columns, but the file's first data line has 4"},
    };
    char *tmp = kt_tmpdir_new();
    kiln_context *ctx = kt_context_new("local[2]");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kt_set_case("csv bad line \"%s\"", cases[i].line);
        char text[256], name[32], where[64];
        snprintf(text, sizeof text, "a,b,c,d\n1,2,3,4\n\n%s\n5,6,7,8\n", cases[i].line);
        snprintf(name, sizeof name, "bad%zu.csv", i);
        snprintf(where, sizeof where, "%s%s", name, cases[i].where);
        char *path = write_text(tmp, name, text);
        kiln_ml_csv_options opt = {.header = true, .label_column = 1};
        int64_t count;
        KT_RC(KILN_EUSER, kiln_rdd_count(kt_rdd(kiln_ml_load_csv(ctx, path, &opt, 1)), &count));
        expect_error(where, cases[i].what);
        free(path);
    }
    kiln_ml_csv_options neg = {.label_column = -1}, digit = {.delimiter = '5'};
    KT_CHECK(!kiln_ml_load_csv(ctx, tmp, &neg, 0), "a negative label column was accepted");
    KT_CHECK(!kiln_ml_load_csv(ctx, tmp, &digit, 0), "a digit delimiter was accepted");
    kiln_context_free(ctx);
    kt_rm_rf(tmp);
    free(tmp);
}

/* 4000 lines of 9 bytes, so a file read as 4 partitions splits exactly
 * before lines 1001, 2001 and 3001: line 1 is the header, lines up to
 * from - 1 have 3 columns and lines from from on have 4. */
static char *csv_split_text(int from)
{
    char *t = malloc(4000 * 9 + 1), *p = t;
    assert_non_null(t);
    for (int i = 1; i <= 4000; i++, p += 9)
        memcpy(p, i == 1 ? "a,b,cccc\n" : i < from ? "11,22,33\n" : "1,2,3,44\n", 9);
    *p = '\0';
    return t;
}

static void csv_columns_are_those_of_the_first_data_line_of_the_file(void **state)
{
    char *tmp = kt_tmpdir_new();
    /* A task that starts mid-file must compare with the file's first data
     * line (3 columns), not with the first line it reads itself. */
    char *text = csv_split_text(3001);
    char *path = write_text(tmp, "split.csv", text);
    char *ok_text = csv_split_text(4001);
    char *ok = write_text(tmp, "ok.csv", ok_text);
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("csv columns of a split file, master %s", kt_masters[m]);
        kiln_ml_csv_options opt = {.header = true, .label_column = 2};
        kiln_rdd *r = kt_rdd(kiln_ml_load_csv(ctx, path, &opt, 4));
        KT_CHECK(kiln_rdd_num_partitions(r) == 4, "%d partitions", kiln_rdd_num_partitions(r));
        int64_t count;
        KT_RC(KILN_EUSER, kiln_rdd_count(r, &count));
        expect_error("split.csv:3001: ", "4 columns, but the file's first data line has 3");
        /* All 3 columns: fine in every partition, run twice (a second job
         * on the same threads must not trust what the first one saw). */
        kiln_rdd *good = kt_rdd(kiln_ml_load_csv(ctx, ok, &opt, 4));
        for (int pass = 0; pass < 2; pass++) {
            kiln_value got = kt_collect(good, a);
            KT_CHECK(got.len == 3999, "%u points", got.len);
            double label;
            kiln_value f;
            KT_OK(kiln_ml_point_parts(&kt_items(&got)[3998], &label, &f));
            KT_CHECK(label == 33 && f.len == 2 && f.u.vec[0] == 11 && f.u.vec[1] == 22,
                     "last point %s", kt_fmt(&kt_items(&got)[3998]));
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(text);
    free(ok_text);
    free(path);
    free(ok);
    free(tmp);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_number_matches_strtod_on_a_million_random_strings),
        cmocka_unit_test(parse_number_handles_hard_and_special_cases),
        cmocka_unit_test(libsvm_loads_sparse_points_inferring_or_given_num_features),
        cmocka_unit_test(libsvm_reads_every_file_of_a_directory_in_name_order),
        cmocka_unit_test(libsvm_bad_lines_fail_naming_file_and_line),
        cmocka_unit_test(libsvm_bad_line_deep_in_a_split_file_is_named),
        cmocka_unit_test(libsvm_loads_spark_sample_data_with_692_features),
        cmocka_unit_test(csv_loads_dense_points_for_any_label_column_and_delimiter),
        cmocka_unit_test(csv_skips_the_header_of_each_file_of_a_directory),
        cmocka_unit_test(csv_bad_fields_fail_naming_file_line_and_column),
        cmocka_unit_test(csv_columns_are_those_of_the_first_data_line_of_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
