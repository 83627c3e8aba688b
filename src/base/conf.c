/*
 * base/conf.c - kiln_conf (ordered key/value strings, each remembering where
 * it came from), the process-wide command-line flags, the registry of known
 * keys, and conf_resolve: the layers of a context's settings
 * ($KILN_MASTER < defaults file < KILN_SUBMIT_CONF < flags < code), the
 * spark.* names, warnings for unknown keys and the check of every known
 * key's value against its table entry (conf_keys.c).
 */
#define _GNU_SOURCE /* strcasestr */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

#ifndef KILN_SYSCONFDIR
#define KILN_SYSCONFDIR "/usr/local/etc/kiln"
#endif

/* ---- kiln_conf -------------------------------------------------------------------------- */

typedef struct conf_entry {
    char *key, *val, *src;
} conf_entry;

struct kiln_conf {
    conf_entry *e;
    size_t n, cap;
};

kiln_conf *kiln_conf_new(void)
{
    return calloc(1, sizeof(kiln_conf));
}

void kiln_conf_free(kiln_conf *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].val);
        free(c->e[i].src);
    }
    free(c->e);
    free(c);
}

static conf_entry *find(const kiln_conf *c, const char *key)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) return &c->e[i];
    return NULL;
}

int conf_set_from(kiln_conf *c, const char *key, const char *value, const char *source)
{
    if (!c || !key || !value || !source)
        return kiln_set_error(KILN_EINVAL, "kiln_conf_set: NULL argument");
    char *v = strdup(value), *s = strdup(source);
    if (!v || !s) goto nomem;
    conf_entry *e = find(c, key);
    if (e) {
        free(e->val);
        free(e->src);
        e->val = v;
        e->src = s;
        return KILN_OK;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        conf_entry *grown = realloc(c->e, cap * sizeof *grown);
        if (!grown) goto nomem;
        c->e = grown;
        c->cap = cap;
    }
    char *k = strdup(key);
    if (!k) goto nomem;
    c->e[c->n++] = (conf_entry){k, v, s};
    return KILN_OK;
nomem:
    free(v);
    free(s);
    return kiln_set_error(KILN_ENOMEM, "conf: out of memory");
}

int kiln_conf_set(kiln_conf *c, const char *key, const char *value)
{
    return conf_set_from(c, key, value, CONF_SRC_CODE);
}

const char *kiln_conf_get(const kiln_conf *c, const char *key)
{
    const conf_entry *e = key ? find(c, key) : NULL;
    return e ? e->val : NULL;
}

const char *conf_source(const kiln_conf *c, const char *key)
{
    const conf_entry *e = key ? find(c, key) : NULL;
    return e ? e->src : NULL;
}

size_t conf_size(const kiln_conf *c)
{
    return c ? c->n : 0;
}

void conf_at(const kiln_conf *c, size_t i, const char **key, const char **value)
{
    *key = c->e[i].key;
    *value = c->e[i].val;
}

const char *conf_source_at(const kiln_conf *c, size_t i)
{
    return c->e[i].src;
}

/* ---- Flags ------------------------------------------------------------------------------ */

/* Options taken from argv by kiln_init; process-wide, set before contexts. */
static kiln_conf *g_flags;

int conf_flags_set(const char *key, const char *value, const char *source)
{
    if (!g_flags && !(g_flags = kiln_conf_new()))
        return kiln_set_error(KILN_ENOMEM, "conf: out of memory");
    return conf_set_from(g_flags, key, value, source);
}

int conf_flags_parse(const char *kv)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq || eq == kv)
        return kiln_set_error(KILN_ECONF, "--conf expects key=value, got '%.200s'", kv ? kv : "");
    char *key = strndup(kv, (size_t)(eq - kv));
    if (!key) return kiln_set_error(KILN_ENOMEM, "conf: out of memory");
    int rc = conf_flags_set(key, eq + 1, CONF_SRC_CONF_FLAG);
    free(key);
    return rc;
}

void conf_flags_reset(void)
{
    kiln_conf_free(g_flags);
    g_flags = NULL;
}

