/*
 * io/store.c - the object stores behind io's paths: URL parsing and the
 * scheme dispatch (s3a:// s3:// s3n:// to s3.c, abfs[s]:// wasb[s]:// to
 * azure.c, http[s]:// to the read-only https backend), the settings the
 * context hands over (kiln.hadoop.fs.*, kept process-wide), the forward
 * block reader (big ranged GETs, the next block fetched by a helper thread
 * while the caller consumes the current one), the object writer (one PUT,
 * or a multipart upload in parts of kiln.hadoop.fs.s3a.multipart.size) and
 * listing. Local paths never come here.
 */
#define _GNU_SOURCE

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "io/store_int.h"

/* ---- Settings ---------------------------------------------------------------- */

static pthread_mutex_t g_set_mu = PTHREAD_MUTEX_INITIALIZER;
static char **g_keys, **g_vals; /* without the "kiln.hadoop." prefix */
static size_t g_nset;

#define HADOOP_PREFIX "kiln.hadoop."

static void settings_clear(void)
{
    for (size_t i = 0; i < g_nset; i++) {
        free(g_keys[i]);
        free(g_vals[i]);
    }
    free(g_keys);
    free(g_vals);
    g_keys = g_vals = NULL;
    g_nset = 0;
}

int io_store_configure(const kiln_conf *c)
{
    size_t n = conf_size(c), m = 0;
    char **k = calloc(n + 1, sizeof *k), **v = calloc(n + 1, sizeof *v);
    int rc = k && v ? KILN_OK : kiln_set_error(KILN_ENOMEM, "out of memory reading settings");
    for (size_t i = 0; i < n && !rc; i++) {
        const char *key, *val;
        conf_at(c, i, &key, &val);
        if (strncmp(key, HADOOP_PREFIX, strlen(HADOOP_PREFIX)) != 0) continue;
        k[m] = strdup(key + strlen(HADOOP_PREFIX));
        v[m] = strdup(val);
        if (!k[m] || !v[m]) rc = kiln_set_error(KILN_ENOMEM, "out of memory reading settings");
        m++;
    }
    if (rc) {
        for (size_t i = 0; i < m; i++) {
            free(k[i]);
            free(v[i]);
        }
        free(k);
        free(v);
        return rc;
    }
    pthread_mutex_lock(&g_set_mu);
    settings_clear();
    g_keys = k;
    g_vals = v;
    g_nset = m;
    pthread_mutex_unlock(&g_set_mu);
    return KILN_OK;
}

char *io_setting(const char *key)
{
    char *out = NULL;
    pthread_mutex_lock(&g_set_mu);
    for (size_t i = g_nset; i-- > 0;)
        if (strcmp(g_keys[i], key) == 0) {
            out = strdup(g_vals[i]);
            break;
        }
    pthread_mutex_unlock(&g_set_mu);
    return out;
}

int64_t io_setting_int(const char *key, int64_t def)
{
    char *s = io_setting(key);
    int64_t v;
    if (s && parse_size(s, &v) == KILN_OK) def = v;
    free(s);
    return def;
}

int64_t io_setting_ms(const char *key, int64_t def_ms)
{
    char *s = io_setting(key);
    double secs;
    /* Hadoop's fs.s3a.* timeouts are bare milliseconds. */
    if (s && parse_duration(s, 0.001, &secs) == KILN_OK && secs >= 0)
        def_ms = (int64_t)(secs * 1e3);
    free(s);
    return def_ms;
}

bool io_setting_bool(const char *key, bool def)
{
    char *s = io_setting(key);
    bool v;
    if (s && parse_bool(s, &v) == KILN_OK) def = v;
    free(s);
    return def;
}

/* ---- URLs ---------------------------------------------------------------------- */

static const struct {
    const char *prefix;
    io_scheme scheme;
} g_schemes[] = {
    {"s3a://", IO_SCHEME_S3},      {"s3://", IO_SCHEME_S3},       {"s3n://", IO_SCHEME_S3},
    {"abfs://", IO_SCHEME_AZURE},  {"abfss://", IO_SCHEME_AZURE}, {"wasb://", IO_SCHEME_AZURE},
    {"wasbs://", IO_SCHEME_AZURE}, {"http://", IO_SCHEME_HTTP},   {"https://", IO_SCHEME_HTTP},
};

