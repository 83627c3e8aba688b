/*
 * parquet/read_meta.c - decodes the footer's FileMetaData (schema, row
 * groups, column chunks and their statistics, key/value metadata) and page
 * headers from the Thrift compact protocol (read_thrift.c) into the plain
 * structs of pq_read_int.h. Fields kiln does not use are skipped; fields
 * of an unexpected type are skipped too (so a later reader of them never
 * desynchronises).
 */
#include <string.h>

#include "parquet/pq_read_int.h"

/* Skips the field unless its type code is want (bool fields: TRUE/FALSE). */
#define WANT(want)                                                                                 \
    if (!((want) == PQ_TT_TRUE ? (ty == PQ_TT_TRUE || ty == PQ_TT_FALSE) : ty == (want))) {        \
        pq_tr_skip(t, ty);                                                                         \
        break;                                                                                     \
    }

static const char *str_copy(pq_tr *t, kiln_arena *a)
{
    const uint8_t *p;
    uint32_t n = pq_tr_binary(t, &p);
    char *s = kiln_arena_alloc(a, (size_t)n + 1);
    if (!s) {
        pq_tr_fail(t, "out of memory");
        return "";
    }
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* TimeUnit: a union of empty structs. */
static void parse_unit(pq_tr *t, int *unit)
{
    PQ_TR_FIELDS_BEGIN
case PQ_UNIT_MILLIS:
case PQ_UNIT_MICROS:
case PQ_UNIT_NANOS:
    WANT(PQ_TT_STRUCT);
    *unit = id;
    pq_tr_skip(t, ty);
    break;
    PQ_TR_FIELDS_END
}

/* TimestampType / TimeType: isAdjustedToUTC, unit. */
static void parse_time(pq_tr *t, pq_logical_type *l)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_TRUE);
    l->utc = pq_tr_bool(t, ty);
    break;
case 2:
    WANT(PQ_TT_STRUCT);
    parse_unit(t, &l->unit);
    break;
    PQ_TR_FIELDS_END
}

static void parse_decimal(pq_tr *t, pq_logical_type *l)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    l->scale = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    l->precision = pq_tr_i32(t);
    break;
    PQ_TR_FIELDS_END
}

static void parse_int_type(pq_tr *t, pq_logical_type *l)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_BYTE);
    if (t->p < t->end) l->bit_width = (int8_t)*t->p++;
    else pq_tr_fail(t, "truncated metadata");
    break;
case 2:
    WANT(PQ_TT_TRUE);
    l->is_signed = pq_tr_bool(t, ty);
    break;
    PQ_TR_FIELDS_END
}

/* LogicalType: a union, one field set. */
static void parse_logical(pq_tr *t, pq_logical_type *l)
{
    PQ_TR_FIELDS_BEGIN
case PQ_LT_DECIMAL:
    WANT(PQ_TT_STRUCT);
    l->kind = id;
    parse_decimal(t, l);
    break;
case PQ_LT_TIME:
case PQ_LT_TIMESTAMP:
    WANT(PQ_TT_STRUCT);
    l->kind = id;
    parse_time(t, l);
    break;
case PQ_LT_INTEGER:
    WANT(PQ_TT_STRUCT);
    l->kind = id;
    parse_int_type(t, l);
    break;
default:
    if (ty == PQ_TT_STRUCT && id >= 1 && id <= 16) l->kind = id;
    pq_tr_skip(t, ty);
    break;
}
}
pq_tr_leave(t);
}

