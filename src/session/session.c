/*
 * session/session.c - the session layer, between the public API and the
 * layers that run jobs: kiln_init (executor mode, command-line flags) and
 * kiln_context_new, which resolves the configuration, parses kiln.master
 * (base/conf_master.c) and gives the engine's context (ctx_new, ctx_start)
 * its task backend: the engine's own threads for local[N], the cluster
 * runtime's executors for local-cluster[E,C,MB] and kiln:// masters. It
 * also attaches the console progress bar (src/ui) to the event bus.
 */
#include <pwd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "base/conf.h"
#include "base/fault.h"
#include "cluster/cluster.h"
#include "engine/engine.h"
#include "ui/ui.h"
#include "ui/ui_pages.h"
#include "ui/ui_status.h"

int kiln_init(int *argc, char ***argv)
{
    /* A process started as an executor of a cluster serves tasks and never
     * returns from here. */
    /* Fault simulation for tests (base/fault.h): armed before an executor
     * starts serving, so a test can make its executors fail too. */
    int frc = fault_arm_from_env();
    if (frc != KILN_OK) return frc;
    cluster_executor_main_if_asked();
    if (!argc || !argv) return KILN_OK;
    /* The options kiln owns go to base's process-wide flags, where every
     * context's configuration is resolved (base/conf.c). */
    char **av = *argv;
    int out = 1, rc = KILN_OK;
    for (int i = 1; i < *argc && rc == KILN_OK; i++) {
        const char *a = av[i];
        if (strcmp(a, "--") == 0) {
            /* Everything after "--" belongs to the program. */
            while (i < *argc) av[out++] = av[i++];
            break;
        } else if (strcmp(a, "--master") == 0 || strcmp(a, "--conf") == 0) {
            if (i + 1 >= *argc) return kiln_set_error(KILN_ECONF, "%s needs a value", a);
            rc = a[2] == 'm' ? conf_flags_set("kiln.master", av[i + 1], CONF_SRC_MASTER_FLAG)
                             : conf_flags_parse(av[i + 1]);
            i++;
        } else if (strncmp(a, "--master=", 9) == 0) {
            rc = conf_flags_set("kiln.master", a + 9, CONF_SRC_MASTER_FLAG);
        } else if (strncmp(a, "--conf=", 7) == 0) {
            rc = conf_flags_parse(a + 7);
        } else {
            av[out++] = av[i];
        }
    }
    *argc = out;
    av[out] = NULL;
    return rc;
}

/* kiln.ui.showConsoleProgress (default true): the progress bar on stderr
 * when it is a terminal. */
static int attach_progress(kiln_context *c)
{
    const char *v = kiln_conf_get(ctx_conf(c), "kiln.ui.showConsoleProgress");
    bool show = true;
    if (v && parse_bool(v, &show))
        return kiln_set_error(KILN_ECONF,
                              "kiln.ui.showConsoleProgress: expected true or false, got '%s'", v);
    if (!show || !isatty(2)) return KILN_OK;
    progress_bar *bar = progress_bar_new();
    if (!bar) return KILN_ENOMEM;
    int rc = events_subscribe(c, progress_bar_listen, bar, progress_bar_free);
    if (rc) progress_bar_free(bar);
    return rc;
}

static bool conf_true(kiln_context *c, const char *key, bool dflt)
{
    const char *v = kiln_conf_get(ctx_conf(c), key);
    bool b = dflt;
    if (v && parse_bool(v, &b)) return dflt;
    return b;
}

/* kiln.ui.enabled (default true): the status store; kiln.eventLog.enabled
 * (default false): the event log. Both listen from before the executors
 * start, so they see them added. Then the application starts (its id as
 * Spark makes them) and its configuration is posted. */
