/*
 * ui/history.c - kiln's history server (Spark's HistoryServer, :18080):
 * lists the applications whose event logs are in a directory (finished
 * ones, and those still .inprogress apart), and serves each one's pages
 * (ui_pages.c, under /history/APP/) and REST API (/api/v1/applications
 * and /api/v1/applications/APP/...) from a store replayed from its log
 * (replay.c). Replays are cached, at most retained_apps of them (least
 * recently used go first), and made again when the log changed size (an
 * application still running). A truncated log shows what it holds.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "ui/ui_pages.h"

typedef struct cached {
    char id[256];
    ui_store *store;
    off_t size;
    int64_t mtime_ns;
    uint64_t used; /* LRU clock */
    int64_t skipped;
} cached;

struct ui_history {
    web_server *srv;
    char *dir;
    const kiln_conf *conf;
    cached *cache;
    int ncache, cap;
    uint64_t clock;
};

/* The application id of log file name (its name without .zstd and
 * .inprogress), or false for what is not a log. */
static bool log_app_id(const char *name, char *id, size_t size, bool *inprogress)
{
    if (name[0] == '.' || strlen(name) >= size) return false;
    snprintf(id, size, "%s", name);
    size_t n = strlen(id);
    *inprogress = n > 11 && strcmp(id + n - 11, ".inprogress") == 0;
    if (*inprogress) id[n -= 11] = '\0';
    if (n > 5 && strcmp(id + n - 5, ".zstd") == 0) id[n -= 5] = '\0';
    return n > 0;
}

/* The file of application id in the directory (owned path), or NULL. */
static char *find_log(ui_history *h, const char *id, struct stat *st)
{
    DIR *d = opendir(h->dir);
    if (!d) return NULL;
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char aid[256];
        bool inprog;
        if (!log_app_id(e->d_name, aid, sizeof aid, &inprog) || strcmp(aid, id) != 0) continue;
        size_t n = strlen(h->dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) break;
        snprintf(p, n, "%s/%s", h->dir, e->d_name);
        if (stat(p, st) == 0 && S_ISREG(st->st_mode)) found = p;
        else free(p);
    }
    closedir(d);
    return found;
}

/* The store of application id, replayed now or from the cache; NULL when
 * there is no such log. */
static ui_store *store_of(ui_history *h, const char *id)
{
    struct stat st;
    char *path = find_log(h, id, &st);
    if (!path) return NULL;
    int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    for (int i = 0; i < h->ncache; i++) {
        cached *c = &h->cache[i];
        if (strcmp(c->id, id) != 0) continue;
        if (c->size == st.st_size && c->mtime_ns == mt) {
            c->used = ++h->clock;
            free(path);
            return c->store;
        }
        ui_store_free(c->store); /* the log grew: replay it again */
        h->cache[i] = h->cache[--h->ncache];
        break;
    }
    ui_store *s = ui_store_new(h->conf);
    if (!s) {
        free(path);
        return NULL;
    }
    int64_t skipped = 0;
    char err[256] = "";
    if (ui_replay(path, s, &skipped, err, sizeof err) != KILN_OK)
        LOG(LOG_WARN, "history", "%s", kiln_last_error());
    else if (skipped)
        LOG(LOG_WARN, "history", "%lld lines skipped, the first: %s", (long long)skipped, err);
    free(path);
    if (h->ncache == h->cap) { /* evict the least recently used */
        int lru = 0;
        for (int i = 1; i < h->ncache; i++)
            if (h->cache[i].used < h->cache[lru].used) lru = i;
        ui_store_free(h->cache[lru].store);
        h->cache[lru] = h->cache[--h->ncache];
    }
    cached *c = &h->cache[h->ncache++];
    *c = (cached){
        .store = s, .size = st.st_size, .mtime_ns = mt, .used = ++h->clock, .skipped = skipped};
    snprintf(c->id, sizeof c->id, "%s", id);
    return s;
}

typedef struct app_row {
    char id[256];
    bool inprogress;
} app_row;

static int cmp_row(const void *a, const void *b)
{
    return -strcmp(((const app_row *)a)->id, ((const app_row *)b)->id); /* newest first */
}

/* The applications of the directory (owned array). */
static app_row *list_apps(ui_history *h, int *n)
{
    *n = 0;
    DIR *d = opendir(h->dir);
    if (!d) return NULL;
    app_row *rows = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        app_row r;
        if (!log_app_id(e->d_name, r.id, sizeof r.id, &r.inprogress)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            app_row *g = realloc(rows, (size_t)cap * sizeof *rows);
            if (!g) break;
            rows = g;
        }
        rows[(*n)++] = r;
    }
    closedir(d);
    if (rows) qsort(rows, (size_t)*n, sizeof *rows, cmp_row);
    return rows;
}

