/*
 * test_ops_io.c - save_as_text_file, text_file and whole_text_files, under
 * local[1], local[2] and local[8]: saved part files hold the formatted
 * values of their partition, text_file reads back exactly the lines of the
 * files in order whatever the split count, whole_text_files gives each
 * file's content once, and the members of .zip and .tgz archives are read
 * as files of their own. Files live in fresh directories under $TMPDIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/base.h"
#include "kt.h"

/* ---- save_as_text_file ---------------------------------------------------------------- */

/* The expected content of part file i: one formatted value per line. */
static kiln_buf expected_part(const kt_data *d, int i)
{
    kiln_buf b;
    kiln_buf_init(&b);
    size_t lo, hi;
    ref_slice(d->n, d->slices, i, &lo, &hi);
    for (size_t j = lo; j < hi; j++) {
        assert_int_equal(kiln_value_format(&b, &d->v[j]), KILN_OK);
        assert_int_equal(kiln_buf_append(&b, "\n", 1), KILN_OK);
    }
    return b;
}

/* Checks that dir holds part-00000 .. part-(k-1) with the slices' values,
 * and _SUCCESS; any other entry must be a hidden (dot) file. */
static void expect_saved(const char *dir, const kt_data *d)
{
    size_t n = 0;
    char **names = kt_list_dir(dir, &n);
    KT_CHECK(names != NULL, "output directory %s is missing", dir);
    size_t parts = 0;
    bool success = false;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(names[i], "part-", 5)) parts++;
        else if (!strcmp(names[i], "_SUCCESS")) success = true;
        else KT_CHECK(names[i][0] == '.', "unexpected entry %s in the output", names[i]);
    }
    kt_names_free(names, n);
    KT_CHECK(success, "_SUCCESS is missing");
    KT_CHECK(parts == (size_t)d->slices, "%zu part files for %d partitions", parts, d->slices);
    for (int i = 0; i < d->slices; i++) {
        char name[32];
        snprintf(name, sizeof name, "part-%05d", i);
        char *path = kt_path(dir, name);
        size_t len = 0;
        char *got = kt_read_file(path, &len);
        KT_CHECK(got != NULL, "%s is missing", path);
        kiln_buf want = expected_part(d, i);
        bool same = len == want.len && (len == 0 || !memcmp(got, want.data, len));
        if (!same) {
            size_t at = 0;
            while (at < len && at < want.len && got[at] == (char)want.data[at]) at++;
            kt_report("%s: %zu bytes, expected %zu; first difference at byte %zu", path, len,
                      want.len, at);
        }
        kiln_buf_release(&want);
        free(got);
        free(path);
        KT_CHECK(same, "part file content differs");
    }
}

static void save_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    char *tmp = kt_tmpdir_new();
    char *out = kt_path(tmp, "out");
    kiln_rdd *x = kt_parallelize(ctx, d);
    KT_OK(kiln_rdd_save_as_text_file(x, out));
    expect_saved(out, d);

    /* text_file over the output reads the parts in order, skipping _SUCCESS. */
    kiln_value got = kt_collect(kt_rdd(kiln_text_file(ctx, out, 3)), a);
    kiln_value *want = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) want[i] = ref_format(a, &d->v[i]);
    kiln_value wl = kiln_list_ref(want, d->n);
    kt_expect_list(&got, &wl);

    /* Saving again to the same path fails and leaves the output as it was. */
    KT_RC(KILN_EEXIST, kiln_rdd_save_as_text_file(x, out));
    expect_saved(out, d);

    kt_rm_rf(tmp);
    free(out);
    free(tmp);
}

static void save_as_text_file_writes_one_part_per_partition_and_success(void **state)
{
    kt_run_cases("save_as_text_file", false, save_case);
}

static void save_as_text_file_of_pairs_formats_tuples(void **state)
{
    kt_run_cases("save_as_text_file pairs", true, save_case);
}

