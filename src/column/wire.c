/*
 * column/wire.c - the wire form of a batch (docs/formats/batch.md): what
 * shuffles, caches and broadcasts of DataFrames hold.
 */
#include <string.h>

#include "column/column.h"
#include "kiln/error.h"

#define BATCH_MAGIC 0x3142434bu /* "KCB1" little-endian */
#define MAX_DEPTH 32
/* (pad8 and skip8 align to 16 bytes.) */

static int put(kiln_buf *b, const void *p, size_t n)
{
    return kiln_buf_append(b, p, n);
}
static int put_u8(kiln_buf *b, uint8_t v)
{
    return put(b, &v, 1);
}
static int put_u16(kiln_buf *b, uint16_t v)
{
    return put(b, &v, 2);
}
static int put_u32(kiln_buf *b, uint32_t v)
{
    return put(b, &v, 4);
}
/* Pads b with zeros to a multiple of 16 bytes from base (the alignment
 * of a 128-bit decimal). */
static int pad8(kiln_buf *b, size_t base)
{
    static const uint8_t z[16];
    size_t m = (b->len - base) & 15;
    return m ? put(b, z, 16 - m) : KILN_OK;
}

static int put_type(kiln_buf *b, const col_type *t, int depth)
{
    if (depth > MAX_DEPTH) return KILN_EINVAL;
    int rc = put_u8(b, t->kind);
    if (!rc) rc = put_u8(b, t->precision);
    if (!rc) rc = put_u8(b, t->scale);
    if (!rc) rc = put_u8(b, t->contains_null);
    if (rc) return rc;
    switch (t->kind) {
    case COL_ARRAY:
        return put_type(b, t->elem, depth + 1);
    case COL_MAP:
        return (rc = put_type(b, t->elem, depth + 1)) ? rc : put_type(b, t->value, depth + 1);
    case COL_STRUCT:
        if ((rc = put_u16(b, (uint16_t)t->nfields))) return rc;
        for (int i = 0; i < t->nfields; i++) {
            size_t n = strlen(t->fields[i].name);
            if (n > 65535) return KILN_EINVAL;
            if ((rc = put_u16(b, (uint16_t)n)) || (rc = put(b, t->fields[i].name, n)) ||
                (rc = put_u8(b, t->fields[i].nullable)) ||
                (rc = put_type(b, t->fields[i].type, depth + 1)))
                return rc;
        }
        return KILN_OK;
    default:
        return KILN_OK;
    }
}

/* Rows [0, n) of flat vector v (no constant). */
static int put_data(kiln_buf *b, size_t base, const col_vec *v, uint32_t n)
{
    int rc = put_u8(b, v->validity != NULL);
    if (!rc) rc = pad8(b, base);
    if (rc) return rc;
    if (v->validity) {
        if ((rc = put(b, v->validity, COL_VALIDITY_WORDS(n) * 8)) || (rc = pad8(b, base)))
            return rc;
    }
    switch (v->type->kind) {
    case COL_NULL:
        return KILN_OK;
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = v->data;
        uint32_t off = 0;
        for (uint32_t i = 0; i <= n; i++) {
            if ((rc = put_u32(b, off))) return rc;
            if (i < n && col_valid(v, i)) off += s[i].len;
        }
        if ((rc = pad8(b, base))) return rc;
        for (uint32_t i = 0; i < n; i++)
            if (col_valid(v, i) && (rc = put(b, col_str_data(&s[i]), s[i].len))) return rc;
        return pad8(b, base);
    }
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t first = v->offsets[0];
        for (uint32_t i = 0; i <= n; i++)
            if ((rc = put_u32(b, v->offsets[i] - first))) return rc;
        if ((rc = pad8(b, base))) return rc;
        /* Children rows [first, offsets[n]): re-based to 0. */
        for (int c = 0; c < v->nchildren; c++) {
            col_vec sub = v->children[c];
            uint32_t cnt = v->offsets[n] - first;
            if (first) {
                size_t w = col_type_width(sub.type);
                if (w) sub.data = (char *)sub.data + w * first;
                if (sub.validity) return KILN_EINVAL; /* only zero-based children with validity */
                if (sub.offsets) sub.offsets += first;
            }
            if ((rc = put_data(b, base, &sub, cnt))) return rc;
        }
        return KILN_OK;
    }
    case COL_STRUCT:
        for (int c = 0; c < v->nchildren; c++)
            if ((rc = put_data(b, base, &v->children[c], n))) return rc;
        return KILN_OK;
    default: {
        size_t w = col_type_width(v->type);
        if ((rc = put(b, v->data, w * n))) return rc;
        return pad8(b, base);
    }
    }
}

