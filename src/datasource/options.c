/*
 * datasource/options.c - the option list of a read or write (Spark's
 * case-insensitive map), typed getters that name the option in their
 * errors, and the format dispatch of datasource.h: planning splits,
 * schemas, opening readers.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/ds_int.h"

struct ds_options {
    int n, cap;
    char **keys, **vals;
};

/* Returns an owned empty list, or NULL when out of memory. */
ds_options *ds_options_new(void)
{
    return calloc(1, sizeof(ds_options));
}

/* Frees o and its strings (NULL is ignored). */
void ds_options_free(ds_options *o)
{
    if (o == NULL) return;
    for (int i = 0; i < o->n; i++) {
        free(o->keys[i]);
        free(o->vals[i]);
    }
    free(o->keys);
    free(o->vals);
    free(o);
}

static int find(const ds_options *o, const char *key)
{
    for (int i = 0; o != NULL && i < o->n; i++)
        if (strcasecmp(o->keys[i], key) == 0) return i;
    return -1;
}

/* Sets key to value (copied), replacing an earlier value of key in any case. */
int ds_options_set(ds_options *o, const char *key, const char *value)
{
    char *v = strdup(value);
    if (v == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory setting option %s", key);
    int i = find(o, key);
    if (i >= 0) {
        free(o->vals[i]);
        o->vals[i] = v;
        return KILN_OK;
    }
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 16;
        char **k = realloc(o->keys, (size_t)cap * sizeof *k);
        if (k) o->keys = k;
        char **vv = k ? realloc(o->vals, (size_t)cap * sizeof *vv) : NULL;
        if (vv) o->vals = vv;
        if (!k || !vv) {
            free(v);
            return kiln_set_error(KILN_ENOMEM, "out of memory setting option %s", key);
        }
        o->cap = cap;
    }
    o->keys[o->n] = strdup(key);
    if (o->keys[o->n] == NULL) {
        free(v);
        return kiln_set_error(KILN_ENOMEM, "out of memory setting option %s", key);
    }
    o->vals[o->n++] = v;
    return KILN_OK;
}

/* The value of key in any case, or NULL; borrowed. */
const char *ds_options_get(const ds_options *o, const char *key)
{
    int i = find(o, key);
    return i < 0 ? NULL : o->vals[i];
}

/* ---- Typed getters ---------------------------------------------------------- */

/* Reads a boolean option ("true"/"false", any case). */
int ds_opt_bool(const ds_options *o, const char *key, bool def, bool *out)
{
    const char *v = ds_options_get(o, key);
    *out = def;
    if (v == NULL) return KILN_OK;
    if (strcasecmp(v, "true") == 0) *out = true;
    else if (strcasecmp(v, "false") == 0) *out = false;
    else
        return kiln_set_error(KILN_EINVAL, "option %s: '%s' is not a boolean (true or false)", key,
                              v);
    return KILN_OK;
}

/* Reads an integer option within [lo, hi]. */
int ds_opt_int(const ds_options *o, const char *key, int64_t def, int64_t lo, int64_t hi,
               int64_t *out)
{
    const char *v = ds_options_get(o, key);
    *out = def;
    if (v == NULL) return KILN_OK;
    int64_t x;
    if (parse_int64(v, &x) != KILN_OK || x < lo || x > hi)
        return kiln_set_error(KILN_EINVAL, "option %s: '%s' is not an integer from %lld to %lld",
                              key, v, (long long)lo, (long long)hi);
    *out = x;
    return KILN_OK;
}

/* Reads a byte size option ("128m", "4194304"). */
int ds_opt_size(const ds_options *o, const char *key, int64_t def, int64_t *out)
{
    const char *v = ds_options_get(o, key);
    *out = def;
    if (v == NULL) return KILN_OK;
    int64_t x;
    if (parse_size(v, &x) != KILN_OK || x <= 0)
        return kiln_set_error(KILN_EINVAL, "option %s: '%s' is not a positive size", key, v);
    *out = x;
    return KILN_OK;
}

