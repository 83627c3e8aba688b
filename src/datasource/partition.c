/*
 * datasource/partition.c - Hive-style partitioned datasets
 * (table/year=2024/month=05/part-...): discovering the partition columns
 * of a listing as Spark's PartitioningUtils does (names, inferred types,
 * the base path, conflicting layouts), Spark's path escaping, a typed
 * partition value from its directory name, whether a value can pass a
 * pushed-down filter (pruning), and the reader wrapper that appends a
 * file's partition values to any format's batches as constant vectors.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "datasource/ds_int.h"

#define DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"

static char *adup(kiln_arena *a, const char *s, size_t n)
{
    char *p = kiln_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory listing a dataset");
}

/* ---- Escaping (ExternalCatalogUtils) --------------------------------------- */

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

/* Appends s[0..n) escaped as Spark escapes partition path names (%XX). */
int ds_escape_path_name(kiln_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = KILN_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c && needs_escape(c)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = kiln_buf_append(b, e, 3);
        } else {
            rc = kiln_buf_append(b, &s[i], 1);
        }
    }
    return rc;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Unescapes s[0..n) into out (room for n bytes); returns the length. */
size_t ds_unescape_path_name(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
            (l = hexval(s[i + 2])) >= 0) {
            out[k++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    return k;
}

/* ---- Values ------------------------------------------------------------------ */

/* Inferred kinds, Spark's inferPartitionColumnValue order. */
enum { K_NULL, K_INT, K_LONG, K_DEC, K_DOUBLE, K_TS, K_DATE, K_STRING };

/* "yyyy-MM-dd HH:mm:ss[.S...]" (the partition timestamp form). */
static bool ts_form(const char *p, size_t n)
{
    return n >= 19 && p[4] == '-' && p[7] == '-' && p[10] == ' ' && p[13] == ':' && p[16] == ':';
}

static int infer_kind(const char *raw, size_t n, int32_t tz, int *prec)
{
    if (n == strlen(DEFAULT_PARTITION) && memcmp(raw, DEFAULT_PARTITION, n) == 0) return K_NULL;
    int64_t i;
    if (ds_parse_i64(raw, n, &i)) return i >= INT32_MIN && i <= INT32_MAX ? K_INT : K_LONG;
    int digits = ds_integer_digits(raw, n);
    if (digits > 0 && digits <= 38) {
        *prec = digits;
        return K_DEC;
    }
    double d;
    if (ds_parse_f64_general(raw, n, &d)) return K_DOUBLE;
    char un[256];
    if (n < sizeof un) {
        size_t m = ds_unescape_path_name(raw, n, un);
        int64_t us;
        if (ts_form(un, m) && ds_parse_timestamp_general(un, m, false, tz, &us)) return K_TS;
    }
    int32_t days;
    if (n == 10 && ds_parse_date_general(raw, n, true, &days)) return K_DATE;
    return K_STRING;
}

/* Spark's findWiderTypeForPartitionColumn over inferred kinds. */
static int merge_kind(int a, int pa, int b, int pb, int *p)
{
    *p = pa > pb ? pa : pb;
    if (a == b) return a;
    if (a == K_NULL) return *p = pb, b;
    if (b == K_NULL) return *p = pa, a;
    int lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo == K_INT && hi == K_LONG) return K_LONG;
    if (hi == K_DOUBLE) return lo == K_INT ? K_DOUBLE : K_STRING; /* long/decimal + double */
    if (hi == K_DEC) {
        int need = lo == K_INT ? 10 : 20;
        if (*p < need) *p = need;
        return K_DEC;
    }
    if (lo == K_TS && hi == K_DATE) return K_TS;
    return K_STRING;
}

static const col_type *kind_type(kiln_arena *a, int k, int prec)
{
    switch (k) {
    case K_INT:
        return &col_type_i32;
    case K_LONG:
        return &col_type_i64;
    case K_DEC:
        return col_type_decimal(a, prec < 1 ? 1 : prec, 0);
    case K_DOUBLE:
        return &col_type_f64;
    case K_TS:
        return &col_type_timestamp;
    case K_DATE:
        return &col_type_date;
    default:
        return &col_type_string;
    }
}

/* Parses the raw (escaped) directory value into row 0 of the one-row
 * vector v of type t: null for __HIVE_DEFAULT_PARTITION__ or a value that
 * does not cast to t. */
