/*
 * parquet/write.c - kiln's Parquet writer: a DataFrame schema mapped to
 * Parquet's as Spark writes it (writeLegacyFormat=false: 3-level LISTs,
 * MAP key_value groups, INT32/INT64/FIXED_LEN_BYTE_ARRAY decimals, INT64
 * timestamps), batches shredded into leaf columns with definition and
 * repetition levels, pages and row groups flushed by size, and the footer
 * (FileMetaData with statistics, Spark's schema JSON and created_by).
 *
 * Memory: each leaf holds its encoded, compressed pages of the row group
 * being built (flushed at block_size over all leaves), its dictionary
 * (up to dict_page_size plus one batch), and one page being built (up to
 * page_size plus one slice of rows): see README.md "Writing".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_codec_int.h"
#include "parquet/pq_format_int.h"
#include "parquet/pq_write_int.h"

#define SLICE 256 /* rows of one column shredded between page-size checks */

/* A column chunk written: where it starts and its encoded metadata and
 * page index (offsets into the writer's buffers). */
typedef struct wcc {
    int64_t start;
    size_t meta_off, meta_len, ci_off, ci_len, oi_off, oi_len;
    bool has_ci;
} wcc;

/* A row group written. */
typedef struct wrg {
    int64_t total_u, rows, first, total_c;
} wrg;

struct pq_writer {
    const col_schema *schema;
    pq_write_options o;
    pq_sink sink;
    void *arg;
    pq_leaf *leaves;
    int nleaves;
    int *col_leaf;      /* first leaf of each top-level column */
    kiln_buf schema_tb; /* Thrift list elements: the SchemaElements */
    int nschema;
    /* The row groups written, encoded in the footer at the end (their
     * ColumnChunks point at the page index, written after them). */
    wrg *rgv;
    int nrgs, rgcap;
    wcc *ccs;         /* nleaves per row group */
    kiln_buf ccmeta;  /* the ColumnMetaData structs */
    kiln_buf ci, oi;  /* the ColumnIndex / OffsetIndex structs */
    int64_t pos;      /* bytes written so far */
    int64_t rg_rows;  /* rows buffered in the current row group */
    int64_t num_rows; /* rows in written row groups */
    size_t peak;
    kiln_arena *a; /* scratch of one batch (flattened vectors) */
    bool failed;
};

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory writing a Parquet file");
}

/* Sets o to the defaults (see parquet.h). */
void pq_write_options_default(pq_write_options *o)
{
    memset(o, 0, sizeof *o);
    o->codec = PQ_SNAPPY;
    o->page_size = 1 << 20;
    o->dict_page_size = 1 << 20;
    o->block_size = 128 << 20;
    o->page_rows = 20000;
    o->dictionary = true;
    o->ts_type = PQ_TS_MICROS;
}

/* The file name extension Spark gives codec's files. */
const char *pq_codec_file_ext(int codec)
{
    switch (codec) {
    case PQ_SNAPPY:
        return ".snappy.parquet";
    case PQ_GZIP:
        return ".gz.parquet";
    case PQ_ZSTD:
        return ".zstd.parquet";
    case PQ_LZ4_RAW:
        return ".lz4raw.parquet";
    case PQ_LZ4:
        return ".lz4.parquet";
    default:
        return ".parquet";
    }
}

/* The codec named by a `compression` option. */
int pq_write_codec(const char *name, int *codec)
{
    return pq_codec_parse(name, codec);
}

/* ---- Schema ------------------------------------------------------------------------ */

static int type_name(kiln_buf *b, const col_type *t)
{
    kiln_buf tmp;
    kiln_buf_init(&tmp);
    int rc = col_type_format(&tmp, t);
    for (size_t i = 0; !rc && i < tmp.len; i++)
        if (tmp.data[i] >= 'a' && tmp.data[i] <= 'z') tmp.data[i] = (uint8_t)(tmp.data[i] - 32);
    if (!rc) rc = kiln_buf_append(b, tmp.data, tmp.len);
    kiln_buf_release(&tmp);
    return rc;
}