/* ---- Known keys ------------------------------------------------------------------------- */

enum { MAX_TABLES = 32 };

static struct {
    const conf_key *keys;
    size_t n;
} g_tables[MAX_TABLES] = {{conf_base_keys, 0}};
/* Tables [0, g_ntables) are complete: a table is written before the count
 * that publishes it, so readers need no lock. */
static _Atomic size_t g_ntables;
static pthread_mutex_t g_register_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_base_once = PTHREAD_ONCE_INIT;

static void register_base(void)
{
    g_tables[0].keys = conf_base_keys;
    g_tables[0].n = conf_base_key_count;
    atomic_store(&g_ntables, 1);
}

static size_t ntables(void)
{
    pthread_once(&g_base_once, register_base);
    return atomic_load(&g_ntables);
}

const conf_key *conf_key_find(const char *name)
{
    size_t nt = ntables();
    for (size_t t = 0; name && t < nt; t++)
        for (size_t i = 0; i < g_tables[t].n; i++)
            if (strcmp(g_tables[t].keys[i].name, name) == 0) return &g_tables[t].keys[i];
    return NULL;
}

const conf_key *conf_key_find_spark(const char *spark_name)
{
    size_t nt = ntables();
    for (size_t t = 0; spark_name && t < nt; t++)
        for (size_t i = 0; i < g_tables[t].n; i++) {
            const conf_key *k = &g_tables[t].keys[i];
            if (k->spark && strcmp(k->spark, spark_name) == 0) return k;
        }
    return NULL;
}

size_t conf_key_count(void)
{
    size_t nt = ntables(), n = 0;
    for (size_t t = 0; t < nt; t++) n += g_tables[t].n;
    return n;
}

const conf_key *conf_key_at(size_t i)
{
    size_t nt = ntables();
    for (size_t t = 0; t < nt; t++) {
        if (i < g_tables[t].n) return &g_tables[t].keys[i];
        i -= g_tables[t].n;
    }
    return NULL;
}

int conf_register_keys(const conf_key *table, size_t n)
{
    if (!table && n) return kiln_set_error(KILN_EINVAL, "conf_register_keys: NULL table");
    (void)ntables();
    pthread_mutex_lock(&g_register_lock);
    int rc = KILN_OK;
    size_t nt = atomic_load(&g_ntables);
    if (nt == MAX_TABLES)
        rc = kiln_set_error(KILN_ENOMEM, "conf_register_keys: more than %d tables", MAX_TABLES);
    for (size_t i = 0; rc == KILN_OK && i < n; i++) {
        const conf_key *k = &table[i];
        bool dup = !k->name || conf_key_find(k->name) ||
                   (k->spark && conf_key_find_spark(k->spark));
        for (size_t j = 0; !dup && j < i; j++)
            dup = strcmp(table[j].name, k->name) == 0 ||
                  (k->spark && table[j].spark && strcmp(table[j].spark, k->spark) == 0);
        if (dup)
            rc = kiln_set_error(KILN_EINVAL, "conf_register_keys: %s is already known",
                                k->name ? k->name : "(NULL)");
    }
    if (rc == KILN_OK) {
        g_tables[nt].keys = table;
        g_tables[nt].n = n;
        atomic_store(&g_ntables, nt + 1);
    }
    pthread_mutex_unlock(&g_register_lock);
    return rc;
}

/* Optimal string alignment distance (insertions, deletions, substitutions
 * and swaps of neighbours each cost 1), ignoring case; gives up past limit
 * (returns limit + 1). */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t n = strlen(a), m = strlen(b);
    if ((n > m ? n - m : m - n) > limit || m > 255) return limit + 1;
    size_t rows[3][257], *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        size_t best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t d = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < d) d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            if (d < best) best = d;
        }
        if (best > limit) return limit + 1;
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

