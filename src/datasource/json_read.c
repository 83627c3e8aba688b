/*
 * datasource/json_read.c - the JSON reader: JSON Lines (one record a line,
 * through io's line reader: split ownership, decompression and archive
 * members come from there) or multiLine (each file one value, or an array
 * of them, through io's whole-file reader). A line holding an array of
 * objects gives one row per object, as in Spark. Each batch's records are
 * parsed into a DOM in the reader's arena (reset at every call, so string
 * views stay valid until the next call), then converted column by column,
 * nested types recursively into array/struct/map vectors. Malformed
 * records (bad syntax, or a value that does not fit its column) follow the
 * mode, as in the CSV reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "datasource/json_int.h"

/* Parses the JSON options (errors name the option). */
int json_opts_parse(json_opts *j, const ds_options *o)
{
    int rc;
    memset(j, 0, sizeof *j);
    struct {
        const char *key;
        bool def;
        bool *out;
    } bools[] = {
        {"multiLine", false, &j->multiline},
        {"primitivesAsString", false, &j->primitives_as_string},
        {"prefersDecimal", false, &j->prefers_decimal},
        {"allowComments", false, &j->allow_comments},
        {"allowUnquotedFieldNames", false, &j->allow_unquoted_names},
        {"allowSingleQuotes", true, &j->allow_single_quotes},
        {"allowNumericLeadingZeros", false, &j->allow_leading_zeros},
        {"allowBackslashEscapingAnyCharacter", false, &j->allow_backslash_any},
        {"allowNonNumericNumbers", true, &j->allow_non_numeric},
        {"allowUnquotedControlChars", false, &j->allow_control_chars},
        {"dropFieldIfAllNull", false, &j->drop_all_null},
        {"ignoreNullFields", true, &j->ignore_null_fields},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if ((rc = ds_opt_bool(o, bools[i].key, bools[i].def, bools[i].out))) return rc;
    if ((rc = ds_opt_mode(o, &j->mode))) return rc;
    j->corrupt = ds_opt_str(o, "columnNameOfCorruptRecord", "_corrupt_record");
    if ((rc = ds_opt_double(o, "samplingRatio", 1.0, &j->sampling))) return rc;
    if (j->sampling <= 0 || j->sampling > 1)
        return kiln_set_error(KILN_EINVAL, "option samplingRatio: %g is not in (0, 1]",
                              j->sampling);
    const char *ls = ds_options_get(o, "lineSep");
    if (ls && strcmp(ls, "\n") != 0 && strcmp(ls, "\\n") != 0 && strcmp(ls, "\r\n") != 0 &&
        strcmp(ls, "\\r\\n") != 0)
        return kiln_set_error(KILN_EINVAL,
                              "option lineSep: '%s' is not supported for reading JSON yet (only "
                              "\\n and \\r\\n)",
                              ls);
    const char *tz = ds_options_get(o, "timeZone");
    if (tz && !ds_parse_zone(tz, &j->tz_sec))
        return kiln_set_error(KILN_EINVAL, "option timeZone: '%s' is not supported", tz);
    const char *keys[] = {"dateFormat", "timestampFormat", "timestampNTZFormat"};
    for (int i = 0; i < 3; i++) {
        const char *v = ds_options_get(o, keys[i]);
        if (v && !ds_pattern_supported(v))
            return kiln_set_error(KILN_EINVAL, "option %s: pattern '%s' is not supported yet",
                                  keys[i], v);
    }
    j->ts_fmt = ds_options_get(o, "timestampFormat");
    j->ntz_fmt = ds_options_get(o, "timestampNTZFormat");
    return ds_opt_check_utf8(o);
}

/* ---- Record source ----------------------------------------------------------------- */

typedef struct json_src {
    const json_opts *j;
    io_split is;
    io_line_reader *lr;
    io_whole_reader *wr;
    kiln_buf whole;
    const char *file;
    json_val doc; /* the current line's or file's value */
    uint32_t doc_i;
    bool in_doc; /* doc is an array being walked */
    const char *raw;
    size_t raw_len;
    int64_t line_off; /* offset of the current line (for messages) */
    int64_t read;     /* bytes read: lines with their ends, whole files */
} json_src;

static int src_open(json_src *s, const ds_split *sp, const json_opts *j)
{
    memset(s, 0, sizeof *s);
    s->j = j;
    kiln_buf_init(&s->whole);
    s->file = sp->path;
    s->is.path = (char *)sp->path;
    bool whole = sp->len < 0 || ds_is_compressed(sp->path);
    s->is.start = whole ? 0 : sp->start;
    s->is.length = whole ? -1 : sp->len;
    s->is.whole = whole;
    if (j->multiline) return io_whole_reader_open(sp->path, &s->wr);
    return io_line_reader_open(&s->is, &s->lr);
}

static void src_close(json_src *s)
{
    if (s->lr) io_line_reader_close(s->lr);
    if (s->wr) io_whole_reader_close(s->wr);
    kiln_buf_release(&s->whole);
}

static bool blank_text(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return false;
    return true;
}

/* The next record: 1 with *v (NULL when malformed: *bad) and the raw text,
 * 0 at the end, or an I/O error. Everything lives in a. */
static int src_next(json_src *s, kiln_arena *a, const json_val **v, bool *bad)
{
    for (;;) {
        if (s->in_doc) {
            if (s->doc_i < s->doc.n) {
                const json_val *e = &s->doc.items[s->doc_i++];
                *bad = e->kind != J_OBJ;
                *v = *bad ? NULL : e;
                return 1;
            }
            s->in_doc = false;
        }
        const char *text;
        size_t len;
        int rc;
        if (s->lr) {
            s->line_off = io_line_reader_offset(s->lr);
            rc = io_line_reader_next(s->lr, &text, &len);
            if (rc == 0) {
                rc = io_line_reader_next_file(s->lr);
                if (rc > 0) {
                    s->file = io_line_reader_file(s->lr);
                    continue;
                }
            }
            if (rc <= 0) return rc;
            s->read += (int64_t)len + 1; /* as the text source counts: the line and its end */
            if (blank_text(text, len)) continue;
        } else {
            rc = io_whole_reader_next(s->wr, &s->whole, &s->file);
            if (rc <= 0) return rc;
            text = (const char *)s->whole.data;
            len = s->whole.len;
            s->read += (int64_t)len;
            s->line_off = 0;
            if (blank_text(text, len)) continue;
        }
        char *copy = kiln_arena_alloc(a, len + 1);
        if (!copy) return KILN_ENOMEM;
        memcpy(copy, text, len);
        copy[len] = '\0';
        s->raw = copy;
        s->raw_len = len;
        size_t used;
        json_val *doc = kiln_arena_alloc(a, sizeof *doc);
        if (!doc) return KILN_ENOMEM;
        rc = json_parse(s->j, copy, len, a, doc, &used);
        s->doc = *doc;
        if (rc == KILN_ENOMEM) return rc;
        if (rc || used != len) {
            *bad = true;
            *v = NULL;
            return 1;
        }
        if (s->doc.kind == J_ARR) {
            s->in_doc = true;
            s->doc_i = 0;
            continue;
        }
        *bad = doc->kind != J_OBJ;
        *v = *bad ? NULL : doc;
        return 1;
    }
}

/* Calls fn for every record of the splits (for inference). */
int json_for_each_record(const ds_split *s, int n, const json_opts *j, kiln_arena *a,
                         int (*fn)(void *arg, const json_val *v, bool bad), void *arg)
{
    kiln_arena *tmp = kiln_arena_new();
    if (!tmp) return KILN_ENOMEM;
    int rc = KILN_OK;
    for (int i = 0; i < n && rc == KILN_OK; i++) {
        json_src src;
        if ((rc = src_open(&src, &s[i], j))) {
            src_close(&src);
            break;
        }
        const json_val *v;
        bool bad;
        int got;
        while ((got = src_next(&src, tmp, &v, &bad)) == 1) {
            if (bad && j->mode == DS_FAILFAST) {
                rc = kiln_set_error(KILN_ECORRUPT,
                                    "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed "
                                    "records are detected in schema inference: %s: \"%.200s\"",
                                    src.file, src.raw);
                break;
            }
            if ((rc = fn(arg, v, bad))) break;
            if (kiln_arena_bytes(tmp) > (64u << 20) && !src.in_doc) kiln_arena_reset(tmp);
        }
        if (got < 0 && rc == KILN_OK) rc = got;
        src_close(&src);
    }
    (void)a;
    kiln_arena_free(tmp);
    return rc;
}

/* ---- Reader ------------------------------------------------------------------------- */

typedef struct json_reader {
    ds_reader base;
    json_opts j;
    json_src src;
    const col_schema *schema;
    int nout;
    int *out_field;
    const col_type **types;
    int corrupt_out;
    kiln_arena *dom; /* records of the current batch */
    const json_val **recs;
    const char **raws;
    uint32_t *raw_lens;
    int64_t *offs;
    const char **files;
    uint8_t *bad;
    int16_t *bad_col;
    uint32_t *ident;
    const char *bad_what; /* first conversion failure's value text */
    bool done;
} json_reader;

static void json_close(ds_reader *base)
{
    json_reader *r = (json_reader *)base;
    src_close(&r->src);
    kiln_arena_free(r->dom);
    free(r->out_field);
    free(r->types);
    free(r->recs);
    free(r->raws);
    free(r->raw_lens);
    free(r->offs);
    free(r->files);
    free(r->bad);
    free(r->bad_col);
    free(r->ident);
    free(r);
}

static const json_val *lookup(const json_val *o, const char *name)
{
    if (!o || o->kind != J_OBJ) return NULL;
    size_t n = strlen(name);
    const json_val *found = NULL;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->klen[i] == n && memcmp(o->keys[i], name, n) == 0) found = &o->items[i];
    return found;
}