static int check_type(const char *col, const col_type *t)
{
    switch (t->kind) {
    case COL_INTERVAL_YM:
    case COL_INTERVAL_DT:
    case COL_NULL: {
        kiln_buf b;
        kiln_buf_init(&b);
        int rc = type_name(&b, t);
        if (!rc) rc = kiln_buf_append(&b, "", 1);
        if (!rc)
            rc = kiln_set_error(KILN_ESQL,
                                "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The Parquet datasource "
                                "doesn't support the column `%s` of the type \"%s\". "
                                "SQLSTATE: 0A000",
                                col, (const char *)b.data);
        kiln_buf_release(&b);
        return rc;
    }
    case COL_ARRAY:
        return check_type(col, t->elem);
    case COL_MAP: {
        int rc = check_type(col, t->elem);
        return rc ? rc : check_type(col, t->value);
    }
    case COL_STRUCT:
        for (int i = 0; i < t->nfields; i++) {
            int rc = check_type(col, t->fields[i].type);
            if (rc) return rc;
        }
        return KILN_OK;
    default:
        return KILN_OK;
    }
}

/* Refuses types Parquet cannot hold, with Spark's error. */
int pq_check_schema(const col_schema *schema)
{
    for (int i = 0; i < schema->n; i++) {
        int rc = check_type(schema->fields[i].name, schema->fields[i].type);
        if (rc) return rc;
    }
    return KILN_OK;
}

static int count_leaves(const col_type *t)
{
    switch (t->kind) {
    case COL_ARRAY:
        return count_leaves(t->elem);
    case COL_MAP:
        return count_leaves(t->elem) + count_leaves(t->value);
    case COL_STRUCT: {
        int n = 0;
        for (int i = 0; i < t->nfields; i++) n += count_leaves(t->fields[i].type);
        return n;
    }
    default:
        return 1;
    }
}

/* Bytes of a FIXED_LEN_BYTE_ARRAY decimal of precision p (Spark's
 * minBytesForPrecision). */
static int decimal_bytes(int p)
{
    unsigned __int128 ten = 1;
    for (int i = 0; i < p; i++) ten *= 10;
    int n = 1;
    while (((unsigned __int128)1 << (8 * n - 1)) < ten) n++;
    return n;
}

typedef struct build {
    pq_writer *w;
    const char *path[64];
    int depth;
    int leaf;
} build;

static void logical_begin(pq_tw *t, int lt)
{
    pq_tw_begin(t, 10);
    pq_tw_begin(t, lt);
}

static void logical_end(pq_tw *t)
{
    pq_tw_end(t);
    pq_tw_end(t);
}