const char *conf_nearest_key(const char *name, bool spark)
{
    if (!name) return NULL;
    /* A typo is a few edits: at most 2, or a quarter of what follows the
     * prefix for long names. */
    const char *dot = strchr(name, '.');
    size_t tail = strlen(dot ? dot + 1 : name);
    size_t limit = tail / 4 > 2 ? tail / 4 : 2, best = limit + 1;
    const char *found = NULL;
    size_t count = conf_key_count();
    for (size_t i = 0; i < count; i++) {
        const conf_key *k = conf_key_at(i);
        const char *cand = spark ? k->spark : k->name;
        if (!cand) continue;
        size_t d = edit_distance(name, cand, best - 1 < limit ? best - 1 : limit);
        if (d < best) {
            best = d;
            found = cand;
        }
    }
    return found;
}

/* ---- Checking values -------------------------------------------------------------------- */

/* A number as engine/context.c reads fractions: strtod, trailing blanks
 * allowed, nothing else. */
static bool read_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    while (end != v && isspace((unsigned char)*end)) end++;
    if (end == v || *end || errno) return false;
    *out = x;
    return true;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* A size in bytes as its shortest unit ("1m", "16m", "1536k", "100"). */
static void size_text(double bytes, char *buf, size_t n)
{
    static const char units[] = "tgmk";
    for (int i = 0; i < 4; i++) {
        double u = (double)(1ull << (10 * (4 - i)));
        if (bytes >= u && bytes / u == (double)(int64_t)(bytes / u)) {
            snprintf(buf, n, "%.0f%c", bytes / u, units[i]);
            return;
        }
    }
    snprintf(buf, n, "%.0f", bytes);
}

int conf_check_value(const conf_key *k, const char *v, const char *source)
{
    char expected[320];
    bool ok = true, has_max = k->max > k->min, open = k->flags & CONF_OPEN_MIN;
    const char *above = open ? "more than" : "at least";
    int64_t x;
    double d;
    bool b;
    switch (k->type) {
    case CONF_STRING:
        return KILN_OK;
    case CONF_BOOL:
        ok = parse_bool(v, &b) == KILN_OK;
        snprintf(expected, sizeof expected, "true or false");
        break;
    case CONF_INT:
        ok = parse_int64(v, &x) == KILN_OK && x >= k->min && (!has_max || x <= k->max);
        if (has_max)
            snprintf(expected, sizeof expected, "an integer from %.0f to %.0f", k->min, k->max);
        else snprintf(expected, sizeof expected, "an integer of at least %.0f", k->min);
        break;
    case CONF_SIZE: {
        char lo[32] = "", hi[32] = "";
        ok = parse_size(v, &x) == KILN_OK;
        size_text(k->min, lo, sizeof lo);
        size_text(k->max, hi, sizeof hi);
        if (!ok) snprintf(expected, sizeof expected, "a size such as 512m or 2g");
        else if (has_max) snprintf(expected, sizeof expected, "a size from %s to %s", lo, hi);
        else snprintf(expected, sizeof expected, "a size of at least %s", lo);
        ok = ok && (double)x >= k->min && (!has_max || (double)x <= k->max);
        break;
    }
    case CONF_DURATION:
        ok = parse_duration(v, k->unit, &d) == KILN_OK;
        if (!ok || (k->min == 0 && !has_max))
            snprintf(expected, sizeof expected, "a %sduration such as 100ms or 2s",
                     open && k->min == 0 ? "positive " : "");
        else snprintf(expected, sizeof expected, "a duration of %s %gs", above, k->min);
        ok = ok && d >= k->min && !(open && d == k->min) && (!has_max || d <= k->max);
        break;
    case CONF_DOUBLE:
        ok = read_double(v, &d) && d >= k->min && !(open && d == k->min) &&
             (!has_max || d <= k->max);
        if (has_max)
            snprintf(expected, sizeof expected, "a number %s %g and <= %g",
                     open ? ">" : ">=", k->min, k->max);
        else snprintf(expected, sizeof expected, "a number %s %g", open ? ">" : ">=", k->min);
        break;
    case CONF_ENUM: {
        ok = choice_ok(k->choices, v);
        snprintf(expected, sizeof expected, "one of %s", k->choices ? k->choices : "");
        for (char *p = expected; (p = strchr(p, ',')) != NULL; p++) *p = '/';
        break;
    }
    case CONF_MASTER: {
        master_spec m;
        ok = master_parse(v, &m) == KILN_OK;
        snprintf(expected, sizeof expected, "%s", CONF_MASTER_FORMS);
        break;
    }
    }
    if (ok) return KILN_OK;
    return kiln_set_error(KILN_ECONF, "%s: expected %s, got '%.200s'%s%s%s", k->name, expected, v,
                          source ? " (" : "", source ? source : "", source ? ")" : "");
}

