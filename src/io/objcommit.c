/*
 * io/objcommit.c - the output committer on object stores (store_int.h),
 * where there is no rename: commit.c hands URL outputs here.
 *
 * Layout while a job runs:
 *   dir/_temporary/0/attempt-P-A/NAME   written by attempt A of task P
 *   dir/_temporary/0/attempt-P-A/k=v/NAME  a partitioned write's files
 *   dir/_temporary/0/task-P             manifest of the committed attempt:
 *                                       one line per file, "attempt-P-A/REL"
 *                                       (REL: NAME or "k=v/.../NAME")
 * Task commit completes the attempt's uploads, then PUTs its manifest (a
 * PUT is atomic: a reader sees the whole manifest or none). Within a
 * process the first attempt to commit wins (a mutex and flags); across
 * processes a later manifest replaces an earlier one, and both name
 * complete files of equal content, so either is right.
 * A task writing several files (a partitioned write) opens, writes and
 * closes each (its upload completed, its name noted in the attempt's
 * record below) and commits the attempt's record as one manifest.
 * Job commit: (overwrite: list the objects already under dir), copy each
 * manifest's files to dir/REL, PUT dir/_SUCCESS, then (overwrite) delete
 * the old objects not rewritten (a partitioned overwrite: only those under
 * the replaced partitions' prefixes, io_objc_job_replace), then delete
 * dir/_temporary/. Job abort
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

/* The files an attempt of a task writing several files has closed. */
typedef struct {
    int partition, attempt;
    char **rels; /* "attempt-P-A/k=v/NAME" */
    size_t n;
} objc_attempt;

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
    objc_attempt *attempts; /* open attempts writing several files */
    size_t nattempts;
    int replace_depth;    /* overwrite: > 0 only partitions this deep go */
    char *replace_prefix; /* overwrite: this partition goes too (or NULL) */
};

