/*
 * io/objcommit.c - the output committer on object stores (store_int.h),
 * where there is no rename: commit.c hands URL outputs here.
 *
 * Layout while a job runs:
 *   dir/_temporary/0/attempt-P-A/NAME   written by attempt A of task P
 *   dir/_temporary/0/task-P             manifest of the committed attempt:
 *                                       one line per file, "attempt-P-A/NAME"
 * Task commit completes the attempt's uploads, then PUTs its manifest (a
 * PUT is atomic: a reader sees the whole manifest or none). Within a
 * process the first attempt to commit wins (a mutex and flags); across
 * processes a later manifest replaces an earlier one, and both name
 * complete files of equal content, so either is right.
 * Job commit: (overwrite: list the objects already under dir), copy each
 * manifest's files to dir/NAME, PUT dir/_SUCCESS, then (overwrite) delete
 * the old objects not rewritten, then delete dir/_temporary/. Job abort
 * deletes dir/_temporary/ and the final objects this job copied so far.
 * So a reader never sees a partial output before _SUCCESS is written but
 * may see some of the new files during the copy phase; see README.md.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/store_int.h"

#define TEMP_PREFIX "_temporary/0"

struct io_objc_job {
    pthread_mutex_t mu;
    char *dir; /* without a trailing '/' */
    char *tmp; /* dir/_temporary/0 */
    int mode;  /* IO_OUTPUT_CREATE, _APPEND, _OVERWRITE */
    bool owner;
    int refs;
    bool finished;
    uint8_t *committed;
    size_t ncommitted;
    char **copied; /* final objects written by the job commit so far */
    size_t ncopied;
};

struct io_objc_task {
    io_objc_job *job;
    int partition, attempt;
    char *rel; /* attempt-P-A/NAME */
    char *path;
    io_obj_writer *w;
};

static void job_unref(io_objc_job *job)
{
    pthread_mutex_lock(&job->mu);
    bool last = --job->refs == 0;
    pthread_mutex_unlock(&job->mu);
    if (!last) return;
    pthread_mutex_destroy(&job->mu);
    for (size_t i = 0; i < job->ncopied; i++) free(job->copied[i]);
    free(job->copied);
    free(job->committed);
    free(job->dir);
    free(job->tmp);
    free(job);
}

int io_objc_job_begin(const char *dir, int mode, bool attach, io_objc_job **out)
{
    *out = NULL;
    io_objc_job *job = calloc(1, sizeof *job);
    if (!job) return kiln_set_error(KILN_ENOMEM, "out of memory starting output to %s", dir);
    pthread_mutex_init(&job->mu, NULL);
    job->refs = 1;
    job->mode = mode;
    job->owner = !attach;
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/') n--;
    job->dir = strndup(dir, n);
    if (!job->dir || asprintf(&job->tmp, "%s/" TEMP_PREFIX, job->dir) < 0) {
        job->tmp = NULL;
        job_unref(job);
        return kiln_set_error(KILN_ENOMEM, "out of memory starting output to %s", dir);
    }
    io_url u;
    int rc = io_url_parse(job->dir, &u); /* a well-formed, writable URL */
    if (!rc && u.scheme == IO_SCHEME_HTTP)
        rc = kiln_set_error(KILN_EINVAL, "cannot write %s: http(s) URLs are read-only", u.shown);
    if (!rc) io_url_release(&u);
    bool there = false;
    if (!rc && !attach && mode == IO_OUTPUT_CREATE && !(rc = io_path_exists(job->dir, &there)) &&
        there)
        rc = kiln_set_error(KILN_EEXIST, "output directory %s already exists", job->dir);
    if (rc) {
        job_unref(job);
        return rc;
    }
    *out = job;
    return KILN_OK;
}

void io_objc_job_detach(io_objc_job *job)
{
    if (job) job_unref(job);
}

int io_objc_task_open(io_objc_job *job, int partition, int attempt, const char *suffix,
                      io_objc_task **out)
{
    *out = NULL;
    io_objc_task *t = calloc(1, sizeof *t);
    if (!t) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
    t->job = job;
    t->partition = partition;
    t->attempt = attempt;
    int rc = KILN_OK;
    if (asprintf(&t->rel, "attempt-%d-%d/part-%05d%s", partition, attempt, partition,
                 suffix ? suffix : "") < 0 ||
        asprintf(&t->path, "%s/%s", job->tmp, t->rel) < 0) {
        t->rel = t->path = NULL;
        rc = kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
    }
    if (!rc) rc = io_obj_writer_open(t->path, &t->w);
    pthread_mutex_lock(&job->mu);
    if (!rc && job->finished) rc = kiln_set_error(KILN_ESTATE, "output job %s has ended", job->dir);
    if (!rc) job->refs++;
    pthread_mutex_unlock(&job->mu);
    if (rc) {
        io_obj_writer_abort(t->w);
        free(t->rel);
        free(t->path);
        free(t);
        return rc;
    }
    *out = t;
    return KILN_OK;
}

int io_objc_task_write(io_objc_task *t, const void *p, size_t n)
{
    return io_obj_writer_write(t->w, p, n);
}

static void task_free(io_objc_task *t)
{
    io_objc_job *job = t->job;
    free(t->rel);
    free(t->path);
    free(t);
    job_unref(job);
}

