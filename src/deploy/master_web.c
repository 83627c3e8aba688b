/*
 * deploy/master_web.c - the master's web pages (Spark's master page, :8080)
 * and GET /json, served by a src/web server on its own thread: workers
 * (linked to their own pages), running and completed applications. A page
 * asks the master's loop for a snapshot of its tables (deploy_xchg: the
 * loop makes it between two rounds) and renders it on the web thread, so
 * a slow browser never holds the loop. Access as src/web decides: open on
 * a loopback address, the status token (deploy_http_token) elsewhere;
 * /json always needs "Authorization: Bearer <token>", as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "deploy/master_int.h"

#define SNAPSHOT_TIMEOUT_MS 5000

typedef struct snap_call {
    deploy_status st;
    int rc;
} snap_call;

static void snap_fn(void *owner, void *arg)
{
    snap_call *c = arg;
    c->rc = master_status_snapshot(owner, &c->st);
}

/* The tables as of now, or a 503 answer in res. */
static bool snapshot(master *m, deploy_status *st, web_response *res)
{
    snap_call c = {.rc = KILN_EIO};
    if (deploy_xchg_call(&m->xchg, snap_fn, &c, SNAPSHOT_TIMEOUT_MS) != KILN_OK ||
        c.rc != KILN_OK) {
        deploy_status_release(&c.st);
        res->status = 503;
        res->content_type = "text/plain; charset=utf-8";
        buf_appendf(&res->body, "503 Service Unavailable\nthe master did not answer in time\n");
        return false;
    }
    *st = c.st;
    return true;
}

static void json_page(void *arg, const web_request *req, web_response *res)
{
    deploy_status st;
    if (!snapshot(arg, &st, res)) return;
    res->content_type = "application/json";
    if (deploy_status_json(&st, &res->body) != KILN_OK) res->status = 500;
    deploy_status_release(&st);
}

static const char *worker_state_name(int s)
{
    return s == DEPLOY_WORKER_ALIVE ? "ALIVE" : s == DEPLOY_WORKER_DEAD ? "DEAD" : "UNKNOWN";
}

static const char *app_state_name(int s)
{
    return s == DEPLOY_APP_RUNNING ? "RUNNING" : s == DEPLOY_APP_FINISHED ? "FINISHED" : "UNKNOWN";
}

/* The worker's page: http://host:port/, with the token when this server
 * needs one (the worker's token is the same: both come from the secret). */
static void worker_href(master *m, const deploy_worker_status *w, char *out, size_t size)
{
    char base[DEPLOY_URL_MAX];
    net_url_format(base, sizeof base, "http", w->offer.host, (int)w->web_port);
    snprintf(out, size, "%s/%s%s", base, web_server_needs_token(m->web) ? "?token=" : "",
             web_server_needs_token(m->web) ? m->token : "");
}

static void apps_table(kiln_buf *b, const deploy_status *st, bool running, int64_t now)
{
    static const html_col cols[] = {
        {"Application ID", HTML_TEXT}, {"Name", HTML_TEXT},
        {"Cores", HTML_NUM},           {"Memory per Executor", HTML_NUM},
        {"Submitted Time", HTML_TEXT}, {"User", HTML_TEXT},
        {"State", HTML_TEXT},          {"Duration", HTML_NUM},
        {"Driver", HTML_TEXT},
    };
    html_table_begin(b, running ? "running-apps" : "completed-apps", cols,
                     (int)(sizeof cols / sizeof cols[0]));
    for (uint32_t i = 0; i < st->napps; i++) {
        const deploy_app_status *a = &st->apps[i];
        if ((a->state == DEPLOY_APP_FINISHED) == running) continue;
        char text[64], when[64], key[32];
        html_row_begin(b);
        html_cell(b, a->id, NULL);
        /* Spark's: the name links to the application's UI while it runs
         * (the URL was checked to be http(s) when the driver sent it). */
        if (a->ui_url[0] && a->state != DEPLOY_APP_FINISHED && deploy_ui_url_ok(a->ui_url))
            html_cell_link(b, a->ui_url, a->name);
        else html_cell(b, a->name, NULL);
        snprintf(text, sizeof text, "%u", a->cores);
        html_cell_num(b, text, a->cores);
        web_fmt_mib(text, sizeof text, a->executor_memory);
        html_cell_num(b, text, (double)a->executor_memory);
        web_fmt_time(when, sizeof when, a->submitted_ms);
        snprintf(key, sizeof key, "%020lld", (long long)a->submitted_ms);
        html_cell(b, when, key);
        /* TODO(issue 16): the driver does not send its user yet. */
        html_cell(b, "", NULL);
        html_printf(b, "<td class=\"state-%s\">%s</td>", app_state_name(a->state),
                    app_state_name(a->state));
        int64_t end = a->ended_ms > 0 ? a->ended_ms : now;
        int64_t dur = a->submitted_ms > 0 && end > a->submitted_ms ? end - a->submitted_ms : 0;
        web_fmt_duration(text, sizeof text, dur);
        html_cell_num(b, a->submitted_ms > 0 ? text : "", (double)dur);
        html_cell(b, a->driver, NULL);
        html_row_end(b);
    }
    html_table_end(b, running ? "No running applications." : "No completed applications.");
}