typedef struct conv {
    json_reader *r;
    kiln_arena *a; /* the batch's */
    int col;       /* output column, for messages */
} conv;

static int mark_bad(conv *c, col_vec *v, uint32_t i, uint32_t row, uint32_t cap)
{
    json_reader *r = c->r;
    if (!(r->bad[row] & 2)) r->bad_col[row] = (int16_t)c->col;
    r->bad[row] |= 2;
    if (!v->validity && col_vec_add_validity(v, c->a, cap)) return KILN_ENOMEM;
    col_set_null(v, i);
    return KILN_OK;
}

static int set_null(conv *c, col_vec *v, uint32_t i, uint32_t cap)
{
    if (!v->validity && col_vec_add_validity(v, c->a, cap)) return KILN_ENOMEM;
    col_set_null(v, i);
    return KILN_OK;
}

/* Fills v (type t, n rows) from vals (NULL = missing); rowof maps each value
 * to its record. */
static int fill(conv *c, col_vec *v, const col_type *t, const json_val *const *vals, uint32_t n,
                const uint32_t *rowof)
{
    int rc = col_vec_init(v, c->a, t, n ? n : 1);
    if (rc) return rc;
    v->n = n;
    kiln_arena *dom = c->r->dom;
    for (uint32_t i = 0; i < n; i++)
        if (!vals[i] || vals[i]->kind == J_NULL)
            if ((rc = set_null(c, v, i, n))) return rc;
#define BAD()                                                                                      \
    do {                                                                                           \
        if ((rc = mark_bad(c, v, i, rowof[i], n))) return rc;                                      \
    } while (0)
#define EACH                                                                                       \
    for (uint32_t i = 0; i < n; i++)                                                               \
        if (vals[i] && vals[i]->kind != J_NULL)
    switch (t->kind) {
    case COL_BOOL:
        EACH
        {
            ((bool *)v->data)[i] = vals[i]->b;
            if (vals[i]->kind != J_BOOL) BAD();
        }
        break;
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64: {
        int64_t lo = t->kind == COL_I8    ? INT8_MIN
                     : t->kind == COL_I16 ? INT16_MIN
                     : t->kind == COL_I32 ? INT32_MIN
                                          : INT64_MIN;
        int64_t hi = t->kind == COL_I8    ? INT8_MAX
                     : t->kind == COL_I16 ? INT16_MAX
                     : t->kind == COL_I32 ? INT32_MAX
                                          : INT64_MAX;
        EACH
        {
            int64_t x = 0;
            if (vals[i]->kind != J_INT || !ds_parse_i64(vals[i]->s, vals[i]->n, &x) || x < lo ||
                x > hi) {
                x = 0;
                BAD();
            }
            switch (t->kind) {
            case COL_I8:
                ((int8_t *)v->data)[i] = (int8_t)x;
                break;
            case COL_I16:
                ((int16_t *)v->data)[i] = (int16_t)x;
                break;
            case COL_I32:
                ((int32_t *)v->data)[i] = (int32_t)x;
                break;
            default:
                ((int64_t *)v->data)[i] = x;
            }
        }
        break;
    }
    case COL_F32:
    case COL_F64:
        EACH
        {
            double d = 0;
            const json_val *jv = vals[i];
            bool ok = false;
            if (jv->kind == J_INT || jv->kind == J_FLOAT) {
                ok = ds_parse_f64(jv->s, jv->n, &d);
                if (!ok && c->r->j.allow_non_numeric) {
                    /* NaN, Infinity, INF, +INF, -Infinity */
                    bool neg = jv->n && jv->s[0] == '-';
                    d = jv->n >= 3 && jv->s[jv->n - 1] == 'N' && jv->s[0] == 'N'
                            ? NAN
                            : (neg ? -INFINITY : INFINITY);
                    ok = true;
                }
            } else if (jv->kind == J_STR) {
                static const char *const sp[] = {"NaN", "Infinity", "+Infinity", "-Infinity",
                                                 "INF", "+INF",     "-INF"};
                for (int k = 0; k < 7 && !ok; k++)
                    if (strlen(sp[k]) == jv->n && memcmp(sp[k], jv->s, jv->n) == 0) {
                        d = k == 0 ? NAN : sp[k][0] == '-' ? -INFINITY : INFINITY;
                        ok = true;
                    }
            }
            if (!ok) BAD();
            if (t->kind == COL_F32) ((float *)v->data)[i] = (float)d;
            else ((double *)v->data)[i] = d;
        }
        break;
    case COL_DECIMAL:
        EACH
        {
            __int128 x = 0;
            const json_val *jv = vals[i];
            if ((jv->kind != J_INT && jv->kind != J_FLOAT && jv->kind != J_STR) ||
                !ds_parse_decimal(jv->s, jv->n, t->precision, t->scale, &x)) {
                x = 0;
                BAD();
            }
            if (col_decimal_is_wide(t)) ((__int128 *)v->data)[i] = x;
            else ((int64_t *)v->data)[i] = (int64_t)x;
        }
        break;
    case COL_STRING:
    case COL_BINARY: {
        kiln_buf tb;
        kiln_buf_init(&tb);
        EACH
        {
            const json_val *jv = vals[i];
            col_str *d = &((col_str *)v->data)[i];
            if (jv->kind == J_STR || jv->kind == J_INT || jv->kind == J_FLOAT) {
                *d = col_str_view(jv->s, jv->n);
                continue;
            }
            tb.len = 0;
            if (json_serialize(&tb, jv) ||
                !col_str_copy(c->a, (const char *)tb.data, (uint32_t)tb.len, d)) {
                kiln_buf_release(&tb);
                return KILN_ENOMEM;
            }
        }
        kiln_buf_release(&tb);
        break;
    }
    case COL_DATE:
        EACH
        {
            int32_t *d = &((int32_t *)v->data)[i];
            *d = 0;
            if (vals[i]->kind != J_STR || !ds_parse_date(vals[i]->s, vals[i]->n, false, d)) BAD();
        }
        break;
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        EACH
        {
            int64_t *d = &((int64_t *)v->data)[i];
            const json_val *jv = vals[i];
            *d = 0;
            int64_t secs;
            if (jv->kind == J_STR) {
                if (!ds_parse_timestamp(jv->s, jv->n, t->kind == COL_TIMESTAMP_NTZ, c->r->j.tz_sec,
                                        d))
                    BAD();
            } else if (jv->kind == J_INT && t->kind == COL_TIMESTAMP &&
                       ds_parse_i64(jv->s, jv->n, &secs) && secs > -9223372036854LL &&
                       secs < 9223372036854LL) {
                *d = secs * 1000000;
            } else {
                BAD();
            }
        }
        break;
    case COL_ARRAY:
    case COL_MAP: {
        bool map = t->kind == COL_MAP;
        uint32_t total = 0;
        EACH
        {
            if (vals[i]->kind != (map ? J_OBJ : J_ARR)) BAD();
            else total += vals[i]->n;
        }
        const json_val **ev = kiln_arena_alloc(dom, (total + 1) * sizeof *ev);
        const json_val **kv = map ? kiln_arena_alloc(dom, (total + 1) * sizeof *kv) : NULL;
        json_val *keys = map ? kiln_arena_alloc(dom, (total + 1) * sizeof *keys) : NULL;
        uint32_t *rows = kiln_arena_alloc(dom, (total + 1) * sizeof *rows);
        if (!ev || !rows || (map && (!kv || !keys))) return KILN_ENOMEM;
        uint32_t k = 0;
        v->offsets[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
            const json_val *jv = vals[i];
            if (jv && jv->kind == (map ? J_OBJ : J_ARR) && col_valid(v, i)) {
                for (uint32_t e = 0; e < jv->n; e++) {
                    ev[k] = &jv->items[e];
                    if (map) {
                        memset(&keys[k], 0, sizeof keys[k]);
                        keys[k].kind = J_STR;
                        keys[k].s = jv->keys[e];
                        keys[k].n = jv->klen[e];
                        kv[k] = &keys[k];
                    }
                    rows[k++] = rowof[i];
                }
            }
            v->offsets[i + 1] = k;
        }
        if (map) {
            if ((rc = fill(c, &v->children[0], t->elem, kv, k, rows))) return rc;
            if ((rc = fill(c, &v->children[1], t->value, ev, k, rows))) return rc;
        } else if ((rc = fill(c, &v->children[0], t->elem, ev, k, rows))) {
            return rc;
        }
        break;
    }
    case COL_STRUCT: {
        EACH if (vals[i]->kind != J_OBJ) BAD();
        const json_val **fv = kiln_arena_alloc(dom, (n + 1) * sizeof *fv);
        if (!fv) return KILN_ENOMEM;
        for (int f = 0; f < t->nfields; f++) {
            for (uint32_t i = 0; i < n; i++)
                fv[i] = col_valid(v, i) ? lookup(vals[i], t->fields[f].name) : NULL;
            if ((rc = fill(c, &v->children[f], t->fields[f].type, fv, n, rowof))) return rc;
        }
        break;
    }
    case COL_NULL:
        break;
    default:
        return kiln_set_error(KILN_EINVAL, "the JSON reader cannot read a column of this type");
    }
#undef BAD
#undef EACH
    return KILN_OK;
}