/* Adds the schema elements and leaves of a field named name of type t. */
static int build_node(build *B, pq_tw *t, const char *name, const col_type *ty, int rep_type,
                      int def, int rep)
{
    pq_writer *w = B->w;
    if (B->depth >= 63) return kiln_set_error(KILN_EINVAL, "Parquet: type nests too deep");
    B->path[B->depth++] = name;
    if (rep_type != PQ_REQUIRED) def++;
    if (rep_type == PQ_REPEATED) rep++;
    w->nschema++;
    pq_tw_begin(t, 0);
    int rc = KILN_OK;
    if (ty->kind == COL_STRUCT || ty->kind == COL_ARRAY || ty->kind == COL_MAP) {
        pq_tw_i32(t, 3, rep_type);
        pq_tw_str(t, 4, name);
        if (ty->kind == COL_STRUCT) {
            pq_tw_i32(t, 5, ty->nfields);
            pq_tw_end(t);
            for (int i = 0; !rc && i < ty->nfields; i++)
                rc = build_node(B, t, ty->fields[i].name, ty->fields[i].type,
                                ty->fields[i].nullable ? PQ_OPTIONAL : PQ_REQUIRED, def, rep);
        } else {
            bool list = ty->kind == COL_ARRAY;
            pq_tw_i32(t, 5, 1);
            pq_tw_i32(t, 6, list ? PQ_CT_LIST : PQ_CT_MAP);
            logical_begin(t, list ? PQ_LT_LIST : PQ_LT_MAP);
            logical_end(t);
            pq_tw_end(t);
            /* repeated group list / key_value */
            B->path[B->depth++] = list ? "list" : "key_value";
            w->nschema++;
            pq_tw_begin(t, 0);
            pq_tw_i32(t, 3, PQ_REPEATED);
            pq_tw_str(t, 4, list ? "list" : "key_value");
            pq_tw_i32(t, 5, list ? 1 : 2);
            pq_tw_end(t);
            if (list) {
                rc = build_node(B, t, "element", ty->elem,
                                ty->contains_null ? PQ_OPTIONAL : PQ_REQUIRED, def + 1, rep + 1);
            } else {
                rc = build_node(B, t, "key", ty->elem, PQ_REQUIRED, def + 1, rep + 1);
                if (!rc)
                    rc = build_node(B, t, "value", ty->value,
                                    ty->contains_null ? PQ_OPTIONAL : PQ_REQUIRED, def + 1,
                                    rep + 1);
            }
            B->depth--;
        }
        B->depth--;
        return rc;
    }
    /* A leaf. */
    pq_leaf *l = &w->leaves[B->leaf++];
    l->npath = B->depth;
    l->path = malloc(sizeof *l->path * (size_t)B->depth);
    if (!l->path) return oom();
    memcpy(l->path, B->path, sizeof *l->path * (size_t)B->depth);
    l->max_def = def;
    l->max_rep = rep;
    l->src_kind = ty->kind;
    l->ts_div = 1;
    int ptype = PQ_INT32, vkind = PQ_V_I32, ct = -1;
    switch (ty->kind) {
    case COL_BOOL:
        ptype = PQ_BOOLEAN, vkind = PQ_V_BOOL;
        break;
    case COL_I8:
    case COL_I16:
        ct = ty->kind == COL_I8 ? PQ_CT_INT_8 : PQ_CT_INT_16;
        break;
    case COL_I32:
        break;
    case COL_DATE:
        ct = PQ_CT_DATE;
        break;
    case COL_I64:
        ptype = PQ_INT64, vkind = PQ_V_I64;
        break;
    case COL_F32:
        ptype = PQ_FLOAT, vkind = PQ_V_F32;
        break;
    case COL_F64:
        ptype = PQ_DOUBLE, vkind = PQ_V_F64;
        break;
    case COL_STRING:
        ct = PQ_CT_UTF8;
        /* fall through */
    case COL_BINARY:
        ptype = PQ_BYTE_ARRAY, vkind = PQ_V_BYTES;
        break;
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ: {
        bool ntz = ty->kind == COL_TIMESTAMP_NTZ;
        if (!ntz && w->o.ts_type == PQ_TS_INT96) {
            ptype = PQ_INT96, vkind = PQ_V_I96;
            break;
        }
        ptype = PQ_INT64, vkind = PQ_V_I64;
        bool millis = !ntz && w->o.ts_type == PQ_TS_MILLIS;
        if (millis) l->ts_div = 1000;
        if (!ntz) ct = millis ? PQ_CT_TIMESTAMP_MILLIS : PQ_CT_TIMESTAMP_MICROS;
        break;
    }
    case COL_DECIMAL:
        ct = PQ_CT_DECIMAL;
        if (ty->precision > 18) {
            ptype = PQ_FIXED_LEN_BYTE_ARRAY, vkind = PQ_V_FLBA;
            l->flba_len = decimal_bytes(ty->precision);
        } else if (ty->precision > 9) {
            ptype = PQ_INT64, vkind = PQ_V_I64;
        }
        break;
    default:
        return kiln_set_error(KILN_EINVAL, "Parquet: cannot write column `%s`'s type", B->path[0]);
    }
    l->ptype = ptype;
    l->vkind = vkind;
    pq_tw_i32(t, 1, ptype);
    if (l->flba_len) pq_tw_i32(t, 2, l->flba_len);
    pq_tw_i32(t, 3, rep_type);
    pq_tw_str(t, 4, name);
    if (ct >= 0) pq_tw_i32(t, 6, ct);
    if (ty->kind == COL_DECIMAL) {
        pq_tw_i32(t, 7, ty->scale);
        pq_tw_i32(t, 8, ty->precision);
    }
    switch (ty->kind) {
    case COL_I8:
    case COL_I16:
        logical_begin(t, PQ_LT_INTEGER);
        pq_tw_byte(t, 1, ty->kind == COL_I8 ? 8 : 16);
        pq_tw_bool(t, 2, true);
        logical_end(t);
        break;
    case COL_DATE:
        logical_begin(t, PQ_LT_DATE);
        logical_end(t);
        break;
    case COL_STRING:
        logical_begin(t, PQ_LT_STRING);
        logical_end(t);
        break;
    case COL_DECIMAL:
        logical_begin(t, PQ_LT_DECIMAL);
        pq_tw_i32(t, 1, ty->scale);
        pq_tw_i32(t, 2, ty->precision);
        logical_end(t);
        break;
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        if (ptype != PQ_INT64) break;
        logical_begin(t, PQ_LT_TIMESTAMP);
        pq_tw_bool(t, 1, ty->kind == COL_TIMESTAMP);
        pq_tw_begin(t, 2);
        pq_tw_begin(t, l->ts_div == 1000 ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS);
        pq_tw_end(t);
        pq_tw_end(t);
        logical_end(t);
        break;
    default:
        break;
    }
    pq_tw_end(t);
    B->depth--;
    return KILN_OK;
}

