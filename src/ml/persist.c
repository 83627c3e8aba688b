/*
 * ml/persist.c - saving and loading models: a directory with
 * metadata.json (what the model is, its sizes and scalars, and the xxh64
 * of the coefficients) and coefficients.bin (its arrays as little-endian
 * float64). The layout is in docs/formats/ml-model.md.
 *
 * Saving refuses an existing directory (as Spark's save without
 * overwrite), creates missing parents, and writes each file under a
 * temporary name renamed into place, coefficients.bin first: a directory
 * with a metadata.json is complete. Loading checks everything it reads
 * and names the file and what is wrong with it; it never trusts a size
 * before comparing it with the file.
 *
 * The metadata is a flat JSON object of strings and numbers written and
 * read here (no JSON library): doubles in the fewest of 15, 16 or 17
 * significant digits that read back to the same bits, and NaN, Infinity
 * and -Infinity as strings.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "ml/ml.h"

#define MODEL_FORMAT "kiln-ml"
#define MODEL_VERSION 1
#define META_NAME "metadata.json"
#define COEF_NAME "coefficients.bin"
#define META_MAX_BYTES (64 * 1024)
/* Sanity bound on the number of float64 values a model may hold (2^40). */
#define MAX_VALUES ((int64_t)1 << 40)

typedef enum model_kind { KIND_GLM, KIND_KMEANS, KIND_NB } model_kind;
static const char *const kind_names[] = {"glm", "kmeans", "naive_bayes"};
static const char *const family_names[] = {"linear", "logistic", "multinomial"};