static void parse_schema_elem(pq_tr *t, kiln_arena *a, pq_schema_elem *e)
{
    memset(e, 0, sizeof *e);
    e->name = "";
    e->type = e->repetition = e->converted = -1;
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    e->type = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    e->type_length = pq_tr_i32(t);
    break;
case 3:
    WANT(PQ_TT_I32);
    e->repetition = pq_tr_i32(t);
    break;
case 4:
    WANT(PQ_TT_BINARY);
    e->name = str_copy(t, a);
    break;
case 5:
    WANT(PQ_TT_I32);
    e->num_children = pq_tr_i32(t);
    break;
case 6:
    WANT(PQ_TT_I32);
    e->converted = pq_tr_i32(t);
    break;
case 7:
    WANT(PQ_TT_I32);
    e->scale = pq_tr_i32(t);
    break;
case 8:
    WANT(PQ_TT_I32);
    e->precision = pq_tr_i32(t);
    break;
case 10:
    WANT(PQ_TT_STRUCT);
    parse_logical(t, &e->logical);
    break;
    PQ_TR_FIELDS_END
}

static void parse_stats(pq_tr *t, pq_raw_stats *s)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_BINARY);
    s->max_len = pq_tr_binary(t, &s->max);
    s->has_max = true;
    break;
case 2:
    WANT(PQ_TT_BINARY);
    s->min_len = pq_tr_binary(t, &s->min);
    s->has_min = true;
    break;
case 3:
    WANT(PQ_TT_I64);
    s->null_count = pq_tr_i64(t);
    s->has_null_count = s->null_count >= 0;
    break;
case 5:
    WANT(PQ_TT_BINARY);
    s->max_value_len = pq_tr_binary(t, &s->max_value);
    s->has_max_value = true;
    break;
case 6:
    WANT(PQ_TT_BINARY);
    s->min_value_len = pq_tr_binary(t, &s->min_value);
    s->has_min_value = true;
    break;
    PQ_TR_FIELDS_END
}

/* path_in_schema joined with '.'. */
static const char *parse_path(pq_tr *t, kiln_arena *a)
{
    int et;
    uint32_t n = pq_tr_list(t, &et);
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < n && !t->err; i++) {
        if (et != PQ_TT_BINARY) {
            pq_tr_skip(t, et);
            continue;
        }
        const uint8_t *p;
        uint32_t len = pq_tr_binary(t, &p);
        if ((i && kiln_buf_append(&b, ".", 1)) || kiln_buf_append(&b, p, len))
            pq_tr_fail(t, "out of memory");
    }
    char *s = kiln_arena_alloc(a, b.len + 1);
    if (s) {
        if (b.len) memcpy(s, b.data, b.len);
        s[b.len] = '\0';
    }
    kiln_buf_release(&b);
    return s ? s : "";
}

static void parse_col_meta(pq_tr *t, kiln_arena *a, pq_chunk_meta *c)
{
    c->has_meta = true;
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    c->type = pq_tr_i32(t);
    break;
case 3:
    WANT(PQ_TT_LIST);
    c->path = parse_path(t, a);
    break;
case 4:
    WANT(PQ_TT_I32);
    c->codec = pq_tr_i32(t);
    break;
case 5:
    WANT(PQ_TT_I64);
    c->num_values = pq_tr_i64(t);
    break;
case 6:
    WANT(PQ_TT_I64);
    c->total_uncompressed = pq_tr_i64(t);
    break;
case 7:
    WANT(PQ_TT_I64);
    c->total_compressed = pq_tr_i64(t);
    break;
case 9:
    WANT(PQ_TT_I64);
    c->data_page_offset = pq_tr_i64(t);
    break;
case 11:
    WANT(PQ_TT_I64);
    c->dictionary_page_offset = pq_tr_i64(t);
    break;
case 12:
    WANT(PQ_TT_STRUCT);
    parse_stats(t, &c->stats);
    break;
    PQ_TR_FIELDS_END
}

static void parse_chunk(pq_tr *t, kiln_arena *a, pq_chunk_meta *c)
{
    memset(c, 0, sizeof *c);
    c->data_page_offset = c->dictionary_page_offset = -1;
    c->oi_off = c->ci_off = -1;
    c->path = "";
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_BINARY);
    c->file_path = str_copy(t, a);
    break;
case 3:
    WANT(PQ_TT_STRUCT);
    parse_col_meta(t, a, c);
    break;
case 4:
    WANT(PQ_TT_I64);
    c->oi_off = pq_tr_i64(t);
    break;
