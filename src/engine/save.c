/*
 * engine/save.c - save_as_text_file: every task writes its partition through
 * the output committer (io/), so only committed attempts reach the output
 * and a failed job leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "io/io.h"

static int write_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    io_output_job *job = arg;
    io_task_output *o;
    int rc = io_task_output_open(job, t->partition, t->attempt, &o);
    if (rc) return task_error(t, rc, "%s", kiln_last_error());
    kiln_buf line;
    kiln_buf_init(&line);
    const kiln_value *vals;
    size_t n;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        rc = 0;
        line.len = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            rc = kiln_value_format(&line, &vals[i]);
            if (rc == 0) rc = kiln_buf_append(&line, "\n", 1);
        }
        if (rc == 0) rc = io_task_output_write(o, line.data, line.len);
        if (rc == 0) {
            t->metrics.output_records += (int64_t)n;
            t->metrics.output_bytes += (int64_t)line.len;
        }
        if (rc) {
            task_error(t, rc, "%s", kiln_last_error());
            break;
        }
    }
    kiln_buf_release(&line);
    if (rc < 0) {
        io_task_output_abort(o);
        return rc;
    }
    rc = io_task_output_commit(o);
    if (rc) task_error(t, rc, "%s", kiln_last_error());
    return rc;
}

/* On an executor: the output directory arrives as bytes. */
static int write_part_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const wire_arg *w = arg;
    char dir[4096];
    if (w->n == 0 || w->n >= sizeof dir || memchr(w->p, 0, w->n))
        return task_error(t, KILN_ECORRUPT, "save_as_text_file: bad output path");
    memcpy(dir, w->p, w->n);
    dir[w->n] = '\0';
    io_output_job *job;
    int rc = io_output_job_attach(dir, &job);
    if (rc) return task_error(t, rc, "%s", kiln_last_error());
    rc = write_part(t, it, out, job);
    io_output_job_detach(job);
    return rc;
}
SHIPPED_ACTION(write_part_remote);

int kiln_rdd_save_as_text_file(kiln_rdd *r, const char *path)
{
    if (!r)
        return *kiln_last_error()
                   ? KILN_EINVAL
                   : kiln_set_error(KILN_EINVAL, "save_as_text_file: the RDD is NULL");
    if (!path) return kiln_set_error(KILN_EINVAL, "save_as_text_file: the path is NULL");
    io_output_job *job;
    int rc = io_output_job_begin(path, &job);
    if (rc) return rc;
    kiln_buf *res = calloc((size_t)r->nparts + 1, sizeof *res);
    if (!res) {
        io_output_job_abort(job);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    shipped_action ship = {write_part_remote, path, strlen(path)};
    rc = job_run_shipped(r, NULL, 0, write_part, job, &ship, res, "save_as_text_file");
    for (int i = 0; i < r->nparts; i++) kiln_buf_release(&res[i]);
    free(res);
    if (rc) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        io_output_job_abort(job);
        return kiln_set_error(rc, "%s", msg);
    }
    return io_output_job_commit(job, r->nparts);
}
