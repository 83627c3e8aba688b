/*
 * sql/ops_nested.c - the OPS_P_NESTED column stores of ops_int.h: nested
 * and null-type values kept as their nested_key.h encodings (a col_str per
 * row, bytes in the owner's arena), so that the sorter, the hash tables and
 * the window group limit store, order and compare them as they do strings,
 * and gathers decode them back into nested vectors.
 */
#include <stdlib.h>

#include "kiln.h"
#include "sql/nested_key.h"
#include "sql/ops_int.h"

static bool row_valid(const col_vec *v, uint32_t i)
{
    return v->type->kind != COL_NULL && col_valid(v, i);
}

int ops_nested_append(ops_store *s, kiln_arena *a, const col_vec *v, const uint32_t *sel,
                      uint32_t count, bool norm)
{
    int rc = ops_store_reserve(s, s->n + count);
    if (rc) return rc;
    col_str *dst = (col_str *)s->data + s->n;
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = sel ? sel[k] : k;
        if (!row_valid(v, i)) {
            if (!s->valid && (rc = ops_store_add_validity(s))) break;
            s->valid[s->n + k] = 0;
            memset(&dst[k], 0, sizeof dst[k]);
            continue;
        }
        if (s->valid) s->valid[s->n + k] = 1;
        b.len = 0;
        if ((rc = nk_encode(&b, v, i, norm))) break;
        if (b.len > UINT32_MAX) {
            rc = kiln_set_error(KILN_EINVAL, "a nested value of more than 4 GiB");
            break;
        }
        if (!col_str_copy(a, (const char *)b.data, (uint32_t)b.len, &dst[k])) {
            rc = KILN_ENOMEM;
            break;
        }
    }
    kiln_buf_release(&b);
    if (!rc) s->n += count;
    return rc;
}

int ops_nested_gather(const ops_store *s, kiln_arena *a, const uint32_t *rows, size_t start,
                      uint32_t n, col_vec *out)
{
    col_str *vals = malloc(sizeof *vals * (n ? n : 1));
    uint8_t *valid = malloc(n ? n : 1);
    int rc = vals && valid ? KILN_OK : KILN_ENOMEM;
    const col_str *src = (const col_str *)s->data;
    for (uint32_t k = 0; !rc && k < n; k++) {
        size_t r = rows ? rows[k] : start + k;
        valid[k] = (!rows || rows[k] != UINT32_MAX) && ops_store_valid(s, r);
        if (valid[k]) vals[k] = src[r];
    }
    if (!rc) rc = nk_decode(s->type, vals, valid, n, a, out);
    free(vals);
    free(valid);
    return rc;
}

void ops_nested_match(const ops_store *s, const col_vec *v, const uint32_t *rows,
                      const uint32_t *srows, uint32_t n, uint8_t *match, bool null_eq)
{
    kiln_buf b;
    kiln_buf_init(&b);
    const col_str *sd = (const col_str *)s->data;
    for (uint32_t k = 0; k < n; k++) {
        if (!match[k]) continue;
        bool x = row_valid(v, rows[k]), y = ops_store_valid(s, srows[k]);
        if (!x || !y) {
            match[k] = !x && !y && null_eq;
            continue;
        }
        b.len = 0;
        const col_str *e = &sd[srows[k]];
        /* Out of memory: no match (a group splits; never a wrong match). */
        match[k] = nk_encode(&b, v, rows[k], true) == KILN_OK && b.len == e->len &&
                   memcmp(b.data, col_str_data(e), b.len) == 0;
    }
    kiln_buf_release(&b);
}