static int64_t line_of(const char *path, int64_t off)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int64_t line = 1;
    char tmp[65536];
    for (int64_t pos = 0; pos < off;) {
        size_t want = off - pos < (int64_t)sizeof tmp ? (size_t)(off - pos) : sizeof tmp;
        ssize_t got = pread(fd, tmp, want, pos);
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; i++) line += tmp[i] == '\n';
        pos += got;
    }
    close(fd);
    return line;
}

static int json_fail(json_reader *r, uint32_t i)
{
    int64_t line = r->j.multiline ? 1 : line_of(r->files[i], r->offs[i]);
    if (r->bad_col[i] >= 0) {
        const char *name = r->schema->fields[r->out_field[r->bad_col[i]]].name;
        char why[128];
        kiln_buf tb;
        kiln_buf_init(&tb);
        col_type_format(&tb, r->types[r->bad_col[i]]);
        snprintf(why, sizeof why, "cannot convert the value to %.*s in record", (int)tb.len,
                 (const char *)tb.data);
        kiln_buf_release(&tb);
        return ds_malformed(r->files[i], line, name, r->raws[i], r->raw_lens[i], why);
    }
    return ds_malformed(r->files[i], line, NULL, r->raws[i], r->raw_lens[i],
                        "malformed JSON record");
}

