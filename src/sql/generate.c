/*
 * sql/generate.c - explode, posexplode, their outer forms and inline
 * (generate.h): one pass over the input rows collects, per output row, the
 * input row to repeat and the element to take (or none, for an outer
 * row), then every output column is one gather.
 */
#include "sql/generate.h"

#include <string.h>

#include "kiln.h"

#define GEN_NONE UINT32_MAX

int gen_output_types(gen_fn fn, const col_type *t, const col_type *const *keep_types, int nkeep,
                     const col_type **types)
{
    int n = 0;
    for (int k = 0; k < nkeep; k++) types[n++] = keep_types[k];
    if (fn == GEN_POSEXPLODE) types[n++] = &col_type_i32;
    if (fn == GEN_INLINE) {
        if (t->kind != COL_ARRAY || t->elem->kind != COL_STRUCT) {
            kiln_set_error(KILN_EINVAL, "inline needs an array of structs");
            return -1;
        }
        for (int f = 0; f < t->elem->nfields; f++) types[n++] = t->elem->fields[f].type;
        return n;
    }
    if (t->kind == COL_ARRAY) {
        types[n++] = t->elem;
    } else if (t->kind == COL_MAP) {
        types[n++] = t->elem;
        types[n++] = t->value;
    } else {
        kiln_set_error(KILN_EINVAL, "explode needs an array or a map");
        return -1;
    }
    return n;
}

void gen_start(gen_iter *it, gen_fn fn, bool outer, const col_batch *in, int col, const int *keep,
               int nkeep)
{
    memset(it, 0, sizeof *it);
    it->fn = fn;
    it->outer = outer;
    it->in = in;
    it->col = col;
    it->keep = keep;
    it->nkeep = nkeep;
}

/* dst = src rows idx[0..n), GEN_NONE giving null. */
static int gather_or_null(col_vec *dst, kiln_arena *a, const col_vec *src, const uint32_t *idx,
                          uint32_t n, bool any_none)
{
    if (!any_none) return col_vec_gather(dst, a, src, idx, n);
    int rc = col_vec_init(dst, a, src->type, n);
    if (rc) return rc;
    dst->n = n;
    if ((rc = col_vec_add_validity(dst, a, n))) return rc;
    for (uint32_t k = 0; k < n; k++) {
        if (idx[k] == GEN_NONE) {
            col_set_null(dst, k);
            if (dst->offsets) dst->offsets[k + 1] = dst->offsets[k];
            if (dst->type->kind == COL_STRUCT) /* fields of a null struct: null too */
                for (int c = 0; c < dst->nchildren; c++) {
                    col_vec *ch = &dst->children[c];
                    if ((rc = col_vec_add_validity(ch, a, n))) return rc;
                    col_set_null(ch, k);
                    if (ch->offsets) ch->offsets[k + 1] = ch->offsets[k];
                    if (ch->n < k + 1) ch->n = k + 1;
                }
        } else if ((rc = col_vec_copy_row(dst, a, k, src, idx[k]))) {
            return rc;
        }
    }
    return KILN_OK;
}

int gen_next(gen_iter *it, kiln_arena *a, col_batch *out)
{
    const col_batch *in = it->in;
    const col_vec *cv = &in->cols[it->col];
    memset(out, 0, sizeof *out);
    if (cv->type->kind != COL_ARRAY && cv->type->kind != COL_MAP)
        return kiln_set_error(KILN_EINVAL, "explode needs an array or a map column");
    uint32_t rows[COL_VEC_SIZE], elems[COL_VEC_SIZE];
    int32_t pos[COL_VEC_SIZE];
    uint32_t n = 0, live = col_batch_live(in);
    bool any_none = false;
    while (n < COL_VEC_SIZE && it->live < live) {
        uint32_t r = in->sel ? in->sel[it->live] : it->live;
        uint32_t cr = col_row(cv, r);
        uint32_t b = 0, len = 0;
        if (col_valid(cv, cr)) {
            b = cv->offsets[cr];
            len = cv->offsets[cr + 1] - b;
        }
        if (len == 0) {
            if (it->outer) {
                rows[n] = r;
                elems[n] = GEN_NONE;
                pos[n] = 0;
                any_none = true;
                n++;
            }
            it->live++;
            it->elem = 0;
            continue;
        }
        uint32_t take = len - it->elem;
        if (take > COL_VEC_SIZE - n) take = COL_VEC_SIZE - n;
        for (uint32_t k = 0; k < take; k++) {
            rows[n + k] = r;
            elems[n + k] = b + it->elem + k;
            pos[n + k] = (int32_t)(it->elem + k);
        }
        n += take;
        it->elem += take;
        if (it->elem == len) {
            it->live++;
            it->elem = 0;
        }
    }
    if (n == 0) return KILN_OK;
    bool is_inline = it->fn == GEN_INLINE;
    const col_vec *ev = &cv->children[0];
    if (is_inline && (cv->type->kind != COL_ARRAY || ev->type->kind != COL_STRUCT))
        return kiln_set_error(KILN_EINVAL, "inline needs an array of structs");
    int ngen = is_inline ? ev->nchildren : cv->nchildren;
    int ncols = it->nkeep + (it->fn == GEN_POSEXPLODE) + ngen;
    out->cols = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)ncols);
    if (!out->cols) return KILN_ENOMEM;
    out->ncols = ncols;
    out->n = n;
    int c = 0, rc;
    for (int k = 0; k < it->nkeep; k++)
        if ((rc = col_vec_gather(&out->cols[c++], a, &in->cols[it->keep[k]], rows, n))) return rc;
    if (it->fn == GEN_POSEXPLODE) {
        col_vec *pv = &out->cols[c++];
        if ((rc = col_vec_init(pv, a, &col_type_i32, n))) return rc;
        pv->n = n;
        memcpy(pv->data, pos, sizeof(int32_t) * n);
        if (any_none) {
            if ((rc = col_vec_add_validity(pv, a, n))) return rc;
            for (uint32_t k = 0; k < n; k++)
                if (elems[k] == GEN_NONE) col_set_null(pv, k);
        }
    }
    for (int g = 0; g < ngen; g++) {
        const col_vec *src = is_inline ? &ev->children[g] : &cv->children[g];
        if (is_inline && ev->validity) {
            /* a null struct element: every field null */
            for (uint32_t k = 0; k < n; k++)
                if (elems[k] != GEN_NONE && !col_valid(ev, elems[k])) {
                    elems[k] = GEN_NONE;
                    any_none = true;
                }
        }
        if ((rc = gather_or_null(&out->cols[c++], a, src, elems, n, any_none))) return rc;
    }
    return KILN_OK;
}