case 5:
    WANT(PQ_TT_I32);
    c->oi_len = pq_tr_i32(t);
    break;
case 6:
    WANT(PQ_TT_I64);
    c->ci_off = pq_tr_i64(t);
    break;
case 7:
    WANT(PQ_TT_I32);
    c->ci_len = pq_tr_i32(t);
    break;
    PQ_TR_FIELDS_END
}

/* The length of a list of structs (0 and t failed, saying what, when its
 * elements are not structs). */
static uint32_t struct_list(pq_tr *t, const char *what)
{
    int et;
    uint32_t n = pq_tr_list(t, &et);
    if (et != PQ_TT_STRUCT && n) {
        pq_tr_fail(t, what);
        return 0;
    }
    return n;
}

static void *list_alloc(pq_tr *t, kiln_arena *a, uint32_t n, size_t size)
{
    void *p = kiln_arena_alloc(a, (n ? n : 1) * size);
    if (!p) pq_tr_fail(t, "out of memory");
    else memset(p, 0, (n ? n : 1) * size);
    return p;
}

static void parse_row_group(pq_tr *t, kiln_arena *a, pq_row_group *g)
{
    memset(g, 0, sizeof *g);
    g->num_rows = g->total_byte_size = g->file_offset = g->total_compressed = -1;
    PQ_TR_FIELDS_BEGIN
case 1: {
    WANT(PQ_TT_LIST);
    uint32_t n = struct_list(t, "bad column chunk list");
    g->cols = list_alloc(t, a, n, sizeof *g->cols);
    for (uint32_t i = 0; i < n && !t->err; i++) parse_chunk(t, a, &g->cols[i]);
    g->ncols = t->err ? 0 : (int)n;
    break;
}
case 2:
    WANT(PQ_TT_I64);
    g->total_byte_size = pq_tr_i64(t);
    break;
case 3:
    WANT(PQ_TT_I64);
    g->num_rows = pq_tr_i64(t);
    break;
case 5:
    WANT(PQ_TT_I64);
    g->file_offset = pq_tr_i64(t);
    break;
case 6:
    WANT(PQ_TT_I64);
    g->total_compressed = pq_tr_i64(t);
    break;
    PQ_TR_FIELDS_END
}

static void parse_kv(pq_tr *t, kiln_arena *a, const char **k, const char **v)
{
    *k = *v = "";
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_BINARY);
    *k = str_copy(t, a);
    break;
case 2:
    WANT(PQ_TT_BINARY);
    *v = str_copy(t, a);
    break;
    PQ_TR_FIELDS_END
}

static void parse_file_meta(pq_tr *t, kiln_arena *a, pq_meta *m)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    m->version = pq_tr_i32(t);
    break;
case 2: {
    WANT(PQ_TT_LIST);
    uint32_t n = struct_list(t, "bad schema list");
    m->schema = list_alloc(t, a, n, sizeof *m->schema);
    for (uint32_t i = 0; i < n && !t->err; i++) parse_schema_elem(t, a, &m->schema[i]);
    m->nschema = t->err ? 0 : (int)n;
    break;
}
case 3:
    WANT(PQ_TT_I64);
    m->num_rows = pq_tr_i64(t);
    break;
case 4: {
    WANT(PQ_TT_LIST);
    uint32_t n = struct_list(t, "bad row group list");
    m->rgs = list_alloc(t, a, n, sizeof *m->rgs);
    for (uint32_t i = 0; i < n && !t->err; i++) parse_row_group(t, a, &m->rgs[i]);
    m->nrg = t->err ? 0 : (int)n;
    break;
}
case 5: {
    WANT(PQ_TT_LIST);
    uint32_t n = struct_list(t, "bad key/value list");
    m->keys = list_alloc(t, a, n, sizeof *m->keys);
    m->values = list_alloc(t, a, n, sizeof *m->values);
    for (uint32_t i = 0; i < n && !t->err; i++) parse_kv(t, a, &m->keys[i], &m->values[i]);
    m->nkv = t->err ? 0 : (int)n;
    break;
}
case 6:
    WANT(PQ_TT_BINARY);
    m->created_by = str_copy(t, a);
    break;