/* ---- Spark's schema JSON ---------------------------------------------------------- */

static int json_str(kiln_buf *b, const char *s)
{
    int rc = kiln_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        char e[8];
        if (*p == '"' || *p == '\\') {
            e[0] = '\\', e[1] = (char)*p;
            rc = kiln_buf_append(b, e, 2);
        } else if (*p < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", *p);
            rc = kiln_buf_append(b, e, 6);
        } else {
            rc = kiln_buf_append(b, p, 1);
        }
    }
    return rc ? rc : kiln_buf_append(b, "\"", 1);
}

static int cat(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

static int json_type(kiln_buf *b, const col_type *t);

static int json_fields(kiln_buf *b, const col_field *f, int n)
{
    int rc = cat(b, "{\"type\":\"struct\",\"fields\":[");
    for (int i = 0; !rc && i < n; i++) {
        if (i) rc = cat(b, ",");
        if (!rc) rc = cat(b, "{\"name\":");
        if (!rc) rc = json_str(b, f[i].name);
        if (!rc) rc = cat(b, ",\"type\":");
        if (!rc) rc = json_type(b, f[i].type);
        if (!rc) rc = cat(b, f[i].nullable ? ",\"nullable\":true" : ",\"nullable\":false");
        if (!rc) rc = cat(b, ",\"metadata\":{}}");
    }
    return rc ? rc : cat(b, "]}");
}

static int json_type(kiln_buf *b, const col_type *t)
{
    static const char *const names[COL_KIND_COUNT] = {[COL_BOOL] = "boolean",
                                                      [COL_I8] = "byte",
                                                      [COL_I16] = "short",
                                                      [COL_I32] = "integer",
                                                      [COL_I64] = "long",
                                                      [COL_F32] = "float",
                                                      [COL_F64] = "double",
                                                      [COL_STRING] = "string",
                                                      [COL_BINARY] = "binary",
                                                      [COL_DATE] = "date",
                                                      [COL_TIMESTAMP] = "timestamp",
                                                      [COL_TIMESTAMP_NTZ] = "timestamp_ntz"};
    char tmp[64];
    int rc;
    switch (t->kind) {
    case COL_DECIMAL:
        snprintf(tmp, sizeof tmp, "\"decimal(%d,%d)\"", t->precision, t->scale);
        return cat(b, tmp);
    case COL_ARRAY:
        rc = cat(b, "{\"type\":\"array\",\"elementType\":");
        if (!rc) rc = json_type(b, t->elem);
        if (!rc)
            rc = cat(b, t->contains_null ? ",\"containsNull\":true}" : ",\"containsNull\":false}");
        return rc;
    case COL_MAP:
        rc = cat(b, "{\"type\":\"map\",\"keyType\":");
        if (!rc) rc = json_type(b, t->elem);
        if (!rc) rc = cat(b, ",\"valueType\":");
        if (!rc) rc = json_type(b, t->value);
        if (!rc)
            rc = cat(b, t->contains_null ? ",\"valueContainsNull\":true}"
                                         : ",\"valueContainsNull\":false}");
        return rc;
    case COL_STRUCT:
        return json_fields(b, t->fields, t->nfields);
    default:
        snprintf(tmp, sizeof tmp, "\"%s\"", names[t->kind] ? names[t->kind] : "null");
        return cat(b, tmp);
    }
}

/* ---- The writer ---------------------------------------------------------------------- */

/* A writer of one file (see parquet.h). */
int pq_writer_new(const col_schema *schema, const pq_write_options *o, pq_sink sink, void *arg,
                  pq_writer **out)
{
    *out = NULL;
    int rc = pq_check_schema(schema);
    if (rc) return rc;
    pq_writer *w = calloc(1, sizeof *w);
    if (!w) return oom();
    w->schema = schema;
    w->o = *o;
    /* page sizes are i32 in the format: keep pages well below */
    if (w->o.page_size > (1 << 30)) w->o.page_size = 1 << 30;
    if (w->o.dict_page_size > (1 << 30)) w->o.dict_page_size = 1 << 30;
    w->sink = sink;
    w->arg = arg;
    kiln_buf_init(&w->schema_tb);
    for (int i = 0; i < schema->n; i++) w->nleaves += count_leaves(schema->fields[i].type);
    w->leaves = calloc((size_t)w->nleaves + 1, sizeof *w->leaves);
    w->col_leaf = calloc((size_t)schema->n + 1, sizeof *w->col_leaf);
    w->a = kiln_arena_new();
    if (!w->leaves || !w->col_leaf || !w->a) {
        pq_writer_free(w);
        return oom();
    }
    build B = {.w = w};
    pq_tw t;
    pq_tw_init(&t, &w->schema_tb);
    /* the root */
    w->nschema = 1;
    pq_tw_begin(&t, 0);
    pq_tw_str(&t, 4, "spark_schema");
    pq_tw_i32(&t, 5, schema->n);
    pq_tw_end(&t);
    for (int i = 0; !rc && i < schema->n; i++) {
        w->col_leaf[i] = B.leaf;
        rc = build_node(&B, &t, schema->fields[i].name, schema->fields[i].type,
                        schema->fields[i].nullable ? PQ_OPTIONAL : PQ_REQUIRED, 0, 0);
    }
    if (!rc && t.err) rc = oom();
    for (int i = 0; i < w->nleaves; i++) pq_leaf_reset_chunk(&w->leaves[i], &w->o);
    if (rc) {
        pq_writer_free(w);
        return rc;
    }
    *out = w;
    return KILN_OK;
}

static int leaf_nulls(pq_writer *w, int leaf, const col_type *t, int def, int rep)
{
    int n = count_leaves(t);
    for (int i = 0; i < n; i++)
        if (pq_leaf_null(&w->leaves[leaf + i], def, rep)) return KILN_ENOMEM;
    return KILN_OK;
}

/* Shreds value r of v (type t) into the leaves from leaf on: def is the
 * definition level of its parent, rep the repetition level of its first
 * leaf value, rdepth the repetition depth inside. */
static int shred(pq_writer *w, const col_type *t, bool nullable, const col_vec *v, uint32_t r,
                 int def, int rep, int rdepth, int leaf)
{
    if (nullable) {
        if (!col_valid(v, r)) return leaf_nulls(w, leaf, t, def, rep);
        def++;
    }
    r = col_row(v, r);
    switch (t->kind) {
    case COL_STRUCT:
        for (int f = 0; f < t->nfields; f++) {
            int rc = shred(w, t->fields[f].type, t->fields[f].nullable, &v->children[f], r, def,
                           rep, rdepth, leaf);
            if (rc) return rc;
            leaf += count_leaves(t->fields[f].type);
        }
        return KILN_OK;
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t s = v->offsets[r], e = v->offsets[r + 1];
        if (s == e) return leaf_nulls(w, leaf, t, def, rep);
        int vleaf = leaf + (t->kind == COL_MAP ? count_leaves(t->elem) : 0);
        for (uint32_t k = s; k < e; k++) {
            int rr = k == s ? rep : rdepth + 1;
            int rc = shred(w, t->elem, t->kind == COL_ARRAY && t->contains_null, &v->children[0], k,
                           def + 1, rr, rdepth + 1, leaf);
            if (!rc && t->kind == COL_MAP)
                rc = shred(w, t->value, t->contains_null, &v->children[1], k, def + 1, rr,
                           rdepth + 1, vleaf);
            if (rc) return rc;
        }
        return KILN_OK;
    }
    default:
        return pq_leaf_value(&w->leaves[leaf], v, r, def, rep);
    }
}