static void app_table(ui_history *h, kiln_buf *b, app_row *rows, int n, bool inprogress)
{
    static const html_col cols[] = {{"App ID", HTML_TEXT},     {"App Name", HTML_TEXT},
                                    {"Started", HTML_NUM},     {"Completed", HTML_NUM},
                                    {"Duration", HTML_NUM},    {"Spark User", HTML_TEXT},
                                    {"Last Updated", HTML_NUM}};
    html_table_begin(b, inprogress ? "incomplete-apps" : "completed-apps", cols, 7);
    int64_t now = ui_ms(wall_seconds_at(now_seconds()));
    for (int i = 0; i < n; i++) {
        if (rows[i].inprogress != inprogress) continue;
        ui_store *s = store_of(h, rows[i].id);
        if (!s) continue;
        pthread_mutex_lock(&s->lock);
        kiln_buf href;
        kiln_buf_init(&href);
        buf_appendf(&href, "/history/");
        web_percent_encode(&href, rows[i].id);
        buf_appendf(&href, "/jobs/");
        kiln_buf_append(&href, "", 1);
        char t[64];
        html_row_begin(b);
        html_cell_link(b, (char *)href.data, rows[i].id);
        html_cell(b, s->app_name ? s->app_name : "", NULL);
        web_fmt_time(t, sizeof t, s->app_start);
        html_cell_num(b, t, (double)s->app_start);
        web_fmt_time(t, sizeof t, s->app_end);
        html_cell_num(b, t, (double)s->app_end);
        int64_t dur = s->app_start ? (s->app_end ? s->app_end : now) - s->app_start : 0;
        web_fmt_duration(t, sizeof t, dur > 0 ? dur : 0);
        html_cell_num(b, t, (double)dur);
        html_cell(b, s->user ? s->user : "", NULL);
        int64_t last = s->app_end ? s->app_end : s->app_start;
        web_fmt_time(t, sizeof t, last);
        html_cell_num(b, t, (double)last);
        html_row_end(b);
        pthread_mutex_unlock(&s->lock);
        kiln_buf_release(&href);
    }
    html_table_end(b, inprogress ? "No incomplete applications." : "No completed applications.");
}

static void list_page(void *arg, const web_request *req, web_response *res)
{
    (void)req;
    ui_history *h = arg;
    int n;
    app_row *rows = list_apps(h, &n);
    int inprog = 0;
    for (int i = 0; i < n; i++) inprog += rows[i].inprogress;
    static const html_tab tabs[] = {{"Applications", "/"}};
    html_page_begin(&res->body, "kiln", "History Server", tabs, 1, 0);
    html_printf(&res->body,
                "<ul class=\"summary\"><li><strong>Event log directory:</strong> %s</li></ul>\n",
                h->dir);
    html_printf(&res->body, "<h2>Completed Applications (%d)</h2>\n", n - inprog);
    app_table(h, &res->body, rows, n, false);
    html_printf(&res->body, "<h2>Incomplete Applications (%d)</h2>\n", inprog);
    app_table(h, &res->body, rows, n, true);
    html_page_end(&res->body);
    free(rows);
}

/* /history/APP/SUB: the application's pages under /history/APP. */
static void app_pages(void *arg, const web_request *req, web_response *res)
{
    ui_history *h = arg;
    const char *rest = req->path + strlen("/history/");
    const char *slash = strchr(rest, '/');
    char id[256];
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof id) {
        res->status = 302;
        snprintf(res->location, sizeof res->location, "/");
        return;
    }
    memcpy(id, rest, n);
    id[n] = '\0';
    ui_store *s = store_of(h, id);
    if (!s) {
        res->status = 404;
        html_page_begin(&res->body, "kiln", "Not Found", NULL, 0, -1);
        html_printf(&res->body, "<p class=\"error\">No event log of application %s.</p>\n", id);
        html_page_end(&res->body);
        return;
    }
    kiln_buf base;
    kiln_buf_init(&base);
    buf_appendf(&base, "/history/");
    web_percent_encode(&base, id);
    kiln_buf_append(&base, "", 1);
    ui_pages_serve(s, (char *)base.data, slash ? slash : "", req, res);
    kiln_buf_release(&base);
}