const char *conf_display_value(const conf_key *k, const char *value)
{
    if (k && (k->flags & CONF_SECRET) && value && strncmp(value, "file:", 5) != 0)
        return "********";
    return value;
}

const char *conf_display_named(const char *key, const char *value)
{
    const conf_key *k = conf_key_find(key);
    if (k) return conf_display_value(k, value);
    /* Unknown keys (kiln.hadoop.fs.s3a.secret.key, ...): Spark's redaction
     * rule, (?i)secret|password|token|access.key, plus account.key. */
    static const char *const words[] = {"secret",     "password",  "token",
                                        "access.key", "accesskey", "account.key"};
    for (size_t i = 0; value && i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(key, words[i])) return "********";
    return value;
}

/* ---- Resolution ------------------------------------------------------------------------- */

static _Atomic bool g_quiet;

void conf_set_quiet(bool quiet)
{
    atomic_store(&g_quiet, quiet);
}

#define CONF_WARN(...)                                                                             \
    do {                                                                                           \
        if (!atomic_load(&g_quiet)) LOG(LOG_WARN, "conf", __VA_ARGS__);                            \
    } while (0)

int conf_defaults_path(char *buf, size_t size)
{
    const char *dir = getenv("KILN_CONF_DIR");
    if (!dir || !*dir) dir = KILN_SYSCONFDIR;
    if ((size_t)snprintf(buf, size, "%s/kiln-defaults.conf", dir) >= size)
        return kiln_set_error(KILN_ECONF, "KILN_CONF_DIR: path too long: %.200s", dir);
    return KILN_OK;
}

typedef struct file_layer {
    kiln_conf *c;
    const char *path;
} file_layer;

static int file_entry(void *arg, const char *k, const char *v, int line)
{
    file_layer *f = arg;
    char src[4200];
    snprintf(src, sizeof src, "file %s:%d", f->path, line);
    return conf_set_from(f->c, k, v, src);
}

/* The key=value lines of KILN_SUBMIT_CONF (what `kiln submit` was given)
 * into layer. KILN_ECONF naming a line that is not key=value. */