static void save_as_text_file_into_existing_directory_fails_and_keeps_it(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("save into existing dir, master %s", kt_masters[m]);
        char *tmp = kt_tmpdir_new();
        char *keep = kt_path(tmp, "keep.txt");
        kt_write_file(keep, "precious\n", 9);
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 100, 1, 4));
        KT_RC(KILN_EEXIST, kiln_rdd_save_as_text_file(x, tmp));
        size_t n = 0;
        char **names = kt_list_dir(tmp, &n);
        KT_CHECK(names && n == 1 && !strcmp(names[0], "keep.txt"),
                 "the existing directory was changed (%zu entries)", n);
        kt_names_free(names, n);
        size_t len;
        char *content = kt_read_file(keep, &len);
        KT_CHECK(content && len == 9 && !memcmp(content, "precious\n", 9),
                 "the existing file was changed");
        free(content);
        /* An existing plain file at the path is refused as well. */
        KT_RC(KILN_EEXIST, kiln_rdd_save_as_text_file(x, keep));
        content = kt_read_file(keep, &len);
        KT_CHECK(content && len == 9 && !memcmp(content, "precious\n", 9),
                 "the existing file was changed");
        free(content);
        kt_rm_rf(tmp);
        free(keep);
        free(tmp);
        kiln_context_free(ctx);
    }
}

/* ---- text_file ------------------------------------------------------------------------------ */

/* A text of about 400 KB: short and empty lines, multi-byte UTF-8, CRLF
 * endings, a 150 KB line, and (when final_newline is false) a last line
 * without "\n". */
static char *make_text(uint64_t seed, bool final_newline, size_t *len)
{
    rng r;
    rng_seed(&r, seed);
    size_t cap = 1 << 20, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    static const char *const words[] = {
        "kiln",   "spark", "\xe4\xb8\xad\xe6\x96\x87", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80",
        "a b\tc", ""};
    for (int line = 0; line < 6000; line++) {
        int kind = (int)(rng_next(&r) % 10);
        if (line == 3000) {
            for (int i = 0; i < 150000; i++) t[n++] = (char)('a' + rng_next(&r) % 26);
        } else if (kind > 0) {
            int nw = (int)(rng_next(&r) % 12);
            for (int w = 0; w < nw; w++) {
                const char *s = words[rng_next(&r) % (sizeof words / sizeof *words)];
                size_t sl = strlen(s);
                memcpy(t + n, s, sl);
                n += sl;
                t[n++] = ' ';
            }
        } /* kind 0: an empty line */
        if (line % 7 == 3) t[n++] = '\r';
        t[n++] = '\n';
        assert_true(n + 4096 < cap);
    }
    memcpy(t + n, "last line", 9);
    n += 9;
    if (final_newline) t[n++] = '\n';
    *len = n;
    return t;
}