io_scheme io_url_scheme(const char *path)
{
    for (size_t i = 0; path && i < sizeof g_schemes / sizeof g_schemes[0]; i++)
        if (strncasecmp(path, g_schemes[i].prefix, strlen(g_schemes[i].prefix)) == 0)
            return g_schemes[i].scheme;
    return IO_SCHEME_LOCAL;
}

bool io_path_is_url(const char *path)
{
    return io_url_scheme(path) != IO_SCHEME_LOCAL;
}

const char *io_url_shown(const char *path, char *buf, size_t cap)
{
    const char *sep = strstr(path, "://");
    size_t n = strcspn(path, "?#");
    if (sep && io_url_scheme(path) != IO_SCHEME_AZURE) {
        /* Drop "user:secret@" from the authority (s3a://KEY:SECRET@bucket/). */
        const char *auth = sep + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memrchr(auth, '@', alen);
        if (at) {
            snprintf(buf, cap, "%.*s%.*s", (int)(auth - path), path,
                     (int)(n - (size_t)(at + 1 - path)), at + 1);
            return buf;
        }
    }
    snprintf(buf, cap, "%.*s", (int)n, path);
    return buf;
}

void io_url_release(io_url *u)
{
    free(u->root);
    free(u->bucket);
    free(u->account);
    free(u->key);
    free(u->http);
    free(u->shown);
    memset(u, 0, sizeof *u);
}

int io_url_parse(const char *path, io_url *u)
{
    memset(u, 0, sizeof *u);
    char shown[4096];
    io_url_shown(path, shown, sizeof shown);
    u->scheme = io_url_scheme(path);
    u->shown = strdup(shown);
    if (!u->shown) return kiln_set_error(KILN_ENOMEM, "out of memory");
    const char *rest = strstr(shown, "://");
    if (u->scheme == IO_SCHEME_LOCAL || !rest) {
        io_url_release(u);
        return kiln_set_error(KILN_EINVAL, "not an object-store URL: %s", shown);
    }
    rest += 3;
    size_t alen = strcspn(rest, "/");
    const char *key = rest[alen] ? rest + alen + 1 : rest + alen;
    if (u->scheme == IO_SCHEME_HTTP) {
        u->http = strdup(path);
        u->bucket = strdup("");
        u->key = strdup(key);
        u->root = strndup(shown, (size_t)(rest + alen - shown));
    } else if (u->scheme == IO_SCHEME_S3) {
        const char *auth = strstr(path, "://") + 3;
        if (memchr(auth, '@', strcspn(auth, "/?#"))) {
            char msg[4200];
            snprintf(msg, sizeof msg, "%s", shown);
            io_url_release(u);
            return kiln_set_error(KILN_EINVAL,
                                  "%s: credentials in the URL are not accepted; set "
                                  "kiln.hadoop.fs.s3a.access.key and secret.key",
                                  msg);
        }
        u->bucket = strndup(rest, alen);
        u->key = strdup(key);
        u->root = strndup(shown, (size_t)(rest + alen - shown));
    } else {
        const char *at = memchr(rest, '@', alen);
        if (!at || at == rest) {
            char msg[4200];
            snprintf(msg, sizeof msg, "%s", shown);
            io_url_release(u);
            return kiln_set_error(KILN_EINVAL,
                                  "%s: an Azure URL names container@account.host (as "
                                  "abfss://container@account.dfs.core.windows.net/path)",
                                  msg);
        }
        u->bucket = strndup(rest, (size_t)(at - rest));
        size_t hl = strcspn(at + 1, "./");
        u->account = strndup(at + 1, hl < alen ? hl : alen);
        u->key = strdup(key);
        u->root = strndup(shown, (size_t)(rest + alen - shown));
    }
    if (!u->bucket || !u->key || !u->root || (u->scheme == IO_SCHEME_AZURE && !u->account) ||
        (u->scheme == IO_SCHEME_HTTP && !u->http)) {
        io_url_release(u);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    if (u->scheme != IO_SCHEME_HTTP && u->bucket[0] == '\0') {
        char msg[4200];
        snprintf(msg, sizeof msg, "%s", shown);
        io_url_release(u);
        return kiln_set_error(KILN_EINVAL, "%s: the URL names no bucket or container", msg);
    }
    return KILN_OK;
}

const io_store_ops *io_store_ops_of(const io_url *u)
{
    switch (u->scheme) {
    case IO_SCHEME_S3:
        return &io_s3_ops;
    case IO_SCHEME_AZURE:
        return &io_azure_ops;
    case IO_SCHEME_HTTP:
        return &io_https_ops;
    case IO_SCHEME_LOCAL:
        break;
    }
    return NULL;
}

/* ---- Listing ---------------------------------------------------------------------- */

int io_obj_list_add(io_obj_list *l, const io_url *u, const char *key, int64_t size)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        io_obj *v = realloc(l->v, cap * sizeof *v);
        if (!v) return kiln_set_error(KILN_ENOMEM, "out of memory listing %s", u->shown);
        l->v = v;
        l->cap = cap;
    }
    char *p = NULL;
    if (asprintf(&p, "%s/%s", u->root, key) < 0)
        return kiln_set_error(KILN_ENOMEM, "out of memory listing %s", u->shown);
    l->v[l->n++] = (io_obj){p, size};
    return KILN_OK;
}