static size_t buffered(const pq_writer *w)
{
    size_t n = 0;
    for (int i = 0; i < w->nleaves; i++) {
        const pq_leaf *l = &w->leaves[i];
        n += l->chunk.len + pq_leaf_page_bytes(l) + l->dict.len;
    }
    return n;
}

static void note_peak(pq_writer *w)
{
    size_t n = 0;
    for (int i = 0; i < w->nleaves; i++) {
        const pq_leaf *l = &w->leaves[i];
        n += l->chunk.cap + l->dict.cap + l->vals.cap + l->page.cap + l->zpage.cap + l->levcap * 4 +
             l->idxcap * 4 + (size_t)l->nslots * 8 + (size_t)l->doffcap * 4;
    }
    if (n > w->peak) w->peak = n;
}

/* Flushes the pages of leaves [from, to) that are full. */
static int check_pages(pq_writer *w, int from, int to)
{
    for (int i = from; i < to; i++) {
        pq_leaf *l = &w->leaves[i];
        if ((int64_t)pq_leaf_page_bytes(l) >= w->o.page_size || l->page_rows >= w->o.page_rows ||
            pq_leaf_dict_full(l, &w->o)) {
            int rc = pq_leaf_flush_page(l, &w->o);
            if (rc) return rc;
        }
    }
    return KILN_OK;
}

