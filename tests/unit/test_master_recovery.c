/*
 * test_master_recovery.c - the standalone master's state file
 * (src/deploy/master_recovery.c, docs/formats/master_state.md): a state
 * saved and loaded comes back exactly; no file is "nothing to recover";
 * a file cut at any length or with any byte changed is refused with
 * KILN_ECORRUPT naming the file (never a crash, nothing returned); a save
 * that fails at its Nth write, fsync or rename (fault simulation) leaves
 * the previous file whole and no temporary file behind; the writer refuses
 * a state its reader would refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fault.h"
#include "deploy/master_int.h"
#include "kt.h"

/* A state with two workers, a running and a finished application, and the
 * running one's executors on both workers; gen varies the numbers. */
static void sample(master_state *s, uint32_t gen)
{
    memset(s, 0, sizeof *s);
    s->next_worker_id = 2 + gen;
    s->next_app_id = 7 + gen;
    s->nworkers = 2;
    s->workers = calloc(2, sizeof *s->workers);
    s->napps = 2;
    s->apps = calloc(2, sizeof *s->apps);
    s->nexecs = 3;
    s->execs = calloc(3, sizeof *s->execs);
    assert_non_null(s->workers);
    assert_non_null(s->apps);
    assert_non_null(s->execs);
    for (uint32_t i = 0; i < 2; i++) {
        mstate_worker *w = &s->workers[i];
        snprintf(w->id, sizeof w->id, "worker-%u", i + 1 + gen);
        snprintf(w->offer.host, sizeof w->offer.host, "10.0.0.%u", i + 1);
        w->offer.cores = 4 + i;
        w->offer.memory = (8ull << 30) + gen;
        snprintf(w->offer.work_dir, sizeof w->offer.work_dir, "/srv/kiln/w%u", i);
    }
    mstate_app *a = &s->apps[0];
    snprintf(a->id, sizeof a->id, "app-%u", 6 + gen);
    snprintf(a->name, sizeof a->name, "wordcount \"é\" %u", gen);
    a->state = DEPLOY_APP_RUNNING;
    a->total_cores = 3;
    a->executor_cores = 1;
    a->cores = 3;
    a->executor_memory = 512ull << 20;
    snprintf(a->driver, sizeof a->driver, "10.0.0.9:40123");
    a = &s->apps[1];
    snprintf(a->id, sizeof a->id, "app-%u", 5 + gen);
    snprintf(a->name, sizeof a->name, "pi");
    a->state = DEPLOY_APP_FINISHED;
    a->executor_memory = 1 << 30;
    snprintf(a->driver, sizeof a->driver, "[::1]:5");
    for (uint32_t i = 0; i < 3; i++) {
        deploy_exec_status *e = &s->execs[i];
        memcpy(e->app_id, s->apps[0].id, sizeof e->app_id);
        e->executor = i;
        memcpy(e->worker_id, s->workers[i % 2].id, sizeof e->worker_id);
        e->cores = 1;
        e->memory = s->apps[0].executor_memory;
        e->state = i == 2 ? DEPLOY_EXEC_RESTARTING : DEPLOY_EXEC_RUNNING;
    }
}

