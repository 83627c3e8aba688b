/*
 * ml/record.c - how the ml tasks name a bad record in their failure
 * messages: its input file when it came from one, its position in the
 * partition, and a short form of its value.
 */
#include <stdio.h>

#include "ml/ml.h"

void ml_record_where(kiln_task *t, const kiln_value *rec, int64_t i, char *buf, size_t n)
{
    enum { SHOW = 80 };
    kiln_buf b;
    kiln_buf_init(&b);
    int ok = kiln_value_format(&b, rec) == KILN_OK;
    int len = ok ? (int)(b.len > SHOW ? SHOW : b.len) : 1;
    const char *text = ok ? (const char *)b.data : "?";
    const char *file = kiln_task_input_file(t);
    snprintf(buf, n, "record %lld of partition %d%s%s (%.*s%s)", (long long)i,
             kiln_task_partition(t), file ? " read from " : "", file ? file : "", len,
             text ? text : "", ok && b.len > SHOW ? "..." : "");
    kiln_buf_release(&b);
}