/* ---- Paths and files ---------------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    if (!p) kiln_set_error(KILN_ENOMEM, "out of memory");
    return p;
}

/* Creates every missing parent of dir (not dir itself). */
static int make_parents(const char *dir)
{
    char *p = strdup(dir);
    if (!p) return kiln_set_error(KILN_ENOMEM, "out of memory");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    char *last = strrchr(p, '/');
    if (last && last != p) {
        *last = '\0';
        for (char *s = p + 1; *s; s++) {
            if (*s != '/') continue;
            *s = '\0';
            if (mkdir(p, 0777) && errno != EEXIST) goto fail;
            *s = '/';
        }
        if (mkdir(p, 0777) && errno != EEXIST) goto fail;
    }
    free(p);
    return KILN_OK;
fail:;
    int rc = kiln_set_error(KILN_EIO, "cannot create directory %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

/* Writes len bytes to dir/name through dir/.name.tmp and a rename. */
static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char tmpname[64];
    snprintf(tmpname, sizeof tmpname, ".%s.tmp", name);
    char *tmp = path_join(dir, tmpname), *dst = path_join(dir, name);
    int rc = KILN_OK;
    if (!tmp || !dst) {
        rc = KILN_ENOMEM;
        goto done;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = kiln_set_error(KILN_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    bool ok = (len == 0 || fwrite(data, 1, len, f) == len) && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    int err = errno;
    if (fclose(f) != 0 && ok) ok = false, err = errno;
    if (ok && rename(tmp, dst) != 0) ok = false, err = errno;
    if (!ok) {
        rc = kiln_set_error(KILN_EIO, "cannot write %s: %s", dst, strerror(err));
        unlink(tmp);
    }
done:
    free(tmp);
    free(dst);
    return rc;
}

/* Reads all of path into a malloc'd *data (NUL-terminated; *len without
 * it) when it has at most max bytes. Missing: KILN_ENOENT; larger than
 * max: KILN_ECORRUPT; both with the message set. If want >= 0, a size
 * other than want is refused (KILN_ECORRUPT, *len set) before reading. */
static int read_file(const char *path, size_t max, int64_t want, const char *want_what, char **data,
                     size_t *len)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return kiln_set_error(KILN_ENOENT, "%s: missing (not a complete model directory)",
                                  path);
        return kiln_set_error(KILN_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return kiln_set_error(KILN_EIO, "%s: not a regular file", path);
    }
    *len = (size_t)st.st_size;
    if (want >= 0 && st.st_size != want) {
        fclose(f);
        return kiln_set_error(KILN_ECORRUPT,
                              "%s: %lld bytes, but %s (%lld bytes); the file is "
                              "truncated or does not belong to this metadata",
                              path, (long long)st.st_size, want_what, (long long)want);
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return kiln_set_error(KILN_ECORRUPT, "%s: %lld bytes, more than the %zu expected", path,
                              (long long)st.st_size, max);
    }
    char *p = malloc(*len + 1);
    if (!p) {
        fclose(f);
        return kiln_set_error(KILN_ENOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(p, 1, *len, f);
    fclose(f);
    if (got != *len) {
        free(p);
        return kiln_set_error(KILN_EIO, "%s: read %zu of %zu bytes", path, got, *len);
    }
    p[*len] = '\0';
    *data = p;
    return KILN_OK;
}

/* ---- Coefficients: little-endian float64 ------------------------------------------- */

static void put_f64(uint8_t *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The arrays of a model, in file order. */
typedef struct coef_part {
    double *v;
    size_t n;
} coef_part;

/* ---- Metadata: writing ------------------------------------------------------------- */

static int put_int(kiln_buf *b, const char *key, int64_t v)
{
    return buf_appendf(b, ",\n  \"%s\": %lld", key, (long long)v);
}

static int put_str(kiln_buf *b, const char *key, const char *v)
{
    return buf_appendf(b, ",\n  \"%s\": \"%s\"", key, v);
}

static int put_double(kiln_buf *b, const char *key, double v)
{
    if (isnan(v)) return put_str(b, key, "NaN");
    if (isinf(v)) return put_str(b, key, v > 0 ? "Infinity" : "-Infinity");
    /* The fewest digits that read back to the same bits (17 always do). */
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v) break;
    }
    return buf_appendf(b, ",\n  \"%s\": %s", key, text);
}

/* The kind-specific fields of metadata.json, written between the header
 * and the checksum (they return nonzero when out of memory). */
typedef int (*put_fields_fn)(kiln_buf *b, const void *model);

static int glm_fields(kiln_buf *b, const void *model)
{
    const kiln_ml_glm *m = model;
    return put_str(b, "family", family_names[m->family]) ||
           put_int(b, "num_features", m->num_features) || put_int(b, "num_rows", m->num_rows) ||
           put_int(b, "history_len", m->history_len) || put_int(b, "iterations", m->iterations) ||
           put_double(b, "objective", m->objective);
}

static int kmeans_fields(kiln_buf *b, const void *model)
{
    const kiln_ml_kmeans *m = model;
    return put_int(b, "k", m->k) || put_int(b, "dim", m->dim) ||
           put_int(b, "iterations", m->iterations) || put_double(b, "cost", m->cost);
}

static int nb_fields(kiln_buf *b, const void *model)
{
    const kiln_ml_nb *m = model;
    return put_int(b, "num_classes", m->num_classes) || put_int(b, "num_features", m->num_features);
}

/* Saves a model: dir must not exist. */
static int save_model(model_kind kind, const void *model, put_fields_fn fields,
                      const coef_part *parts, int nparts, const char *dir)
{
    const char *what = kind_names[kind];
    if (!model || !dir)
        return kiln_set_error(KILN_EINVAL, "save %s model: %s is NULL", what,
                              model ? "the directory" : "the model");
    int rc = make_parents(dir);
    if (rc) return rc;
    if (mkdir(dir, 0777) != 0) {
        if (errno == EEXIST)
            return kiln_set_error(KILN_EEXIST,
                                  "save %s model: %s already exists (models are "
                                  "saved into a new directory)",
                                  what, dir);
        return kiln_set_error(KILN_EIO, "save %s model: cannot create %s: %s", what, dir,
                              strerror(errno));
    }
    size_t n = 0;
    for (int i = 0; i < nparts; i++) n += parts[i].n;
    uint8_t *bin = malloc(8 * n + 1);
    kiln_buf meta;
    kiln_buf_init(&meta);
    if (!bin) {
        rc = kiln_set_error(KILN_ENOMEM, "save %s model: out of memory", what);
        goto fail;
    }
    size_t at = 0;
    for (int i = 0; i < nparts; i++)
        for (size_t j = 0; j < parts[i].n; j++, at += 8) put_f64(bin + at, parts[i].v[j]);
    unsigned long long sum = (unsigned long long)XXH64(bin, 8 * n, 0);
    if (buf_appendf(&meta, "{\n  \"format\": \"%s\",\n  \"version\": %d", MODEL_FORMAT,
                    MODEL_VERSION) ||
        put_str(&meta, "kiln_version", KILN_VERSION) || put_str(&meta, "kind", what) ||
        fields(&meta, model) || buf_appendf(&meta, ",\n  \"checksum\": \"%016llx\"\n}\n", sum)) {
        rc = kiln_set_error(KILN_ENOMEM, "save %s model: out of memory", what);
        goto fail;
    }
    if ((rc = write_file(dir, COEF_NAME, bin, 8 * n))) goto fail;
    if ((rc = write_file(dir, META_NAME, meta.data, meta.len))) goto fail;
    free(bin);
    kiln_buf_release(&meta);
    return KILN_OK;
fail:
    /* Leave nothing behind: the directory is ours. */
    free(bin);
    kiln_buf_release(&meta);
    for (int i = 0; i < 2; i++) {
        char *p = path_join(dir, i ? META_NAME : COEF_NAME);
        if (p) unlink(p);
        free(p);
    }
    rmdir(dir);
    return rc;
}

/* ---- Metadata: reading -------------------------------------------------------- */

typedef struct meta_item {
    char key[32];
    char val[72];
    bool str; /* a JSON string (else a bare token: number, true, false, null) */
} meta_item;

typedef struct meta {
    const char *path; /* for messages */
    meta_item items[32];
    int n;
} meta;

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

/* Reads a JSON string at s (after the opening quote) into out (cap bytes);
 * returns the character after the closing quote, or NULL. */
static const char *parse_string(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char c = *s++;
        if (c == '"') break;
        if (c == '\0' || (unsigned char)c < 0x20) return NULL;
        if (c == '\\') {
            switch (*s++) {
            case '"':
                c = '"';
                break;
            case '\\':
                c = '\\';
                break;
            case '/':
                c = '/';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            default:
                return NULL; /* \u escapes: no field needs them */
            }
        }
        if (n + 1 >= cap) return NULL;
        out[n++] = c;
    }
    out[n] = '\0';
    return s;
}

/* Parses the flat object in text into m; KILN_ECORRUPT naming the byte. */
static int meta_parse(meta *m, const char *text, size_t len)
{
    const char *s = skip_ws(text), *why = "expected '{'";
    if (strlen(text) != len) {
        s = text + strlen(text);
        why = "a NUL byte";
        goto bad;
    }
    if (*s++ != '{') goto bad;
    s = skip_ws(s);
    if (*s == '}') {
        s++;
    } else {
        for (;;) {
            if (m->n == (int)(sizeof m->items / sizeof m->items[0])) {
                why = "too many fields";
                goto bad;
            }
            meta_item *it = &m->items[m->n];
            why = "expected a field name (a short string)";
            if (*s++ != '"' || !(s = parse_string(s, it->key, sizeof it->key))) goto bad;
            for (int i = 0; i < m->n; i++)
                if (strcmp(m->items[i].key, it->key) == 0) {
                    why = "a repeated field";
                    goto bad;
                }
            s = skip_ws(s);
            why = "expected ':'";
            if (*s++ != ':') goto bad;
            s = skip_ws(s);
            why = "expected a string or a number";
            if (*s == '"') {
                it->str = true;
                if (!(s = parse_string(s + 1, it->val, sizeof it->val))) goto bad;
            } else {
                size_t n = 0;
                while (*s && strchr("+-.0123456789eEaflnrstu", *s)) {
                    if (n + 1 >= sizeof it->val) goto bad;
                    it->val[n++] = *s++;
                }
                if (n == 0) goto bad;
                it->val[n] = '\0';
                it->str = false;
            }
            m->n++;
            s = skip_ws(s);
            if (*s == ',') {
                s = skip_ws(s + 1);
                continue;
            }
            why = "expected ',' or '}'";
            if (*s++ != '}') goto bad;
            break;
        }
    }
    s = skip_ws(s);
    why = "text after the object";
    if (*s) goto bad;
    return KILN_OK;
bad:
    return kiln_set_error(KILN_ECORRUPT, "%s: not valid model metadata at byte %td: %s", m->path,
                          s - text, why);
}

static const meta_item *meta_get(const meta *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0) return &m->items[i];
    kiln_set_error(KILN_ECORRUPT, "%s: the field \"%s\" is missing", m->path, key);
    return NULL;
}

static int meta_str(const meta *m, const char *key, const char **out)
{
    const meta_item *it = meta_get(m, key);
    if (!it) return KILN_ECORRUPT;
    if (!it->str)
        return kiln_set_error(KILN_ECORRUPT, "%s: \"%s\" is %s, not a string", m->path, key,
                              it->val);
    *out = it->val;
    return KILN_OK;
}

/* An integer field in [lo, hi]. */
static int meta_int(const meta *m, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const meta_item *it = meta_get(m, key);
    if (!it) return KILN_ECORRUPT;
    char *end;
    errno = 0;
    long long v = it->str ? 0 : strtoll(it->val, &end, 10);
    if (it->str || errno || *end || v < lo || v > hi)
        return kiln_set_error(KILN_ECORRUPT,
                              "%s: \"%s\" is %s%s%s, not an integer in [%lld, "
                              "%lld]",
                              m->path, key, it->str ? "\"" : "", it->val, it->str ? "\"" : "",
                              (long long)lo, (long long)hi);
    *out = v;
    return KILN_OK;
}

static int meta_double(const meta *m, const char *key, double *out)
{
    const meta_item *it = meta_get(m, key);
    if (!it) return KILN_ECORRUPT;
    if (it->str) {
        if (strcmp(it->val, "NaN") == 0) return *out = NAN, KILN_OK;
        if (strcmp(it->val, "Infinity") == 0) return *out = INFINITY, KILN_OK;
        if (strcmp(it->val, "-Infinity") == 0) return *out = -INFINITY, KILN_OK;
    } else {
        char *end;
        double v = strtod(it->val, &end);
        if (*end == '\0' && end != it->val) return *out = v, KILN_OK;
    }
    return kiln_set_error(KILN_ECORRUPT, "%s: \"%s\" is %s, not a number", m->path, key, it->val);
}

/* Reads dir/metadata.json into m and checks its format, version and kind.
 * m->path is malloc'd (the caller frees it). */
static int meta_open(meta *m, const char *dir, model_kind kind)
{
    memset(m, 0, sizeof *m);
    if (!dir)
        return kiln_set_error(KILN_EINVAL, "load %s model: the directory is NULL",
                              kind_names[kind]);
    char *path = path_join(dir, META_NAME);
    if (!path) return KILN_ENOMEM;
    m->path = path;
    char *text;
    size_t len;
    int rc = read_file(path, META_MAX_BYTES, -1, NULL, &text, &len);
    if (rc) return rc;
    rc = meta_parse(m, text, len);
    free(text);
    if (rc) return rc;
    const char *format, *got;
    int64_t version;
    if ((rc = meta_str(m, "format", &format))) return rc;
    if (strcmp(format, MODEL_FORMAT) != 0)
        return kiln_set_error(KILN_EINVAL, "%s: format \"%s\" is not a kiln model (\"%s\")", path,
                              format, MODEL_FORMAT);
    if ((rc = meta_int(m, "version", INT64_MIN, INT64_MAX, &version))) return rc;
    if (version != MODEL_VERSION)
        return kiln_set_error(KILN_EINVAL,
                              "%s: model format version %lld; this kiln reads "
                              "version %d",
                              path, (long long)version, MODEL_VERSION);
    if ((rc = meta_str(m, "kind", &got))) return rc;
    if (strcmp(got, kind_names[kind]) != 0)
        return kiln_set_error(KILN_EINVAL, "%s: the model is a \"%s\" model, not a \"%s\" model",
                              path, got, kind_names[kind]);
    return KILN_OK;
}

/* Reads dir/coefficients.bin into the arrays parts (n float64 values in
 * all), checking its length and its checksum against m. */
static int read_coefficients(const meta *m, const char *dir, const coef_part *parts, int nparts,
                             int64_t n)
{
    const char *sum_text;
    int rc = meta_str(m, "checksum", &sum_text);
    if (rc) return rc;
    char *end;
    errno = 0;
    unsigned long long want = strtoull(sum_text, &end, 16);
    if (strlen(sum_text) != 16 || *end || errno)
        return kiln_set_error(KILN_ECORRUPT, "%s: checksum \"%s\" is not 16 hex digits", m->path,
                              sum_text);
    char *path = path_join(dir, COEF_NAME);
    if (!path) return KILN_ENOMEM;
    char what[160];
    snprintf(what, sizeof what, "%s describes %lld float64 values", META_NAME, (long long)n);
    char *data;
    size_t len;
    rc = read_file(path, (size_t)(8 * n), 8 * n, what, &data, &len);
    if (rc == KILN_OK) {
        unsigned long long got = (unsigned long long)XXH64(data, len, 0);
        if (got != want) {
            rc = kiln_set_error(KILN_ECORRUPT,
                                "%s: checksum %016llx does not match %016llx in "
                                "%s; the file is damaged",
                                path, got, want, META_NAME);
        } else {
            const uint8_t *p = (const uint8_t *)data;
            for (int i = 0; i < nparts; i++)
                for (size_t j = 0; j < parts[i].n; j++, p += 8) parts[i].v[j] = get_f64(p);
        }
    }
    free(data);
    free(path);
    return rc;
}

/* ---- GLM -------------------------------------------------------------------------- */

/* Saves m into the new directory dir (see kiln/ml.h). Borrows both. */
int kiln_ml_glm_save(const kiln_ml_glm *m, const char *dir)
{
    if (m && ((unsigned)m->family > KILN_ML_MULTINOMIAL || m->num_rows < 1 || m->num_features < 0 ||
              m->history_len < 0))
        return kiln_set_error(KILN_EINVAL, "save glm model: the model is malformed");
    coef_part parts[3] = {{0}};
    if (m) {
        parts[0] = (coef_part){m->coef, (size_t)m->num_rows * (size_t)m->num_features};
        parts[1] = (coef_part){m->intercept, (size_t)m->num_rows};
        parts[2] = (coef_part){m->loss_history, (size_t)m->history_len};
    }
    return save_model(KIND_GLM, m, glm_fields, parts, 3, dir);
}

/* Loads the GLM saved in dir: returns it owned, or NULL with the error
 * naming the file at fault. */
kiln_ml_glm *kiln_ml_glm_load(const char *dir)
{
    meta md;
    kiln_ml_glm *m = NULL;
    const char *family;
    int64_t nf, rows, hist, iters;
    double objective;
    if (meta_open(&md, dir, KIND_GLM) || meta_str(&md, "family", &family) ||
        meta_int(&md, "num_features", 0, INT32_MAX, &nf) ||
        meta_int(&md, "num_rows", 1, INT32_MAX, &rows) ||
        meta_int(&md, "history_len", 0, INT32_MAX, &hist) ||
        meta_int(&md, "iterations", 0, INT32_MAX, &iters) ||
        meta_double(&md, "objective", &objective))
        goto done;
    int f = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(family, family_names[i]) == 0) f = i;
    if (f < 0) {
        kiln_set_error(KILN_ECORRUPT,
                       "%s: unknown family \"%s\" (linear, logistic or "
                       "multinomial)",
                       md.path, family);
        goto done;
    }
    int64_t n = rows * nf + rows + hist;
    if (rows * nf > MAX_VALUES || n > MAX_VALUES) {
        kiln_set_error(KILN_ECORRUPT, "%s: sizes too large (%lld rows of %lld features)", md.path,
                       (long long)rows, (long long)nf);
        goto done;
    }
    if (!(m = glm_alloc((kiln_ml_family)f, nf, (int)rows, (int)hist))) goto done;
    m->iterations = (int)iters;
    m->objective = objective;
    coef_part parts[3] = {{m->coef, (size_t)(rows * nf)},
                          {m->intercept, (size_t)rows},
                          {m->loss_history, (size_t)hist}};
    if (read_coefficients(&md, dir, parts, 3, n)) {
        kiln_ml_glm_free(m);
        m = NULL;
    }
done:
    free((char *)md.path);
    return m;
}