static void same_state(const master_state *a, const master_state *b)
{
    assert_true(a->next_worker_id == b->next_worker_id);
    assert_true(a->next_app_id == b->next_app_id);
    assert_int_equal(a->nworkers, b->nworkers);
    for (uint32_t i = 0; i < a->nworkers; i++) {
        assert_string_equal(a->workers[i].id, b->workers[i].id);
        assert_string_equal(a->workers[i].offer.host, b->workers[i].offer.host);
        assert_int_equal(a->workers[i].offer.cores, b->workers[i].offer.cores);
        assert_true(a->workers[i].offer.memory == b->workers[i].offer.memory);
        assert_string_equal(a->workers[i].offer.work_dir, b->workers[i].offer.work_dir);
    }
    assert_int_equal(a->napps, b->napps);
    for (uint32_t i = 0; i < a->napps; i++) {
        const mstate_app *x = &a->apps[i], *y = &b->apps[i];
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->state, y->state);
        assert_int_equal(x->total_cores, y->total_cores);
        assert_int_equal(x->executor_cores, y->executor_cores);
        assert_int_equal(x->cores, y->cores);
        assert_true(x->executor_memory == y->executor_memory);
        assert_string_equal(x->driver, y->driver);
    }
    assert_int_equal(a->nexecs, b->nexecs);
    for (uint32_t i = 0; i < a->nexecs; i++) {
        const deploy_exec_status *x = &a->execs[i], *y = &b->execs[i];
        assert_string_equal(x->app_id, y->app_id);
        assert_int_equal(x->executor, y->executor);
        assert_string_equal(x->worker_id, y->worker_id);
        assert_int_equal(x->cores, y->cores);
        assert_true(x->memory == y->memory);
        assert_int_equal(x->state, y->state);
    }
}

static char *state_path(const char *dir)
{
    char *p = malloc(strlen(dir) + 32);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, MASTER_STATE_FILE);
    return p;
}

/* The number of entries of dir, "." and ".." left out. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void round_trip(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    master_state in, out;
    bool found = true;
    KT_OK(master_state_load(dir, &out, &found));
    assert_false(found); /* nothing yet: nothing to recover */
    sample(&in, 0);
    KT_OK(master_state_save(dir, &in));
    KT_OK(master_state_load(dir, &out, &found));
    assert_true(found);
    same_state(&in, &out);
    master_state_release(&out);
    char *path = state_path(dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(dir), 1);
    /* Saved again with other values: the new ones replace the old. */
    master_state_release(&in);
    sample(&in, 3);
    KT_OK(master_state_save(dir, &in));
    KT_OK(master_state_load(dir, &out, &found));
    same_state(&in, &out);
    master_state_release(&out);
    /* An empty state too. */
    master_state empty = {.next_worker_id = 9};
    KT_OK(master_state_save(dir, &empty));
    KT_OK(master_state_load(dir, &out, &found));
    same_state(&empty, &out);
    master_state_release(&out);
    master_state_release(&in);
    free(path);
    kt_rm_rf(dir);
    free(dir);
}

/* Every cut and every changed byte is refused, naming the file. */
static void damaged_files(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    char *path = state_path(dir);
    master_state in, out;
    sample(&in, 1);
    KT_OK(master_state_save(dir, &in));
    size_t len;
    char *good = kt_read_file(path, &len);
    assert_true(len > 100);
    bool found;
    for (size_t cut = 0; cut < len; cut++) {
        kt_write_file(path, good, cut);
        KT_RC(KILN_ECORRUPT, master_state_load(dir, &out, &found));
        KT_CHECK(strstr(kiln_last_error(), path) != NULL, "cut at %zu: %s", cut, kiln_last_error());
        assert_null(out.workers);
        assert_int_equal(out.napps, 0);
    }
    char *bad = malloc(len);
    assert_non_null(bad);
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, good, len);
        bad[i] ^= (char)(1u << (i % 8));
        kt_write_file(path, bad, len);
        KT_RC(KILN_ECORRUPT, master_state_load(dir, &out, &found));
        KT_CHECK(strstr(kiln_last_error(), path) != NULL, "byte %zu: %s", i, kiln_last_error());
    }
    /* A byte more. */
    memcpy(bad, good, len);
    kt_write_file(path, good, len);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputc('x', f);
    fclose(f);
    KT_RC(KILN_ECORRUPT, master_state_load(dir, &out, &found));
    assert_non_null(strstr(kiln_last_error(), "damaged"));
    /* Not a state file at all. */
    kt_write_file(path, "{\"workers\": []}\n", 16);
    KT_RC(KILN_ECORRUPT, master_state_load(dir, &out, &found));
    assert_non_null(strstr(kiln_last_error(), "not a master's state file"));
    /* The good one still reads. */
    kt_write_file(path, good, len);
    KT_OK(master_state_load(dir, &out, &found));
    same_state(&in, &out);
    master_state_release(&out);
    master_state_release(&in);
    free(bad);
    free(good);
    free(path);
    kt_rm_rf(dir);
    free(dir);
}

