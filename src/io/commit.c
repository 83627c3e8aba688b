/*
 * io/commit.c - the output committer behind save_as_text_file (Hadoop's
 * FileOutputCommitter, algorithm version 1), and recursive removal.
 *
 * Layout while a job runs:
 *   dir/_temporary/attempt-P-A/part-PPPPP   written by attempt A of task P
 *   dir/_temporary/task-P/part-PPPPP        the committed attempt of task P
 * and after the job commits: dir/part-00000 ... then dir/_SUCCESS (empty,
 * created last, so a reader that sees it sees every part).
 *
 * A task attempt commits by renaming its directory to task-P with
 * RENAME_NOREPLACE, which fails when task-P exists: attempts in different
 * processes (executors) race on that one atomic call, and a mutex on the job
 * orders the attempts of this process, so the first attempt to commit wins
 * and later ones are discarded (speculative copies, retries). The job is
 * reference-counted by its open task outputs, so a straggling attempt that
 * commits or aborts after the job has ended finds a valid job marked
 * finished and only deletes its own files.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"
#include "io/store_int.h"

#define TASK_BUF_SIZE ((size_t)256 << 10)
#define TEMP_NAME "_temporary"
#define SUCCESS_NAME "_SUCCESS"

struct io_output_job {
    pthread_mutex_t mu; /* guards everything below except dir and tmp */
    char *dir;          /* the output directory (owned) */
    char *tmp;          /* dir/_temporary (owned) */
    int refs;           /* 1 for the job itself + 1 per open task output */
    bool finished;      /* committed or aborted: no new attempts or commits */
    uint8_t *committed; /* committed[P] != 0: dir/_temporary/task-P exists */
    size_t ncommitted;  /* length of committed[] */
    io_objc_job *obj;   /* an object-store output: objcommit.c does it all */
};

struct io_task_output {
    io_output_job *job; /* holds a reference */
    int partition, attempt;
    int fd;
    char *attempt_dir; /* dir/_temporary/attempt-P-A (owned) */
    char *file;        /* attempt_dir/part-PPPPP (owned) */
    uint8_t *buf;      /* TASK_BUF_SIZE bytes; [0, len) not yet written */
    size_t len;
    int write_errno;   /* first failed write's errno; later writes fail too */
    io_objc_task *obj; /* an object-store output (objcommit.c) */
};

/* ---- Recursive removal --------------------------------------------------- */

/* The path of the entry being removed, kept for error messages. */
typedef struct path_buf {
    char *p;
    size_t len, cap;
} path_buf;

static bool path_push(path_buf *b, const char *name)
{
    size_t n = strlen(name);
    if (b->len + n + 2 > b->cap) {
        size_t cap = (b->len + n + 2) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) return false;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = '/';
    memcpy(b->p + b->len, name, n + 1);
    b->len += n;
    return true;
}

/* Removes name (in directory parent) and, if it is a directory, everything
 * under it. Symbolic links are removed, never followed. Entries that vanish
 * meanwhile (another thread removing them) are not errors. */
static int remove_at(int parent, const char *name, path_buf *shown)
{
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return KILN_OK;
    int unlink_errno = errno;
    if (unlink_errno != EISDIR && unlink_errno != EPERM)
        return io_errno_error(unlink_errno, "cannot remove", shown->p);
    int rc = KILN_OK;
    /* A few passes, in case entries appear while the directory is read. */
    for (int pass = 0; pass < 3; pass++) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) return KILN_OK;
        if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) /* not a directory after all */
            return io_errno_error(unlink_errno, "cannot remove", shown->p);
        if (fd < 0) return io_errno_error(errno, "cannot open", shown->p);
        DIR *d = fdopendir(fd);
        if (d == NULL) {
            close(fd);
            return io_errno_error(errno, "cannot open", shown->p);
        }
        struct dirent *e;
        while (rc == KILN_OK && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            size_t len = shown->len;
            if (!path_push(shown, e->d_name)) {
                rc = kiln_set_error(KILN_ENOMEM, "out of memory removing %s", shown->p);
                break;
            }
            rc = remove_at(dirfd(d), e->d_name, shown);
            shown->len = len;
            shown->p[len] = '\0';
        }
        closedir(d);
        if (rc != KILN_OK) return rc;
        if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return KILN_OK;
        if (errno != ENOTEMPTY && errno != EEXIST) break;
    }
    return io_errno_error(errno, "cannot remove directory", shown->p);
}

