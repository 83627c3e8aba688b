/*
 * ml/delimited.c - fields of delimited text lines, numbers in them, and
 * task failures that name the file and line of bad input (see
 * delimited.h). Used by the feature transformers inside user functions, so
 * everything here runs on executor threads and allocates from the task
 * arena or the stack.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/delimited.h"
#include "ml/parse.h"

int ml_split(kiln_task *t, const char *line, size_t len, char delim, ml_field *stack, size_t cap,
             ml_field **fields, size_t *n)
{
    size_t count = 1;
    for (const char *p = line, *e = line + len; len && (p = memchr(p, delim, (size_t)(e - p))); p++)
        count++;
    ml_field *f = stack;
    if (count > cap) {
        f = kiln_arena_alloc(kiln_task_arena(t), count * sizeof *f);
        if (!f) return kiln_task_fail(t, "out of memory splitting a line of %zu fields", count);
    }
    const char *start = line, *e = line + len;
    for (size_t i = 0; i < count; i++) {
        const char *d = i + 1 < count ? memchr(start, delim, (size_t)(e - start)) : e;
        f[i].s = start;
        f[i].len = (size_t)(d - start);
        start = d + 1;
    }
    *fields = f;
    *n = count;
    return KILN_OK;
}

ml_field ml_trim(ml_field f)
{
    while (f.len && (f.s[0] == ' ' || f.s[0] == '\t')) f.s++, f.len--;
    while (f.len && (f.s[f.len - 1] == ' ' || f.s[f.len - 1] == '\t')) f.len--;
    return f;
}

/* The loaders' parser (parse_number.c): the whole trimmed field must be a
 * finite number. */
bool delim_parse_double(ml_field f, double *out)
{
    f = ml_trim(f);
    double x;
    if (f.len == 0 || ml_parse_double(f.s, f.s + f.len, &x) != f.s + f.len || !isfinite(x))
        return false;
    *out = x;
    return true;
}

/* The loaders' message format (parse_number.c), without a column. */
int ml_fail_at(kiln_task *t, int64_t offset, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ml_line_fail(t, offset, 0, "%s", msg);
}

int ml_offset_line(kiln_task *t, const kiln_value *in, int64_t *offset, ml_field *line)
{
    if (!kiln_is_pair(in) || in->u.items[0].type != KILN_INT || in->u.items[1].type != KILN_STR)
        return kiln_task_fail(t, "expected (offset, line) records of kiln_text_file_with_offsets");
    *offset = in->u.items[0].u.i;
    line->s = in->u.items[1].u.s;
    line->len = in->u.items[1].len;
    return KILN_OK;
}

int ml_text_partitions(kiln_context *ctx, int min_partitions)
{
    if (min_partitions > 0) return min_partitions;
    int p = kiln_context_default_parallelism(ctx);
    return p < 2 ? (p < 1 ? 1 : p) : 2;
}