/* A save that fails at its Nth write, fsync or rename, for N = 1, 2, ...
 * until it succeeds: the old file stays whole, nothing else is left. */
static void failed_saves_keep_the_old_file(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    master_state old, next, out;
    sample(&old, 0);
    sample(&next, 4);
    bool found;
    const fault_site sites[] = {FAULT_WRITE, FAULT_FSYNC, FAULT_RENAME};
    for (size_t k = 0; k < sizeof sites / sizeof sites[0]; k++) {
        KT_OK(master_state_save(dir, &old));
        int failures = 0;
        for (uint64_t n = 1;; n++) {
            fault_arm(sites[k], n, false);
            int rc = master_state_save(dir, &next);
            bool hit = fault_failures(sites[k]) > 0;
            fault_disarm_all();
            if (!hit) {
                KT_OK(rc); /* no failure injected: the save went through */
                break;
            }
            failures++;
            KT_RC(KILN_EIO, rc);
            KT_OK(master_state_load(dir, &out, &found));
            /* The fsync of the directory comes after the rename: then the
             * new file is in place (and the error says it may not last). */
            same_state(sites[k] == FAULT_FSYNC && n == 2 ? &next : &old, &out);
            master_state_release(&out);
            assert_int_equal(entries(dir), 1);
            if (sites[k] == FAULT_FSYNC && n == 2) KT_OK(master_state_save(dir, &old));
            assert_true(n < 10);
        }
        assert_true(failures >= 1);
        KT_OK(master_state_load(dir, &out, &found));
        same_state(&next, &out);
        master_state_release(&out);
    }
    master_state_release(&old);
    master_state_release(&next);
    kt_rm_rf(dir);
    free(dir);
}

/* What the reader would refuse is not written. */
static void writer_refuses_bad_states(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    master_state s;
    for (int c = 0; c < 5; c++) {
        sample(&s, 0);
        if (c == 0) strcpy(s.execs[0].app_id, s.apps[1].id); /* a finished application's */
        if (c == 1) strcpy(s.execs[1].worker_id, "worker-99");
        if (c == 2) s.execs[2].state = DEPLOY_EXEC_LOST;
        if (c == 3) strcpy(s.workers[0].id, "../w");
        if (c == 4) s.apps[0].state = 9;
        KT_RC(KILN_EINVAL, master_state_save(dir, &s));
        master_state_release(&s);
    }
    assert_int_equal(entries(dir), 0);
    kt_rm_rf(dir);
    free(dir);
}

/* The status document says RECOVERING while the master recovers. */
static void status_says_recovering(void **state)
{
    (void)state;
    deploy_worker_status w = {.id = "worker-1",
                              .offer = {.host = "h", .cores = 1, .memory = 1},
                              .state = DEPLOY_WORKER_UNKNOWN};
    deploy_status s = {.url = "kiln://m:1", .nworkers = 1, .workers = &w, .recovering = 1};
    kiln_buf json;
    kiln_buf_init(&json);
    KT_OK(deploy_status_json(&s, &json));
    KT_OK(kiln_buf_append(&json, "", 1));
    assert_non_null(strstr((char *)json.data, "\"status\": \"RECOVERING\""));
    assert_non_null(strstr((char *)json.data, "\"state\": \"UNKNOWN\""));
    assert_non_null(strstr((char *)json.data, "\"aliveworkers\": 0"));
    json.len = 0;
    s.recovering = 0;
    KT_OK(deploy_status_json(&s, &json));
    KT_OK(kiln_buf_append(&json, "", 1));
    assert_non_null(strstr((char *)json.data, "\"status\": \"ALIVE\""));
    kiln_buf_release(&json);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(damaged_files),
        cmocka_unit_test(failed_saves_keep_the_old_file),
        cmocka_unit_test(writer_refuses_bad_states),
        cmocka_unit_test(status_says_recovering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
