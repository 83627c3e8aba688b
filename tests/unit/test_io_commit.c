/*
 * tests/unit/test_io_commit.c - the output committer (src/io/commit.c):
 * part files and _SUCCESS (created last, watched with inotify), an existing
 * output directory refused and left as it was, aborts that leave nothing,
 * two attempts of one partition committing once, concurrent commits from
 * threads, write errors (injected with RLIMIT_FSIZE) reported as KILN_EIO
 * naming the file, and io_remove_tree not following links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

static char tmpdir[64];

static char *path_of(const char *rel) /* returns an owned string */
{
    char *p = malloc(strlen(tmpdir) + strlen(rel) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", tmpdir, rel);
    return p;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Reads a whole file into an owned, NUL-terminated string. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    size_t got;
    while ((got = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) p = realloc(p, cap *= 2);
    }
    fclose(f);
    p[n] = '\0';
    *len = n;
    return p;
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(s, f);
    assert_int_equal(fclose(f), 0);
}

/* The sorted names in dir, joined with ' '. Returns an owned string. */
static char *listing(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    char *out = calloc(1, 4096);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
            if (out[0] != '\0') strcat(out, " ");
            strcat(out, names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    return out;
}

static void expect_listing(const char *dir, const char *want)
{
    char *got = listing(dir);
    assert_string_equal(got, want);
    free(got);
}

/* Opens, fills with s and commits one attempt. */
static void write_attempt(io_output_job *job, int p, int a, const char *s)
{
    io_task_output *o;
    assert_int_equal(io_task_output_open(job, p, a, &o), KILN_OK);
    assert_int_equal(io_task_output_write(o, s, strlen(s)), KILN_OK);
    assert_int_equal(io_task_output_commit(o), KILN_OK);
}

static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/kiln-test-io-commit-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    return io_remove_tree(tmpdir) == KILN_OK ? 0 : -1;
}

/* ---- Tests ------------------------------------------------------------------ */

static void test_parts_and_success(void **state)
{
    char *dir = path_of("nested/new/out"); /* parents are created */
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    expect_listing(dir, "_temporary");

    /* Partition 0: one 1 MiB write (bypasses the buffer). */
    size_t big_len = (size_t)1 << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (char)('a' + i % 26);
    io_task_output *o;
    assert_int_equal(io_task_output_open(job, 0, 0, &o), KILN_OK);
    assert_int_equal(io_task_output_write(o, big, big_len), KILN_OK);
    assert_int_equal(io_task_output_commit(o), KILN_OK);

    /* Partition 1: many small writes, several buffers' worth. */
    assert_int_equal(io_task_output_open(job, 1, 0, &o), KILN_OK);
    size_t small_len = 0;
    char line[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(line, sizeof line, "line %d\n", i);
        assert_int_equal(io_task_output_write(o, line, (size_t)n), KILN_OK);
        small_len += (size_t)n;
    }
    assert_int_equal(io_task_output_commit(o), KILN_OK);

    /* Partition 2: empty. */
    assert_int_equal(io_task_output_open(job, 2, 0, &o), KILN_OK);
    assert_int_equal(io_task_output_commit(o), KILN_OK);

    char *tmp = path_of("nested/new/out/_temporary");
    expect_listing(tmp, "task-0 task-1 task-2");
    assert_int_equal(io_output_job_commit(job, 3), KILN_OK);
    expect_listing(dir, "_SUCCESS part-00000 part-00001 part-00002");

    char *f = path_of("nested/new/out/part-00000");
    size_t len;
    char *got = slurp(f, &len);
    assert_int_equal(len, big_len);
    assert_memory_equal(got, big, big_len);
    free(got);
    free(f);
    f = path_of("nested/new/out/part-00001");
    got = slurp(f, &len);
    assert_int_equal(len, small_len);
    assert_memory_equal(got, "line 0\nline 1\n", 14);
    assert_memory_equal(got + len - 11, "line 99999\n", 11);
    free(got);
    free(f);
    f = path_of("nested/new/out/part-00002");
    got = slurp(f, &len);
    assert_int_equal(len, 0);
    free(got);
    free(f);
    f = path_of("nested/new/out/_SUCCESS");
    got = slurp(f, &len);
    assert_int_equal(len, 0);
    free(got);
    free(f);
    free(tmp);
    free(big);
    free(dir);
}

/* inotify shows the order of the job commit's changes to dir: every part
 * moved in, then _temporary removed, then _SUCCESS created, last. */
static void test_success_is_written_last(void **state)
{
    char *dir = path_of("ordered");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    for (int p = 0; p < 5; p++) write_attempt(job, p, 0, "data\n");
    int fd = inotify_init1(IN_NONBLOCK);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE) >= 0);
    assert_int_equal(io_output_job_commit(job, 5), KILN_OK);

    char buf[1 << 16] __attribute__((aligned(8)));
    ssize_t n = read(fd, buf, sizeof buf);
    assert_true(n > 0);
    int moved = 0, step = 0;
    int temp_removed_at = -1, success_at = -1, last_part_at = -1;
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        if ((e->mask & IN_MOVED_TO) && strncmp(e->name, "part-", 5) == 0) {
            moved++;
            last_part_at = step;
        } else if ((e->mask & IN_DELETE) && strcmp(e->name, "_temporary") == 0) {
            temp_removed_at = step;
        } else if ((e->mask & IN_CREATE) && strcmp(e->name, "_SUCCESS") == 0) {
            success_at = step;
        }
        step++;
        p += sizeof *e + e->len;
    }
    close(fd);
    assert_int_equal(moved, 5);
    assert_true(last_part_at < temp_removed_at);
    assert_true(temp_removed_at < success_at);
    assert_int_equal(success_at, step - 1);
    free(dir);
}

