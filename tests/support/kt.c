/*
 * kt.c - the operator tests' harness (kt.h): contexts per master, the data
 * shapes, result checks with readable failure messages, file helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"

const char *const kt_masters[KT_MASTER_COUNT] = {"local[1]", "local[2]", "local[8]"};

static char case_base[256] = "(no case)";
static char case_label[640] = "(no case)";

/* ---- Start-up ------------------------------------------------------------------ */

void kt_init(int *argc, char ***argv)
{
    int rc = kiln_init(argc, argv);
    if (rc != KILN_OK) {
        fprintf(stderr, "kiln_init failed: %s: %s\n", kiln_err_name(rc), kiln_last_error());
        exit(2);
    }
    if (*argc > 1) cmocka_set_test_filter((*argv)[1]);
}

/* ---- Messages ------------------------------------------------------------------ */

void kt_set_case(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_base, sizeof case_base, fmt, ap);
    va_end(ap);
    snprintf(case_label, sizeof case_label, "%s", case_base);
}

void kt_case_detail(const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(case_label, sizeof case_label, "%s, %s", case_base, detail);
}

const char *kt_case(void)
{
    return case_label;
}

void kt_report(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("[%s] %s\n", case_label, msg);
}

static const char *type_name(int t)
{
    static const char *const names[] = {"null",  "bool",  "int",  "double", "str",
                                        "bytes", "tuple", "list", "vec"};
    return t >= 0 && t <= KILN_VEC ? names[t] : "?";
}

const char *kt_fmt(const kiln_value *v)
{
    enum { NBUF = 6, CAP = 200 };
    static char bufs[NBUF][CAP + 64];
    static int next;
    char *out = bufs[next];
    next = (next + 1) % NBUF;
    kiln_buf b;
    kiln_buf_init(&b);
    if (kiln_value_format(&b, v) != KILN_OK) {
        snprintf(out, CAP + 64, "%s:<unformattable>", type_name(v->type));
    } else if (b.len > CAP) {
        snprintf(out, CAP + 64, "%s:%.*s...(%zu bytes)", type_name(v->type), CAP,
                 (const char *)b.data, b.len);
    } else {
        snprintf(out, CAP + 64, "%s:%.*s", type_name(v->type), (int)b.len,
                 b.len ? (const char *)b.data : "");
    }
    kiln_buf_release(&b);
    return out;
}

bool kt_contains_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i]) {
            char x = s[i], y = needle[i];
            if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
            if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
            if (x != y) break;
            i++;
        }
        if (i == n) return true;
    }
    return n == 0;
}

/* ---- Contexts ------------------------------------------------------------------ */

kiln_context *kt_context_new_at(const char *file, int line, const char *master)
{
    kiln_conf *conf = kiln_conf_new();
    if (!conf) {
        kt_report("kiln_conf_new returned NULL");
        _fail(file, line);
    }
    /* KT_MASTER runs a whole suite under one master instead (the cluster
     * reruns in CMakeLists.txt). */
    const char *forced = getenv("KT_MASTER");
    if (forced && *forced) master = forced;
    int rc = kiln_conf_set(conf, "kiln.master", master);
    if (rc == KILN_OK) rc = kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    if (rc == KILN_OK) rc = kiln_conf_set(conf, "kiln.app.name", "kiln-tests");
    kiln_context *ctx = NULL;
    if (rc == KILN_OK) rc = kiln_context_new(conf, &ctx);
    kiln_conf_free(conf);
    if (rc != KILN_OK || !ctx) {
        kt_report("creating a context with master %s failed: %s: %s", master, kiln_err_name(rc),
                  kiln_last_error());
        _fail(file, line);
    }
    return ctx;
}

/* ---- Data shapes ---------------------------------------------------------------- */

static const char *const shape_names[KT_SHAPE_COUNT] = {
    "empty",  "one",     "one-partition", "many-partitions", "random",
    "skewed", "unicode", "long-strings",  "mixed",           "large",
};

static kiln_value must(kiln_value v, int type)
{
    if (v.type != type) {
        kt_report("building a test value failed (out of memory?)");
        fail();
    }
    return v;
}

