/*
 * ml/delimited.c - fields of delimited text lines, numbers in them, and
 * task failures that name the file and line of bad input (see
 * delimited.h). Used by the feature transformers inside user functions, so
 * everything here runs on executor threads and allocates from the task
 * arena or the stack.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/delimited.h"

int ml_split(kiln_task *t, const char *line, size_t len, char delim, ml_field *stack,
             size_t cap, ml_field **fields, size_t *n)
{
    size_t count = 1;
    for (const char *p = line, *e = line + len; len && (p = memchr(p, delim, (size_t)(e - p)));
         p++)
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

bool delim_parse_double(ml_field f, double *out)
{
    f = ml_trim(f);
    if (f.len == 0) return false;
    /* strtod needs a terminated string; numbers are short, so the stack
     * copy is the rule and the heap the exception. */
    char small[128], *buf = small;
    if (f.len >= sizeof small && !(buf = malloc(f.len + 1))) return false;
    memcpy(buf, f.s, f.len);
    buf[f.len] = '\0';
    char *end;
    errno = 0;
    double x = strtod(buf, &end);
    /* Underflow to a denormal or zero is a fine value; overflow is not. */
    bool ok = end == buf + f.len && isfinite(x) && !(errno == ERANGE && fabs(x) > 1);
    if (buf != small) free(buf);
    if (ok) *out = x;
    return ok;
}

int ml_fail_at(kiln_task *t, int64_t offset, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file = kiln_task_input_file(t);
    int64_t line = 0;
    if (!file) return kiln_task_fail(t, "record at byte offset %lld: %s", (long long)offset, msg);
    if (kiln_input_line_number(file, offset, &line) != KILN_OK)
        return kiln_task_fail(t, "%s (byte offset %lld): %s", file, (long long)offset, msg);
    return kiln_task_fail(t, "%s:%lld: %s", file, (long long)line, msg);
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