static int part_value(const char *raw, size_t n, const col_type *t, int32_t tz, kiln_arena *a,
                      col_vec *v)
{
    char *un = kiln_arena_alloc(a, n + 1);
    if (!un) return KILN_ENOMEM;
    size_t m = ds_unescape_path_name(raw, n, un);
    un[m] = '\0';
    union {
        bool b;
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;
        float f;
        double d;
        __int128 w;
        col_str s;
    } u;
    bool ok = !(n == strlen(DEFAULT_PARTITION) && memcmp(raw, DEFAULT_PARTITION, n) == 0);
    int64_t i = 0;
    if (ok) switch (t->kind) {
        case COL_BOOL:
            ok = ds_parse_bool(un, m, &u.b);
            break;
        case COL_I8:
        case COL_I16:
        case COL_I32:
        case COL_I64:
            ok = ds_parse_i64(un, m, &i);
            if (t->kind == COL_I8) ok = ok && i >= INT8_MIN && i <= INT8_MAX, u.i8 = (int8_t)i;
            if (t->kind == COL_I16) ok = ok && i >= INT16_MIN && i <= INT16_MAX, u.i16 = (int16_t)i;
            if (t->kind == COL_I32) ok = ok && i >= INT32_MIN && i <= INT32_MAX, u.i32 = (int32_t)i;
            if (t->kind == COL_I64) u.i64 = i;
            break;
        case COL_F32:
            ok = ds_parse_f64_general(un, m, &u.d);
            u.f = (float)u.d;
            break;
        case COL_F64:
            ok = ds_parse_f64_general(un, m, &u.d);
            break;
        case COL_DECIMAL:
            ok = ds_parse_decimal_general(un, m, t->precision, t->scale, &u.w);
            if (ok && !col_decimal_is_wide(t)) u.i64 = (int64_t)u.w;
            break;
        case COL_DATE:
            ok = ds_parse_date_general(un, m, false, &u.i32);
            break;
        case COL_TIMESTAMP:
        case COL_TIMESTAMP_NTZ:
            ok = ds_parse_timestamp_general(un, m, t->kind == COL_TIMESTAMP_NTZ, tz, &u.i64);
            break;
        case COL_STRING:
            ok = col_str_copy(a, un, (uint32_t)m, &u.s);
            if (!ok) return KILN_ENOMEM;
            break;
        default:
            return kiln_set_error(KILN_EINVAL, "a partition column cannot be of this type");
        }
    return col_vec_constant(v, a, t, ok ? &u : NULL, 1);
}

/* ---- Filters on values ---------------------------------------------------------- */

/* -1, 0, 1 comparing row i of x with row j of y (same type, both valid);
 * NaN equals NaN and is above every other double, as in Spark. */
static int cmp_rows(const col_vec *x, uint32_t i, const col_vec *y, uint32_t j)
{
    i = col_row(x, i);
    j = col_row(y, j);
    const col_type *t = x->type;
    switch (t->kind) {
    case COL_BOOL:
        return (int)((const bool *)x->data)[i] - (int)((const bool *)y->data)[j];
    case COL_I8:
        return (((const int8_t *)x->data)[i] > ((const int8_t *)y->data)[j]) -
               (((const int8_t *)x->data)[i] < ((const int8_t *)y->data)[j]);
    case COL_I16:
        return (((const int16_t *)x->data)[i] > ((const int16_t *)y->data)[j]) -
               (((const int16_t *)x->data)[i] < ((const int16_t *)y->data)[j]);
    case COL_I32:
    case COL_DATE:
        return (((const int32_t *)x->data)[i] > ((const int32_t *)y->data)[j]) -
               (((const int32_t *)x->data)[i] < ((const int32_t *)y->data)[j]);
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        return (((const int64_t *)x->data)[i] > ((const int64_t *)y->data)[j]) -
               (((const int64_t *)x->data)[i] < ((const int64_t *)y->data)[j]);
    case COL_F32:
    case COL_F64: {
        double a = t->kind == COL_F32 ? ((const float *)x->data)[i] : ((const double *)x->data)[i];
        double b = t->kind == COL_F32 ? ((const float *)y->data)[j] : ((const double *)y->data)[j];
        if (a != a || b != b) return (a != a) - (b != b);
        return (a > b) - (a < b);
    }
    case COL_DECIMAL: {
        __int128 a = col_decimal_is_wide(t) ? ((const __int128 *)x->data)[i]
                                            : ((const int64_t *)x->data)[i];
        __int128 b = col_decimal_is_wide(t) ? ((const __int128 *)y->data)[j]
                                            : ((const int64_t *)y->data)[j];
        return (a > b) - (a < b);
    }
    case COL_STRING:
    case COL_BINARY: {
        int c = col_str_cmp(&((const col_str *)x->data)[i], &((const col_str *)y->data)[j]);
        return (c > 0) - (c < 0);
    }
    default:
        return 2; /* not comparable: the filter cannot rule anything out */
    }
}