/* Reads a floating-point option. */
int ds_opt_double(const ds_options *o, const char *key, double def, double *out)
{
    const char *v = ds_options_get(o, key);
    *out = def;
    if (v == NULL) return KILN_OK;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || isnan(d))
        return kiln_set_error(KILN_EINVAL, "option %s: '%s' is not a number", key, v);
    *out = d;
    return KILN_OK;
}

/* A string option or def (borrowed). */
const char *ds_opt_str(const ds_options *o, const char *key, const char *def)
{
    const char *v = ds_options_get(o, key);
    return v ? v : def;
}

/* Unescapes \t \n \r \\ \0 \" \' \uXXXX (ASCII only) into out. */
int ds_unescape_sep(const char *key, const char *v, char *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        char c = *p;
        if (c == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 't':
                c = '\t';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case '0':
                c = '\0';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case '\\':
                c = '\\';
                break;
            case '"':
                c = '"';
                break;
            case '\'':
                c = '\'';
                break;
            case 'u': {
                unsigned x = 0;
                int k = 0;
                for (; k < 4 && isxdigit((unsigned char)p[1 + k]); k++)
                    x = x * 16 + (unsigned)(isdigit((unsigned char)p[1 + k])
                                                ? p[1 + k] - '0'
                                                : (tolower((unsigned char)p[1 + k]) - 'a' + 10));
                if (k != 4 || x > 127)
                    return kiln_set_error(KILN_EINVAL,
                                          "option %s: unsupported escape in '%s' (only ASCII "
                                          "\\uXXXX)",
                                          key, v);
                c = (char)x;
                p += 4;
                break;
            }
            default:
                return kiln_set_error(KILN_EINVAL,
                                      "option %s: unsupported special character "
                                      "'\\%c' in '%s'",
                                      key, *p, v);
            }
        }
        if (n + 1 >= cap) return kiln_set_error(KILN_EINVAL, "option %s: '%s' is too long", key, v);
        out[n++] = c;
    }
    out[n] = '\0';
    *len = n;
    return KILN_OK;
}

/* A one-character option (after unescaping). */
int ds_opt_char(const ds_options *o, const char *key, char def, bool allow_empty, char *out)
{
    const char *v = ds_options_get(o, key);
    *out = def;
    if (v == NULL) return KILN_OK;
    char tmp[16];
    size_t n;
    int rc = ds_unescape_sep(key, v, tmp, sizeof tmp, &n);
    if (rc) return rc;
    if (n == 0 && allow_empty) {
        *out = '\0';
        return KILN_OK;
    }
    if (n != 1) return kiln_set_error(KILN_EINVAL, "option %s: '%s' must be one character", key, v);
    *out = tmp[0];
    return KILN_OK;
}

/* The mode option: PERMISSIVE (default), DROPMALFORMED, FAILFAST (any case). */
int ds_opt_mode(const ds_options *o, ds_mode *out)
{
    const char *v = ds_options_get(o, "mode");
    *out = DS_PERMISSIVE;
    if (v == NULL || strcasecmp(v, "PERMISSIVE") == 0) return KILN_OK;
    if (strcasecmp(v, "DROPMALFORMED") == 0) *out = DS_DROPMALFORMED;
    else if (strcasecmp(v, "FAILFAST") == 0) *out = DS_FAILFAST;
    else
        return kiln_set_error(KILN_EINVAL,
                              "option mode: '%s' is not one of PERMISSIVE, DROPMALFORMED, "
                              "FAILFAST",
                              v);
    return KILN_OK;
}