static void text_file_reads_every_line_once_in_order_for_any_split_count(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *path = kt_path(tmp, "input.txt");
    size_t len;
    char *text = make_text(1, false, &len);
    kt_write_file(path, text, len);
    kiln_arena *a = kiln_arena_new();
    kiln_value want = ref_lines(a, text, len);
    static const int mins[] = {0, 1, 2, 3, 7, 50};
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (size_t c = 0; c < sizeof mins / sizeof *mins; c++) {
            kt_set_case("text_file min_partitions %d, master %s", mins[c], kt_masters[m]);
            kiln_rdd *r = kt_rdd(kiln_text_file(ctx, path, mins[c]));
            int np = kiln_rdd_num_partitions(r);
            int floor_np = mins[c] ? mins[c] : 1;
            KT_CHECK(np >= floor_np, "%d partitions for min_partitions %d", np, mins[c]);
            kiln_value got = kt_collect(r, a);
            kt_expect_list(&got, &want);
            KT_CHECK(kt_count(r) == (int64_t)want.len, "count differs");
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(text);
    kt_rm_rf(tmp);
    free(path);
    free(tmp);
}

/* Reads n bytes at off of the file at path into out (n + 1 bytes). */
static bool read_at(const char *path, int64_t off, size_t n, char *out)
{
    FILE *f = fopen(path, "rb");
    bool ok = f && fseek(f, (long)off, SEEK_SET) == 0 && fread(out, 1, n, f) == n;
    if (f) fclose(f);
    return ok;
}

/* Checks each (offset, line) record against the file (its path is the env,
 * so the check runs the same on an executor): the line starts at offset,
 * the task names the file, and the line number found from the offset is
 * the one counted here. */
static int check_offset(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    const char *path = env;
    int64_t off = in->u.items[0].u.i;
    const kiln_value *line = &in->u.items[1];
    *keep = false;
    char *text = malloc((size_t)off + line->len + 1);
    if (!text) return kiln_task_fail(t, "out of memory");
    bool sample = off % 97 == 0 || line->len == 9; /* counting lines is slow */
    /* The bytes before the line only for a sample. */
    int64_t from = sample ? 0 : off;
    if (!read_at(path, from, (size_t)(off - from) + line->len, text)) {
        free(text);
        return kiln_task_fail(t, "cannot read %s at %lld", path, (long long)off);
    }
    int rc = KILN_OK;
    if (memcmp(text + (off - from), line->u.s, line->len) != 0)
        rc = kiln_task_fail(t, "the line at offset %lld differs", (long long)off);
    const char *file = kiln_task_input_file(t);
    if (!rc && (!file || !strstr(file, "input.txt")))
        rc = kiln_task_fail(t, "input file not named");
    if (!rc && sample) {
        int64_t want = 1, got = 0;
        for (int64_t i = 0; i < off; i++) want += text[i] == '\n';
        if (kiln_input_line_number(file, off, &got) != KILN_OK || got != want)
            rc = kiln_task_fail(t, "line %lld for offset %lld, want %lld", (long long)got,
                                (long long)off, (long long)want);
    }
    free(text);
    *keep = rc == KILN_OK;
    return rc;
}

static void text_file_with_offsets_gives_line_starts_and_line_numbers(void **state)
{
    char *tmp = kt_tmpdir_new();
    char *path = kt_path(tmp, "input.txt");
    size_t len;
    char *text = make_text(2, false, &len);
    kt_write_file(path, text, len);
    kiln_arena *a = kiln_arena_new();
    kiln_value want = ref_lines(a, text, len);
    kiln_context *ctx = kt_context_new("local[2]");
    for (int parts = 1; parts <= 7; parts += 3) {
        kt_set_case("text_file_with_offsets, min_partitions %d", parts);
        kiln_rdd *r = kt_rdd(kiln_text_file_with_offsets(ctx, path, parts));
        kiln_rdd *ok = kt_rdd(kiln_rdd_filter(r, check_offset, path, strlen(path) + 1));
        KT_CHECK(kt_count(ok) == (int64_t)want.len, "a line's offset or number was wrong: %s",
                 kiln_last_error());
    }
    kiln_context_free(ctx);
    kiln_arena_free(a);
    free(text);
    kt_rm_rf(tmp);
    free(path);
    free(tmp);
}

static void write_gz(const char *path, const char *data, size_t len)
{
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(f), Z_OK);
}

static void text_file_reads_directories_globs_and_gzip_in_name_order(void **state)
{
    char *tmp = kt_tmpdir_new();
    size_t la, lb;
    char *ta = make_text(2, false, &la), *tb = make_text(3, true, &lb);
    static const char small[] = "one\ntwo\r\n\nfour\n";
    char *pa = kt_path(tmp, "a.txt"), *pb = kt_path(tmp, "b.txt"), *pc = kt_path(tmp, "c.txt");
    char *pd = kt_path(tmp, "d.gz"), *ph = kt_path(tmp, ".hidden"), *pu = kt_path(tmp, "_meta");
    kt_write_file(pa, ta, la);
    kt_write_file(pb, tb, lb);
    kt_write_file(pc, "", 0);
    write_gz(pd, small, sizeof small - 1);
    kt_write_file(ph, "hidden line\n", 12);
    kt_write_file(pu, "underscore line\n", 16);

    kiln_arena *a = kiln_arena_new();
    kiln_value wa = ref_lines(a, ta, la), wb = ref_lines(a, tb, lb);
    kiln_value wd = ref_lines(a, small, sizeof small - 1);
    size_t nall = wa.len + wb.len + wd.len;
    kiln_value *all = ref_alloc(a, nall);
    memcpy(all, wa.u.items, wa.len * sizeof *all);
    memcpy(all + wa.len, wb.u.items, wb.len * sizeof *all);
    memcpy(all + wa.len + wb.len, wd.u.items, wd.len * sizeof *all);
    kiln_value want_dir = kiln_list_ref(all, nall);
    kiln_value want_txt = kiln_list_ref(all, wa.len + wb.len);
    char *glob = kt_path(tmp, "*.txt");
    char *glob_b = kt_path(tmp, "b*");
    size_t nba = strlen(pa) + strlen(pb) + 2;
    char *list_ba = malloc(nba);
    snprintf(list_ba, nba, "%s,%s", pb, pa);
    kiln_value *ba = ref_alloc(a, wa.len + wb.len);
    memcpy(ba, wb.u.items, wb.len * sizeof *ba);
    memcpy(ba + wb.len, wa.u.items, wa.len * sizeof *ba);
    kiln_value want_ba = kiln_list_ref(ba, wa.len + wb.len);

    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int mp = 1; mp <= 9; mp += 4) {
            kt_set_case("text_file dir, min_partitions %d, master %s", mp, kt_masters[m]);
            kiln_value got = kt_collect(kt_rdd(kiln_text_file(ctx, tmp, mp)), a);
            kt_expect_list(&got, &want_dir);
            kt_case_detail("glob *.txt");
            got = kt_collect(kt_rdd(kiln_text_file(ctx, glob, mp)), a);
            kt_expect_list(&got, &want_txt);
            kt_case_detail("glob b*");
            got = kt_collect(kt_rdd(kiln_text_file(ctx, glob_b, mp)), a);
            kt_expect_list(&got, &wb);
            kt_case_detail("gzip file");
            got = kt_collect(kt_rdd(kiln_text_file(ctx, pd, mp)), a);
            kt_expect_list(&got, &wd);
            kt_case_detail("list b.txt,a.txt: b's lines, then a's");
            got = kt_collect(kt_rdd(kiln_text_file(ctx, list_ba, mp)), a);
            kt_expect_list(&got, &want_ba);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(ta);
    free(tb);
    free(glob);
    free(glob_b);
    free(list_ba);
    free(pa), free(pb), free(pc), free(pd), free(ph), free(pu);
    kt_rm_rf(tmp);
    free(tmp);
}