/* ---- k-means ---------------------------------------------------------------------- */

int kiln_ml_kmeans_save(const kiln_ml_kmeans *m, const char *dir)
{
    if (m && (m->k < 1 || m->dim < 0))
        return kiln_set_error(KILN_EINVAL, "save kmeans model: the model is malformed");
    coef_part part = {m ? m->centers : NULL, m ? (size_t)m->k * (size_t)m->dim : 0};
    return save_model(KIND_KMEANS, m, kmeans_fields, &part, 1, dir);
}

kiln_ml_kmeans *kiln_ml_kmeans_load(const char *dir)
{
    meta md;
    kiln_ml_kmeans *m = NULL;
    int64_t k, dim, iters;
    double cost;
    if (meta_open(&md, dir, KIND_KMEANS) || meta_int(&md, "k", 1, INT32_MAX, &k) ||
        meta_int(&md, "dim", 0, INT32_MAX, &dim) ||
        meta_int(&md, "iterations", 0, INT32_MAX, &iters) || meta_double(&md, "cost", &cost))
        goto done;
    if (k * dim > MAX_VALUES) {
        kiln_set_error(KILN_ECORRUPT, "%s: sizes too large (%lld centres of %lld values)", md.path,
                       (long long)k, (long long)dim);
        goto done;
    }
    if (!(m = kmeans_alloc((int)k, dim))) goto done;
    m->iterations = (int)iters;
    m->cost = cost;
    coef_part part = {m->centers, (size_t)(k * dim)};
    if (read_coefficients(&md, dir, &part, 1, k * dim)) {
        kiln_ml_kmeans_free(m);
        m = NULL;
    }
done:
    free((char *)md.path);
    return m;
}