/* Only UTF-8 input is read (and written). */
int ds_opt_check_utf8(const ds_options *o)
{
    const char *keys[] = {"encoding", "charset"};
    for (int i = 0; i < 2; i++) {
        const char *v = ds_options_get(o, keys[i]);
        if (v && strcasecmp(v, "UTF-8") != 0 && strcasecmp(v, "UTF8") != 0 &&
            strcasecmp(v, "US-ASCII") != 0)
            return kiln_set_error(KILN_EINVAL,
                                  "option %s: '%s' is not supported (kiln reads and writes "
                                  "UTF-8 only)",
                                  keys[i], v);
    }
    return KILN_OK;
}

/* The FAILFAST message: Spark's error class, then where and what. */
int ds_malformed(const char *file, int64_t line, const char *column, const char *value, size_t vlen,
                 const char *why)
{
    int show = vlen > 200 ? 200 : (int)vlen;
    return kiln_set_error(KILN_ECORRUPT,
                          "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records "
                          "are detected in record parsing: %s:%lld: column \"%s\": %s \"%.*s%s\"",
                          file, (long long)line, column ? column : "?", why, show,
                          value ? value : "", (size_t)show < vlen ? "..." : "");
}

/* ---- Dispatch ------------------------------------------------------------------ */

enum { FMT_CSV, FMT_JSON, FMT_TEXT, FMT_PARQUET };

static int format_of(const char *format, int *f)
{
    if (strcasecmp(format, "csv") == 0) *f = FMT_CSV;
    else if (strcasecmp(format, "json") == 0) *f = FMT_JSON;
    else if (strcasecmp(format, "text") == 0) *f = FMT_TEXT;
    else if (strcasecmp(format, "parquet") == 0) *f = FMT_PARQUET;
    else
        return kiln_set_error(KILN_EINVAL,
                              "unknown data source format '%s' (csv, json, text, parquet)", format);
    return KILN_OK;
}