case 7:
    WANT(PQ_TT_LIST);
    m->type_defined_order = true;
    pq_tr_skip(t, ty);
    break;
case 8:
    pq_tr_fail(t, "encrypted files are not supported");
    break;
    PQ_TR_FIELDS_END
}

/* Decodes a FileMetaData (see pq_read_int.h). */
int pq_meta_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_meta *m, const char **why)
{
    pq_tr t;
    memset(m, 0, sizeof *m);
    m->num_rows = -1;
    pq_tr_init(&t, p, n);
    parse_file_meta(&t, a, m);
    if (!t.err && (m->nschema < 1 || m->num_rows < 0)) t.err = "footer has no schema or row count";
    *why = t.err;
    return t.err ? KILN_ECORRUPT : KILN_OK;
}

static void parse_data_v1(pq_tr *t, pq_page_header *h)
{
    h->has_data = true;
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    h->num_values = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    h->encoding = pq_tr_i32(t);
    break;
case 3:
    WANT(PQ_TT_I32);
    h->def_encoding = pq_tr_i32(t);
    break;
case 4:
    WANT(PQ_TT_I32);
    h->rep_encoding = pq_tr_i32(t);
    break;
    PQ_TR_FIELDS_END
}

static void parse_dict(pq_tr *t, pq_page_header *h)
{
    h->has_dict = true;
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    h->num_values = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    h->encoding = pq_tr_i32(t);
    break;
    PQ_TR_FIELDS_END
}

static void parse_data_v2(pq_tr *t, pq_page_header *h)
{
    h->has_v2 = true;
    h->is_compressed = true;
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    h->num_values = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    h->num_nulls = pq_tr_i32(t);
    break;
case 3:
    WANT(PQ_TT_I32);
    h->num_rows = pq_tr_i32(t);
    break;
case 4:
    WANT(PQ_TT_I32);
    h->encoding = pq_tr_i32(t);
    break;
case 5:
    WANT(PQ_TT_I32);
    h->def_len = pq_tr_i32(t);
    break;
case 6:
    WANT(PQ_TT_I32);
    h->rep_len = pq_tr_i32(t);
    break;
case 7:
    WANT(PQ_TT_TRUE);
    h->is_compressed = pq_tr_bool(t, ty);
    break;
    PQ_TR_FIELDS_END
}

static void parse_page(pq_tr *t, pq_page_header *h)
{
    PQ_TR_FIELDS_BEGIN
case 1:
    WANT(PQ_TT_I32);
    h->type = pq_tr_i32(t);
    break;
case 2:
    WANT(PQ_TT_I32);
    h->uncompressed = pq_tr_i32(t);
    break;
case 3:
    WANT(PQ_TT_I32);
    h->compressed = pq_tr_i32(t);
    break;
case 5:
    WANT(PQ_TT_STRUCT);
    parse_data_v1(t, h);
    break;
case 7:
    WANT(PQ_TT_STRUCT);
    parse_dict(t, h);
    break;
case 8:
    WANT(PQ_TT_STRUCT);
    parse_data_v2(t, h);
    break;
    PQ_TR_FIELDS_END
}

/* Decodes a PageHeader (see pq_read_int.h). */
int pq_page_header_parse(const uint8_t *p, size_t n, pq_page_header *h, size_t *used,
                         const char **why)
{
    pq_tr t;
    memset(h, 0, sizeof *h);
    h->type = -1;
    pq_tr_init(&t, p, n);
    parse_page(&t, h);
    if (!t.err && (h->uncompressed < 0 || h->compressed < 0 || h->num_values < 0 ||
                   h->def_len < 0 || h->rep_len < 0 || h->num_nulls < 0))
        t.err = "negative size or count in page header";
    *why = t.err;
    *used = (size_t)(t.p - p);
    return t.err ? KILN_ECORRUPT : KILN_OK;
}