/* Whether row i of v may satisfy f (see datasource.h). */
bool ds_filter_may_match(const ds_filter *f, const col_vec *v, uint32_t i)
{
    bool null = !col_valid(v, col_row(v, i));
    const col_vec *l = &f->values;
    bool lnull = f->op != DS_F_IS_NULL && f->op != DS_F_IS_NOT_NULL &&
                 (l->n == 0 || !col_valid(l, col_row(l, 0)));
    if (l->type && v->type && !col_type_eq(l->type, v->type) && f->op != DS_F_IS_NULL &&
        f->op != DS_F_IS_NOT_NULL)
        return true;
    switch (f->op) {
    case DS_F_IS_NULL:
        return null;
    case DS_F_IS_NOT_NULL:
        return !null;
    case DS_F_EQ_NULL_SAFE: {
        if (null || lnull) return null && lnull;
        int c = cmp_rows(v, i, l, 0);
        return c == 0 || c == 2;
    }
    case DS_F_IN:
        if (null) return false;
        for (uint32_t k = 0; k < l->n; k++) {
            if (!col_valid(l, col_row(l, k))) continue;
            int c = cmp_rows(v, i, l, k);
            if (c == 0 || c == 2) return true;
        }
        return false;
    default:
        break;
    }
    if (null || lnull) return false;
    int c = cmp_rows(v, i, l, 0);
    if (c == 2) return true;
    switch (f->op) {
    case DS_F_EQ:
        return c == 0;
    case DS_F_LT:
        return c < 0;
    case DS_F_LE:
        return c <= 0;
    case DS_F_GT:
        return c > 0;
    case DS_F_GE:
        return c >= 0;
    default:
        return true;
    }
}

/* ---- Discovery -------------------------------------------------------------------- */

/* One k=v directory of a file's path (views into the path). */
typedef struct kv {
    const char *k, *v;
    size_t kn, vn;
} kv;

static bool same_dir(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    while (bn > 1 && b[bn - 1] == '/') bn--;
    while (an > 1 && a[an - 1] == '/') an--;
    return an == bn && memcmp(a, b, an) == 0;
}

static bool is_base(const char *dir, size_t n, const char *const *bases, int nb)
{
    for (int i = 0; i < nb; i++)
        if (same_dir(dir, n, bases[i])) return true;
    return false;
}

/* Spark's parsePartition for the directory path[0..dn): the k=v
 * components from the top (cols, at most max), and the discovered base
 * (*base_len bytes of path). Returns the number of columns, or -1 for a
 * file under _temporary, or -2 for an empty name or value (error set). */
static int parse_dir(const char *path, size_t dn, const char *const *bases, int nb, kv *cols,
                     int max, size_t *base_len)
{
    int n = 0;
    size_t cur = dn;
    *base_len = dn;
    for (;;) {
        size_t s = cur;
        while (s > 0 && path[s - 1] != '/') s--;
        const char *name = path + s;
        size_t nl = cur - s;
        if (nl == 10 && strncasecmp(name, "_temporary", 10) == 0) return -1;
        if (is_base(path, cur, bases, nb)) {
            *base_len = cur;
            break;
        }
        const char *eq = memchr(name, '=', nl);
        if (eq) {
            if (eq == name || eq + 1 == name + nl) {
                kiln_set_error(KILN_EINVAL, "Empty partition column %s in '%.*s'",
                               eq == name ? "name" : "value", (int)nl, name);
                return -2;
            }
            if (n < max) cols[n++] = (kv){name, eq + 1, (size_t)(eq - name), nl - (eq - name) - 1};
        }
        bool top = s <= 1;
        if ((!eq && n > 0) || top) {
            *base_len = cur;
            break;
        }
        cur = s - 1; /* the parent, without its trailing slash */
        *base_len = cur;
    }
    /* No column: Spark reports the leaf directory itself as the base. */
    if (n == 0) *base_len = dn;
    /* Reverse: top-down order. */
    for (int i = 0; i < n / 2; i++) {
        kv t = cols[i];
        cols[i] = cols[n - 1 - i];
        cols[n - 1 - i] = t;
    }
    return n;
}