static int64_t rand_in(rng *r, int64_t lo, int64_t hi) /* [lo, hi) */
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo));
}

/* Code points of 1 to 4 bytes, a combining mark and a zero-width space. */
static const char *const utf8_pieces[] = {
    "a",
    "Z",
    "\xc3\xa9",
    "\xc3\x9f",
    "\xc3\xbc",
    "\xd1\x84",
    "\xd7\xa9",
    "\xe4\xb8\xad",
    "\xe6\x96\x87",
    "\xe5\xad\x97",
    "\xcc\x81",
    "\xe2\x80\x8b",
    "\xf0\x9f\x98\x80",
    "\xf0\x9f\x9a\x80",
    " ",
};

static kiln_value random_unicode(kiln_arena *a, rng *r)
{
    char buf[64];
    size_t len = 0;
    int pieces = (int)rand_in(r, 0, 5);
    for (int i = 0; i < pieces; i++) {
        const char *p = utf8_pieces[rand_in(r, 0, sizeof utf8_pieces / sizeof *utf8_pieces)];
        size_t pl = strlen(p);
        memcpy(buf + len, p, pl);
        len += pl;
    }
    return must(kiln_str_new(a, buf, len), KILN_STR);
}

/* The long-string pool: fixed content whatever the seed, so that draws
 * share keys. Includes strings equal except in the last byte, a proper
 * prefix of another, multi-byte text, and one short string. */
static size_t long_pool(kiln_arena *a, kiln_value *pool)
{
    rng r;
    rng_seed(&r, 0x1006);
    size_t n0 = 100000, n3 = 150000, n4 = 131072;
    char *s0 = kiln_arena_alloc(a, n0 + 1);
    char *s1 = kiln_arena_alloc(a, n0);
    char *s3 = kiln_arena_alloc(a, n3);
    char *s4 = kiln_arena_alloc(a, n4);
    if (!s0 || !s1 || !s3 || !s4) {
        kt_report("arena allocation failed");
        fail();
    }
    for (size_t i = 0; i < n0; i++) s0[i] = (char)('a' + rand_in(&r, 0, 26));
    s0[n0] = 'z'; /* s0 with n0 + 1 bytes is s0 + "z" */
    memcpy(s1, s0, n0);
    s1[n0 - 1] = s0[n0 - 1] == 'q' ? 'r' : 'q';
    for (size_t i = 0; i < n3; i++) s3[i] = (char)('A' + rand_in(&r, 0, 26));
    static const char cjk[] = "\xe4\xb8\xad\xe6\x96\x87\xc3\xa9\xf0\x9f\x98\x80"; /* 12 bytes */
    for (size_t i = 0; i < n4; i++) s4[i] = cjk[i % 12];
    size_t k = 0;
    pool[k++] = kiln_str_ref(s0, n0);
    pool[k++] = kiln_str_ref(s1, n0);
    pool[k++] = kiln_str_ref(s0, n0 + 1);
    pool[k++] = kiln_str_ref(s3, n3);
    pool[k++] = kiln_str_ref(s4, n4 - n4 % 12);
    pool[k++] = kiln_str_ref("short", 5);
    return k;
}