static int json_next(ds_reader *base, kiln_arena *a, col_batch *out)
{
    json_reader *r = (json_reader *)base;
    memset(out, 0, sizeof *out);
    /* The DOM of an array being walked must survive. */
    if (!r->src.in_doc) kiln_arena_reset(r->dom);
again:
    if (r->done) return 0;
    uint32_t rows = 0;
    while (rows < COL_VEC_SIZE) {
        const json_val *v;
        bool bad;
        int rc = src_next(&r->src, r->dom, &v, &bad);
        if (rc < 0) return rc;
        if (rc == 0) {
            r->done = true;
            break;
        }
        r->recs[rows] = v;
        r->raws[rows] = r->src.raw;
        r->raw_lens[rows] = (uint32_t)r->src.raw_len;
        r->offs[rows] = r->src.line_off;
        r->files[rows] = r->src.file;
        r->bad[rows] = bad;
        r->bad_col[rows] = -1;
        rows++;
    }
    if (rows == 0) return 0;
    int rc = col_batch_init(out, a, r->nout, r->types, rows);
    if (rc) return rc;
    out->n = rows;
    const json_val **fv = kiln_arena_alloc(r->dom, rows * sizeof *fv);
    if (!fv) return KILN_ENOMEM;
    for (int j = 0; j < r->nout; j++) {
        if (j == r->corrupt_out) continue;
        const char *name = r->schema->fields[r->out_field[j]].name;
        for (uint32_t i = 0; i < rows; i++) fv[i] = r->recs[i] ? lookup(r->recs[i], name) : NULL;
        conv c = {r, a, j};
        if ((rc = fill(&c, &out->cols[j], r->types[j], fv, rows, r->ident))) return rc;
    }
    uint32_t nbad = 0;
    for (uint32_t i = 0; i < rows; i++) nbad += r->bad[i] != 0;
    if (nbad && r->j.mode == DS_FAILFAST)
        for (uint32_t i = 0; i < rows; i++)
            if (r->bad[i]) return json_fail(r, i);
    if (nbad && r->j.mode == DS_PERMISSIVE)
        for (uint32_t i = 0; i < rows; i++)
            if (r->bad[i] & 1)
                for (int j = 0; j < r->nout; j++) /* unparsable: every field null */
                    if (j != r->corrupt_out &&
                        (rc = set_null(&(conv){r, a, j}, &out->cols[j], i, rows)))
                        return rc;
    if (r->corrupt_out >= 0) {
        col_vec *v = &out->cols[r->corrupt_out];
        if ((rc = col_vec_init(v, a, &col_type_string, rows)) ||
            (rc = col_vec_add_validity(v, a, rows)))
            return rc;
        v->n = rows;
        for (uint32_t i = 0; i < rows; i++) {
            col_str *d = &((col_str *)v->data)[i];
            if (r->bad[i] && r->j.mode == DS_PERMISSIVE) {
                *d = col_str_view(r->raws[i], r->raw_lens[i]);
            } else {
                memset(d, 0, sizeof *d);
                col_set_null(v, i);
            }
        }
    }
    if (nbad && r->j.mode == DS_DROPMALFORMED) {
        if (nbad == rows) {
            if (!r->src.in_doc) kiln_arena_reset(r->dom);
            goto again;
        }
        uint32_t *sel = kiln_arena_alloc(a, rows * sizeof *sel);
        if (!sel) return KILN_ENOMEM;
        uint32_t k = 0;
        for (uint32_t i = 0; i < rows; i++)
            if (!r->bad[i]) sel[k++] = i;
        out->sel = sel;
        out->nsel = k;
    }
    return 1;
}