/* The base paths to stop at: basePath, or each input (its parent for a
 * file; each match of a glob). */
static int base_paths(const char *paths, const ds_options *o, kiln_arena *a, const char ***out,
                      int *n)
{
    const char *bp = ds_options_get(o, "basePath");
    int cap = 8, k = 0;
    const char **v = kiln_arena_alloc(a, sizeof *v * (size_t)cap);
    if (!v) return oom();
    if (bp) {
        struct stat st;
        if (stat(bp, &st) != 0 || !S_ISDIR(st.st_mode))
            return kiln_set_error(KILN_EINVAL, "option basePath must be a directory: %s", bp);
        v[k++] = bp;
        *out = v;
        *n = k;
        return KILN_OK;
    }
    struct stat st;
    bool list = strchr(paths, ',') && stat(paths, &st) != 0;
    for (const char *p = paths; *p;) {
        size_t len = list ? strcspn(p, ",") : strlen(p);
        char *one = adup(a, p, len);
        if (!one) return oom();
        glob_t g = {0};
        bool globbed = stat(one, &st) != 0 && strpbrk(one, "*?[") &&
                       glob(one, GLOB_NOSORT, NULL, &g) == 0;
        size_t nm = globbed ? g.gl_pathc : 1;
        for (size_t i = 0; i < nm; i++) {
            const char *m = globbed ? g.gl_pathv[i] : one;
            char *d = adup(a, m, strlen(m));
            if (!d) {
                if (globbed) globfree(&g);
                return oom();
            }
            if (stat(d, &st) == 0 && !S_ISDIR(st.st_mode)) {
                char *slash = strrchr(d, '/');
                if (slash && slash != d) *slash = '\0';
                else if (slash) slash[1] = '\0';
                else d = ".";
            }
            if (k == cap) {
                const char **w = kiln_arena_alloc(a, sizeof *w * (size_t)cap * 2);
                if (!w) {
                    if (globbed) globfree(&g);
                    return oom();
                }
                memcpy(w, v, sizeof *w * (size_t)k);
                v = w;
                cap *= 2;
            }
            v[k++] = d;
        }
        if (globbed) globfree(&g);
        p += len;
        if (*p == ',') p++;
    }
    *out = v;
    *n = k;
    return KILN_OK;
}

#define MAX_PART_COLS 64

static int conflict_names(const char *a, const char *b)
{
    return kiln_set_error(KILN_EINVAL,
                          "Conflicting partition column names detected:\n\n\tPartition column "
                          "name list #0: %s\n\tPartition column name list #1: %s\n\nFor "
                          "partitioned table directories, data files should only live in leaf "
                          "directories.\nAnd directories at the same level should have the same "
                          "partition column name.\nPlease check the following directories for "
                          "unexpected files or inconsistent partition column names.",
                          a, b);
}

/* The names of cols as "a, b" (in a). */
static const char *name_list(kiln_arena *a, const kv *cols, int n)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (int i = 0; i < n; i++) {
        if (i) kiln_buf_append(&b, ", ", 2);
        kiln_buf_append(&b, cols[i].k, cols[i].kn);
    }
    char *s = adup(a, b.data ? (const char *)b.data : "", b.len);
    kiln_buf_release(&b);
    return s ? s : "";
}