int col_batch_encode(kiln_buf *out, const col_batch *batch)
{
    size_t base = out->len;
    kiln_arena *tmp = NULL;
    col_batch b = *batch;
    int rc = KILN_OK;
    bool need_flat = b.sel != NULL;
    for (int i = 0; i < b.ncols; i++) need_flat |= b.cols[i].constant;
    if (need_flat) {
        tmp = kiln_arena_new();
        if (!tmp) return KILN_ENOMEM;
        col_vec *cols = kiln_arena_alloc(tmp, sizeof(col_vec) * (size_t)(b.ncols ? b.ncols : 1));
        if (!cols) {
            rc = KILN_ENOMEM;
            goto done;
        }
        for (int i = 0; i < b.ncols && !rc; i++) {
            col_vec flat;
            rc = col_vec_flatten(&flat, tmp, &b.cols[i]);
            if (!rc && b.sel) rc = col_vec_gather(&cols[i], tmp, &flat, b.sel, b.nsel);
            else if (!rc) cols[i] = flat;
        }
        if (rc) goto done;
        b.cols = cols;
        if (b.sel) b.n = b.nsel;
        b.sel = NULL;
    }
    if ((rc = put_u32(out, BATCH_MAGIC)) || (rc = put_u32(out, (uint32_t)b.ncols)) ||
        (rc = put_u32(out, b.n)))
        goto done;
    for (int i = 0; i < b.ncols && !rc; i++) rc = put_type(out, b.cols[i].type, 0);
    if (!rc) rc = pad8(out, base);
    for (int i = 0; i < b.ncols && !rc; i++) rc = put_data(out, base, &b.cols[i], b.n);
done:
    kiln_arena_free(tmp);
    return rc;
}

/* ---- Decoding ------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
    kiln_arena *a;
    bool aligned; /* p is 16-byte aligned: fixed-width data used in place */
} rd;

static bool get(rd *r, void *dst, size_t n)
{
    if (n > r->n - r->i) return false;
    memcpy(dst, r->p + r->i, n);
    r->i += n;
    return true;
}
static bool skip8(rd *r)
{
    size_t m = r->i & 15;
    if (m) {
        if (16 - m > r->n - r->i) return false;
        r->i += 16 - m;
    }
    return true;
}
/* A pointer to n bytes at the cursor, in place when aligned, else copied. */
static const void *take(rd *r, size_t n)
{
    if (n > r->n - r->i) return NULL;
    const void *q = r->p + r->i;
    if (!r->aligned) {
        void *c = kiln_arena_alloc(r->a, n ? n : 1);
        if (!c) return NULL;
        memcpy(c, q, n);
        q = c;
    }
    r->i += n;
    return q;
}