/* The mixed pool: one or more values of every type that can be a key. */
static size_t mixed_pool(kiln_arena *a, kiln_value *pool)
{
    size_t k = 0;
    pool[k++] = kiln_null();
    pool[k++] = kiln_bool(false);
    pool[k++] = kiln_bool(true);
    pool[k++] = kiln_int(0);
    pool[k++] = kiln_int(1);
    pool[k++] = kiln_int(-1);
    pool[k++] = kiln_int(42);
    pool[k++] = kiln_int(INT64_MAX);
    pool[k++] = kiln_int(INT64_MIN);
    pool[k++] = kiln_double(1.5);
    pool[k++] = kiln_double(-7.25);
    pool[k++] = kiln_double(2.5e300);
    pool[k++] = kiln_double(0.0);
    pool[k++] = kiln_double(-0.0); /* equal to 0.0: must group with it */
    pool[k++] = kiln_str_ref("", 0);
    pool[k++] = kiln_str_ref("a", 1);
    pool[k++] = kiln_str_ref("ab", 2);
    pool[k++] = kiln_str_ref("abc", 3);
    pool[k++] = kiln_str_ref("1", 1);
    pool[k++] = kiln_str_ref("\xe4\xb8\xad", 3);
    static const uint8_t bytes[] = {0x00, 0xff, 0x10};
    pool[k++] = kiln_bytes_ref(bytes, 3);
    pool[k++] = kiln_bytes_ref(bytes, 0);
    kiln_value t[3];
    t[0] = kiln_int(1);
    t[1] = kiln_str_ref("a", 1);
    pool[k++] = must(kiln_tuple_new(a, t, 2), KILN_TUPLE);
    t[1] = kiln_str_ref("b", 1);
    pool[k++] = must(kiln_tuple_new(a, t, 2), KILN_TUPLE);
    t[0] = kiln_str_ref("a", 1);
    t[1] = kiln_int(1);
    pool[k++] = must(kiln_tuple_new(a, t, 2), KILN_TUPLE);
    kiln_value inner[2] = {kiln_int(2), kiln_int(3)};
    t[0] = kiln_int(1);
    t[1] = must(kiln_tuple_new(a, inner, 2), KILN_TUPLE);
    pool[k++] = must(kiln_tuple_new(a, t, 2), KILN_TUPLE); /* (1,(2,3)) */
    t[0] = kiln_int(1);
    t[1] = kiln_str_ref("a", 1);
    t[2] = kiln_double(2.0);
    pool[k++] = must(kiln_tuple_new(a, t, 3), KILN_TUPLE); /* a 3-tuple key */
    return k;
}

void kt_gen(kiln_arena *a, int shape, bool pairs, uint64_t seed, size_t n, kt_data *out)
{
    rng r;
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + (uint64_t)shape);
    kiln_value pool[32];
    size_t npool = 0;
    size_t def_n = 0;
    int slices = 1;
    switch (shape) {
    case KT_EMPTY:
        def_n = 0, slices = 4;
        break;
    case KT_ONE:
        def_n = 1, slices = 2;
        break;
    case KT_ONE_PARTITION:
        def_n = 300, slices = 1;
        break;
    case KT_MANY_PARTITIONS:
        def_n = 11, slices = 16;
        break;
    case KT_RANDOM:
        def_n = 1000, slices = 7;
        break;
    case KT_SKEWED:
        def_n = 600, slices = 5;
        break;
    case KT_UNICODE:
        def_n = 300, slices = 4;
        break;
    case KT_LONG_STRINGS:
        def_n = 9, slices = 3, npool = long_pool(a, pool);
        break;
    case KT_MIXED:
        def_n = 200, slices = 6, npool = mixed_pool(a, pool);
        break;
    case KT_LARGE:
        def_n = 30000, slices = 3;
        break;
    default:
        kt_report("unknown shape %d", shape);
        fail();
    }
    if (n == 0 || shape == KT_EMPTY || shape == KT_ONE) n = def_n;
    kiln_value *v = ref_alloc(a, n);
    for (size_t i = 0; i < n; i++) {
        kiln_value x;
        switch (shape) {
        case KT_ONE:
            x = kiln_int(42);
            break;
        case KT_ONE_PARTITION:
        case KT_RANDOM:
            x = kiln_int(rand_in(&r, -200, 200));
            break;
        case KT_MANY_PARTITIONS:
            x = kiln_int(rand_in(&r, 0, 8));
            break;
        case KT_SKEWED:
            x = kiln_int(rand_in(&r, 0, 100) < 85 ? 7 : rand_in(&r, 0, 50));
            break;
        case KT_UNICODE:
            x = random_unicode(a, &r);
            break;
        case KT_LARGE:
            x = kiln_int(rand_in(&r, -5000, 5000));
            break;
        default:
            x = pool[rand_in(&r, 0, (int64_t)npool)];
            break;
        }
        v[i] = pairs ? ref_pair(a, x, kiln_int(rand_in(&r, -1000, 1001))) : x;
    }
    out->name = shape_names[shape];
    out->shape = shape;
    out->v = v;
    out->n = n;
    out->slices = slices;
}

