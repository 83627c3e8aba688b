/*
 * engine/task.c - what user functions see of a running task: its arena,
 * failure reporting, whether its job was cancelled, the emit/pull helpers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

static int task_verror(kiln_task *t, int err, const char *fmt, va_list ap)
{
    if (!t->error) {
        char buf[2048];
        vsnprintf(buf, sizeof buf, fmt, ap);
        t->error = strdup(buf);
    }
    return err;
}

int task_error(kiln_task *t, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    task_verror(t, err, fmt, ap);
    va_end(ap);
    return err;
}

int task_user_rc(kiln_task *t, int rc, const char *what)
{
    if (rc == 0) return KILN_OK;
    if (!t->error) task_error(t, KILN_EUSER, "%s returned %d without a message", what, rc);
    return rc < 0 ? rc : KILN_EUSER;
}

kiln_arena *kiln_task_arena(kiln_task *t)
{
    return t->arena;
}

int kiln_task_fail(kiln_task *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    task_verror(t, KILN_EUSER, fmt, ap);
    va_end(ap);
    return KILN_EUSER;
}

bool kiln_task_cancelled(const kiln_task *t)
{
    return job_cancelled(t->ctx, t->job);
}

int task_cancel_error(kiln_task *t)
{
    return task_error(t, KILN_EJOB, "job %d cancelled", t->job);
}

int kiln_task_partition(const kiln_task *t)
{
    return t->partition;
}
int kiln_task_attempt(const kiln_task *t)
{
    return t->attempt;
}
int kiln_task_stage(const kiln_task *t)
{
    return t->stage;
}

int kiln_emit(kiln_out *out, const kiln_value *v)
{
    if (out->stop) return KILN_ESTATE;
    if (out->copy_into) {
        kiln_value c;
        if (kiln_value_copy(out->copy_into, v, &c) || val_vec_push(out->dst, &c))
            return KILN_ENOMEM;
        return out->flow ? held_emitted(out) : KILN_OK;
    }
    return val_vec_push(out->dst, v);
}

int kiln_in_next(kiln_in *in, const kiln_value **v)
{
    if (in->stop) return in->status = KILN_ESTATE;
    while (in->pos == in->n) {
        int rc = in->it->next(in->it, in->t, &in->vals, &in->n);
        if (rc <= 0) {
            in->status = rc;
            in->n = in->pos = 0;
            return rc;
        }
        in->pos = 0;
    }
    *v = &in->vals[in->pos++];
    return 1;
}

int kiln_accumulator_add(kiln_task *t, int64_t id, kiln_value delta)
{
    if (delta.type != KILN_INT && delta.type != KILN_DOUBLE)
        return kiln_task_fail(t, "accumulator %lld: delta must be an int or a double",
                              (long long)id);
    for (size_t i = 0; i < t->naccs; i++) {
        acc_update *u = &t->accs[i];
        if (u->id != id) continue;
        if (u->delta.type == KILN_INT && delta.type == KILN_INT) {
            u->delta.u.i += delta.u.i;
        } else {
            double a = u->delta.type == KILN_INT ? (double)u->delta.u.i : u->delta.u.d;
            double b = delta.type == KILN_INT ? (double)delta.u.i : delta.u.d;
            u->delta = kiln_double(a + b);
        }
        return KILN_OK;
    }
    if (grow_for_one((void **)&t->accs, t->naccs, &t->cap_accs, sizeof *t->accs, 4))
        return KILN_ENOMEM;
    t->accs[t->naccs++] = (acc_update){.id = id, .delta = delta};
    return KILN_OK;
}

int64_t kiln_task_memory_limit(const kiln_task *t)
{
    return t->ctx->mem_task_share;
}

int64_t kiln_task_memory_used(const kiln_task *t)
{
    return t->mem_held;
}

void kiln_task_memory_reserve(kiln_task *t, int64_t n)
{
    t->mem_held += n;
    if (t->mem_held > t->mem_held_peak) t->mem_held_peak = t->mem_held;
    mem_reserve(t->ctx, n);
}

void kiln_task_memory_release(kiln_task *t, int64_t n)
{
    t->mem_held -= n;
    mem_release(t->ctx, n);
}

void kiln_task_spill_path(kiln_task *t, const char *ext, char *out, size_t cap)
{
    char path[4096];
    spill_path(t->ctx, ext, path);
    snprintf(out, cap, "%s", path);
}

void kiln_task_note_spill(kiln_task *t, int64_t bytes)
{
    task_note_spill(t->ctx, t, bytes);
}

void task_note_spill(kiln_context *ctx, kiln_task *t, int64_t bytes)
{
    mem_note_spill(ctx, bytes);
    if (t) t->metrics.memory_spilled += bytes;
}

void task_note_spill_disk(kiln_task *t, int64_t bytes)
{
    if (t && bytes > 0) t->metrics.disk_spilled += bytes;
}

void kiln_task_note_spill_disk(kiln_task *t, int64_t bytes)
{
    task_note_spill_disk(t, bytes);
}

void kiln_task_add_input(kiln_task *t, int64_t bytes, int64_t records)
{
    if (!t) return;
    t->metrics.input_bytes += bytes;
    t->metrics.input_records += records;
}

void task_metrics_add(task_metrics *a, const task_metrics *b)
{
#define ADD(m, unit) a->m += b->m;
    TASK_METRICS(ADD)
#undef ADD
    a->peak_memory -= b->peak_memory;
    if (b->peak_memory > a->peak_memory) a->peak_memory = b->peak_memory;
}