/* Lists paths as a dataset (see datasource.h). */
int ds_dataset_list(const char *paths, const ds_options *o, const col_schema *user, kiln_arena *a,
                    ds_dataset *out)
{
    memset(out, 0, sizeof *out);
    bool flat = false, infer = true;
    int rc;
    if ((rc = ds_opt_bool(o, "recursiveFileLookup", false, &flat)) ||
        (rc = ds_opt_bool(o, "partitionColumnTypeInference", true, &infer)))
        return rc;
    int32_t tz = 0;
    const char *tzs = ds_options_get(o, "timeZone");
    if (tzs && !ds_parse_zone(tzs, &tz))
        return kiln_set_error(KILN_EINVAL, "option timeZone: '%s' is not supported", tzs);
    io_file_info *files;
    size_t nf;
    if ((rc = io_list_files(paths, true, &files, &nf))) return rc;
    out->files = kiln_arena_alloc(a, sizeof *out->files * (nf ? nf : 1));
    if (!out->files) {
        io_file_infos_free(files, nf);
        return oom();
    }
    for (size_t i = 0; i < nf; i++) {
        out->files[i].path = adup(a, files[i].path, strlen(files[i].path));
        out->files[i].size = files[i].size;
        out->files[i].dir = -1;
        if (!out->files[i].path) {
            io_file_infos_free(files, nf);
            return oom();
        }
    }
    out->nfiles = (int)nf;
    io_file_infos_free(files, nf);
    if (flat || nf == 0) return KILN_OK;
    const char **bases = NULL;
    int nb = 0;
    if ((rc = base_paths(paths, o, a, &bases, &nb))) return rc;

    /* Each distinct leaf directory once (files are sorted by path, so a
     * directory's files are together). */
    kv cols[MAX_PART_COLS], first[MAX_PART_COLS];
    int nfirst = -1, nvalued = 0;
    const char *base = NULL, *other_base = NULL;
    size_t base_len = 0;
    int ndirs = 0, kinds[MAX_PART_COLS] = {0}, precs[MAX_PART_COLS] = {0};
    const char *prev = NULL;
    size_t prev_n = 0;
    for (int i = 0; i < out->nfiles; i++) {
        const char *p = out->files[i].path;
        const char *slash = strrchr(p, '/');
        size_t dn = slash ? (size_t)(slash - p) : 0;
        if (prev && prev_n == dn && memcmp(prev, p, dn) == 0) {
            out->files[i].dir = out->files[i - 1].dir;
            continue;
        }
        prev = p;
        prev_n = dn;
        size_t bl;
        int n = dn ? parse_dir(p, dn, bases, nb, cols, MAX_PART_COLS, &bl) : 0;
        if (n == -2) return KILN_EINVAL;
        if (n < 0) continue; /* under _temporary: not part of the dataset */
        if (!dn) bl = 0;
        /* The discovered base: of valued files and others alike (Spark). */
        if (!base) {
            base = p;
            base_len = bl;
        } else if (!(bl == base_len && memcmp(base, p, bl) == 0)) {
            other_base = p;
            if (nvalued || n) {
                return kiln_set_error(KILN_EINVAL,
                                      "Conflicting directory structures detected. Suspicious "
                                      "paths:\n\t%.*s\n\t%.*s\n\nIf provided paths are "
                                      "partition directories, please set \"basePath\" in the "
                                      "options of the data source to specify the root directory "
                                      "of the table. If there are multiple root directories, "
                                      "please load them separately and then union them.",
                                      (int)base_len, base, (int)bl, other_base);
            }
        }
        if (n == 0) continue;
        if (nfirst < 0) {
            nfirst = n;
            memcpy(first, cols, sizeof *cols * (size_t)n);
        } else {
            bool same = n == nfirst;
            for (int c = 0; same && c < n; c++)
                same = cols[c].kn == first[c].kn &&
                       strncasecmp(cols[c].k, first[c].k, cols[c].kn) == 0;
            if (!same) return conflict_names(name_list(a, first, nfirst), name_list(a, cols, n));
        }
        nvalued++;
        for (int c = 0; c < n; c++) {
            int pr = 0, k = infer ? infer_kind(cols[c].v, cols[c].vn, tz, &pr)
                                  : (cols[c].vn == strlen(DEFAULT_PARTITION) &&
                                             memcmp(cols[c].v, DEFAULT_PARTITION, cols[c].vn) == 0
                                         ? K_NULL
                                         : K_STRING);
            kinds[c] = ndirs == 0 ? k : merge_kind(kinds[c], precs[c], k, pr, &precs[c]);
            if (ndirs == 0) precs[c] = pr;
        }
        out->files[i].dir = ndirs++;
    }
    if (nfirst <= 0) {
        for (int i = 0; i < out->nfiles; i++) out->files[i].dir = -1;
        return KILN_OK;
    }
    /* The partition schema: inferred types, or the user's for the columns
     * it names. */
    col_field *pf = kiln_arena_alloc(a, sizeof *pf * (size_t)nfirst);
    out->values = kiln_arena_alloc(a, sizeof *out->values * (size_t)nfirst);
    out->base = adup(a, base, base_len);
    if (!pf || !out->values || !out->base) return oom();
    for (int c = 0; c < nfirst; c++) {
        char *nm = kiln_arena_alloc(a, first[c].kn + 1);
        if (!nm) return oom();
        nm[ds_unescape_path_name(first[c].k, first[c].kn, nm)] = '\0';
        pf[c] = (col_field){nm, kind_type(a, kinds[c], precs[c]), true};
        for (int u = 0; user && u < user->n; u++)
            if (strcasecmp(user->fields[u].name, nm) == 0) pf[c].type = user->fields[u].type;
        if (!pf[c].type) return oom();
        if ((rc = col_vec_init(&out->values[c], a, pf[c].type, (uint32_t)ndirs)) ||
            (rc = col_vec_add_validity(&out->values[c], a, (uint32_t)ndirs)))
            return rc;
        out->values[c].n = (uint32_t)ndirs;
    }
    out->parts = (col_schema){nfirst, pf};
    out->ndirs = ndirs;
    /* Each directory's values, typed. */
    for (int i = 0; i < out->nfiles; i++) {
        int d = out->files[i].dir;
        if (d < 0 || (i > 0 && out->files[i - 1].dir == d)) continue;
        col_vec one[MAX_PART_COLS];
        if ((rc = ds_partition_values(out->files[i].path, out->base, &out->parts, tz, a, one)))
            return rc;
        for (int c = 0; c < nfirst; c++)
            if ((rc = col_vec_copy_row(&out->values[c], a, (uint32_t)d, &one[c], 0))) return rc;
    }
    /* Files outside the partition directories are not read (Spark's). */
    int k = 0;
    for (int i = 0; i < out->nfiles; i++)
        if (out->files[i].dir >= 0) out->files[k++] = out->files[i];
    out->nfiles = k;
    return KILN_OK;
}