void io_obj_list_release(io_obj_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].path);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_obj(const void *a, const void *b)
{
    return strcmp(((const io_obj *)a)->path, ((const io_obj *)b)->path);
}

int io_obj_list_path(const char *path, bool *is_file, io_obj_list *out)
{
    io_url u;
    *is_file = false;
    memset(out, 0, sizeof *out);
    int rc = io_url_parse(path, &u);
    if (rc) return rc;
    const io_store_ops *ops = io_store_ops_of(&u);
    size_t kl = strlen(u.key);
    if (kl > 0 && u.key[kl - 1] != '/') {
        int64_t size;
        rc = ops->stat(&u, &size);
        if (rc == KILN_OK) {
            *is_file = true;
            rc = io_obj_list_add(out, &u, u.key, size);
            if (!rc && u.scheme == IO_SCHEME_HTTP) { /* keep the query (a signed URL) */
                char *p = strdup(path);
                if (p) {
                    free(out->v[0].path);
                    out->v[0].path = p;
                }
            }
            io_url_release(&u);
            return rc;
        }
        if (rc != KILN_ENOENT || u.scheme == IO_SCHEME_HTTP) {
            io_url_release(&u);
            return rc;
        }
    }
    char *prefix = NULL;
    if (asprintf(&prefix, "%s%s", u.key, kl > 0 && u.key[kl - 1] != '/' ? "/" : "") < 0)
        prefix = NULL;
    rc = prefix ? ops->list(&u, prefix, out) : kiln_set_error(KILN_ENOMEM, "out of memory");
    free(prefix);
    io_url_release(&u);
    if (rc) {
        io_obj_list_release(out);
        return rc;
    }
    /* Directory markers ("dir/" objects) are not files. */
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        size_t n = strlen(out->v[i].path);
        if (n && out->v[i].path[n - 1] == '/') free(out->v[i].path);
        else out->v[w++] = out->v[i];
    }
    out->n = w;
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_obj);
    return KILN_OK;
}

/* ---- Whole-object helpers ------------------------------------------------------------- */

/* Parses path and finds its backend; on success the caller releases u. */
static int open_url(const char *path, io_url *u, const io_store_ops **ops)
{
    int rc = io_url_parse(path, u);
    if (rc) return rc;
    *ops = io_store_ops_of(u);
    return KILN_OK;
}

int io_obj_put(const char *path, const void *p, size_t n)
{
    io_url u;
    const io_store_ops *ops;
    int rc = open_url(path, &u, &ops);
    if (rc) return rc;
    rc = ops->put(&u, p, n);
    io_url_release(&u);
    return rc;
}

int io_obj_get_all(const char *path, kiln_buf *out)
{
    io_url u;
    const io_store_ops *ops;
    int rc = open_url(path, &u, &ops);
    if (rc) return rc;
    int64_t size;
    rc = ops->stat(&u, &size);
    if (!rc && size > 0) rc = kiln_buf_reserve(out, (size_t)size);
    if (!rc && size > 0) {
        rc = ops->get(&u, 0, (size_t)size, out->data + out->len);
        if (!rc) out->len += (size_t)size;
    }
    io_url_release(&u);
    return rc;
}