static void test_existing_output_refused_untouched(void **state)
{
    char *dir = path_of("exists");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *keep = path_of("exists/keep.txt");
    write_file(keep, "precious\n");
    io_output_job *job = NULL;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_EEXIST);
    assert_null(job);
    char msg[256];
    snprintf(msg, sizeof msg, "output directory already exists: %s", dir);
    assert_string_equal(kiln_last_error(), msg);
    expect_listing(dir, "keep.txt");
    size_t len;
    char *got = slurp(keep, &len);
    assert_string_equal(got, "precious\n");
    free(got);

    /* A regular file in the way is refused as well. */
    char *file = path_of("a-file");
    write_file(file, "x");
    assert_int_equal(io_output_job_begin(file, &job), KILN_EEXIST);
    got = slurp(file, &len);
    assert_string_equal(got, "x");
    free(got);
    free(file);
    free(keep);
    free(dir);
}

static void test_abort_leaves_nothing(void **state)
{
    char *dir = path_of("aborted");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    write_attempt(job, 0, 0, "committed task\n");
    io_task_output *late;
    assert_int_equal(io_task_output_open(job, 1, 0, &late), KILN_OK);
    assert_int_equal(io_task_output_write(late, "still running\n", 14), KILN_OK);
    io_output_job_abort(job);
    assert_false(exists(dir));
    /* A straggler that commits after the abort is discarded, recreating
     * nothing; the job stayed alive for it (ASan checks the memory). */
    assert_int_equal(io_task_output_commit(late), KILN_ESTATE);
    assert_false(exists(dir));
    free(dir);
}

static void test_two_attempts_commit_once(void **state)
{
    char *dir = path_of("twice");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    io_task_output *a0, *a1;
    assert_int_equal(io_task_output_open(job, 0, 0, &a0), KILN_OK);
    assert_int_equal(io_task_output_open(job, 0, 1, &a1), KILN_OK);
    assert_int_equal(io_task_output_write(a0, "from attempt 0\n", 15), KILN_OK);
    assert_int_equal(io_task_output_write(a1, "from attempt 1\n", 15), KILN_OK);
    char *tmp = path_of("twice/_temporary");
    expect_listing(tmp, "attempt-0-0 attempt-0-1");
    assert_int_equal(io_task_output_commit(a1), KILN_OK);
    assert_int_equal(io_task_output_commit(a0), KILN_OK); /* loses: discarded */
    expect_listing(tmp, "task-0");
    assert_int_equal(io_output_job_commit(job, 1), KILN_OK);
    expect_listing(dir, "_SUCCESS part-00000");
    char *part = path_of("twice/part-00000");
    size_t len;
    char *got = slurp(part, &len);
    assert_string_equal(got, "from attempt 1\n");
    free(got);
    free(part);
    free(tmp);
    free(dir);
}