static void text_file_of_missing_path_fails_naming_the_path(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("text_file missing path");
    char *tmp = kt_tmpdir_new();
    char *missing = kt_path(tmp, "no-such-file.txt");
    kiln_rdd *r = kiln_text_file(ctx, missing, 2);
    kiln_value out;
    KT_CHECK(r == NULL || kiln_rdd_collect(r, a, &out) != KILN_OK,
             "reading a missing file succeeded");
    KT_CHECK(strstr(kiln_last_error(), "no-such-file.txt") != NULL,
             "the error does not name the file: %s", kiln_last_error());
    /* In a comma-separated list too, with Spark's words: the list is not
     * read without it, and a chain over it fails with the message. */
    char *real = kt_path(tmp, "real.txt");
    kt_write_file(real, "a b\n", 4);
    size_t nl = strlen(real) + strlen(missing) + 2;
    char *list = malloc(nl);
    snprintf(list, nl, "%s,%s", real, missing);
    r = kiln_text_file(ctx, list, 2);
    kiln_rdd *words = kiln_rdd_flat_map(kiln_rdd_union(kiln_text_file(ctx, real, 0), r),
                                        kiln_fn_split_whitespace, NULL, 0);
    KT_CHECK(r == NULL && kiln_rdd_count(words, &(int64_t){0}) != KILN_OK,
             "a list with a missing file was read");
    char want[600];
    snprintf(want, sizeof want, "Input path does not exist: %s", missing);
    KT_CHECK(strcmp(kiln_last_error(), want) == 0, "error '%s', expected '%s'", kiln_last_error(),
             want);
    free(list);
    free(real);
    kt_rm_rf(tmp);
    free(missing);
    free(tmp);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

/* ---- archives ---------------------------------------------------------------------------- */

/* Member i of the test archives: "m<i> line <j>" for j = 1..lines[i]; the
 * last one without a final newline. */
static const char *const arch_members[] = {"m1.txt", "dir/m2.txt", "m3.txt.gz"};
static const int arch_lines[] = {500, 1, 300};
#define ARCH_N 3

static char *arch_member_text(int i, size_t *len)
{
    size_t cap = (size_t)arch_lines[i] * 24 + 1, n = 0;
    char *p = malloc(cap);
    assert_non_null(p);
    for (int j = 1; j <= arch_lines[i]; j++)
        n += (size_t)snprintf(p + n, cap - n, "m%d line %d%s", i + 1, j,
                              i == ARCH_N - 1 && j == arch_lines[i] ? "" : "\n");
    *len = n;
    return p;
}

/* Makes tmp/data.zip and tmp/data.tgz holding the members, in order. */
static void make_test_archives(const char *tmp)
{
    for (int i = 0; i < ARCH_N; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "src/%s", arch_members[i]);
        char *dir = kt_path(tmp, "src"), *sub = kt_path(tmp, "src/dir"), *p = kt_path(tmp, rel);
        mkdir(dir, 0755);
        mkdir(sub, 0755);
        size_t len;
        char *text = arch_member_text(i, &len);
        if (strstr(rel, ".gz")) write_gz(p, text, len);
        else kt_write_file(p, text, len);
        free(text);
        free(dir), free(sub), free(p);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s/src' && /usr/bin/python3 -c \"\n"
             "import tarfile, zipfile\n"
             "names = ['m1.txt', 'dir/m2.txt', 'm3.txt.gz']\n"
             "with zipfile.ZipFile('../data.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
             "    [z.write(n) for n in names]\n"
             "with tarfile.open('../data.tgz', 'w:gz') as t:\n"
             "    [t.add(n) for n in names]\n\"",
             tmp);
    if (system(cmd) != 0) fail_msg("python3 failed: %s", cmd);
}