int io_obj_copy(const char *from, const char *to)
{
    io_url a, b;
    const io_store_ops *ops, *ops2;
    int rc = open_url(from, &a, &ops);
    if (rc) return rc;
    if ((rc = open_url(to, &b, &ops2))) {
        io_url_release(&a);
        return rc;
    }
    rc = ops == ops2 ? ops->copy(&a, &b)
                     : kiln_set_error(KILN_EINVAL, "cannot copy %s to %s: different stores",
                                      a.shown, b.shown);
    io_url_release(&a);
    io_url_release(&b);
    return rc;
}

int io_obj_delete(const char *path)
{
    io_url u;
    const io_store_ops *ops;
    int rc = open_url(path, &u, &ops);
    if (rc) return rc;
    rc = ops->del(&u);
    io_url_release(&u);
    return rc;
}

int io_obj_delete_tree(const char *path)
{
    bool is_file;
    io_obj_list l;
    int rc = io_obj_list_path(path, &is_file, &l);
    for (size_t i = 0; i < l.n && !rc; i++) rc = io_obj_delete(l.v[i].path);
    io_obj_list_release(&l);
    return rc == KILN_ENOENT ? KILN_OK : rc;
}

int io_path_exists(const char *path, bool *exists)
{
    bool is_file;
    io_obj_list l;
    int rc = io_obj_list_path(path, &is_file, &l);
    *exists = rc == KILN_OK && l.n > 0;
    io_obj_list_release(&l);
    return rc == KILN_ENOENT ? KILN_OK : rc;
}

int io_url_list_tree(const char *path, io_split **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    bool is_file;
    io_obj_list l;
    int rc = io_obj_list_path(path, &is_file, &l);
    if (rc) return rc; /* a missing bucket or container */
    io_split *v = calloc(l.n ? l.n : 1, sizeof *v);
    if (!v) rc = kiln_set_error(KILN_ENOMEM, "out of memory listing %s", path);
    for (size_t i = 0; !rc && i < l.n; i++) {
        v[i] = (io_split){.path = l.v[i].path, .start = 0, .length = l.v[i].size};
        l.v[i].path = NULL;
    }
    if (!rc) {
        *out = v;
        *n = l.n;
    }
    io_obj_list_release(&l);
    return rc;
}

int io_path_size(const char *path, int64_t *size)
{
    if (!io_path_is_url(path)) return KILN_EINVAL;
    io_url u;
    const io_store_ops *ops;
    int rc = open_url(path, &u, &ops);
    if (rc) return rc;
    rc = ops->stat(&u, size);
    io_url_release(&u);
    return rc;
}

/* ---- Forward reader with one block prefetched ------------------------------------------ */

struct io_obj_reader {
    io_url u;
    const io_store_ops *ops;
    int64_t size;
    int64_t pos;   /* offset of the next byte returned */
    int64_t block; /* block size */
    bool stream;   /* read front to back: prefetch from the first block */
    int64_t limit; /* reads past here are few (a split's last line): small blocks */
    /* The current block: bytes [cur_off, cur_off + cur_len) in cur. */
    uint8_t *cur;
    int64_t cur_off;
    size_t cur_len;
    /* The prefetched block, filled by a thread. */
    pthread_t th;
    bool running;
    uint8_t *next;
    int64_t next_off;
    size_t next_len;
    int next_rc;
    char next_err[1024];
};

static void *prefetch_main(void *arg)
{
    io_obj_reader *r = arg;
    r->next_rc = r->ops->get(&r->u, r->next_off, r->next_len, r->next);
    if (r->next_rc) snprintf(r->next_err, sizeof r->next_err, "%s", kiln_last_error());
    return NULL;
}

/* The size of the block read at off: the block size, cut at the limit;
 * past the limit 64 KiB at a time. */
static int64_t block_at(const io_obj_reader *r, int64_t off)
{
    int64_t end = off < r->limit ? r->limit : off + ((int64_t)64 << 10);
    if (end > off + r->block) end = off + r->block;
    if (end > r->size) end = r->size;
    return end - off;
}