static int sink(pq_writer *w, const void *p, size_t n)
{
    if (!n) return KILN_OK;
    int rc = w->sink(w->arg, p, n);
    if (!rc) w->pos += (int64_t)n;
    return rc;
}

/* Writes the buffered row group and records its metadata. */
static int flush_row_group(pq_writer *w)
{
    if (w->rg_rows == 0) return KILN_OK;
    int rc = w->pos == 0 ? sink(w, PQ_MAGIC, PQ_MAGIC_LEN) : KILN_OK;
    if (rc) return rc;
    if (w->nrgs == w->rgcap) {
        int cap = w->rgcap ? 2 * w->rgcap : 8;
        wrg *r = realloc(w->rgv, sizeof *r * (size_t)cap);
        if (r) w->rgv = r;
        wcc *c = r ? realloc(w->ccs, sizeof *c * (size_t)cap * (size_t)w->nleaves) : NULL;
        if (!r || (!c && w->nleaves)) return oom();
        if (c) w->ccs = c;
        w->rgcap = cap;
    }
    wcc *ccs = w->ccs + (size_t)w->nrgs * (size_t)w->nleaves;
    kiln_buf dp;
    kiln_buf_init(&dp);
    int64_t total_u = 0, total_c = 0, first = w->pos;
    for (int i = 0; !rc && i < w->nleaves; i++) {
        pq_leaf *l = &w->leaves[i];
        if ((rc = pq_leaf_flush_page(l, &w->o))) break;
        note_peak(w);
        dp.len = 0;
        int64_t dict_u, start = w->pos;
        if ((rc = pq_leaf_dict_page(l, &w->o, &dp, &dict_u))) break;
        int64_t data_off = start + (int64_t)dp.len;
        if ((rc = sink(w, dp.data, dp.len)) || (rc = sink(w, l->chunk.data, l->chunk.len))) break;
        int64_t csize = w->pos - start, usize = l->chunk_uncompressed + dict_u;
        total_u += usize;
        total_c += csize;
        wcc *cc = &ccs[i];
        cc->start = start;
        cc->meta_off = w->ccmeta.len;
        cc->ci_off = w->ci.len;
        cc->oi_off = w->oi.len;
        pq_tw t;
        pq_tw_init(&t, &w->ccmeta);
        pq_tw_begin(&t, 0); /* ColumnMetaData */
        pq_tw_i32(&t, 1, l->ptype);
        int encs[3], ne = 0;
        if (l->enc_plain || l->dict_used) encs[ne++] = PQ_PLAIN;
        if (l->max_def || l->max_rep) encs[ne++] = PQ_RLE;
        if (l->dict_used) encs[ne++] = PQ_RLE_DICTIONARY;
        pq_tw_list(&t, 2, PQ_TT_I32, (uint32_t)ne);
        for (int k = 0; k < ne; k++) pq_tw_elem_i32(&t, encs[k]);
        pq_tw_list(&t, 3, PQ_TT_BINARY, (uint32_t)l->npath);
        for (int k = 0; k < l->npath; k++) pq_tw_elem_str(&t, l->path[k], strlen(l->path[k]));
        pq_tw_i32(&t, 4, w->o.codec);
        pq_tw_i64(&t, 5, l->chunk_values);
        pq_tw_i64(&t, 6, usize);
        pq_tw_i64(&t, 7, csize);
        pq_tw_i64(&t, 9, data_off);
        if (l->dict_used) pq_tw_i64(&t, 11, start);
        pq_tw_begin(&t, 12);
        pq_stats_write(&t, l, &l->cst);
        pq_tw_end(&t);
        pq_tw_end(&t); /* ColumnMetaData */
        if (t.err) rc = oom();
        else rc = pq_leaf_page_index(l, data_off, &w->ci, &cc->has_ci, &w->oi);
        cc->meta_len = w->ccmeta.len - cc->meta_off;
        cc->ci_len = w->ci.len - cc->ci_off;
        cc->oi_len = w->oi.len - cc->oi_off;
        pq_leaf_reset_chunk(l, &w->o);
    }
    kiln_buf_release(&dp);
    if (rc) return rc;
    w->rgv[w->nrgs++] = (wrg){total_u, w->rg_rows, first, total_c};
    w->num_rows += w->rg_rows;
    w->rg_rows = 0;
    return KILN_OK;
}

