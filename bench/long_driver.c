/*
 * long_driver.c - what a long-lived driver keeps per job: runs many small
 * jobs on fresh graphs and reports the resources of the driver and of its
 * executors before and after.
 *
 *     long_driver [--master M] [--conf key=value]... [-nJOBS] [--keep]
 *
 * Each job is parallelize (1,000 ints) -> map (x -> (x % 10, 1)) ->
 * reduce_by_key(add) -> collect, checked (ten keys, 100 each); the three
 * RDDs are then released with kiln_rdd_free (not with --keep, which keeps
 * them, as a program written before kiln_rdd_free did). After 10 warm-up
 * jobs and after the last job (and a wait of up to 5 s for the executors to
 * drop what they were told to), it prints one line per process:
 *
 *     driver    rss_kb=... fds=... threads=...
 *     executor  pid=... rss_kb=... fds=... threads=...
 *     scratch   files=...
 *
 * (VmRSS, /proc/PID/fd and /proc/PID/task; executors are this process's
 * children; scratch files are the regular files under kiln.local.dir, which
 * the program points at a fresh directory of its own). Exits 1 when a job
 * fails or gives a wrong result. bench/README.md has the figures' commands.
 */
#define _GNU_SOURCE
#include <kiln.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_EXEC = 64 };

static long status_kb(int pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') v = atol(line + n + 1);
    if (f) fclose(f);
    return v;
}

static int count_dir(int pid, const char *sub)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, sub);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

/* The pids of this process's children (the executors of local-cluster). */
static int children(int *pids, int max)
{
    DIR *d = opendir("/proc");
    int n = 0, me = getpid();
    for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
        int pid = atoi(e->d_name);
        if (pid <= 0) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *close = strrchr(buf, ')');
        int ppid = 0;
        if (close && sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == me) pids[n++] = pid;
    }
    if (d) closedir(d);
    return n;
}

static int nfiles;
static int count_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)st, (void)ftw;
    nfiles += flag == FTW_F;
    return 0;
}

static void report(const char *when, const char *scratch)
{
    int pids[MAX_EXEC];
    int n = children(pids, MAX_EXEC);
    printf("%s driver    rss_kb=%ld fds=%d threads=%d\n", when, status_kb(getpid(), "VmRSS"),
           count_dir(getpid(), "fd"), count_dir(getpid(), "task"));
    for (int i = 0; i < n; i++)
        printf("%s executor  pid=%d rss_kb=%ld fds=%d threads=%d\n", when, pids[i],
               status_kb(pids[i], "VmRSS"), count_dir(pids[i], "fd"), count_dir(pids[i], "task"));
    nfiles = 0;
    nftw(scratch, count_file, 16, FTW_PHYS);
    printf("%s scratch   files=%d\n", when, nfiles);
    fflush(stdout);
}

static int key_mod10(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t, (void)env;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % 10), kiln_int(1));
    return out->type == KILN_TUPLE ? 0 : kiln_task_fail(t, "out of memory");
}

static int one_job(kiln_context *ctx, const kiln_value *vals, bool keep)
{
    kiln_rdd *p = kiln_parallelize(ctx, vals, 1000, 2);
    kiln_rdd *m = kiln_rdd_map(p, key_mod10, NULL, 0);
    kiln_rdd *r = kiln_rdd_reduce_by_key(m, kiln_fn_add, NULL, 0, 2);
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    int rc = a ? kiln_rdd_collect(r, a, &out) : KILN_ENOMEM;
    if (rc == KILN_OK && out.len != 10) rc = KILN_EJOB;
    for (size_t i = 0; rc == KILN_OK && i < out.len; i++)
        if (kiln_val(&out.u.items[i])->u.i != 100) rc = KILN_EJOB;
    kiln_arena_free(a);
    if (!keep) {
#ifndef KILN_NO_RELEASE
        kiln_rdd_free(p);
        kiln_rdd_free(m);
        kiln_rdd_free(r);
#endif
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv) != KILN_OK) {
        fprintf(stderr, "long_driver: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, "long_driver [--master M] [-nJOBS] [--keep]",
                               "-n= --keep");
    if (done >= 0) return done;
    int jobs = 1000;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "-n", 2)) jobs = atoi(argv[i][2] ? argv[i] + 2 : argv[++i]);
        else if (!strcmp(argv[i], "--keep")) keep = true;
    }
    char scratch[] = "/tmp/long-driver-XXXXXX";
    if (!mkdtemp(scratch)) return 1;
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.local.dir", scratch);
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx;
    int rc = kiln_context_new(conf, &ctx);
    kiln_conf_free(conf);
    if (rc) {
        fprintf(stderr, "long_driver: %s\n", kiln_last_error());
        return 1;
    }
    kiln_value vals[1000];
    for (int i = 0; i < 1000; i++) vals[i] = kiln_int(i);
    for (int i = 0; i < 10 && rc == KILN_OK; i++) rc = one_job(ctx, vals, keep);
    sleep(1);
    report("before", scratch);
    for (int i = 0; i < jobs && rc == KILN_OK; i++) rc = one_job(ctx, vals, keep);
    sleep(5);
    report("after ", scratch);
    if (rc) fprintf(stderr, "long_driver: %s\n", kiln_last_error());
    kiln_context_free(ctx);
    rmdir(scratch);
    return rc ? 1 : 0;
}