static void prefetch_start(io_obj_reader *r, int64_t off)
{
    if (off >= r->size || off >= r->limit || r->running) return;
    int64_t n = block_at(r, off);
    r->next_off = off;
    r->next_len = (size_t)n;
    r->next_rc = KILN_OK;
    r->running = pthread_create(&r->th, NULL, prefetch_main, r) == 0;
}

static int prefetch_wait(io_obj_reader *r)
{
    if (!r->running) return KILN_OK;
    pthread_join(r->th, NULL);
    r->running = false;
    if (r->next_rc) return kiln_set_error(r->next_rc, "%s", r->next_err);
    return KILN_OK;
}

int io_obj_reader_open(const char *path, int64_t off, io_obj_reader **out)
{
    *out = NULL;
    io_obj_reader *r = calloc(1, sizeof *r);
    if (!r) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    int rc = open_url(path, &r->u, &r->ops);
    if (rc) {
        free(r);
        return rc;
    }
    if (!(rc = r->ops->stat(&r->u, &r->size))) {
        r->block = io_setting_int("fs.s3a.readahead.range", (int64_t)8 << 20);
        if (r->block < (64 << 10)) r->block = 64 << 10;
        r->cur = malloc((size_t)r->block);
        r->next = malloc((size_t)r->block);
        if (!r->cur || !r->next) rc = kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    }
    if (rc) {
        io_obj_reader_close(r);
        return rc;
    }
    r->pos = off;
    r->cur_off = off;
    r->stream = true;
    r->limit = r->size;
    *out = r;
    return KILN_OK;
}

int io_obj_reader_read(io_obj_reader *r, void *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (r->pos >= r->size) return KILN_OK;
    if (r->pos < r->cur_off || r->pos >= r->cur_off + (int64_t)r->cur_len) {
        bool seq = r->stream || r->pos == r->cur_off + (int64_t)r->cur_len;
        /* Take the prefetched block if it is the one, else fetch now. */
        int rc = prefetch_wait(r);
        if (rc) return rc;
        if (r->next_len && r->next_off == r->pos) {
            uint8_t *t = r->cur;
            r->cur = r->next;
            r->next = t;
            r->cur_off = r->next_off;
            r->cur_len = r->next_len;
            r->next_len = 0;
        } else {
            int64_t n = block_at(r, r->pos);
            if ((rc = r->ops->get(&r->u, r->pos, (size_t)n, r->cur))) return rc;
            r->cur_off = r->pos;
            r->cur_len = (size_t)n;
        }
        if (seq) prefetch_start(r, r->cur_off + (int64_t)r->cur_len);
    }
    size_t avail = (size_t)(r->cur_off + (int64_t)r->cur_len - r->pos);
    size_t n = cap < avail ? cap : avail;
    memcpy(dst, r->cur + (r->pos - r->cur_off), n);
    r->pos += (int64_t)n;
    *got = n;
    return KILN_OK;
}

void io_obj_reader_limit(io_obj_reader *r, int64_t end)
{
    r->limit = end < r->size ? end : r->size;
}

int io_obj_reader_pread(io_obj_reader *r, void *dst, size_t n, int64_t off)
{
    r->stream = false;
    if (off < 0 || (int64_t)n > r->size - off)
        return kiln_set_error(KILN_ECORRUPT, "%s: file too short: wanted %zu bytes at %lld",
                              r->u.shown, n, (long long)off);
    if ((int64_t)n >= r->block) return r->ops->get(&r->u, off, n, dst); /* big: straight in */
    r->pos = off;
    for (size_t done = 0; done < n;) {
        size_t got;
        int rc = io_obj_reader_read(r, (char *)dst + done, n - done, &got);
        if (rc) return rc;
        if (got == 0)
            return kiln_set_error(KILN_ECORRUPT, "%s: file too short: wanted %zu bytes at %lld",
                                  r->u.shown, n, (long long)off);
        done += got;
    }
    return KILN_OK;
}

int64_t io_obj_reader_size(const io_obj_reader *r)
{
    return r->size;
}

