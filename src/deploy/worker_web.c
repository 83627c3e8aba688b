/*
 * deploy/worker_web.c - a worker's web pages (Spark's worker page, :8081):
 * its executors, and each executor's stdout and stderr, paged as Spark's
 * /logPage/?appId=..&executorId=..&logType=..&offset=..&byteLength=..
 *
 * A log page reads <work-dir>/<appId>/<executorId>/<logType> and nothing
 * else: appId must look like an id (letters, digits, '.', '_', '-', not
 * starting with '.': so never "..", whether sent plain or as %2e%2e),
 * executorId is a number, logType stdout or stderr, and the path is
 * opened one component at a time from the work directory with O_NOFOLLOW,
 * so a symbolic link anywhere under it (pointing outside or not) is
 * refused rather than followed. The pages of executors come from a
 * snapshot made on the worker's loop (deploy_xchg); logs are read on the
 * web thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "deploy/worker_exec.h"

#define SNAPSHOT_TIMEOUT_MS 5000
#define LOG_PAGE_DEFAULT (100 * 1024) /* Spark's default byteLength */
#define LOG_PAGE_MAX (1024 * 1024)

typedef struct worker_web {
    const deploy_worker_opts *o;
    deploy_xchg *x;
    web_server *s;
} worker_web;

static void text_answer(web_response *res, int status, const char *msg)
{
    res->status = status;
    res->content_type = "text/plain; charset=utf-8";
    res->body.len = 0;
    buf_appendf(&res->body, "%d\n%s\n", status, msg);
}

static void worker_page(void *arg, const web_request *req, web_response *res)
{
    worker_web *ww = arg;
    worker_view v;
    memset(&v, 0, sizeof v);
    v.rc = KILN_EIO;
    if (deploy_xchg_call(ww->x, worker_view_fill, &v, SNAPSHOT_TIMEOUT_MS) != KILN_OK ||
        v.rc != KILN_OK) {
        free(v.execs);
        text_answer(res, 503, "the worker did not answer in time");
        return;
    }
    kiln_buf *b = &res->body;
    char title[DEPLOY_ID_MAX + 32], t1[64], t2[64];
    snprintf(title, sizeof title, "kiln Worker %s", v.id[0] ? v.id : "(not registered)");
    static const html_tab tabs[] = {{"Worker", "/"}};
    html_page_begin(b, "kiln", title, tabs, 1, 0);
    web_fmt_mib(t1, sizeof t1, v.memory);
    html_printf(b,
                "<ul class=\"summary\"><li><strong>ID:</strong> %s</li>"
                "<li><strong>Master URL:</strong> %s (%s)</li>"
                "<li><strong>Cores:</strong> %u</li><li><strong>Memory:</strong> %s</li>"
                "<li><strong>Work directory:</strong> %s</li></ul>\n",
                v.id, v.master, v.connected ? "connected" : "not connected", v.cores, t1,
                ww->o->work_dir);
    static const html_col cols[] = {
        {"ExecutorID", HTML_NUM}, {"Application", HTML_TEXT}, {"Cores", HTML_NUM},
        {"Memory", HTML_NUM},     {"State", HTML_TEXT},       {"Logs", HTML_TEXT},
    };
    html_printf(b, "<h2>Running Executors (%u)</h2>\n", v.nexecs);
    html_table_begin(b, "executors", cols, 6);
    for (uint32_t i = 0; i < v.nexecs; i++) {
        const deploy_worker_exec *e = &v.execs[i];
        char num[32];
        html_row_begin(b);
        snprintf(num, sizeof num, "%u", e->executor);
        html_cell_num(b, num, e->executor);
        html_cell(b, e->app_id, NULL);
        snprintf(num, sizeof num, "%u", e->cores);
        html_cell_num(b, num, e->cores);
        web_fmt_mib(t2, sizeof t2, e->memory);
        html_cell_num(b, t2, (double)e->memory);
        const char *st = deploy_exec_state_name(e->state);
        html_printf(b, "<td class=\"state-%s\">%s</td>", st, st);
        kiln_buf app;
        kiln_buf_init(&app);
        web_percent_encode(&app, e->app_id);
        kiln_buf_append(&app, "", 1);
        for (int k = 0; k < 2; k++) {
            const char *type = k ? "stderr" : "stdout";
            char href[256];
            snprintf(href, sizeof href, "/logPage/?appId=%s&executorId=%u&logType=%s",
                     (const char *)app.data, e->executor, type);
            html_printf(b, k ? " <a href=\"%s\">%s</a></td>" : "<td><a href=\"%s\">%s</a>", href,
                        type);
        }
        kiln_buf_release(&app);
        html_row_end(b);
    }
    html_table_end(b, "No executors.");
    html_page_end(b);
    free(v.execs);
}

/* appId: an id as the master makes them ("app-7"), never a path. */
static bool good_app_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= DEPLOY_ID_MAX || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || !*s || strlen(s) > 19) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

/* Opens work_dir/app/exec/type without following any symbolic link; -1
 * with errno otherwise. */
static int open_log(const char *work_dir, const char *app, const char *exec, const char *type)
{
    int d = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *parts[3] = {app, exec, type};
    for (int i = 0; d >= 0 && i < 3; i++) {
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (i < 2 ? O_DIRECTORY : O_NONBLOCK);
        int next = openat(d, parts[i], flags);
        int saved = errno;
        close(d);
        errno = saved;
        d = next;
    }
    return d;
}

