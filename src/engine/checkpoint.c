/*
 * engine/checkpoint.c - checkpoint(): a job writes every partition of an RDD
 * to kiln.checkpoint.dir (files of lz4 blocks of encoded values, one per
 * partition, each committed by rename so only a whole attempt's file counts),
 * then the RDD forgets its parents: later jobs read those files and never
 * recompute the lineage behind them. Checkpoint files outlive the context.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "io/io.h"

static void part_path(const char *dir, int p, char *out, size_t n)
{
    snprintf(out, n, "%s/part-%05d", dir, p);
}

/* Streams the partition into dir/part-NNNNN through a temporary file. */
static int write_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const char *dir = arg;
    char path[4096], tmp[4200];
    part_path(dir, t->partition, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.attempt-%d", path, t->attempt);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return task_error(t, KILN_EIO, "cannot create %s: %s", tmp, strerror(errno));
    kiln_buf raw, enc;
    kiln_buf_init(&raw);
    kiln_buf_init(&enc);
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        rc = KILN_OK;
        for (size_t i = 0; i < n && rc == KILN_OK; i++) {
            rc = values_file_add(fd, tmp, &raw, &enc, &vals[i], false);
        }
        if (rc) break;
    }
    if (rc == KILN_OK) rc = values_file_append(fd, tmp, &raw, &enc, true);
    if (close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", tmp, strerror(errno));
    kiln_buf_release(&raw);
    kiln_buf_release(&enc);
    if (rc == KILN_OK && io_rename(tmp, path) != 0)
        rc = kiln_set_error(KILN_EIO, "cannot commit %s: %s", path, strerror(errno));
    if (rc) {
        unlink(tmp);
        if (!t->error) task_error(t, rc, "%s", kiln_last_error());
    }
    return rc;
}

eng_iter *checkpoint_iterator(kiln_rdd *r, int p, kiln_task *t)
{
    char path[4096];
    part_path(r->checkpoint_dir, p, path, sizeof path);
    return values_file_iterator(r->ctx, path, t);
}

int kiln_context_set_checkpoint_dir(kiln_context *ctx, const char *dir)
{
    if (!ctx || !dir || !dir[0])
        return kiln_set_error(KILN_EINVAL, "setCheckpointDir: expected a directory");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return kiln_set_error(KILN_EIO, "setCheckpointDir: cannot create %s: %s", dir,
                              strerror(errno));
    char *copy = strdup(dir);
    pthread_mutex_lock(&ctx->lock);
    char **grown = copy ? realloc(ctx->checkpoint_dirs,
                                  sizeof(char *) * (size_t)(ctx->ncheckpoint_dirs + 1))
                        : NULL;
    if (grown) {
        grown[ctx->ncheckpoint_dirs++] = copy;
        ctx->checkpoint_dirs = grown;
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!grown) {
        free(copy);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    return KILN_OK;
}

/* The directory checkpoints go to: the last one set in code, else
 * kiln.checkpoint.dir (NULL when neither). */
static const char *checkpoint_base(kiln_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    const char *d = ctx->ncheckpoint_dirs ? ctx->checkpoint_dirs[ctx->ncheckpoint_dirs - 1] : NULL;
    pthread_mutex_unlock(&ctx->lock);
    return d ? d : kiln_conf_get(ctx->conf, "kiln.checkpoint.dir");
}

int kiln_rdd_checkpoint(kiln_rdd *r)
{
    if (!r)
        return *kiln_last_error() ? KILN_EINVAL
                                  : kiln_set_error(KILN_EINVAL, "checkpoint: NULL RDD");
    if (r->checkpoint_dir) return KILN_OK;
    const char *base = checkpoint_base(r->ctx);
    if (!base)
        return kiln_set_error(KILN_ECONF, "checkpoint: kiln.checkpoint.dir is not set (set it, "
                                          "or call setCheckpointDir, to a directory that "
                                          "outlives the job)");
    if (mkdir(base, 0755) != 0 && errno != EEXIST)
        return kiln_set_error(KILN_EIO, "kiln.checkpoint.dir: cannot create %s: %s", base,
                              strerror(errno));
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof dir, "%s/rdd-%d-XXXXXX", base, r->id) >= sizeof dir ||
        !mkdtemp(dir))
        return kiln_set_error(KILN_EIO, "kiln.checkpoint.dir: cannot create a directory in %s",
                              base);
    kiln_buf *res = calloc((size_t)r->nparts + 1, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "out of memory");
    int rc = job_run(r, NULL, 0, write_part, dir, res, "checkpoint");
    for (int i = 0; i < r->nparts; i++) kiln_buf_release(&res[i]);
    free(res);
    if (rc) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        (void)io_remove_tree(dir);
        return kiln_set_error(rc, "%s", msg);
    }
    if (!(r->checkpoint_dir = strdup(dir))) return kiln_set_error(KILN_ENOMEM, "out of memory");
    /* Cut the lineage: the data behind r is no longer needed. r keeps its
     * op's state, which is small (parallelized values are in r's arena
     * either way) and which a losing speculative attempt of the job above
     * may still be reading; it is no longer sent (lineage.c). The
     * ancestors are released now (their shuffle files go), unless such an
     * attempt may still read them: with speculation they go with r. */
    if (!r->ctx->speculation) {
        rdd_unlink(r);
    } else {
        r->nparents = 0;
        r->ndeps = 0;
    }
    LOG(LOG_INFO, "checkpoint", "RDD %d checkpointed to %s", r->id, dir);
    return KILN_OK;
}

bool kiln_rdd_is_checkpointed(const kiln_rdd *r)
{
    return r && r->checkpoint_dir;
}