/* Keeps an (offset, line) record of an archive's member when the task names
 * the member ("ARCHIVE:MEMBER") and the line number found from the offset
 * is the one the line holds ("m<i> line <j>"). */
static int check_member_offset(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    const char *archive = env;
    int64_t off = in->u.items[0].u.i;
    const kiln_value *line = &in->u.items[1];
    const char *file = kiln_task_input_file(t);
    int m = 0, j = 0;
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)line->len, line->u.s);
    *keep = false;
    if (sscanf(text, "m%d line %d", &m, &j) != 2 || m < 1 || m > ARCH_N)
        return kiln_task_fail(t, "unexpected line '%s'", text);
    size_t an = strlen(archive);
    if (!file || strncmp(file, archive, an) != 0 || file[an] != ':' ||
        strcmp(file + an + 1, arch_members[m - 1]) != 0)
        return kiln_task_fail(t, "line '%s' read from '%s'", text, file ? file : "(none)");
    int64_t got = 0;
    bool sample = off % 7 == 0 || j == 1; /* counting lines reads the member */
    if (sample && (kiln_input_line_number(file, off, &got) != KILN_OK || got != j))
        return kiln_task_fail(t, "%s: line %lld for offset %lld, want %d: %s", file, (long long)got,
                              (long long)off, j, kiln_last_error());
    *keep = true;
    return KILN_OK;
}

/* text_file over a .zip or .tgz reads each member as a file, in order;
 * whole_text_files gives one (ARCHIVE:MEMBER, content) record per member;
 * text_file_with_offsets names the member and counts from its start. */
static void text_file_reads_archive_members_as_files(void **state)
{
    char *tmp = kt_tmpdir_new();
    make_test_archives(tmp);
    kiln_arena *a = kiln_arena_new();
    kiln_buf all;
    kiln_buf_init(&all);
    size_t total = 0;
    char *texts[ARCH_N];
    size_t lens[ARCH_N];
    for (int i = 0; i < ARCH_N; i++) {
        texts[i] = arch_member_text(i, &lens[i]);
        assert_int_equal(kiln_buf_append(&all, texts[i], lens[i]), KILN_OK);
        if (i < ARCH_N - 1) assert_true(texts[i][lens[i] - 1] == '\n');
        total += (size_t)arch_lines[i];
    }
    kiln_value want = ref_lines(a, (const char *)all.data, all.len);
    assert_int_equal(want.len, total);
    static const char *const names[] = {"data.zip", "data.tgz"};
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (size_t k = 0; k < 2; k++) {
            char *path = kt_path(tmp, names[k]);
            kt_set_case("text_file %s, master %s", names[k], kt_masters[m]);
            kiln_value got = kt_collect(kt_rdd(kiln_text_file(ctx, path, 4)), a);
            kt_expect_list(&got, &want);
            kt_case_detail("with offsets");
            kiln_rdd *r = kt_rdd(kiln_text_file_with_offsets(ctx, path, 0));
            kiln_rdd *ok = kt_rdd(kiln_rdd_filter(r, check_member_offset, path, strlen(path) + 1));
            KT_CHECK(kt_count(ok) == (int64_t)total, "a member's name or line was wrong: %s",
                     kiln_last_error());
            kt_case_detail("whole_text_files");
            got = kt_collect(kt_rdd(kiln_whole_text_files(ctx, path, 0)), a);
            KT_CHECK(got.len == ARCH_N, "%u records, expected %d", got.len, ARCH_N);
            for (uint32_t i = 0; i < got.len && i < ARCH_N; i++) {
                char name[600];
                snprintf(name, sizeof name, "%s:%s", path, arch_members[i]);
                kiln_value wn = kiln_str_ref(name, strlen(name));
                kiln_value wc = kiln_str_ref(texts[i], lens[i]);
                kt_expect_value(kiln_key(&got.u.items[i]), &wn);
                kt_expect_value(kiln_val(&got.u.items[i]), &wc);
            }
            free(path);
        }
        /* A damaged archive fails the job naming it. */
        char *bad = kt_path(tmp, "bad.zip");
        static const char not_zip[] = "PK\x03\x04 not really a zip\n";
        kt_write_file(bad, not_zip, sizeof not_zip - 1);
        kt_set_case("text_file of a damaged zip, master %s", kt_masters[m]);
        kiln_value out;
        KT_CHECK(kiln_rdd_collect(kt_rdd(kiln_text_file(ctx, bad, 0)), a, &out) != KILN_OK,
                 "a damaged zip was read");
        KT_CHECK(strstr(kiln_last_error(), "bad.zip") != NULL, "the error does not name it: %s",
                 kiln_last_error());
        free(bad);
        kiln_context_free(ctx);
    }
    for (int i = 0; i < ARCH_N; i++) free(texts[i]);
    kiln_buf_release(&all);
    kiln_arena_free(a);
    kt_rm_rf(tmp);
    free(tmp);
}