static void log_page(void *arg, const web_request *req, web_response *res)
{
    worker_web *ww = arg;
    const char *app = web_param_get(req, "appId"), *exec = web_param_get(req, "executorId");
    const char *type = web_param_get(req, "logType");
    const char *off_s = web_param_get(req, "offset"), *len_s = web_param_get(req, "byteLength");
    uint64_t exec_id, offset = 0, len = LOG_PAGE_DEFAULT;
    if (app == NULL || !good_app_id(app)) {
        text_answer(res, 400, "appId must be an application id (letters, digits, '.', '_', '-')");
        return;
    }
    if (!parse_u64(exec, UINT32_MAX, &exec_id)) {
        text_answer(res, 400, "executorId must be a number");
        return;
    }
    if (type == NULL || (strcmp(type, "stdout") != 0 && strcmp(type, "stderr") != 0)) {
        text_answer(res, 400, "logType must be stdout or stderr");
        return;
    }
    if ((off_s && !parse_u64(off_s, INT64_MAX, &offset)) ||
        (len_s && (!parse_u64(len_s, LOG_PAGE_MAX, &len) || len == 0))) {
        text_answer(res, 400, "offset and byteLength must be numbers (byteLength 1 to 1048576)");
        return;
    }
    char exec_name[24];
    snprintf(exec_name, sizeof exec_name, "%llu", (unsigned long long)exec_id);
    int fd = open_log(ww->o->work_dir, app, exec_name, type);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        if (fd >= 0) close(fd);
        res->status = 404;
        res->content_type = "text/plain; charset=utf-8";
        buf_appendf(&res->body, "404\nno %s log for executor %s of that application%s\n", type,
                    exec_name,
                    err == ELOOP || err == ENOTDIR ? " (symbolic links are not followed)" : "");
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint64_t start = off_s ? (offset < size ? offset : size) : (size > len ? size - len : 0);
    uint64_t end = start + len < size ? start + len : size;
    char *text = malloc(end - start + 1);
    ssize_t got = text ? pread(fd, text, end - start, (off_t)start) : -1;
    close(fd);
    if (got < 0) {
        free(text);
        text_answer(res, 500, "cannot read the log");
        return;
    }
    end = start + (uint64_t)got;
    kiln_buf *b = &res->body;
    char title[160];
    snprintf(title, sizeof title, "%s of executor %s", type, exec_name);
    static const html_tab tabs[] = {{"Worker", "/"}};
    html_page_begin(b, "kiln", title, tabs, 1, -1);
    kiln_buf q;
    kiln_buf_init(&q);
    web_percent_encode(&q, app);
    kiln_buf_append(&q, "", 1);
    const char *qa = (const char *)q.data;
    html_printf(b, "<p>Application %s. Showing bytes %llu-%llu of %llu.</p><p class=\"pager\">",
                app, (unsigned long long)start, (unsigned long long)end, (unsigned long long)size);
    char href[512];
    if (start > 0) {
        snprintf(href, sizeof href,
                 "/logPage/?appId=%s&executorId=%s&logType=%s&offset=%llu&byteLength=%llu", qa,
                 exec_name, type, (unsigned long long)(start > len ? start - len : 0),
                 (unsigned long long)len);
        html_printf(b, "<a href=\"%s\" id=\"prev\">Previous %llu bytes</a>", href,
                    (unsigned long long)len);
    }
    if (end < size) {
        snprintf(href, sizeof href,
                 "/logPage/?appId=%s&executorId=%s&logType=%s&offset=%llu&byteLength=%llu", qa,
                 exec_name, type, (unsigned long long)end, (unsigned long long)len);
        html_printf(b, "<a href=\"%s\" id=\"next\">Next %llu bytes</a>", href,
                    (unsigned long long)len);
    }
    snprintf(href, sizeof href, "/logPage/?appId=%s&executorId=%s&logType=%s", qa, exec_name,
             strcmp(type, "stdout") ? "stdout" : "stderr");
    html_printf(b, "<a href=\"%s\">%s</a></p>\n<pre class=\"log\">", href,
                strcmp(type, "stdout") ? "stdout" : "stderr");
    html_esc_n(b, text, (size_t)got);
    html_printf(b, "</pre>\n");
    html_page_end(b);
    kiln_buf_release(&q);
    free(text);
}

static worker_web the_web; /* one worker per process */

int worker_web_start(const deploy_worker_opts *o, deploy_xchg *x, const char *token,
                     web_server **out)
{
    *out = NULL;
    if (o->web_port < 0) return KILN_OK;
    const char *host = o->web_host ? o->web_host : o->host ? o->host : "";
    /* Several workers may share a host: the next ports are tried, as
     * Spark's workers do (spark.port.maxRetries, 16). */
    web_server_opts wo = {.name = "worker",
                          .host = host,
                          .port = o->web_port,
                          .token = token,
                          .keep_alive = true,
                          .max_retries = o->web_port ? 16 : 0};
    web_server *s = NULL;
    int rc = web_server_new(&wo, &s);
    the_web = (worker_web){o, x, s};
    if (rc == KILN_OK) rc = web_route(s, "/", WEB_EXACT, worker_page, &the_web);
    if (rc == KILN_OK) rc = web_route(s, "/logPage", WEB_EXACT, log_page, &the_web);
    if (rc == KILN_OK) rc = web_server_start(s);
    if (rc != KILN_OK) {
        /* The worker's job is its executors: it runs on without pages. */
        LOG(LOG_WARN, "worker", "no web UI: %s", kiln_last_error());
        web_server_free(s);
        return KILN_OK;
    }
    char url[DEPLOY_URL_MAX + HTTP_TOKEN_HEX + 16];
    web_server_url(s, host[0] ? host : "localhost", url, sizeof url);
    LOG(LOG_INFO, "worker", "web UI at %s", url);
    if (o->announce) {
        fprintf(o->announce, "worker web UI at %s\n", url);
        fflush(o->announce);
    }
    *out = s;
    return KILN_OK;
}
