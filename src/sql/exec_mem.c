/*
 * sql/exec_mem.c - SQL operators' part of the task's memory budget
 * (exec_mem.h).
 */
#include "sql/exec_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exec_mem_init(exec_mem *m, kiln_task *t)
{
    m->t = t;
    m->held = 0;
    m->limit = t ? kiln_task_memory_limit(t) / 4 * 3 : INT64_MAX;
}

void exec_mem_set_limit(exec_mem *m, int64_t limit)
{
    m->limit = limit;
}

int64_t exec_mem_track(exec_mem *m, int64_t held)
{
    if (m->t && held != m->held) {
        if (held > m->held) kiln_task_memory_reserve(m->t, held - m->held);
        else kiln_task_memory_release(m->t, m->held - held);
    }
    m->held = held;
    if (m->limit == INT64_MAX) return INT64_MAX;
    int64_t others = m->t ? kiln_task_memory_used(m->t) - held : 0;
    int64_t room = m->limit - others;
    return room < m->limit / 8 ? m->limit / 8 : room;
}

bool exec_mem_over(exec_mem *m, int64_t held)
{
    int64_t room = exec_mem_track(m, held);
    return room != INT64_MAX && held > room / 2;
}

void exec_mem_release(exec_mem *m)
{
    exec_mem_track(m, 0);
}

bool exec_mem_bounded(const exec_mem *m)
{
    return m->limit != INT64_MAX;
}

void exec_mem_note_spill(exec_mem *m, int64_t bytes)
{
    if (m->t) kiln_task_note_spill(m->t, bytes);
}

void exec_mem_note_spill_disk(exec_mem *m, int64_t bytes)
{
    if (m->t) kiln_task_note_spill_disk(m->t, bytes);
}

void exec_mem_spill_dir(const exec_mem *m, char *out)
{
    if (m->t) {
        kiln_task_spill_path(m->t, "x", out, 4096);
        char *slash = strrchr(out, '/');
        if (slash && slash != out) {
            *slash = 0;
            return;
        }
    }
    const char *dir = getenv("TMPDIR");
    snprintf(out, 4096, "%s", dir && *dir ? dir : "/tmp");
}