int io_objc_task_commit(io_objc_task *t)
{
    io_objc_job *job = t->job;
    int rc = io_obj_writer_close(t->w);
    t->w = NULL;
    pthread_mutex_lock(&job->mu);
    bool skip = job->finished ||
                ((size_t)t->partition < job->ncommitted && job->committed[t->partition]);
    if (!rc && !skip && (size_t)t->partition >= job->ncommitted) {
        size_t n = job->ncommitted ? job->ncommitted : 64;
        while (n <= (size_t)t->partition) n *= 2;
        uint8_t *c = realloc(job->committed, n);
        if (!c) rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
        else {
            memset(c + job->ncommitted, 0, n - job->ncommitted);
            job->committed = c;
            job->ncommitted = n;
        }
    }
    if (!rc && !skip) job->committed[t->partition] = 2; /* being committed */
    pthread_mutex_unlock(&job->mu);
    if (!rc && !skip) {
        char *man = NULL, *line = NULL;
        int n = asprintf(&line, "%s\n", t->rel);
        if (n < 0 || asprintf(&man, "%s/task-%d", job->tmp, t->partition) < 0)
            rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
        else rc = io_obj_put(man, line, (size_t)n);
        free(man);
        free(line);
        pthread_mutex_lock(&job->mu);
        job->committed[t->partition] = rc ? 0 : 1;
        pthread_mutex_unlock(&job->mu);
    }
    if (rc || skip) (void)io_obj_delete(t->path); /* a loser's or a failed file */
    task_free(t);
    return rc;
}

void io_objc_task_abort(io_objc_task *t)
{
    if (!t) return;
    io_obj_writer_abort(t->w);
    (void)io_obj_delete(t->path);
    task_free(t);
}

/* Records a final object written by the commit (for abort). */
static int note_copied(io_objc_job *job, const char *path)
{
    char **c = realloc(job->copied, (job->ncopied + 1) * sizeof *c);
    if (!c) return kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    job->copied = c;
    if (!(c[job->ncopied] = strdup(path)))
        return kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    job->ncopied++;
    return KILN_OK;
}

static bool in_list(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return true;
    return false;
}

/* Copies the files of partition p's manifest to their final keys. */
static int commit_task(io_objc_job *job, int p)
{
    char *man = NULL;
    if (asprintf(&man, "%s/task-%d", job->tmp, p) < 0)
        return kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = io_obj_get_all(man, &b);
    if (rc == KILN_ENOENT)
        rc = kiln_set_error(KILN_ESTATE,
                            "cannot commit output %s: partition %d has no committed task output",
                            job->dir, p);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    for (char *line = (char *)b.data, *nl; !rc && line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        const char *name = strrchr(line, '/');
        name = name ? name + 1 : line;
        if (!*name) continue;
        char *from = NULL, *to = NULL;
        if (asprintf(&from, "%s/%s", job->tmp, line) < 0 ||
            asprintf(&to, "%s/%s", job->dir, name) < 0) {
            from = to = NULL;
            rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
        }
        /* Markers of empty partitions (".kiln-empty") only say "done". */
        size_t nn = strlen(name);
        bool marker = nn > 11 && strcmp(name + nn - 11, ".kiln-empty") == 0;
        if (!rc && !marker) rc = note_copied(job, to);
        if (!rc && !marker) rc = io_obj_copy(from, to);
        free(from);
        free(to);
    }
    kiln_buf_release(&b);
    free(man);
    return rc;
}

int io_objc_job_commit(io_objc_job *job, int nparts)
{
    pthread_mutex_lock(&job->mu);
    job->finished = true;
    pthread_mutex_unlock(&job->mu);
    int rc = nparts < 0 ? kiln_set_error(KILN_EINVAL, "bad partition count %d for output %s",
                                         nparts, job->dir)
                        : KILN_OK;
    /* Overwrite: what is there now goes once the new files are in. */
    io_obj_list old = {0};
    bool is_file;
    if (!rc && job->mode == IO_OUTPUT_OVERWRITE) {
        rc = io_obj_list_path(job->dir, &is_file, &old);
        if (rc == KILN_ENOENT) rc = KILN_OK;
    }
    for (int p = 0; p < nparts && !rc; p++) rc = commit_task(job, p);
    char *success = NULL;
    if (!rc && asprintf(&success, "%s/_SUCCESS", job->dir) < 0) {
        success = NULL;
        rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    }
    if (!rc) rc = io_obj_put(success, "", 0);
    size_t tl = strlen(job->dir) + strlen("/_temporary/");
    for (size_t i = 0; i < old.n && !rc; i++) {
        const char *o = old.v[i].path;
        bool temp = strncmp(o, job->dir, strlen(job->dir)) == 0 && strlen(o) >= tl &&
                    strncmp(o + strlen(job->dir), "/_temporary/", 12) == 0;
        if (temp || strcmp(o, success) == 0 || in_list(job->copied, job->ncopied, o)) continue;
        rc = io_obj_delete(o);
    }
    io_obj_list_release(&old);
    free(success);
    if (rc) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        io_objc_job_abort(job);
        return kiln_set_error(rc, "%s", msg);
    }
    char *temp = NULL;
    if (asprintf(&temp, "%s/_temporary", job->dir) >= 0) {
        rc = io_obj_delete_tree(temp);
        free(temp);
    }
    job_unref(job);
    return rc;
}

void io_objc_job_abort(io_objc_job *job)
{
    if (!job) return;
    pthread_mutex_lock(&job->mu);
    job->finished = true;
    pthread_mutex_unlock(&job->mu);
    char *temp = NULL;
    if (asprintf(&temp, "%s/_temporary", job->dir) >= 0) {
        (void)io_obj_delete_tree(temp);
        free(temp);
    }
    /* Best effort: the final objects a failed commit had copied. */
    for (size_t i = 0; i < job->ncopied; i++) (void)io_obj_delete(job->copied[i]);
    job_unref(job);
}