/* Writes the page index (every ColumnIndex, then every OffsetIndex, as
 * parquet-mr) and encodes the RowGroups pointing at it into rgs. */
static int row_groups(pq_writer *w, kiln_buf *rgs)
{
    int64_t ci_base = w->pos, oi_base = w->pos + (int64_t)w->ci.len;
    int rc = sink(w, w->ci.data, w->ci.len);
    if (!rc) rc = sink(w, w->oi.data, w->oi.len);
    if (rc) return rc;
    pq_tw t;
    pq_tw_init(&t, rgs);
    for (int g = 0; g < w->nrgs; g++) {
        const wrg *r = &w->rgv[g];
        pq_tw_begin(&t, 0);
        pq_tw_list(&t, 1, PQ_TT_STRUCT, (uint32_t)w->nleaves);
        for (int i = 0; i < w->nleaves; i++) {
            const wcc *cc = &w->ccs[(size_t)g * (size_t)w->nleaves + (size_t)i];
            pq_tw_begin(&t, 0); /* ColumnChunk */
            pq_tw_i64(&t, 2, cc->start);
            pq_tw_raw_struct(&t, 3, w->ccmeta.data + cc->meta_off, cc->meta_len);
            pq_tw_i64(&t, 4, oi_base + (int64_t)cc->oi_off);
            pq_tw_i32(&t, 5, (int32_t)cc->oi_len);
            if (cc->has_ci) {
                pq_tw_i64(&t, 6, ci_base + (int64_t)cc->ci_off);
                pq_tw_i32(&t, 7, (int32_t)cc->ci_len);
            }
            pq_tw_end(&t);
        }
        pq_tw_i64(&t, 2, r->total_u);
        pq_tw_i64(&t, 3, r->rows);
        pq_tw_i64(&t, 5, r->first);
        pq_tw_i64(&t, 6, r->total_c);
        pq_tw_end(&t);
    }
    return t.err ? oom() : KILN_OK;
}

static int write_cols(pq_writer *w, const col_batch *b)
{
    uint32_t n = b->n;
    for (uint32_t s = 0; s < n; s += SLICE) {
        uint32_t e = n - s < SLICE ? n : s + SLICE;
        for (int c = 0; c < w->schema->n; c++) {
            const col_field *f = &w->schema->fields[c];
            const col_vec *v = &b->cols[c];
            int l0 = w->col_leaf[c], l1 = c + 1 < w->schema->n ? w->col_leaf[c + 1] : w->nleaves;
            int rc = KILN_OK;
            if (f->type->kind != COL_STRUCT && f->type->kind != COL_ARRAY &&
                f->type->kind != COL_MAP) {
                rc = pq_leaf_flat(&w->leaves[l0], v, s, e);
            } else {
                for (uint32_t r = s; !rc && r < e; r++)
                    rc = shred(w, f->type, f->nullable, v, r, 0, 0, 0, l0);
            }
            if (!rc) rc = check_pages(w, l0, l1);
            if (rc) return rc;
        }
        w->rg_rows += e - s;
        note_peak(w);
        if ((int64_t)buffered(w) >= w->o.block_size) {
            int rc = flush_row_group(w);
            if (rc) return rc;
        }
    }
    return KILN_OK;
}

/* Appends b's live rows. */
int pq_writer_write(pq_writer *w, const col_batch *b)
{
    if (w->failed) return kiln_set_error(KILN_EINVAL, "Parquet writer: an earlier write failed");
    if (b->ncols != w->schema->n)
        return kiln_set_error(KILN_EINVAL, "Parquet writer: a batch of %d columns for %d", b->ncols,
                              w->schema->n);
    uint32_t live = col_batch_live(b);
    if (!live) return KILN_OK;
    const col_batch *src = b;
    col_batch flat;
    bool need = b->sel != NULL;
    for (int c = 0; c < b->ncols && !need; c++) need = b->cols[c].constant;
    int rc = KILN_OK;
    if (need) {
        kiln_arena_reset(w->a);
        flat = *b;
        flat.sel = NULL;
        flat.nsel = 0;
        flat.n = live;
        flat.cols = kiln_arena_alloc(w->a, sizeof *flat.cols * (size_t)(b->ncols + 1));
        uint32_t *sel = b->sel;
        if (!sel) {
            sel = kiln_arena_alloc(w->a, sizeof *sel * (size_t)live);
            if (sel)
                for (uint32_t i = 0; i < live; i++) sel[i] = i;
        }
        if (!flat.cols || !sel) rc = oom();
        for (int c = 0; !rc && c < b->ncols; c++)
            rc = col_vec_gather(&flat.cols[c], w->a, &b->cols[c], sel, live);
        src = &flat;
    }
    if (!rc) rc = write_cols(w, src);
    if (rc) w->failed = true;
    return rc;
}