kiln_rdd *kt_parallelize_at(const char *file, int line, kiln_context *ctx, const kt_data *d)
{
    kiln_rdd *r = kiln_parallelize(ctx, d->v, d->n, d->slices);
    if (!r) {
        kt_report("kiln_parallelize(%zu values, %d slices) returned NULL: %s", d->n, d->slices,
                  kiln_last_error());
        _fail(file, line);
    }
    return r;
}

void kt_run_cases(const char *op, bool pairs, kt_case_fn fn)
{
    kiln_arena *a = kiln_arena_new();
    assert_non_null(a);
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int s = 0; s < KT_SHAPE_COUNT; s++) {
            kiln_arena_reset(a);
            kt_data d;
            kt_set_case("%s, master %s, shape %s", op, kt_masters[m], shape_names[s]);
            kt_gen(a, s, pairs, 1000 + (uint64_t)s, 0, &d);
            fn(ctx, &d, a);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* ---- Checks --------------------------------------------------------------------- */

kiln_rdd *kt_rdd_at(const char *file, int line, const char *what, kiln_rdd *r)
{
    if (!r) {
        kt_report("%s returned NULL: %s", what, kiln_last_error());
        _fail(file, line);
    }
    return r;
}

kiln_value kt_collect_at(const char *file, int line, kiln_rdd *r, kiln_arena *a)
{
    kiln_value out = kiln_null();
    int rc = kiln_rdd_collect(r, a, &out);
    if (rc != KILN_OK) {
        kt_report("collect failed: %s: %s", kiln_err_name(rc), kiln_last_error());
        _fail(file, line);
    }
    if (out.type != KILN_LIST) {
        kt_report("collect returned a %s, not a list", type_name(out.type));
        _fail(file, line);
    }
    return out;
}

int64_t kt_count_at(const char *file, int line, kiln_rdd *r)
{
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    if (rc != KILN_OK) {
        kt_report("count failed: %s: %s", kiln_err_name(rc), kiln_last_error());
        _fail(file, line);
    }
    return n;
}

/* Compares two lists item by item; reports the first difference. */
static bool lists_equal(const kiln_value *got, const kiln_value *want, const char *how)
{
    if (got->type != KILN_LIST) {
        kt_report("expected a list, got %s", kt_fmt(got));
        return false;
    }
    size_t n = got->len < want->len ? got->len : want->len;
    for (size_t i = 0; i < n; i++) {
        if (!kiln_value_eq(&got->u.items[i], &want->u.items[i])) {
            kt_report("%s lists differ at item %zu of %u (expected %u items): got %s, "
                      "expected %s",
                      how, i, got->len, want->len, kt_fmt(&got->u.items[i]),
                      kt_fmt(&want->u.items[i]));
            return false;
        }
    }
    if (got->len != want->len) {
        const kiln_value *extra = got->len > want->len ? &got->u.items[n] : &want->u.items[n];
        kt_report("%s lists differ in length: got %u items, expected %u; first unmatched: %s "
                  "(%s)",
                  how, got->len, want->len, kt_fmt(extra),
                  got->len > want->len ? "extra in result" : "missing from result");
        return false;
    }
    return true;
}

void kt_expect_list_at(const char *file, int line, const kiln_value *got, const kiln_value *want)
{
    if (!lists_equal(got, want, "ordered")) _fail(file, line);
}

void kt_expect_multiset_at(const char *file, int line, kiln_arena *a, const kiln_value *got,
                           const kiln_value *want)
{
    if (got->type != KILN_LIST) {
        kt_report("expected a list, got %s", kt_fmt(got));
        _fail(file, line);
    }
    kiln_value g = ref_sorted(a, got, true);
    kiln_value w = ref_sorted(a, want, true);
    if (!lists_equal(&g, &w, "sorted (multiset)")) _fail(file, line);
}

void kt_expect_canonical_at(const char *file, int line, kiln_arena *a, const kiln_value *got,
                            const kiln_value *want)
{
    if (got->type != KILN_LIST) {
        kt_report("expected a list, got %s", kt_fmt(got));
        _fail(file, line);
    }
    kiln_value g = ref_canonical(a, got);
    kiln_value w = ref_canonical(a, want);
    if (!lists_equal(&g, &w, "canonical (inner lists sorted)")) _fail(file, line);
}

void kt_expect_value_at(const char *file, int line, const kiln_value *got, const kiln_value *want)
{
    if (!kiln_value_eq(got, want)) {
        kt_report("got %s, expected %s", kt_fmt(got), kt_fmt(want));
        _fail(file, line);
    }
}

void kt_expect_close_at(const char *file, int line, long double got, long double want,
                        long double rel, long double abs_tol, const char *what)
{
    if (isnan(got) && isnan(want)) return;
    long double scale = fabsl(want) > fabsl(got) ? fabsl(want) : fabsl(got);
    if (!(fabsl(got - want) <= rel * scale + abs_tol)) {
        kt_report("%s: got %.17Lg, expected %.17Lg (difference %.3Lg, tolerance %.3Lg)", what, got,
                  want, fabsl(got - want), rel * scale + abs_tol);
        _fail(file, line);
    }
}

/* ---- Files -------------------------------------------------------------------------- */

char *kt_tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *path = kt_path(base, "kiln-test-XXXXXX");
    if (!mkdtemp(path)) {
        kt_report("mkdtemp(%s): %s", path, strerror(errno));
        fail();
    }
    return path;
}