static void master_page(void *arg, const web_request *req, web_response *res)
{
    master *m = arg;
    deploy_status st;
    if (!snapshot(m, &st, res)) return;
    kiln_buf *b = &res->body;
    /* Cores and memory in use per worker: from the executors that hold them. */
    uint32_t *used_cores = calloc(st.nworkers + 1, sizeof *used_cores);
    uint64_t *used_mem = calloc(st.nworkers + 1, sizeof *used_mem);
    uint32_t alive = 0, cores = 0, cores_used = 0, running = 0, done = 0;
    uint64_t mem = 0, mem_used = 0;
    for (uint32_t w = 0; used_cores && used_mem && w < st.nworkers; w++) {
        for (uint32_t e = 0; e < st.nexecs; e++)
            if (!deploy_exec_state_final(st.execs[e].state) &&
                strcmp(st.execs[e].worker_id, st.workers[w].id) == 0) {
                used_cores[w] += st.execs[e].cores;
                used_mem[w] += st.execs[e].memory;
            }
        if (st.workers[w].state != DEPLOY_WORKER_ALIVE) continue;
        alive++;
        cores += st.workers[w].offer.cores;
        mem += st.workers[w].offer.memory;
        cores_used += used_cores[w];
        mem_used += used_mem[w];
    }
    for (uint32_t i = 0; i < st.napps; i++)
        st.apps[i].state == DEPLOY_APP_FINISHED ? done++ : running++;
    char title[DEPLOY_URL_MAX + 32];
    snprintf(title, sizeof title, "kiln Master at %s", st.url);
    static const html_tab tabs[] = {{"Master", "/"}};
    html_page_begin(b, "kiln", title, tabs, 1, 0);
    char t1[64], t2[64];
    web_fmt_mib(t1, sizeof t1, mem_used);
    web_fmt_mib(t2, sizeof t2, mem);
    html_printf(b,
                "<ul class=\"summary\"><li><strong>URL:</strong> %s</li>"
                "<li><strong>Alive Workers:</strong> %u</li>"
                "<li><strong>Cores in use:</strong> %u Total, %u Used</li>"
                "<li><strong>Memory in use:</strong> %s Total, %s Used</li>"
                "<li><strong>Applications:</strong> %u Running, %u Completed</li>"
                "<li><strong>Status:</strong> %s</li></ul>\n",
                st.url, alive, cores, cores_used, t2, t1, running, done,
                st.recovering ? "RECOVERING" : "ALIVE");
    static const html_col wcols[] = {
        {"Worker Id", HTML_TEXT}, {"Address", HTML_TEXT}, {"State", HTML_TEXT},
        {"Cores", HTML_NUM},      {"Memory", HTML_NUM},
    };
    html_printf(b, "<h2>Workers (%u)</h2>\n", st.nworkers);
    html_table_begin(b, "workers", wcols, 5);
    for (uint32_t w = 0; w < st.nworkers; w++) {
        const deploy_worker_status *ws = &st.workers[w];
        char href[DEPLOY_URL_MAX + HTTP_TOKEN_HEX + 16], addr[DEPLOY_URL_MAX], text[160];
        html_row_begin(b);
        if (ws->web_port && ws->state == DEPLOY_WORKER_ALIVE) {
            worker_href(m, ws, href, sizeof href);
            html_cell_link(b, href, ws->id);
        } else {
            html_cell(b, ws->id, NULL);
        }
        snprintf(addr, sizeof addr, "%s", ws->offer.host);
        html_cell(b, addr, NULL);
        html_printf(b, "<td class=\"state-%s\">%s</td>", worker_state_name(ws->state),
                    worker_state_name(ws->state));
        uint32_t uc = used_cores ? used_cores[w] : 0;
        snprintf(text, sizeof text, "%u (%u Used)", ws->offer.cores, uc);
        html_cell_num(b, text, ws->offer.cores);
        web_fmt_mib(t1, sizeof t1, ws->offer.memory);
        web_fmt_mib(t2, sizeof t2, used_mem ? used_mem[w] : 0);
        snprintf(text, sizeof text, "%s (%s Used)", t1, t2);
        html_cell_num(b, text, (double)ws->offer.memory);
        html_row_end(b);
    }
    html_table_end(b, "No workers.");
    int64_t now = deploy_wall_ms();
    html_printf(b, "<h2>Running Applications (%u)</h2>\n", running);
    apps_table(b, &st, true, now);
    html_printf(b, "<h2>Completed Applications (%u)</h2>\n", done);
    apps_table(b, &st, false, now);
    html_page_end(b);
    free(used_cores);
    free(used_mem);
    deploy_status_release(&st);
}

int master_web_start(master *m, const char *host, int port, const char *shown_host, int *bound_port)
{
    web_server_opts o = {
        .name = "master", .host = host, .port = port, .token = m->token, .keep_alive = true};
    int rc = web_server_new(&o, &m->web);
    if (rc == KILN_OK) rc = web_route(m->web, "/", WEB_EXACT, master_page, m);
    if (rc == KILN_OK) rc = web_route(m->web, "/json", WEB_EXACT | WEB_BEARER, json_page, m);
    if (rc != KILN_OK) return rc;
    *bound_port = web_server_port(m->web);
    (void)shown_host;
    return KILN_OK;
}

void master_web_stop(master *m)
{
    web_server_free(m->web);
    m->web = NULL;
}