struct io_objc_task {
    io_objc_job *job;
    int partition, attempt;
    char *rel; /* attempt-P-A/NAME */
    char *path;
    io_obj_writer *w;
    bool in_attempt; /* io_objc_task_open_in: closed into the attempt */
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
    for (size_t i = 0; i < job->nattempts; i++) {
        for (size_t j = 0; j < job->attempts[i].n; j++) free(job->attempts[i].rels[j]);
        free(job->attempts[i].rels);
    }
    free(job->attempts);
    free(job->replace_prefix);
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

/* Opens the upload of attempt-P-A/rel under the job's temporary prefix. */
static int task_new(io_objc_job *job, int partition, int attempt, const char *rel,
                    io_objc_task **out)
{
    *out = NULL;
    io_objc_task *t = calloc(1, sizeof *t);
    if (!t) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
    t->job = job;
    t->partition = partition;
    t->attempt = attempt;
    int rc = KILN_OK;
    if (asprintf(&t->rel, "attempt-%d-%d/%s", partition, attempt, rel) < 0 ||
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

int io_objc_task_open(io_objc_job *job, int partition, int attempt, const char *suffix,
                      io_objc_task **out)
{
    char name[256];
    snprintf(name, sizeof name, "part-%05d%s", partition, suffix ? suffix : "");
    return task_new(job, partition, attempt, name, out);
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

/* PUTs the manifest of partition p (body[0..n): its files' lines) unless
 * another attempt of p committed first or the job has ended (*kept false). */
static int put_manifest(io_objc_job *job, int p, const char *body, size_t n, bool *kept)
{
    *kept = false;
    int rc = KILN_OK;
    pthread_mutex_lock(&job->mu);
    bool skip = job->finished || ((size_t)p < job->ncommitted && job->committed[p]);
    if (!skip && (size_t)p >= job->ncommitted) {
        size_t m = job->ncommitted ? job->ncommitted : 64;
        while (m <= (size_t)p) m *= 2;
        uint8_t *c = realloc(job->committed, m);
        if (!c) rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
        else {
            memset(c + job->ncommitted, 0, m - job->ncommitted);
            job->committed = c;
            job->ncommitted = m;
        }
    }
    if (!rc && !skip) job->committed[p] = 2; /* being committed */
    pthread_mutex_unlock(&job->mu);
    if (rc || skip) return rc;
    char *man = NULL;
    if (asprintf(&man, "%s/task-%d", job->tmp, p) < 0) {
        man = NULL;
        rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    } else {
        rc = io_obj_put(man, body, n);
    }
    free(man);
    pthread_mutex_lock(&job->mu);
    job->committed[p] = rc ? 0 : 1;
    pthread_mutex_unlock(&job->mu);
    *kept = !rc;
    return rc;
}

int io_objc_task_commit(io_objc_task *t)
{
    io_objc_job *job = t->job;
    int rc = io_obj_writer_close(t->w);
    t->w = NULL;
    bool kept = false;
    char *line = NULL;
    int n = rc ? 0 : asprintf(&line, "%s\n", t->rel);
    if (n < 0) {
        line = NULL;
        rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    }
    if (!rc) rc = put_manifest(job, t->partition, line ? line : "", (size_t)n, &kept);
    free(line);
    if (!kept) (void)io_obj_delete(t->path); /* a loser's or a failed file */
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

/* ---- Tasks writing several files ---------------------------------------------- */

/* Takes attempt A of P's record out of the job: its files' rels (owned,
 * *n of them; NULL when it closed none). */
static char **take_attempt(io_objc_job *job, int p, int a, size_t *n)
{
    char **rels = NULL;
    *n = 0;
    pthread_mutex_lock(&job->mu);
    for (size_t i = 0; i < job->nattempts; i++) {
        if (job->attempts[i].partition != p || job->attempts[i].attempt != a) continue;
        rels = job->attempts[i].rels;
        *n = job->attempts[i].n;
        job->attempts[i] = job->attempts[--job->nattempts];
        break;
    }
    pthread_mutex_unlock(&job->mu);
    return rels;
}

/* Deletes the staged files rels[0..n) (best effort) and frees rels. */
static void drop_files(io_objc_job *job, char **rels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", job->tmp, rels[i]) >= 0) (void)io_obj_delete(path);
        free(path);
        free(rels[i]);
    }
    free(rels);
}

int io_objc_task_open_in(io_objc_job *job, int partition, int attempt, const char *rel, bool fresh,
                         io_objc_task **out)
{
    if (fresh) { /* an earlier run of this attempt in this process */
        size_t n;
        char **old = take_attempt(job, partition, attempt, &n);
        drop_files(job, old, n);
    }
    int rc = task_new(job, partition, attempt, rel, out);
    if (!rc) (*out)->in_attempt = true;
    return rc;
}

int io_objc_task_close(io_objc_task *t)
{
    io_objc_job *job = t->job;
    int rc = io_obj_writer_close(t->w);
    t->w = NULL;
    if (!rc) {
        pthread_mutex_lock(&job->mu);
        objc_attempt *a = NULL;
        for (size_t i = 0; i < job->nattempts && !a; i++)
            if (job->attempts[i].partition == t->partition &&
                job->attempts[i].attempt == t->attempt)
                a = &job->attempts[i];
        if (!a) {
            objc_attempt *v = realloc(job->attempts, (job->nattempts + 1) * sizeof *v);
            if (v) {
                job->attempts = v;
                a = &v[job->nattempts++];
                *a = (objc_attempt){t->partition, t->attempt, NULL, 0};
            }
        }
        char **r = a ? realloc(a->rels, (a->n + 1) * sizeof *r) : NULL;
        if (r) a->rels = r;
        if (r && (r[a->n] = strdup(t->rel))) a->n++;
        else rc = kiln_set_error(KILN_ENOMEM, "out of memory writing %s", t->path);
        pthread_mutex_unlock(&job->mu);
    }
    if (rc) (void)io_obj_delete(t->path);
    task_free(t);
    return rc;
}

int io_objc_attempt_commit(io_objc_job *job, int partition, int attempt)
{
    size_t n;
    char **rels = take_attempt(job, partition, attempt, &n);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = KILN_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = kiln_buf_append(&b, rels[i], strlen(rels[i]));
        if (!rc) rc = kiln_buf_append(&b, "\n", 1);
    }
    bool kept = false;
    if (!rc) rc = put_manifest(job, partition, b.len ? (const char *)b.data : "", b.len, &kept);
    kiln_buf_release(&b);
    if (kept) { /* the manifest names them now */
        for (size_t i = 0; i < n; i++) free(rels[i]);
        free(rels);
    } else {
        drop_files(job, rels, n); /* a loser's or a failed attempt */
    }
    return rc;
}

void io_objc_attempt_abort(io_objc_job *job, int partition, int attempt)
{
    size_t n;
    char **rels = take_attempt(job, partition, attempt, &n);
    drop_files(job, rels, n);
}

int io_objc_job_replace(io_objc_job *job, int depth, const char *prefix)
{
    job->replace_depth = depth;
    free(job->replace_prefix);
    job->replace_prefix = NULL;
    if (prefix && !(job->replace_prefix = strdup(prefix)))
        return kiln_set_error(KILN_ENOMEM, "out of memory starting output to %s", job->dir);
    return KILN_OK;
}

/* ---- Job commit ------------------------------------------------------------------ */

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
        /* "attempt-P-A/REL": REL is the final key under dir. */
        const char *name = strchr(line, '/');
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

/* The first depth components of path's key under dir ("a=1/b=x"), its
 * length in *n; NULL when path is not that deep. */
static const char *part_prefix(const io_objc_job *job, const char *path, int depth, size_t *n)
{
    size_t dl = strlen(job->dir);
    if (strncmp(path, job->dir, dl) != 0 || path[dl] != '/') return NULL;
    const char *rel = path + dl + 1, *c = rel;
    for (int d = 0; d < depth; d++) {
        c = strchr(c, '/');
        if (!c) return NULL;
        if (d + 1 < depth) c++;
    }
    *n = (size_t)(c - rel);
    return rel;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The partition prefixes an overwrite replaces (sorted, owned, *n): those
 * of the objects copied, replace_depth components long. */
static char **replaced_prefixes(const io_objc_job *job, size_t *n)
{
    *n = 0;
    char **v = calloc(job->ncopied + 2, sizeof *v);
    if (!v) return NULL;
    bool ok = true;
    for (size_t i = 0; ok && job->replace_depth > 0 && i < job->ncopied; i++) {
        size_t len;
        const char *p = part_prefix(job, job->copied[i], job->replace_depth, &len);
        if (p && !(v[(*n)++] = strndup(p, len))) ok = false;
    }
    if (!ok) {
        for (size_t i = 0; i < *n; i++) free(v[i]);
        free(v);
        return NULL;
    }
    qsort(v, *n, sizeof *v, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < *n; i++) {
        if (u && strcmp(v[u - 1], v[i]) == 0) free(v[i]);
        else v[u++] = v[i];
    }
    *n = u;
    return v;
}

/* Whether an overwrite deletes the old object o: every one for a whole
 * overwrite, else those under replace_prefix or a written partition's
 * prefix (pre[0..npre), sorted). */
static bool replaced(const io_objc_job *job, char **pre, size_t npre, const char *o)
{
    if (job->replace_depth <= 0 && !job->replace_prefix) return true;
    size_t dl = strlen(job->dir), len;
    if (strncmp(o, job->dir, dl) != 0 || o[dl] != '/') return false;
    const char *rel = o + dl + 1, *rp = job->replace_prefix;
    if (rp && strncmp(rel, rp, strlen(rp)) == 0 && rel[strlen(rp)] == '/') return true;
    const char *p = job->replace_depth > 0 ? part_prefix(job, o, job->replace_depth, &len) : NULL;
    if (!p) return false;
    char *key = strndup(p, len);
    bool hit = key && bsearch(&key, pre, npre, sizeof *pre, cmp_str);
    free(key);
    return hit;
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
    size_t npre = 0;
    char **pre = NULL;
    if (!rc && old.n && !(pre = replaced_prefixes(job, &npre)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    size_t tl = strlen(job->dir) + strlen("/_temporary/");
    for (size_t i = 0; i < old.n && !rc; i++) {
        const char *o = old.v[i].path;
        bool temp = strncmp(o, job->dir, strlen(job->dir)) == 0 && strlen(o) >= tl &&
                    strncmp(o + strlen(job->dir), "/_temporary/", 12) == 0;
        if (temp || strcmp(o, success) == 0 || in_list(job->copied, job->ncopied, o) ||
            !replaced(job, pre, npre, o))
            continue;
        rc = io_obj_delete(o);
    }
    for (size_t i = 0; i < npre; i++) free(pre[i]);
    free(pre);
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