static const col_type *get_type(rd *r, int depth)
{
    uint8_t h[4];
    if (depth > MAX_DEPTH || !get(r, h, 4) || h[0] >= COL_KIND_COUNT) return NULL;
    col_type t = {.kind = h[0], .precision = h[1], .scale = h[2], .contains_null = h[3] != 0};
    switch (t.kind) {
    case COL_DECIMAL:
        return col_type_decimal(r->a, t.precision, t.scale);
    case COL_ARRAY: {
        const col_type *e = get_type(r, depth + 1);
        return e ? col_type_array(r->a, e, t.contains_null) : NULL;
    }
    case COL_MAP: {
        const col_type *k = get_type(r, depth + 1);
        const col_type *v = k ? get_type(r, depth + 1) : NULL;
        return v ? col_type_map(r->a, k, v, t.contains_null) : NULL;
    }
    case COL_STRUCT: {
        uint16_t nf;
        if (!get(r, &nf, 2)) return NULL;
        col_field *f = kiln_arena_alloc(r->a, sizeof *f * (nf ? nf : 1));
        if (!f) return NULL;
        for (int i = 0; i < nf; i++) {
            uint16_t ln;
            uint8_t nullable;
            if (!get(r, &ln, 2) || ln > r->n - r->i) return NULL;
            char *name = kiln_arena_alloc(r->a, (size_t)ln + 1);
            if (!name || !get(r, name, ln) || !get(r, &nullable, 1)) return NULL;
            name[ln] = 0;
            f[i].name = name;
            f[i].nullable = nullable != 0;
            if (!(f[i].type = get_type(r, depth + 1))) return NULL;
        }
        return col_type_struct(r->a, f, nf);
    }
    default: {
        col_type probe = t;
        return col_type_copy(r->a, &probe);
    }
    }
}

/* Reads a column's data into v; with keep false, only moves past it
 * (strings and fixed-width values are not looked at). */
static int get_data(rd *r, col_vec *v, const col_type *t, uint32_t n, int depth, bool keep)
{
    if (depth > MAX_DEPTH) return KILN_ECORRUPT;
    /* Rows cost at least a bit each, but for columns that store nothing
     * (void, empty structs): bound those by the input's size too, so a
     * lying count cannot make readers allocate or loop without end. */
    if ((size_t)n > r->n * 8 + 65536) return KILN_ECORRUPT;
    memset(v, 0, sizeof *v);
    v->type = t;
    v->n = n;
    uint8_t has_validity;
    if (!get(r, &has_validity, 1) || !skip8(r)) return KILN_ECORRUPT;
    if (has_validity) {
        size_t bytes = COL_VALIDITY_WORDS(n) * 8;
        const void *q = keep                   ? take(r, bytes)
                        : bytes <= r->n - r->i ? r->p + (r->i += bytes)
                                               : NULL;
        if (!q || !skip8(r)) return KILN_ECORRUPT;
        v->validity = keep ? (uint64_t *)q : NULL;
    }
    switch (t->kind) {
    case COL_NULL:
        return KILN_OK;
    case COL_STRING:
    case COL_BINARY: {
        if ((size_t)n + 1 > (r->n - r->i) / 4) return KILN_ECORRUPT;
        const uint8_t *offs = r->p + r->i;
        r->i += 4 * ((size_t)n + 1);
        if (!skip8(r)) return KILN_ECORRUPT;
        uint32_t total, prev = 0;
        memcpy(&total, offs + 4 * (size_t)n, 4);
        if (total > r->n - r->i) return KILN_ECORRUPT;
        if (!keep) {
            r->i += total;
            return skip8(r) ? KILN_OK : KILN_ECORRUPT;
        }
        const char *bytes = (const char *)r->p + r->i;
        col_str *s = kiln_arena_alloc(r->a, sizeof *s * (n ? n : 1));
        if (!s) return KILN_ECORRUPT;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t e;
            memcpy(&e, offs + 4 * ((size_t)k + 1), 4);
            if (e < prev || e > total) return KILN_ECORRUPT;
            s[k] = col_str_view(bytes + prev, e - prev);
            prev = e;
        }
        r->i += total;
        if (!skip8(r)) return KILN_ECORRUPT;
        v->data = s;
        return KILN_OK;
    }
    case COL_ARRAY:
    case COL_MAP: {
        if ((size_t)n + 1 > (r->n - r->i) / 4) return KILN_ECORRUPT;
        uint32_t *offs = kiln_arena_alloc(r->a, 4 * ((size_t)n + 1));
        if (!offs || !get(r, offs, 4 * ((size_t)n + 1)) || !skip8(r)) return KILN_ECORRUPT;
        for (uint32_t k = 0; k < n; k++)
            if (offs[k + 1] < offs[k]) return KILN_ECORRUPT;
        if (offs[0] != 0) return KILN_ECORRUPT;
        v->offsets = offs;
        v->nchildren = t->kind == COL_ARRAY ? 1 : 2;
        v->children = kiln_arena_alloc(r->a, sizeof(col_vec) * 2);
        if (!v->children) return KILN_ENOMEM;
        int rc = get_data(r, &v->children[0], t->elem, offs[n], depth + 1, keep);
        if (!rc && t->kind == COL_MAP)
            rc = get_data(r, &v->children[1], t->value, offs[n], depth + 1, keep);
        return rc;
    }
    case COL_STRUCT: {
        v->nchildren = t->nfields;
        v->children = kiln_arena_alloc(r->a,
                                       sizeof(col_vec) * (size_t)(t->nfields ? t->nfields : 1));
        if (!v->children) return KILN_ENOMEM;
        for (int c = 0; c < t->nfields; c++) {
            int rc = get_data(r, &v->children[c], t->fields[c].type, n, depth + 1, keep);
            if (rc) return rc;
        }
        return KILN_OK;
    }
    default: {
        size_t w = col_type_width(t);
        if (!w || n > (r->n - r->i) / w) return KILN_ECORRUPT;
        if (!keep) {
            r->i += w * n;
            return skip8(r) ? KILN_OK : KILN_ECORRUPT;
        }
        const void *q = take(r, w * n);
        if (!q || !skip8(r)) return KILN_ECORRUPT;
        v->data = (void *)q;
        return KILN_OK;
    }
    }
}