static int attach_ui(kiln_context *c, const master_spec *m, char *ui_url, size_t ui_url_size)
{
    static _Atomic int seq;
    static _Atomic int64_t last_ms;
    double wall = wall_seconds_at(now_seconds());
    /* Two contexts of one process in the same millisecond get distinct ids
     * (their event logs would be one file). */
    int64_t ms = (int64_t)(wall * 1000.0), prev = atomic_load(&last_ms);
    do {
        if (ms <= prev) ms = prev + 1;
    } while (!atomic_compare_exchange_weak(&last_ms, &prev, ms));
    wall = (double)ms / 1000.0 + 0.0001;
    char app_id[64];
    ui_app_id(m->kind == MASTER_LOCAL, wall, atomic_fetch_add(&seq, 1), app_id, sizeof app_id);
    if (conf_true(c, "kiln.ui.enabled", true)) {
        ui_store *s = ui_store_new(ctx_conf(c));
        if (!s) return KILN_ENOMEM;
        /* The web UI (ui/app_ui.c) is subscribed first, so that freeing the
         * context stops it before the store it reads goes (listeners are
         * released in the order they came). */
        app_ui *web = NULL;
        int rc = app_ui_start(s, ctx_conf(c), &web);
        if (!rc && web) rc = events_subscribe(c, app_ui_listen, web, app_ui_release);
        if (!rc && web) snprintf(ui_url, ui_url_size, "%s", app_ui_url(web));
        if (rc) {
            app_ui_stop(web);
            ui_store_free(s);
            return rc;
        }
        rc = events_subscribe(c, ui_store_listen, s, ui_store_free);
        if (rc) {
            /* Out of memory: with the UI subscribed (stopped only when the
             * context is freed) the store is left, not freed under it. */
            if (!web) ui_store_free(s);
            return rc;
        }
        ctx_set_ui_store(c, s);
    }
    if (conf_true(c, "kiln.eventLog.enabled", false)) {
        event_log *l;
        int rc = event_log_open(ctx_conf(c), app_id, &l);
        if (rc == KILN_OK) rc = events_subscribe(c, event_log_listen, l, event_log_free);
        if (rc) {
            if (l) event_log_free(l);
            return rc;
        }
        LOG(LOG_INFO, "ui", "event log: %s", event_log_path(l));
    }
    if (!events_wanted(c)) return KILN_OK;
    const char *name = kiln_conf_get(ctx_conf(c), "kiln.app.name");
    const char *user = getenv("USER");
    char pwbuf[1024];
    struct passwd pw, *found = NULL;
    if ((!user || !*user) && getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &found) == 0 && found)
        user = found->pw_name;
    events_post(c, &(engine_event){.kind = EV_APP_START,
                                   .name = name ? name : "kiln",
                                   .message = app_id,
                                   .user = user ? user : ""});
    events_post(c, &(engine_event){.kind = EV_ENVIRONMENT, .conf = ctx_conf(c)});
    return KILN_OK;
}

/* Local mode's one executor, the driver, as Spark lists it. */
static void post_driver_executor(kiln_context *c, int cores)
{
    if (!events_wanted(c)) return;
    int64_t mem = 0;
    const char *mv = kiln_conf_get(ctx_conf(c), "kiln.executor.memory");
    const conf_key *mk = mv ? NULL : conf_key_find("kiln.executor.memory");
    if (mk) mv = mk->dflt; /* the budget when the key is not set */
    if (!mv || parse_size(mv, &mem) != 0) mem = 0;
    events_post(c, &(engine_event){.kind = EV_EXECUTOR_ADDED,
                                   .executor = -1,
                                   .name = "driver",
                                   .host = "localhost",
                                   .cores = cores,
                                   .tasks = cores,
                                   .memory = mem});
}

int kiln_context_new(const kiln_conf *conf, kiln_context **out)
{
    *out = NULL;
    kiln_init(NULL, NULL);
    kiln_conf *resolved = NULL;
    int rc = conf_resolve(conf, &resolved);
    if (rc) return rc;
    const char *master = kiln_conf_get(resolved, "kiln.master");
    if (!master) {
        master = "local[*]";
        if ((rc = conf_set_from(resolved, "kiln.master", master, CONF_SRC_DEFAULT))) {
            kiln_conf_free(resolved);
            return rc;
        }
    }
    master_spec m;
    if ((rc = master_parse(master, &m))) {
        kiln_conf_free(resolved);
        return rc;
    }
    kiln_context *c = NULL;
    if ((rc = ctx_new(resolved, &c))) return rc;
    master = kiln_conf_get(ctx_conf(c), "kiln.master");
    char ui_url[512] = ""; /* the application's UI, for a standalone master's page */
    if ((rc = attach_ui(c, &m, ui_url, sizeof ui_url))) {
        kiln_context_free(c);
        return rc;
    }
    task_backend *backend = NULL;
    if (m.kind == MASTER_LOCAL_CLUSTER) {
        rc = cluster_start(c, m.executors, m.executor_cores, m.executor_mb, &backend);
    } else if (m.kind == MASTER_STANDALONE) {
        /* One driver thread per executor slot, as many as connect. */
        rc = cluster_start_standalone(c, master, ui_url, &backend);
        if (!rc) m.cores = backend->ops->cores(backend);
    }
    if (!rc) rc = ctx_start(c, backend, m.cores, m.attempts);
    if (!rc && m.kind == MASTER_LOCAL)
        post_driver_executor(c, ctx_backend(c)->ops->cores(ctx_backend(c)));
    if (!rc) rc = attach_progress(c);
    if (rc) {
        kiln_context_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}