/* Removes path and everything under it (nothing outside: links are not
 * followed). A missing path is not an error. Borrows path. Returns KILN_OK,
 * or KILN_EIO / KILN_ENOMEM naming the entry that could not be removed. */
KILN_HIDDEN int io_remove_tree(const char *path)
{
    if (io_path_is_url(path)) return io_obj_delete_tree(path);
    path_buf shown = {0};
    shown.cap = strlen(path) + 64;
    shown.p = malloc(shown.cap);
    if (shown.p == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory removing %s", path);
    shown.len = strlen(path);
    memcpy(shown.p, path, shown.len + 1);
    int rc = remove_at(AT_FDCWD, path, &shown);
    free(shown.p);
    return rc;
}

/* ---- The job --------------------------------------------------------------- */

/* Sets "<what> <path>: <strerror(err)>" as a KILN_EIO error: for output, any
 * failing system call is an I/O error of the job. */
static int output_error(int err, const char *what, const char *path)
{
    char tmp[256];
    return kiln_set_error(KILN_EIO, "%s %s: %s", what, path, strerror_r(err, tmp, sizeof tmp));
}

/* Creates the missing parent directories of path, as `mkdir -p` would. */
static int make_parents(const char *path)
{
    char *p = strdup(path);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory creating %s", path);
    int rc = KILN_OK;
    for (char *s = p + 1; *s != '\0' && rc == KILN_OK; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = output_error(errno, "cannot create directory", p);
        *s = '/';
    }
    free(p);
    return rc;
}

/* Creates dir, which must not exist; its parents are created as needed. */
static int create_output_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0) return KILN_OK;
    if (errno == ENOENT) {
        int rc = make_parents(dir);
        if (rc != KILN_OK) return rc;
        if (mkdir(dir, 0777) == 0) return KILN_OK;
    }
    if (errno == EEXIST)
        return kiln_set_error(KILN_EEXIST, "output directory already exists: %s", dir);
    return output_error(errno, "cannot create output directory", dir);
}

/* A job over dir with one reference, creating nothing; NULL when out of
 * memory. */
static io_output_job *job_new(const char *dir)
{
    io_output_job *job = calloc(1, sizeof *job);
    if (job == NULL) return NULL;
    job->refs = 1;
    job->dir = strdup(dir);
    job->tmp = io_path_join(dir, TEMP_NAME);
    if (job->dir == NULL || job->tmp == NULL || pthread_mutex_init(&job->mu, NULL) != 0) {
        free(job->dir);
        free(job->tmp);
        free(job);
        return NULL;
    }
    return job;
}

static void job_release(io_output_job *job)
{
    pthread_mutex_lock(&job->mu);
    int refs = --job->refs;
    pthread_mutex_unlock(&job->mu);
    if (refs > 0) return;
    pthread_mutex_destroy(&job->mu);
    free(job->committed);
    free(job->tmp);
    free(job->dir);
    free(job);
}