/* ---- whole_text_files -------------------------------------------------------------------- */

static void whole_text_files_gives_each_file_content_once(void **state)
{
    char *tmp = kt_tmpdir_new();
    size_t la;
    char *ta = make_text(4, true, &la);
    static const char crlf[] = "x\r\ny\r\n\xe4\xb8\xad\xe6\x96\x87\r\n";
    struct {
        const char *name;
        const char *data;
        size_t len;
    } files[] = {
        {"big.txt", ta, la},
        {"crlf.txt", crlf, sizeof crlf - 1},
        {"empty.txt", "", 0},
        {"one-line", "no newline", 10},
    };
    size_t nfiles = sizeof files / sizeof *files;
    for (size_t i = 0; i < nfiles; i++) {
        char *p = kt_path(tmp, files[i].name);
        kt_write_file(p, files[i].data, files[i].len);
        free(p);
    }
    char *hidden = kt_path(tmp, ".hidden");
    kt_write_file(hidden, "skip me", 7);
    free(hidden);

    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int mp = 1; mp <= 3; mp += 2) {
            kt_set_case("whole_text_files min_partitions %d, master %s", mp, kt_masters[m]);
            kiln_value got = kt_collect(kt_rdd(kiln_whole_text_files(ctx, tmp, mp)), a);
            KT_CHECK(got.len == nfiles, "%u files, expected %zu", got.len, nfiles);
            kiln_value sorted = ref_sorted(a, &got, true); /* by path: names are in order */
            for (size_t i = 0; i < nfiles; i++) {
                const kiln_value *pair = &sorted.u.items[i];
                KT_CHECK(kiln_is_pair(pair) && kiln_key(pair)->type == KILN_STR &&
                             kiln_val(pair)->type == KILN_STR,
                         "not a (path, content) pair of strings: %s", kt_fmt(pair));
                const kiln_value *path = kiln_key(pair), *content = kiln_val(pair);
                size_t nl = strlen(files[i].name);
                KT_CHECK(path->len > nl && path->u.s[path->len - nl - 1] == '/' &&
                             !memcmp(path->u.s + path->len - nl, files[i].name, nl),
                         "path %s does not end with /%s", kt_fmt(path), files[i].name);
                kiln_value want = kiln_str_ref(files[i].data, files[i].len);
                kt_expect_value(content, &want);
            }
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(ta);
    kt_rm_rf(tmp);
    free(tmp);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_as_text_file_writes_one_part_per_partition_and_success),
        cmocka_unit_test(save_as_text_file_of_pairs_formats_tuples),
        cmocka_unit_test(save_as_text_file_into_existing_directory_fails_and_keeps_it),
        cmocka_unit_test(text_file_reads_every_line_once_in_order_for_any_split_count),
        cmocka_unit_test(text_file_reads_directories_globs_and_gzip_in_name_order),
        cmocka_unit_test(text_file_with_offsets_gives_line_starts_and_line_numbers),
        cmocka_unit_test(text_file_of_missing_path_fails_naming_the_path),
        cmocka_unit_test(whole_text_files_gives_each_file_content_once),
        cmocka_unit_test(text_file_reads_archive_members_as_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