void io_obj_reader_close(io_obj_reader *r)
{
    if (!r) return;
    if (r->running) pthread_join(r->th, NULL);
    io_url_release(&r->u);
    free(r->cur);
    free(r->next);
    free(r);
}

/* ---- Writer ------------------------------------------------------------------------------ */

struct io_obj_writer {
    io_url u;
    const io_store_ops *ops;
    uint8_t *buf;
    size_t len, part_size;
    char *upload; /* multipart upload id, once started */
    char **etags;
    int nparts, cap_parts;
    int failed; /* first error; the object is then abandoned */
};

int io_obj_writer_open(const char *path, io_obj_writer **out)
{
    *out = NULL;
    io_obj_writer *w = calloc(1, sizeof *w);
    if (!w) return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", path);
    int rc = open_url(path, &w->u, &w->ops);
    if (rc) {
        free(w);
        return rc;
    }
    if (w->u.scheme == IO_SCHEME_HTTP) {
        io_url_release(&w->u);
        free(w);
        return kiln_set_error(KILN_EINVAL, "cannot write %s: http(s) URLs are read-only", path);
    }
    int64_t ps = w->u.scheme == IO_SCHEME_S3
                     ? io_setting_int("fs.s3a.multipart.size", (int64_t)16 << 20)
                     : io_setting_int("fs.azure.write.request.size", (int64_t)8 << 20);
    if (ps < ((int64_t)5 << 20)) ps = (int64_t)5 << 20; /* S3's smallest part */
    if (ps > ((int64_t)512 << 20)) ps = (int64_t)512 << 20;
    w->part_size = (size_t)ps;
    *out = w;
    return KILN_OK;
}

/* Sends the buffer as the next part, starting the upload first. */
static int flush_part(io_obj_writer *w)
{
    int rc = KILN_OK;
    if (!w->upload) rc = w->ops->upload_begin(&w->u, &w->upload);
    if (!rc && w->nparts == w->cap_parts) {
        int cap = w->cap_parts ? 2 * w->cap_parts : 16;
        char **e = realloc(w->etags, (size_t)cap * sizeof *e);
        if (!e) rc = kiln_set_error(KILN_ENOMEM, "out of memory writing %s", w->u.shown);
        else {
            w->etags = e;
            w->cap_parts = cap;
        }
    }
    char *etag = NULL;
    if (!rc) rc = w->ops->upload_part(&w->u, w->upload, w->nparts + 1, w->buf, w->len, &etag);
    if (!rc) {
        w->etags[w->nparts++] = etag;
        w->len = 0;
    }
    return rc;
}

int io_obj_writer_write(io_obj_writer *w, const void *p, size_t n)
{
    if (w->failed) return w->failed;
    if (!w->buf && !(w->buf = malloc(w->part_size)))
        return w->failed = kiln_set_error(KILN_ENOMEM, "out of memory writing %s", w->u.shown);
    const uint8_t *s = p;
    while (n > 0) {
        size_t room = w->part_size - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
        if (w->len == w->part_size) {
            int rc = flush_part(w);
            if (rc) return w->failed = rc;
        }
    }
    return KILN_OK;
}

static void writer_free(io_obj_writer *w)
{
    for (int i = 0; i < w->nparts; i++) free(w->etags[i]);
    free(w->etags);
    free(w->upload);
    free(w->buf);
    io_url_release(&w->u);
    free(w);
}

int io_obj_writer_close(io_obj_writer *w)
{
    int rc = w->failed;
    if (!rc && !w->upload) rc = w->ops->put(&w->u, w->buf ? w->buf : (const uint8_t *)"", w->len);
    else if (!rc) {
        if (w->len > 0) rc = flush_part(w);
        if (!rc) rc = w->ops->upload_end(&w->u, w->upload, w->etags, w->nparts);
    }
    if (rc && w->upload) w->ops->upload_abort(&w->u, w->upload);
    writer_free(w);
    return rc;
}

void io_obj_writer_abort(io_obj_writer *w)
{
    if (!w) return;
    if (w->upload) w->ops->upload_abort(&w->u, w->upload);
    writer_free(w);
}

/* Whether name (a listed path's last component) matches the glob pat. */
bool io_obj_glob_match(const char *pat, const char *name)
{
    return fnmatch(pat, name, FNM_PERIOD) == 0;
}