/* A job over an object-store URL, run by objcommit.c. */
static int url_job(const char *dir, int mode, bool attach, io_output_job **out)
{
    io_output_job *job = job_new(dir);
    if (job == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory starting output to %s", dir);
    int rc = io_objc_job_begin(dir, mode, attach, &job->obj);
    if (rc) {
        job_release(job);
        return rc;
    }
    *out = job;
    return KILN_OK;
}

/* As io_output_job_begin; an object-store URL may also be appended to or
 * overwritten (mode), a local directory only created. */
KILN_HIDDEN int io_output_job_begin_mode(const char *dir, int mode, io_output_job **out)
{
    *out = NULL;
    if (dir != NULL && io_path_is_url(dir)) return url_job(dir, mode, false, out);
    if (mode != IO_OUTPUT_CREATE)
        return kiln_set_error(KILN_EINVAL, "cannot append to or overwrite local output %s here",
                              dir ? dir : "");
    return io_output_job_begin(dir, out);
}

/* Creates dir and dir/_temporary. Borrows dir (copied). Returns KILN_OK and
 * an owned job (end it with io_output_job_commit or io_output_job_abort),
 * KILN_EEXIST if dir exists (it is left untouched), KILN_EIO or KILN_ENOMEM. */
KILN_HIDDEN int io_output_job_begin(const char *dir, io_output_job **out)
{
    *out = NULL;
    if (dir == NULL || dir[0] == '\0') return kiln_set_error(KILN_EINVAL, "empty output path");
    if (io_path_is_url(dir)) return url_job(dir, IO_OUTPUT_CREATE, false, out);
    io_output_job *job = job_new(dir);
    if (job == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory starting output to %s", dir);
    int rc = create_output_dir(dir);
    if (rc == KILN_OK && mkdir(job->tmp, 0777) != 0) {
        rc = output_error(errno, "cannot create directory", job->tmp);
        (void)rmdir(dir); /* ours, and empty */
    }
    if (rc != KILN_OK) {
        job_release(job);
        return rc;
    }
    *out = job;
    return KILN_OK;
}

/* A job over an output directory another process began (an executor of a
 * local cluster writing its partitions): attempts commit into its
 * _temporary as the owner's would, and detaching leaves everything. */
KILN_HIDDEN int io_output_job_attach(const char *dir, io_output_job **out)
{
    *out = NULL;
    if (io_path_is_url(dir)) return url_job(dir, IO_OUTPUT_CREATE, true, out);
    io_output_job *job = job_new(dir);
    if (job == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory attaching to output %s", dir);
    struct stat st;
    if (stat(job->tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = output_error(errno ? errno : ENOTDIR, "no output job under way in", dir);
        job_release(job);
        return rc;
    }
    *out = job;
    return KILN_OK;
}

KILN_HIDDEN void io_output_job_detach(io_output_job *job)
{
    if (job && job->obj) io_objc_job_detach(job->obj);
    if (job) job_release(job);
}

/* Makes committed[] long enough to hold partition. Called with mu held. */
static int ensure_committed(io_output_job *job, int partition)
{
    size_t need = (size_t)partition + 1;
    if (need <= job->ncommitted) return KILN_OK;
    size_t n = job->ncommitted ? job->ncommitted : 64;
    while (n < need) n *= 2;
    uint8_t *p = realloc(job->committed, n);
    if (p == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory committing output to %s", job->dir);
    memset(p + job->ncommitted, 0, n - job->ncommitted);
    job->committed = p;
    job->ncommitted = n;
    return KILN_OK;
}

static bool is_committed(const io_output_job *job, int partition)
{
    return (size_t)partition < job->ncommitted && job->committed[partition];
}

/* Whether another process (an executor) committed partition: its task
 * directory is there. */
static bool committed_elsewhere(const io_output_job *job, int partition)
{
    char name[32];
    snprintf(name, sizeof name, "task-%d", partition);
    char *task_dir = io_path_join(job->tmp, name);
    struct stat st;
    bool there = task_dir && stat(task_dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(task_dir);
    return there;
}

/* Moves the task output from to to: a file is renamed; a directory (a
 * partition's, "k=v") too unless to exists, when its entries are moved
 * into it one by one (several tasks write the same partition). */
static int move_into(const char *from, const char *to, unsigned char type)
{
    struct stat st;
    bool dir = type == DT_DIR ||
               (type == DT_UNKNOWN && lstat(from, &st) == 0 && S_ISDIR(st.st_mode));
    if (!dir || lstat(to, &st) != 0) {
        if (io_rename(from, to) == 0) return KILN_OK;
        return output_error(errno, "cannot move task output", from);
    }
    DIR *d = opendir(from);
    if (d == NULL) return output_error(errno, "cannot list task output", from);
    int rc = KILN_OK;
    struct dirent *e;
    while (rc == KILN_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *f = io_path_join(from, e->d_name), *t = io_path_join(to, e->d_name);
        if (f == NULL || t == NULL)
            rc = kiln_set_error(KILN_ENOMEM, "out of memory moving %s", from);
        else rc = move_into(f, t, e->d_type);
        free(f);
        free(t);
    }
    closedir(d);
    return rc;
}

/* Moves every committed part file into dir, removes dir/_temporary and
 * creates dir/_SUCCESS last. On any failure dir is removed entirely. Frees
 * job in every case (task outputs still open keep it alive until they end;
 * their commits are then discarded). */
KILN_HIDDEN int io_output_job_commit(io_output_job *job, int num_partitions)
{
    if (job->obj) {
        int orc = io_objc_job_commit(job->obj, num_partitions);
        job_release(job);
        return orc;
    }
    int rc = KILN_OK;
    pthread_mutex_lock(&job->mu);
    job->finished = true;
    if (num_partitions < 0)
        rc = kiln_set_error(KILN_EINVAL, "bad partition count %d for output %s", num_partitions,
                            job->dir);
    for (int p = 0; p < num_partitions && rc == KILN_OK; p++)
        if (!is_committed(job, p) && !committed_elsewhere(job, p))
            rc = kiln_set_error(KILN_ESTATE,
                                "cannot commit output %s: partition %d has no "
                                "committed task output",
                                job->dir, p);
    pthread_mutex_unlock(&job->mu);

    for (int p = 0; p < num_partitions && rc == KILN_OK; p++) {
        /* Every file of the task's directory: part-PPPPP, or the name the
         * task gave it (io_task_output_open_named). */
        char task[64];
        snprintf(task, sizeof task, TEMP_NAME "/task-%d", p);
        char *task_dir = io_path_join(job->dir, task);
        DIR *d = task_dir ? opendir(task_dir) : NULL;
        if (task_dir == NULL)
            rc = kiln_set_error(KILN_ENOMEM, "out of memory committing output %s", job->dir);
        else if (d == NULL) rc = output_error(errno, "cannot list task output", task_dir);
        struct dirent *e;
        while (rc == KILN_OK && d != NULL && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char *from = io_path_join(task_dir, e->d_name), *to = io_path_join(job->dir, e->d_name);
            if (from == NULL || to == NULL)
                rc = kiln_set_error(KILN_ENOMEM, "out of memory committing output %s", job->dir);
            else rc = move_into(from, to, e->d_type);
            free(from);
            free(to);
        }
        if (d != NULL) closedir(d);
        free(task_dir);
    }
    if (rc == KILN_OK) rc = io_remove_tree(job->tmp);
    if (rc == KILN_OK) {
        char *success = io_path_join(job->dir, SUCCESS_NAME);
        int fd = success == NULL ? -1
                                 : open(success, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (success == NULL)
            rc = kiln_set_error(KILN_ENOMEM, "out of memory committing output %s", job->dir);
        else if (fd < 0 || close(fd) != 0) rc = output_error(errno, "cannot create", success);
        free(success);
    }
    if (rc != KILN_OK) {
        /* Keep the first message: the clean-up may set its own. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        (void)io_remove_tree(job->dir);
        kiln_set_error(rc, "%s", msg);
    }
    job_release(job);
    return rc;
}

/* Marks the job finished, removes dir and everything under it, and frees
 * the job (see io_output_job_commit for task outputs still open). */
KILN_HIDDEN void io_output_job_abort(io_output_job *job)
{
    if (job && job->obj) {
        io_objc_job_abort(job->obj);
        job_release(job);
        return;
    }
    if (job == NULL) return;
    pthread_mutex_lock(&job->mu);
    job->finished = true;
    pthread_mutex_unlock(&job->mu);
    (void)io_remove_tree(job->dir);
    job_release(job);
}

/* ---- Task attempts ------------------------------------------------------- */

/* Closes the file and frees o, releasing its reference on the job. */
static void task_free(io_task_output *o)
{
    if (o->fd >= 0) close(o->fd);
    if (o->job != NULL) job_release(o->job);
    free(o->buf);
    free(o->file);
    free(o->attempt_dir);
    free(o);
}

static int open_file(io_output_job *job, int partition, int attempt, const char *rel, bool fresh,
                     io_task_output **out);

/* Creates dir/_temporary/attempt-P-A/part-PPPPP (replacing what an earlier
 * run of the same attempt left). Returns KILN_OK and an owned task output
 * (end it with io_task_output_commit or _abort), KILN_ESTATE if the job has
 * ended, KILN_EINVAL, KILN_EIO or KILN_ENOMEM. Borrows job. */
KILN_HIDDEN int io_task_output_open(io_output_job *job, int partition, int attempt,
                                    io_task_output **out)
{
    return io_task_output_open_named(job, partition, attempt, NULL, out);
}

/* As io_task_output_open, the part file named part-PPPPP followed by
 * suffix (borrowed; NULL or "" for none; no '/'): Spark's
 * "-<uuid>-c000.csv.gz". */
KILN_HIDDEN int io_task_output_open_named(io_output_job *job, int partition, int attempt,
                                          const char *suffix, io_task_output **out)
{
    if (suffix == NULL) suffix = "";
    if (strchr(suffix, '/') != NULL || strlen(suffix) > 200)
        return kiln_set_error(KILN_EINVAL, "bad part file suffix '%s' for %s", suffix, job->dir);
    if (job->obj) { /* object stores name and stage their parts themselves */
        *out = NULL;
        io_task_output *o = calloc(1, sizeof *o);
        if (o == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
        o->fd = -1;
        int rc = io_objc_task_open(job->obj, partition, attempt, suffix, &o->obj);
        if (rc) free(o);
        else *out = o;
        return rc;
    }
    char name[256];
    snprintf(name, sizeof name, "part-%05d%s", partition, suffix);
    return open_file(job, partition, attempt, name, true, out);
}

/* Opens attempt_dir/rel, rel a relative path whose directories are made;
 * fresh: the attempt's directory is emptied first (its first file). */
static int open_file(io_output_job *job, int partition, int attempt, const char *rel, bool fresh,
                     io_task_output **out)
{
    *out = NULL;
    if (partition < 0 || attempt < 0)
        return kiln_set_error(KILN_EINVAL, "bad task output partition %d attempt %d for %s",
                              partition, attempt, job->dir);
    io_task_output *o = calloc(1, sizeof *o);
    if (o == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
    o->fd = -1;
    o->partition = partition;
    o->attempt = attempt;
    char name[64];
    snprintf(name, sizeof name, "attempt-%d-%d", partition, attempt);
    o->attempt_dir = io_path_join(job->tmp, name);
    o->file = o->attempt_dir != NULL ? io_path_join(o->attempt_dir, rel) : NULL;
    o->buf = malloc(TASK_BUF_SIZE);
    if (o->file == NULL || o->buf == NULL) {
        task_free(o);
        return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
    }

    int rc = KILN_OK;
    pthread_mutex_lock(&job->mu);
    if (job->finished)
        rc = kiln_set_error(KILN_ESTATE, "output job for %s has already ended", job->dir);
    if (rc == KILN_OK && fresh) rc = io_remove_tree(o->attempt_dir);
    if (rc == KILN_OK && mkdir(o->attempt_dir, 0777) != 0 && (fresh || errno != EEXIST))
        rc = output_error(errno, "cannot create directory", o->attempt_dir);
    if (rc == KILN_OK && strchr(rel, '/') != NULL) rc = make_parents(o->file);
    if (rc == KILN_OK) {
        o->fd = open(o->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (o->fd < 0) {
            rc = output_error(errno, "cannot create", o->file);
            if (fresh) (void)rmdir(o->attempt_dir);
        }
    }
    if (rc == KILN_OK) {
        job->refs++;
        o->job = job;
    }
    pthread_mutex_unlock(&job->mu);
    if (rc != KILN_OK) {
        task_free(o);
        return rc;
    }
    *out = o;
    return KILN_OK;
}

static int write_error(const io_task_output *o)
{
    return output_error(o->write_errno, "cannot write", o->file);
}

/* Writes p[0..n) to the file, retrying short writes. */
static int write_all(io_task_output *o, const uint8_t *p, size_t n)
{
    if (io_write_full(o->fd, p, n, o->file) == KILN_OK) return KILN_OK;
    o->write_errno = errno;
    return write_error(o);
}

static int flush(io_task_output *o)
{
    if (o->write_errno != 0) return write_error(o);
    int rc = write_all(o, o->buf, o->len);
    o->len = 0;
    return rc;
}

/* Appends p[0..n) (borrowed) to the part file through a 256 KiB buffer.
 * Returns KILN_OK or KILN_EIO naming the file; after a failure every later
 * write and the commit fail as well. */
KILN_HIDDEN int io_task_output_write(io_task_output *o, const void *p, size_t n)
{
    if (o->obj) return io_objc_task_write(o->obj, p, n);
    if (o->write_errno != 0) return write_error(o);
    if (n == 0) return KILN_OK;
    if (n <= TASK_BUF_SIZE - o->len) {
        memcpy(o->buf + o->len, p, n);
        o->len += n;
        return KILN_OK;
    }
    int rc = flush(o);
    if (rc != KILN_OK) return rc;
    if (n >= TASK_BUF_SIZE) return write_all(o, p, n);
    memcpy(o->buf, p, n);
    o->len = n;
    return KILN_OK;
}

/* Flushes and closes the file, then renames the attempt's directory to
 * dir/_temporary/task-P unless another attempt of P committed first (then
 * this one is deleted and KILN_OK returned: the partition's output exists).
 * Frees o in every case. Returns KILN_OK, KILN_EIO (the attempt is deleted),
 * or KILN_ESTATE if the job has already ended (the attempt is deleted). */
static int close_file(io_task_output *o);
static int commit_attempt(io_output_job *job, int partition, int attempt, const char *attempt_dir,
                          int rc);

KILN_HIDDEN int io_task_output_commit(io_task_output *o)
{
    if (o->obj) {
        int orc = io_objc_task_commit(o->obj);
        free(o);
        return orc;
    }
    int rc = close_file(o);
    rc = commit_attempt(o->job, o->partition, o->attempt, o->attempt_dir, rc);
    task_free(o);
    return rc;
}

/* Flushes, syncs and closes o's file (o is kept). */
static int close_file(io_task_output *o)
{
    int rc = flush(o);
    if (rc == KILN_OK) {
        int fd = o->fd;
        o->fd = -1;
        /* On disk before it is renamed into place, so a crash leaves the
         * previous state or the whole part, never an empty one. */
        if (io_fsync(fd) != 0) {
            rc = output_error(errno, "cannot sync", o->file);
            close(fd);
        } else if (close(fd) != 0) {
            rc = output_error(errno, "cannot close", o->file);
        }
    }
    return rc;
}

/* Renames attempt_dir (attempt of partition) to task-P unless another
 * attempt committed first; rc: the closing's outcome (an error deletes
 * the attempt). */
static int commit_attempt(io_output_job *job, int partition, int attempt, const char *attempt_dir,
                          int rc)
{
    bool kept = false;
    if (rc == KILN_OK) {
        char name[32];
        snprintf(name, sizeof name, "task-%d", partition);
        char *task_dir = io_path_join(job->tmp, name);
        pthread_mutex_lock(&job->mu);
        if (task_dir == NULL)
            rc = kiln_set_error(KILN_ENOMEM, "out of memory committing %s", attempt_dir);
        else if (job->finished)
            rc = kiln_set_error(KILN_ESTATE,
                                "output job for %s has already ended: attempt %d "
                                "of partition %d discarded",
                                job->dir, attempt, partition);
        else if (!is_committed(job, partition)) rc = ensure_committed(job, partition);
        if (rc == KILN_OK && !is_committed(job, partition)) {
            /* Renaming unless task-P exists (io_rename_noreplace) is the
             * arbiter between attempts of one partition in different
             * processes (executors), where the job's mutex does not reach:
             * a plain rename(2) would replace an empty task-P (one whose
             * part file the job commit has already moved out). */
            if (io_rename_noreplace(attempt_dir, task_dir) == 0) {
                kept = true;
                job->committed[partition] = 1;
            } else if (errno == EEXIST || errno == ENOTEMPTY) {
                job->committed[partition] = 1; /* committed by another process */
            } else {
                rc = output_error(errno, "cannot commit task output", attempt_dir);
            }
        }
        pthread_mutex_unlock(&job->mu);
        free(task_dir);
    }
    if (!kept) {
        /* A losing or failed attempt: its files go (what cannot be removed
         * now goes with _temporary). Keep the commit's message, if any. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        (void)io_remove_tree(attempt_dir);
        if (rc != KILN_OK) kiln_set_error(rc, "%s", msg);
    }
    return rc;
}

/* Closes and deletes the attempt's files and frees o. NULL is ignored. */
KILN_HIDDEN void io_task_output_abort(io_task_output *o)
{
    if (o && o->obj) {
        io_objc_task_abort(o->obj);
        free(o);
        return;
    }
    if (o == NULL) return;
    if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    (void)io_remove_tree(o->attempt_dir);
    task_free(o);
}

/* ---- Tasks writing several files (partitioned writes) ---------------------- */

/* Opens the file rel (a relative path: "k=v/part-...", its directories
 * made) in attempt A of task P; fresh empties the attempt first (the
 * attempt's first file). The files stay in the attempt until
 * io_task_attempt_commit. Returns KILN_OK and an owned output (end it with
 * io_task_output_close or _abort), or the errors of io_task_output_open. */
KILN_HIDDEN int io_task_output_open_in(io_output_job *job, int partition, int attempt,
                                       const char *rel, bool fresh, io_task_output **out)
{
    if (rel == NULL || rel[0] == '\0' || rel[0] == '/' || strstr(rel, "..") != NULL)
        return kiln_set_error(KILN_EINVAL, "bad output file name '%s' for %s", rel ? rel : "",
                              job->dir);
    if (job->obj) { /* staged under the attempt's prefix by objcommit.c */
        *out = NULL;
        io_task_output *o = calloc(1, sizeof *o);
        if (o == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", job->dir);
        o->fd = -1;
        int rc = io_objc_task_open_in(job->obj, partition, attempt, rel, fresh, &o->obj);
        if (rc) free(o);
        else *out = o;
        return rc;
    }
    return open_file(job, partition, attempt, rel, fresh, out);
}

/* Flushes, syncs and closes o's file, which stays in its attempt; frees o
 * in every case. Returns KILN_OK or KILN_EIO naming the file. */
KILN_HIDDEN int io_task_output_close(io_task_output *o)
{
    if (o->obj) {
        int orc = io_objc_task_close(o->obj);
        free(o);
        return orc;
    }
    int rc = close_file(o);
    task_free(o);
    return rc;
}

/* Flushes and closes o's file and frees its buffer (see io.h). */
KILN_HIDDEN int io_task_output_suspend(io_task_output *o)
{
    if (o->obj) return kiln_set_error(KILN_EINVAL, "an object being uploaded cannot be set aside");
    if (o->fd < 0) return KILN_OK;
    int rc = flush(o);
    if (close(o->fd) != 0 && rc == KILN_OK) rc = output_error(errno, "cannot close", o->file);
    o->fd = -1;
    free(o->buf);
    o->buf = NULL;
    return rc;
}

/* Opens o's file again for appending, with a new buffer. */
KILN_HIDDEN int io_task_output_resume(io_task_output *o)
{
    if (o->obj) return kiln_set_error(KILN_EINVAL, "an uploaded object cannot be appended to");
    if (o->fd >= 0) return KILN_OK;
    if (!o->buf && !(o->buf = malloc(TASK_BUF_SIZE)))
        return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", o->file);
    o->fd = open(o->file, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (o->fd < 0) return output_error(errno, "cannot open again", o->file);
    return KILN_OK;
}

/* Whether o can be suspended (a local file: an object cannot be appended
 * to once uploaded). */
KILN_HIDDEN bool io_task_output_suspendable(const io_task_output *o)
{
    return o->obj == NULL;
}

/* Overwrite of a partitioned object-store output (see io.h); a local
 * output ignores it (dataset_place.c swaps its directories). */
KILN_HIDDEN int io_output_job_replace(io_output_job *job, int depth, const char *prefix)
{
    return job->obj ? io_objc_job_replace(job->obj, depth, prefix) : KILN_OK;
}

static char *attempt_path(const io_output_job *job, int partition, int attempt)
{
    char name[64];
    snprintf(name, sizeof name, "attempt-%d-%d", partition, attempt);
    return io_path_join(job->tmp, name);
}

/* Commits attempt A of task P with every file io_task_output_open_in put
 * in it (closed first), as io_task_output_commit does for one file. An
 * attempt that wrote nothing commits as empty. Returns KILN_OK, KILN_EIO,
 * KILN_ESTATE (the job ended; the attempt is deleted) or KILN_ENOMEM. */
KILN_HIDDEN int io_task_attempt_commit(io_output_job *job, int partition, int attempt)
{
    if (job->obj) return io_objc_attempt_commit(job->obj, partition, attempt);
    char *dir = attempt_path(job, partition, attempt);
    if (dir == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory committing %s", job->dir);
    int rc = KILN_OK;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = output_error(errno, "cannot create directory", dir);
    rc = commit_attempt(job, partition, attempt, dir, rc);
    free(dir);
    return rc;
}

/* Deletes attempt A of task P and its files (closed or aborted first). */
KILN_HIDDEN void io_task_attempt_abort(io_output_job *job, int partition, int attempt)
{
    if (job->obj) {
        io_objc_attempt_abort(job->obj, partition, attempt);
        return;
    }
    char *dir = attempt_path(job, partition, attempt);
    if (dir != NULL) (void)io_remove_tree(dir);
    free(dir);
}