/* A file's partition values from its path (see datasource.h). */
int ds_partition_values(const char *path, const char *base, const col_schema *parts, int32_t tz,
                        kiln_arena *a, col_vec *out)
{
    size_t bl = strlen(base);
    while (bl > 1 && base[bl - 1] == '/') bl--;
    const char *rel = strncmp(path, base, bl) == 0 && path[bl] == '/' ? path + bl + 1 : path;
    const char *end = strrchr(rel, '/');
    bool found[MAX_PART_COLS] = {false};
    int rc;
    for (const char *p = rel; end && p < end;) {
        const char *q = memchr(p, '/', (size_t)(end - p));
        if (!q) q = end;
        const char *eq = memchr(p, '=', (size_t)(q - p));
        if (eq) {
            char name[256];
            size_t kn = (size_t)(eq - p);
            if (kn < sizeof name) {
                name[ds_unescape_path_name(p, kn, name)] = '\0';
                for (int c = 0; c < parts->n && c < MAX_PART_COLS; c++)
                    if (!found[c] && strcasecmp(parts->fields[c].name, name) == 0) {
                        if ((rc = part_value(eq + 1, (size_t)(q - eq - 1), parts->fields[c].type,
                                             tz, a, &out[c])))
                            return rc;
                        found[c] = true;
                    }
            }
        }
        p = q + 1;
    }
    for (int c = 0; c < parts->n; c++)
        if (!found[c] && (rc = col_vec_constant(&out[c], a, parts->fields[c].type, NULL, 1)))
            return rc;
    return KILN_OK;
}

/* ---- The reader wrapper --------------------------------------------------------------- */

typedef struct part_reader {
    ds_reader base;
    ds_reader *inner;
    kiln_arena *arena; /* the file's values */
    int nout;
    int *src;        /* output column j: >= 0 the inner batch's column, else -1 - c */
    col_vec *vals;   /* the partition columns' values (one row each) */
    col_vec *outv;   /* the output batch's vectors */
    bool empty;      /* pruned: no row can pass the filters */
    col_schema data; /* the data columns (the format reader borrows it) */
} part_reader;

static int part_next(ds_reader *r, kiln_arena *a, col_batch *out)
{
    part_reader *p = (part_reader *)r;
    if (p->empty) return 0;
    col_batch in;
    int rc = ds_reader_next(p->inner, a, &in);
    if (rc != 1) return rc;
    for (int j = 0; j < p->nout; j++) {
        if (p->src[j] >= 0) {
            p->outv[j] = in.cols[p->src[j]];
            continue;
        }
        const col_vec *v = &p->vals[-1 - p->src[j]];
        const void *val = col_valid(v, 0) ? (const char *)v->data : NULL;
        if ((rc = col_vec_constant(&p->outv[j], a, v->type, val, in.n))) return rc;
    }
    *out = (col_batch){p->nout, in.n, p->outv, in.sel, in.nsel};
    return 1;
}