/* ---- Naive Bayes ---------------------------------------------------------------- */

int kiln_ml_nb_save(const kiln_ml_nb *m, const char *dir)
{
    if (m && (m->num_classes < 1 || m->num_features < 0))
        return kiln_set_error(KILN_EINVAL, "save naive_bayes model: the model is malformed");
    coef_part parts[2] = {{0}};
    if (m) {
        parts[0] = (coef_part){m->log_prior, (size_t)m->num_classes};
        parts[1] = (coef_part){m->log_theta, (size_t)m->num_classes * (size_t)m->num_features};
    }
    return save_model(KIND_NB, m, nb_fields, parts, 2, dir);
}

kiln_ml_nb *kiln_ml_nb_load(const char *dir)
{
    meta md;
    kiln_ml_nb *m = NULL;
    int64_t k, nf;
    if (meta_open(&md, dir, KIND_NB) || meta_int(&md, "num_classes", 1, 65536, &k) ||
        meta_int(&md, "num_features", 0, INT32_MAX, &nf))
        goto done;
    if (k * nf > MAX_VALUES) {
        kiln_set_error(KILN_ECORRUPT, "%s: sizes too large (%lld classes of %lld features)",
                       md.path, (long long)k, (long long)nf);
        goto done;
    }
    if (!(m = nb_alloc((int)k, nf))) goto done;
    coef_part parts[2] = {{m->log_prior, (size_t)k}, {m->log_theta, (size_t)(k * nf)}};
    if (read_coefficients(&md, dir, parts, 2, k + k * nf)) {
        kiln_ml_nb_free(m);
        m = NULL;
    }
done:
    free((char *)md.path);
    return m;
}