static void api(void *arg, const web_request *req, web_response *res)
{
    ui_history *h = arg;
    const char *path = req->path + strlen("/api/v1");
    res->content_type = "application/json";
    const char *p = path;
    if (strncmp(p, "/applications", 13) != 0) {
        res->status = 404;
        buf_appendf(&res->body, "{\"error\": \"unknown path\"}");
        return;
    }
    p += 13;
    if (*p == '\0' || strcmp(p, "/") == 0) { /* every application */
        int n;
        app_row *rows = list_apps(h, &n);
        buf_appendf(&res->body, "[");
        bool first = true;
        for (int i = 0; i < n; i++) {
            ui_store *s = store_of(h, rows[i].id);
            if (!s) continue;
            /* The id the log itself gives (its file's name normally). */
            char one[300];
            pthread_mutex_lock(&s->lock);
            snprintf(one, sizeof one, "/applications/%s", s->app_id ? s->app_id : rows[i].id);
            pthread_mutex_unlock(&s->lock);
            kiln_buf b;
            kiln_buf_init(&b);
            if (ui_api_render(s, one, NULL, &b) == 200) {
                if (!first) buf_appendf(&res->body, ",");
                kiln_buf_append(&res->body, b.data, b.len);
                first = false;
            }
            kiln_buf_release(&b);
        }
        buf_appendf(&res->body, "]");
        free(rows);
        return;
    }
    const char *id = p + 1, *slash = strchr(id, '/');
    char aid[256];
    size_t n = slash ? (size_t)(slash - id) : strlen(id);
    ui_store *s = NULL;
    if (n > 0 && n < sizeof aid) {
        memcpy(aid, id, n);
        aid[n] = '\0';
        s = store_of(h, aid);
    }
    if (!s) {
        res->status = 404;
        buf_appendf(&res->body, "{\"error\": \"unknown application\"}");
        return;
    }
    /* The rest of the path, under the id the log gives. */
    kiln_buf full;
    kiln_buf_init(&full);
    pthread_mutex_lock(&s->lock);
    buf_appendf(&full, "/applications/%s%s", s->app_id ? s->app_id : aid, slash ? slash : "");
    pthread_mutex_unlock(&s->lock);
    kiln_buf_append(&full, "", 1);
    res->status = ui_api_render(s, (char *)full.data, req->raw_query, &res->body);
    kiln_buf_release(&full);
}

int ui_history_start(const ui_history_opts *o, ui_history **out)
{
    *out = NULL;
    ui_history *h = calloc(1, sizeof *h);
    const char *dir = o->log_dir ? o->log_dir : "/tmp/kiln-events";
    if (strncmp(dir, "file:", 5) == 0) dir += 5;
    if (!h || !(h->dir = strdup(dir))) {
        free(h);
        return KILN_ENOMEM;
    }
    h->conf = o->conf;
    h->cap = o->retained_apps > 0 ? o->retained_apps : 50;
    h->cache = calloc((size_t)h->cap, sizeof *h->cache);
    web_server_opts wo = {.name = "history server",
                          .host = o->host,
                          .port = o->port,
                          .max_retries = o->max_retries,
                          .token = o->token,
                          .keep_alive = true};
    int rc = h->cache ? web_server_new(&wo, &h->srv) : KILN_ENOMEM;
    if (!rc) rc = web_route(h->srv, "/", WEB_EXACT, list_page, h);
    if (!rc) rc = web_route(h->srv, "/history/", WEB_PREFIX, app_pages, h);
    if (!rc) rc = web_route(h->srv, "/api/v1", WEB_PREFIX, api, h);
    if (!rc) rc = web_server_start(h->srv);
    if (rc) {
        ui_history_stop(h);
        return rc;
    }
    if (o->announce) {
        char url[512];
        web_server_url(h->srv, o->host && *o->host ? o->host : "localhost", url, sizeof url);
        fprintf(o->announce, "kiln history server at %s (event logs in %s)\n", url, h->dir);
        fflush(o->announce);
    }
    *out = h;
    return KILN_OK;
}

int ui_history_port(const ui_history *h)
{
    return web_server_port(h->srv);
}

void ui_history_stop(ui_history *h)
{
    if (!h) return;
    web_server_free(h->srv);
    for (int i = 0; i < h->ncache; i++) ui_store_free(h->cache[i].store);
    free(h->cache);
    free(h->dir);
    free(h);
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int ui_history_run(const ui_history_opts *o)
{
    ui_history *h;
    int rc = ui_history_start(o, &h);
    if (rc) return rc;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!stop_flag) pause();
    ui_history_stop(h);
    return KILN_OK;
}