static int submit_layer(kiln_conf *layer)
{
    const char *env = getenv("KILN_SUBMIT_CONF");
    if (!env || !*env) return KILN_OK;
    char *text = strdup(env);
    if (!text) return kiln_set_error(KILN_ENOMEM, "conf: out of memory");
    int rc = KILN_OK, n = 0;
    char *p = text;
    while (rc == KILN_OK && p && *p) {
        char *line = p, *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        p = nl ? nl + 1 : NULL;
        n++;
        if (!*line) continue;
        char *eq = strchr(line, '=');
        if (!eq || eq == line) {
            rc = kiln_set_error(KILN_ECONF, "KILN_SUBMIT_CONF: line %d '%.200s' is not key=value",
                                n, line);
            break;
        }
        *eq = '\0';
        char src[64];
        snprintf(src, sizeof src, "KILN_SUBMIT_CONF line %d", n);
        rc = conf_set_from(layer, line, eq + 1, src);
    }
    free(text);
    return rc;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Applies one layer's entries to out (overriding): spark.* keys first, read
 * as their kiln keys or dropped, then the rest, so that within a layer a
 * kiln key wins over its Spark name. Warns about unknown keys. */
static int apply_layer(kiln_conf *out, const kiln_conf *layer)
{
    int rc = KILN_OK;
    for (size_t i = 0; layer && i < layer->n && rc == KILN_OK; i++) {
        const conf_entry *e = &layer->e[i];
        if (!has_prefix(e->key, "spark.")) continue;
        if (has_prefix(e->key, "spark.hadoop.")) { /* as kiln.hadoop.*, quietly */
            char kk[4300];
            snprintf(kk, sizeof kk, "kiln.%s", e->key + strlen("spark."));
            if (!find(layer, kk)) rc = conf_set_from(out, kk, e->val, e->src);
            continue;
        }
        const conf_key *k = conf_key_find_spark(e->key);
        if (!k) {
            const char *near = conf_nearest_key(e->key, true);
            if (near)
                CONF_WARN("unknown key %s (%s); did you mean %s? It is ignored", e->key, e->src,
                          near);
            else CONF_WARN("%s (%s) has no kiln equivalent; it is ignored", e->key, e->src);
            continue;
        }
        const conf_entry *own = find(layer, k->name);
        if (own) {
            CONF_WARN("%s (%s) is ignored: %s is set too (%s)", e->key, e->src, k->name, own->src);
            continue;
        }
        CONF_WARN("%s is read as %s (%s)", e->key, k->name, e->src);
        char src[4300];
        snprintf(src, sizeof src, "%s, as %s", e->src, e->key);
        rc = conf_set_from(out, k->name, e->val, src);
    }
    for (size_t i = 0; layer && i < layer->n && rc == KILN_OK; i++) {
        const conf_entry *e = &layer->e[i];
        if (has_prefix(e->key, "spark.")) continue;
        /* kiln.hadoop.*: Hadoop file-system settings, passed to io as they are. */
        if (has_prefix(e->key, "kiln.") && !has_prefix(e->key, "kiln.hadoop.") &&
            !conf_key_find(e->key)) {
            const char *near = conf_nearest_key(e->key, false);
            if (near) CONF_WARN("unknown key %s (%s); did you mean %s?", e->key, e->src, near);
            else CONF_WARN("unknown key %s (%s)", e->key, e->src);
        }
        rc = conf_set_from(out, e->key, e->val, e->src);
    }
    return rc;
}

int conf_resolve(const kiln_conf *code, kiln_conf **out)
{
    *out = NULL;
    kiln_conf *c = kiln_conf_new(), *layer = kiln_conf_new();
    int rc = c && layer ? KILN_OK : kiln_set_error(KILN_ENOMEM, "conf: out of memory");

    const char *env_master = getenv("KILN_MASTER");
    if (rc == KILN_OK && env_master && *env_master)
        rc = conf_set_from(c, "kiln.master", env_master, CONF_SRC_MASTER_ENV);

    char path[4096];
    if (rc == KILN_OK) rc = conf_defaults_path(path, sizeof path);
    if (rc == KILN_OK) {
        file_layer f = {layer, path};
        rc = conf_parse_file_lines(path, file_entry, &f);
        if (rc == KILN_ENOENT) rc = kiln_set_error(KILN_OK, "%s", ""); /* no file is fine */
        else if (rc == KILN_ECONF) /* "PATH:LINE: malformed line ..." */
            rc = kiln_set_error(rc, "defaults file %s", kiln_last_error());
    }
    if (rc == KILN_OK) rc = apply_layer(c, layer);

    if (rc == KILN_OK) {
        kiln_conf_free(layer);
        layer = kiln_conf_new();
        rc = layer ? submit_layer(layer) : kiln_set_error(KILN_ENOMEM, "conf: out of memory");
    }
    if (rc == KILN_OK) rc = apply_layer(c, layer);
    if (rc == KILN_OK) rc = apply_layer(c, g_flags);
    if (rc == KILN_OK) rc = apply_layer(c, code);

    /* Every known key's value, once, with where it came from. */
    for (size_t i = 0; rc == KILN_OK && i < conf_size(c); i++) {
        const conf_key *k = conf_key_find(c->e[i].key);
        if (k) rc = conf_check_value(k, c->e[i].val, c->e[i].src);
    }
    kiln_conf_free(layer);
    if (rc) {
        kiln_conf_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}