static void part_close(ds_reader *r)
{
    part_reader *p = (part_reader *)r;
    ds_reader_close(p->inner);
    kiln_arena_free(p->arena);
    free(p);
}

static int64_t part_bytes_read(const ds_reader *r)
{
    return ds_reader_bytes_read(((const part_reader *)r)->inner);
}

static const ds_format_reader part_fmt = {part_next, part_close, part_bytes_read};

/* Opens a reader over a partitioned dataset's file (see datasource.h). */
int ds_reader_open_part(const char *format, const ds_split *s, const char *base, int npart,
                        const col_schema *schema, const int *proj, int nproj, const ds_filter *f,
                        int nf, const ds_options *o, ds_reader **out)
{
    *out = NULL;
    if (npart <= 0 || !base)
        return ds_reader_open_pushed(format, s, schema, proj, nproj, f, nf, o, out);
    int ndata = schema->n - npart;
    if (ndata < 0 || npart > MAX_PART_COLS)
        return kiln_set_error(KILN_EINVAL, "bad partitioned schema");
    if (!proj) nproj = schema->n;
    part_reader *p = calloc(1, sizeof *p);
    if (!p) return oom();
    p->base.fmt = &part_fmt;
    p->nout = nproj;
    p->arena = kiln_arena_new();
    int *dproj = NULL;
    int rc = p->arena ? KILN_OK : KILN_ENOMEM;
    if (!rc) {
        p->src = kiln_arena_alloc(p->arena, sizeof *p->src * (size_t)(nproj + 1));
        p->vals = kiln_arena_alloc(p->arena, sizeof *p->vals * (size_t)npart);
        p->outv = kiln_arena_alloc(p->arena, sizeof *p->outv * (size_t)(nproj + 1));
        dproj = kiln_arena_alloc(p->arena, sizeof *dproj * (size_t)(nproj + 1));
        if (!p->src || !p->vals || !p->outv || !dproj) rc = KILN_ENOMEM;
    }
    int32_t tz = 0;
    const char *tzs = ds_options_get(o, "timeZone");
    if (tzs && !ds_parse_zone(tzs, &tz)) tz = 0;
    col_schema parts = {npart, schema->fields + ndata};
    p->data = (col_schema){ndata, schema->fields};
    if (!rc) rc = ds_partition_values(s->path, base, &parts, tz, p->arena, p->vals);
    int nd = 0;
    for (int j = 0; !rc && j < nproj; j++) {
        int c = proj ? proj[j] : j;
        if (c < 0 || c >= schema->n) rc = kiln_set_error(KILN_EINVAL, "bad projection");
        else if (c < ndata) {
            p->src[j] = nd;
            dproj[nd++] = c;
        } else {
            p->src[j] = -1 - (c - ndata);
        }
    }
    /* A file whose values fail a filter on a partition column holds no
     * matching row: it is not opened. Data filters go to the format. */
    ds_filter *df = NULL;
    int ndf = 0;
    if (!rc && nf) {
        df = kiln_arena_alloc(p->arena, sizeof *df * (size_t)nf);
        if (!df) rc = KILN_ENOMEM;
    }
    for (int i = 0; !rc && i < nf; i++) {
        if (f[i].col >= ndata) {
            if (!ds_filter_may_match(&f[i], &p->vals[f[i].col - ndata], 0)) p->empty = true;
        } else {
            df[ndf++] = f[i];
        }
    }
    /* With no data column asked for, the first one still counts the rows. */
    int *ip = dproj;
    int inp = nd;
    int one = 0;
    if (!rc && nd == 0 && ndata > 0) {
        ip = &one;
        inp = 1;
    }
    if (!rc && !p->empty) {
        if (ndata == 0) rc = kiln_set_error(KILN_EINVAL, "a dataset of partition columns only");
        else rc = ds_reader_open_pushed(format, s, &p->data, ip, inp, df, ndf, o, &p->inner);
    }
    if (rc) {
        part_close(&p->base);
        return rc;
    }
    *out = &p->base;
    return KILN_OK;
}