/* Writes the footer: FileMetaData, its length, the magic. */
static int footer(pq_writer *w)
{
    kiln_buf fb, js, rgs;
    kiln_buf_init(&fb);
    kiln_buf_init(&js);
    kiln_buf_init(&rgs);
    int rc = row_groups(w, &rgs);
    if (!rc) rc = json_fields(&js, w->schema->fields, w->schema->n);
    if (!rc) rc = kiln_buf_append(&js, "", 1);
    pq_tw t;
    pq_tw_init(&t, &fb);
    pq_tw_begin(&t, 0);
    pq_tw_i32(&t, 1, 1);
    pq_tw_list(&t, 2, PQ_TT_STRUCT, (uint32_t)w->nschema);
    if (!t.err && kiln_buf_append(&fb, w->schema_tb.data, w->schema_tb.len)) t.err = KILN_ENOMEM;
    pq_tw_i64(&t, 3, w->num_rows);
    pq_tw_list(&t, 4, PQ_TT_STRUCT, (uint32_t)w->nrgs);
    if (!t.err && kiln_buf_append(&fb, rgs.data, rgs.len)) t.err = KILN_ENOMEM;
    pq_tw_list(&t, 5, PQ_TT_STRUCT, 2);
    /* Spark reads its types and nullability back from this schema; the
     * version tells it the dates are proleptic Gregorian (Spark 3+). */
    pq_tw_begin(&t, 0);
    pq_tw_str(&t, 1, "org.apache.spark.version");
    pq_tw_str(&t, 2, "4.0.0");
    pq_tw_end(&t);
    pq_tw_begin(&t, 0);
    pq_tw_str(&t, 1, "org.apache.spark.sql.parquet.row.metadata");
    if (!rc) pq_tw_str(&t, 2, (const char *)js.data);
    pq_tw_end(&t);
    pq_tw_str(&t, 6, "kiln version " KILN_VERSION);
    pq_tw_list(&t, 7, PQ_TT_STRUCT, (uint32_t)w->nleaves);
    for (int i = 0; i < w->nleaves; i++) {
        pq_tw_begin(&t, 0);
        pq_tw_begin(&t, 1); /* TYPE_ORDER */
        pq_tw_end(&t);
        pq_tw_end(&t);
    }
    pq_tw_end(&t);
    if (!rc && t.err) rc = oom();
    uint32_t len = (uint32_t)fb.len;
    if (!rc) rc = sink(w, fb.data, fb.len);
    if (!rc) rc = sink(w, &len, 4);
    if (!rc) rc = sink(w, PQ_MAGIC, PQ_MAGIC_LEN);
    kiln_buf_release(&fb);
    kiln_buf_release(&js);
    kiln_buf_release(&rgs);
    return rc;
}

/* Writes the rest and the footer. */
int pq_writer_finish(pq_writer *w)
{
    if (w->failed) return kiln_set_error(KILN_EINVAL, "Parquet writer: an earlier write failed");
    int rc = w->pos == 0 ? sink(w, PQ_MAGIC, PQ_MAGIC_LEN) : KILN_OK;
    if (!rc) rc = flush_row_group(w);
    if (!rc) rc = footer(w);
    if (rc) w->failed = true;
    return rc;
}

/* The most bytes w held. */
size_t pq_writer_peak_bytes(const pq_writer *w)
{
    return w->peak;
}

/* Frees w. */
void pq_writer_free(pq_writer *w)
{
    if (!w) return;
    for (int i = 0; w->leaves && i < w->nleaves; i++) {
        free(w->leaves[i].path);
        pq_leaf_release(&w->leaves[i]);
    }
    free(w->leaves);
    free(w->col_leaf);
    kiln_buf_release(&w->schema_tb);
    free(w->rgv);
    free(w->ccs);
    kiln_buf_release(&w->ccmeta);
    kiln_buf_release(&w->ci);
    kiln_buf_release(&w->oi);
    kiln_arena_free(w->a);
    free(w);
}