void kt_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char *child = kt_path(path, e->d_name);
                kt_rm_rf(child);
                free(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void kt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        kt_report("writing %s failed: %s", path, strerror(errno));
        fail();
    }
}

char *kt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) free(buf);
        buf = nb;
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

bool kt_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

char *kt_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) {
        kt_report("out of memory");
        fail();
    }
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

char **kt_list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    size_t cap = 16;
    char **names = malloc(cap * sizeof *names);
    *n = 0;
    struct dirent *e;
    while (names && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (*n == cap) {
            cap *= 2;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) {
                kt_names_free(names, *n);
                names = NULL;
                break;
            }
            names = nn;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names) qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

void kt_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int kt_count_entries(const char *dir, const char *prefix)
{
    size_t n;
    char **names = kt_list_dir(dir, &n);
    if (!names) return -1;
    int count = 0;
    for (size_t i = 0; i < n; i++) count += strncmp(names[i], prefix, strlen(prefix)) == 0;
    kt_names_free(names, n);
    return count;
}

bool kt_find_entry(const char *dir, const char *prefix, char *out, size_t n)
{
    size_t count;
    char **names = kt_list_dir(dir, &count);
    bool found = false;
    for (size_t i = 0; names && i < count && !found; i++) {
        if (strncmp(names[i], prefix, strlen(prefix)) == 0) {
            snprintf(out, n, "%s/%s", dir, names[i]);
            found = true;
        }
    }
    if (names) kt_names_free(names, count);
    return found;
}

void kt_flip_byte(const char *path, long off, unsigned char mask)
{
    FILE *f = fopen(path, "r+b");
    if (!f) fail_msg("cannot open %s to damage it", path);
    int c = fseek(f, off, SEEK_SET) == 0 ? fgetc(f) : EOF;
    if (c == EOF || fseek(f, off, SEEK_SET) != 0 || fputc(c ^ mask, f) == EOF) {
        fclose(f);
        fail_msg("cannot change byte %ld of %s", off, path);
    }
    fclose(f);
}

static int saved_stderr = -1;
static FILE *stderr_capture;

void kt_stderr_capture_start(void)
{
    stderr_capture = tmpfile();
    assert_non_null(stderr_capture);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(dup2(fileno(stderr_capture), STDERR_FILENO) >= 0);
}

char *kt_stderr_capture_stop(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    fseek(stderr_capture, 0, SEEK_END);
    long n = ftell(stderr_capture);
    rewind(stderr_capture);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, stderr_capture), (size_t)n);
    text[n] = '\0';
    fclose(stderr_capture);
    return text;
}

char *kt_conf_dir_new(const char *text)
{
    char *dir = strdup("/tmp/kiln-test-conf-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    if (text) {
        char *path = kt_path(dir, "kiln-defaults.conf");
        kt_write_file(path, text, strlen(text));
        free(path);
    }
    return dir;
}