static int64_t json_bytes_read(const ds_reader *base)
{
    return ((const json_reader *)base)->src.read;
}

static const ds_format_reader json_fmt = {json_next, json_close, json_bytes_read};

/* Opens a JSON reader of s (see ds_reader_open). */
int ds_json_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out)
{
    json_reader *r = calloc(1, sizeof *r);
    if (!r) return KILN_ENOMEM;
    r->base.fmt = &json_fmt;
    int rc = json_opts_parse(&r->j, o);
    if (rc) {
        free(r);
        return rc;
    }
    r->schema = schema;
    r->nout = nproj;
    r->corrupt_out = -1;
    r->dom = kiln_arena_new();
    r->out_field = calloc((size_t)nproj + 1, sizeof *r->out_field);
    r->types = calloc((size_t)nproj + 1, sizeof *r->types);
    r->recs = calloc(COL_VEC_SIZE, sizeof *r->recs);
    r->raws = calloc(COL_VEC_SIZE, sizeof *r->raws);
    r->raw_lens = calloc(COL_VEC_SIZE, sizeof *r->raw_lens);
    r->offs = calloc(COL_VEC_SIZE, sizeof *r->offs);
    r->files = calloc(COL_VEC_SIZE, sizeof *r->files);
    r->bad = calloc(COL_VEC_SIZE, 1);
    r->bad_col = calloc(COL_VEC_SIZE, sizeof *r->bad_col);
    r->ident = calloc(COL_VEC_SIZE, sizeof *r->ident);
    if (!r->dom || !r->out_field || !r->types || !r->recs || !r->raws || !r->raw_lens || !r->offs ||
        !r->files || !r->bad || !r->bad_col || !r->ident) {
        json_close(&r->base);
        return KILN_ENOMEM;
    }
    for (uint32_t i = 0; i < COL_VEC_SIZE; i++) r->ident[i] = i;
    for (int j = 0; j < nproj; j++) {
        int f = proj ? proj[j] : j;
        r->out_field[j] = f;
        r->types[j] = schema->fields[f].type;
        if (strcmp(schema->fields[f].name, r->j.corrupt) == 0 &&
            schema->fields[f].type->kind == COL_STRING)
            r->corrupt_out = j;
    }
    if ((rc = src_open(&r->src, s, &r->j))) {
        json_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return KILN_OK;
}