static char *arena_strdup(kiln_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = kiln_arena_alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Plans Spark-sized splits of paths (see datasource.h). */
int ds_plan_splits(const char *format, const char *paths, const ds_options *o, int min_splits,
                   kiln_arena *a, ds_split **out, int *n)
{
    int f, rc;
    *out = NULL;
    *n = 0;
    if ((rc = format_of(format, &f))) return rc;
    bool whole = false;
    if ((rc = ds_whole_files(format, o, &whole))) return rc;
    int64_t max_bytes, open_cost;
    if ((rc = ds_opt_size(o, "maxPartitionBytes", 128 << 20, &max_bytes))) return rc;
    if ((rc = ds_opt_size(o, "openCostInBytes", 4 << 20, &open_cost))) return rc;
    io_file_info *files;
    size_t nf;
    if ((rc = io_list_files(paths, false, &files, &nf))) return rc;
    /* Sizes from the listing's stat (no file is opened). */
    int64_t total = 0;
    for (size_t i = 0; i < nf; i++) total += files[i].size + open_cost;
    int64_t per_core = total / (min_splits > 0 ? min_splits : 1);
    int64_t size = max_bytes < (open_cost > per_core ? open_cost : per_core)
                       ? max_bytes
                       : (open_cost > per_core ? open_cost : per_core);
    /* At least min_splits splits overall when the data allows it. */
    int64_t data = total - (int64_t)nf * open_cost;
    if (min_splits > 1 && data > 0 && data / min_splits < size) size = data / min_splits + 1;
    if (size < 1) size = 1;
    size_t count = 0, cap = nf + 16;
    ds_split *s = kiln_arena_alloc(a, cap * sizeof *s);
    for (size_t i = 0; s && i < nf; i++) {
        int64_t fsize = files[i].size;
        if (fsize == 0) continue;
        bool w = whole || ds_is_compressed(files[i].path);
        const char *path = arena_strdup(a, files[i].path);
        if (!path) {
            s = NULL;
            break;
        }
        for (int64_t off = 0; off < fsize;) {
            if (count == cap) {
                ds_split *t = kiln_arena_alloc(a, 2 * cap * sizeof *t);
                if (!t) {
                    s = NULL;
                    break;
                }
                memcpy(t, s, cap * sizeof *t);
                s = t;
                cap *= 2;
            }
            int64_t len = w ? -1 : (fsize - off <= size ? fsize - off : size);
            s[count].path = path;
            s[count].start = off;
            s[count].len = len;
            count++;
            if (w) break;
            off += len;
        }
    }
    io_file_infos_free(files, nf);
    if (!s) return kiln_set_error(KILN_ENOMEM, "out of memory planning %s", paths);
    *out = s;
    *n = (int)count;
    return KILN_OK;
}

/* The schema of paths (see datasource.h). */
int ds_infer_schema(const char *format, const char *paths, const ds_options *o, kiln_arena *a,
                    col_schema *out)
{
    int f, rc;
    memset(out, 0, sizeof *out);
    if ((rc = format_of(format, &f))) return rc;
    const char *ddl = ds_options_get(o, "schema");
    if (ddl) {
        size_t pos = 0;
        rc = col_schema_parse_ddl(a, ddl, strlen(ddl), out, &pos);
        if (rc)
            return kiln_set_error(KILN_EINVAL, "option schema: cannot parse '%s' at offset %zu",
                                  ddl, pos);
        return KILN_OK;
    }
    if (f == FMT_PARQUET) return ds_parquet_infer(paths, o, a, out);
    if (f == FMT_TEXT) {
        col_field *fl = kiln_arena_alloc(a, sizeof *fl);
        if (!fl) return KILN_ENOMEM;
        fl->name = "value";
        fl->type = &col_type_string;
        fl->nullable = true;
        out->n = 1;
        out->fields = fl;
        return KILN_OK;
    }
    /* Inference reads whole files (one split each) in order. */
    ds_options *whole = NULL;
    ds_split *s;
    int n;
    if ((rc = ds_plan_splits(format, paths, o, 1, a, &s, &n))) return rc;
    (void)whole;
    return f == FMT_CSV ? ds_csv_infer(s, n, o, a, out) : ds_json_infer(s, n, o, a, out);
}

/* Opens a reader of the format (see datasource.h). */
int ds_reader_open(const char *format, const ds_split *s, const col_schema *schema, const int *proj,
                   int nproj, const ds_options *o, ds_reader **out)
{
    return ds_reader_open_pushed(format, s, schema, proj, nproj, NULL, 0, o, out);
}

/* Opens a reader with pushed-down filters (see datasource.h). */
int ds_reader_open_pushed(const char *format, const ds_split *s, const col_schema *schema,
                          const int *proj, int nproj, const ds_filter *flt, int nf,
                          const ds_options *o, ds_reader **out)
{
    int f, rc;
    *out = NULL;
    if ((rc = format_of(format, &f))) return rc;
    if ((rc = ds_opt_check_utf8(o))) return rc;
    if (proj == NULL) nproj = schema->n;
    for (int i = 0; proj && i < nproj; i++)
        if (proj[i] < 0 || proj[i] >= schema->n)
            return kiln_set_error(KILN_EINVAL, "projected column %d is not in the schema", proj[i]);
    switch (f) {
    case FMT_CSV:
        return ds_csv_reader_open(s, schema, proj, nproj, o, out);
    case FMT_JSON:
        return ds_json_reader_open(s, schema, proj, nproj, o, out);
    case FMT_PARQUET:
        return ds_parquet_reader_open(s, schema, proj, nproj, flt, nf, o, out);
    default:
        return ds_text_reader_open(s, schema, proj, nproj, o, out);
    }
}

/* The next batch of r (see datasource.h). */
int ds_reader_next(ds_reader *r, kiln_arena *a, col_batch *out)
{
    return r->fmt->next(r, a, out);
}

/* Bytes r has read from storage (see datasource.h). */
int64_t ds_reader_bytes_read(const ds_reader *r)
{
    return r && r->fmt->bytes_read ? r->fmt->bytes_read(r) : 0;
}

/* Frees r. */
void ds_reader_close(ds_reader *r)
{
    if (r) r->fmt->close(r);
}