/* ---- Concurrent commits ------------------------------------------------- */

#define CONC_PARTS 16
#define CONC_ATTEMPTS 3

typedef struct conc {
    io_output_job *job;
    atomic_int next; /* the next (partition, attempt) to run */
    atomic_int failures;
} conc;

/* The content attempt a of partition p writes: distinct per attempt. */
static size_t attempt_lines(int p, int a)
{
    return 1000 + (size_t)p * 3000 + (size_t)a * 17;
}

static void *conc_worker(void *arg)
{
    conc *c = arg;
    int i;
    while ((i = atomic_fetch_add(&c->next, 1)) < CONC_PARTS * CONC_ATTEMPTS) {
        int p = i % CONC_PARTS, a = i / CONC_PARTS;
        io_task_output *o;
        if (io_task_output_open(c->job, p, a, &o) != KILN_OK) {
            atomic_fetch_add(&c->failures, 1);
            continue;
        }
        char line[64];
        for (size_t k = 0; k < attempt_lines(p, a); k++) {
            int n = snprintf(line, sizeof line, "p%d a%d %zu\n", p, a, k);
            if (io_task_output_write(o, line, (size_t)n) != KILN_OK)
                atomic_fetch_add(&c->failures, 1);
        }
        /* Every fourth partition's last attempt fails instead. */
        if (a == CONC_ATTEMPTS - 1 && p % 4 == 0) io_task_output_abort(o);
        else if (io_task_output_commit(o) != KILN_OK) atomic_fetch_add(&c->failures, 1);
    }
    return NULL;
}

static void test_concurrent_commits(void **state)
{
    char *dir = path_of("concurrent");
    conc c = {0};
    assert_int_equal(io_output_job_begin(dir, &c.job), KILN_OK);
    pthread_t th[8];
    for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&th[i], NULL, conc_worker, &c), 0);
    for (int i = 0; i < 8; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(atomic_load(&c.failures), 0);
    assert_int_equal(io_output_job_commit(c.job, CONC_PARTS), KILN_OK);

    char *names = listing(dir);
    assert_non_null(strstr(names, "_SUCCESS part-00000 part-00001"));
    assert_non_null(strstr(names, "part-00015"));
    assert_null(strstr(names, "part-00016"));
    assert_null(strstr(names, "_temporary"));
    free(names);
    /* Each part is exactly one attempt's output, whole. */
    for (int p = 0; p < CONC_PARTS; p++) {
        char rel[64];
        snprintf(rel, sizeof rel, "concurrent/part-%05d", p);
        char *path = path_of(rel);
        size_t len;
        char *got = slurp(path, &len);
        int a;
        assert_int_equal(sscanf(got, "p%*d a%d", &a), 1);
        assert_true(a >= 0 && a < CONC_ATTEMPTS);
        char want[64];
        size_t lines = attempt_lines(p, a), total = 0;
        char *at = got;
        for (size_t k = 0; k < lines; k++) {
            int n = snprintf(want, sizeof want, "p%d a%d %zu\n", p, a, k);
            assert_true(total + (size_t)n <= len);
            assert_memory_equal(at, want, (size_t)n);
            at += n;
            total += (size_t)n;
        }
        assert_int_equal(total, len);
        free(got);
        free(path);
    }
    free(dir);
}

/* ---- Failures ------------------------------------------------------------ */

static void test_task_abort_and_missing_partition(void **state)
{
    char *dir = path_of("missing");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    write_attempt(job, 0, 0, "zero\n");
    io_task_output *o;
    assert_int_equal(io_task_output_open(job, 1, 0, &o), KILN_OK);
    assert_int_equal(io_task_output_write(o, "one\n", 4), KILN_OK);
    char *attempt = path_of("missing/_temporary/attempt-1-0/part-00001");
    assert_true(exists(attempt));
    io_task_output_abort(o);
    assert_false(exists(attempt));
    /* Partition 1 never committed: the job fails and leaves nothing. */
    assert_int_equal(io_output_job_commit(job, 2), KILN_ESTATE);
    assert_non_null(strstr(kiln_last_error(), "partition 1"));
    assert_false(exists(dir));
    free(attempt);
    free(dir);
}