int col_batch_decode_cols(col_batch *b, kiln_arena *a, const uint8_t *p, size_t n, const int *pick,
                          int npick)
{
    rd r = {p, n, 0, a, ((uintptr_t)p & 15) == 0};
    uint32_t magic, ncols, rows;
    memset(b, 0, sizeof *b);
    if (!get(&r, &magic, 4) || magic != BATCH_MAGIC || !get(&r, &ncols, 4) || !get(&r, &rows, 4))
        return KILN_ECORRUPT;
    if (ncols > 100000 || ncols > n) return KILN_ECORRUPT;
    int nout = pick ? npick : (int)ncols;
    const col_type **types = kiln_arena_alloc(a, sizeof *types * (ncols ? ncols : 1));
    col_vec *all = kiln_arena_alloc(a, sizeof *all * (ncols ? ncols : 1));
    bool *keep = kiln_arena_alloc(a, ncols ? ncols : 1);
    col_vec *cols = pick ? kiln_arena_alloc(a, sizeof *cols * (size_t)(nout ? nout : 1)) : all;
    if (!types || !all || !keep || !cols) return KILN_ENOMEM;
    memset(keep, !pick, ncols);
    for (int j = 0; pick && j < npick; j++) {
        if (pick[j] < 0 || (uint32_t)pick[j] >= ncols) return KILN_ECORRUPT;
        keep[pick[j]] = true;
    }
    for (uint32_t i = 0; i < ncols; i++)
        if (!(types[i] = get_type(&r, 0))) return KILN_ECORRUPT;
    if (!skip8(&r)) return KILN_ECORRUPT;
    for (uint32_t i = 0; i < ncols; i++) {
        int rc = get_data(&r, &all[i], types[i], rows, 0, keep[i]);
        if (rc) return rc;
    }
    for (int j = 0; pick && j < npick; j++) cols[j] = all[pick[j]];
    b->ncols = nout;
    b->n = rows;
    b->cols = cols;
    return KILN_OK;
}

int col_batch_decode(col_batch *b, kiln_arena *a, const uint8_t *p, size_t n)
{
    return col_batch_decode_cols(b, a, p, n, NULL, 0);
}