static void test_part_file_names(void **state)
{
    char *dir = path_of("names");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    io_task_output *o;
    assert_int_equal(io_task_output_open(job, 123456, 2, &o), KILN_OK);
    char *f = path_of("names/_temporary/attempt-123456-2/part-123456");
    assert_true(exists(f));
    io_task_output_abort(o);
    free(f);
    for (int p = 0; p < 12; p++) write_attempt(job, p, 0, "x\n");
    assert_int_equal(io_task_output_open(job, -1, 0, &o), KILN_EINVAL);
    assert_int_equal(io_output_job_commit(job, 12), KILN_OK);
    f = path_of("names/part-00011");
    assert_true(exists(f));
    free(f);
    free(dir);
}

/* A file size limit makes write(2) fail with EFBIG, as a full disk would
 * with ENOSPC: writes and commits report KILN_EIO naming the file. */
static void test_write_errors_are_eio(void **state)
{
    char *dir = path_of("full");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(dir, &job), KILN_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100000;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    /* A large write goes straight to the file and fails at once. */
    size_t big_len = (size_t)1 << 20;
    char *big = calloc(1, big_len);
    io_task_output *o;
    assert_int_equal(io_task_output_open(job, 0, 0, &o), KILN_OK);
    assert_int_equal(io_task_output_write(o, big, big_len), KILN_EIO);
    char *want = path_of("full/_temporary/attempt-0-0/part-00000");
    assert_non_null(strstr(kiln_last_error(), want));
    assert_non_null(strstr(kiln_last_error(), strerror(EFBIG)));
    assert_int_equal(io_task_output_write(o, "x", 1), KILN_EIO); /* stays failed */
    assert_int_equal(io_task_output_commit(o), KILN_EIO);
    free(want);

    /* Small writes fit the buffer; the failure shows at the commit. */
    assert_int_equal(io_task_output_open(job, 1, 0, &o), KILN_OK);
    for (int i = 0; i < 200; i++) assert_int_equal(io_task_output_write(o, big, 1000), KILN_OK);
    assert_int_equal(io_task_output_commit(o), KILN_EIO);
    want = path_of("full/_temporary/attempt-1-0/part-00001");
    assert_non_null(strstr(kiln_last_error(), want));
    free(want);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    char *tmp = path_of("full/_temporary");
    expect_listing(tmp, ""); /* failed attempts were deleted */
    free(tmp);
    io_output_job_abort(job);
    assert_false(exists(dir));
    free(big);
    free(dir);
}

static void test_remove_tree_stays_inside(void **state)
{
    char *outside = path_of("outside");
    assert_int_equal(mkdir(outside, 0755), 0);
    char *keep = path_of("outside/keep");
    write_file(keep, "keep");
    char *tree = path_of("tree");
    assert_int_equal(mkdir(tree, 0755), 0);
    char *sub = path_of("tree/a");
    assert_int_equal(mkdir(sub, 0755), 0);
    free(sub);
    sub = path_of("tree/a/b");
    assert_int_equal(mkdir(sub, 0755), 0);
    free(sub);
    sub = path_of("tree/a/b/file");
    write_file(sub, "f");
    free(sub);
    sub = path_of("tree/a/link-to-outside");
    assert_int_equal(symlink(outside, sub), 0);
    free(sub);
    sub = path_of("tree/.hidden");
    write_file(sub, "h");
    free(sub);

    assert_int_equal(io_remove_tree(tree), KILN_OK);
    assert_false(exists(tree));
    assert_true(exists(keep));
    assert_int_equal(io_remove_tree(tree), KILN_OK); /* already gone: fine */
    free(tree);
    free(keep);
    free(outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_and_success),
        cmocka_unit_test(test_success_is_written_last),
        cmocka_unit_test(test_existing_output_refused_untouched),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_two_attempts_commit_once),
        cmocka_unit_test(test_concurrent_commits),
        cmocka_unit_test(test_task_abort_and_missing_partition),
        cmocka_unit_test(test_part_file_names),
        cmocka_unit_test(test_write_errors_are_eio),
        cmocka_unit_test(test_remove_tree_stays_inside),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
