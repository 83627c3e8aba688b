/*
 * cli/kiln.c - the kiln command: one program, git-style verbs.
 *
 *   kiln master [--host H] [--port 7077] [--http-port 8080] [--secret-file F]
 *               [--network-timeout-ms MS] [--recovery-dir D]
 *   kiln worker kiln://H:7077 [--cores N] [--memory 4g] [--work-dir D] [--host H]
 *               [--secret-file F] [--heartbeat-ms MS] [--max-attempts N]
 *               [--max-executor-restarts N]
 *   kiln submit [--master M] [--executor-memory 1g] [--total-executor-cores N]
 *               [--executor-cores N] [--conf k=v]... [--files F,...] [--py-files F,...]
 *               [--secret-file F] ./job [args] | job.py [args]
 *   kiln status kiln://H:7077 [--secret-file F] [--timeout-ms MS]
 *   kiln secret                 prints a new random secret
 *   kiln http-token [--secret-file F]   prints the bearer token of GET /json
 *   kiln help [VERB]            kiln's usage or a verb's (also VERB --help, -h)
 *   kiln --version              "kiln 0.1.0" (KILN_VERSION)
 *
 * This file only parses arguments and reports errors; the work is in
 * src/deploy (deploy/deploy.h). Exit status: 0 success, 1 failure (message
 * on stderr), 2 bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "base/conf.h"
#include "cli/conf_verb.h"
#include "cli/sql_verb.h"
#include "cli/submit_python.h"
#include "deploy/deploy.h"
#include "ui/ui_pages.h"

#define DEFAULT_PORT 7077
#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_NETWORK_TIMEOUT_MS 120000 /* kiln.network.timeout, Spark's 120 s */
#define DEFAULT_HEARTBEAT_MS 1000         /* kiln.worker.heartbeat */
#define DEFAULT_MAX_ATTEMPTS 16           /* Spark's registration retries */
#define DEFAULT_STATUS_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESTARTS 3  /* restarts of a dying executor */
#define DEFAULT_WEBUI_PORT 8081 /* a worker's web UI (Spark's) */

static const char usage_text[] =
    "usage: kiln <verb> [options]\n"
    "  master [--host H] [--port 7077] [--http-port 8080] [--secret-file F]\n"
    "         [--network-timeout-ms 120000] [--recovery-dir D]\n"
    "  worker kiln://HOST:PORT [--cores N] [--memory 4g] [--work-dir D] [--host H]\n"
    "         [--secret-file F] [--heartbeat-ms 1000] [--max-attempts 16]\n"
    "         [--max-executor-restarts 3] [--webui-port 8081] [--webui-host H]\n"
    "  submit [--master kiln://HOST:PORT] [--executor-memory 1g] [--total-executor-cores N]\n"
    "         [--executor-cores N] [--conf k=v]... [--files F,...] [--py-files F,...]\n"
    "         [--secret-file F] ./job [args] | job.py [args]\n"
    "                             run a driver program (client mode)\n"
    "  status kiln://HOST:PORT [--secret-file F] [--timeout-ms 10000]\n"
    "  secret                      print a new random secret: (umask 077; kiln secret > F)\n"
    "  http-token [--secret-file F]  print the bearer token for GET /json\n"
    "  conf [--master M] [--conf k=v]... [--keys]  the effective configuration\n"
    "  sql [--master M] [--conf k=v]... [-i F] [-e SQL | -f F]  Spark SQL (a shell without -e/-f)\n"
    "  history-server [--host H] [--port 18080] [--log-dir DIR]  finished applications' UI\n"
    "  help [VERB]                 this text, or a verb's\n"
    "The secret comes from --secret-file F or $KILN_SECRET_FILE; it is required\n"
    "(authentication cannot be turned off). --help after a verb describes it;\n"
    "--version prints kiln's version.\n";

/* Each verb's own usage, printed by `kiln VERB --help`, `kiln help VERB`
 * and after a mistake in its options. */
static const struct verb_usage {
    const char *verb, *text;
} verb_usages[] = {
    {"master", "usage: kiln master [--host H] [--port 7077] [--http-port 8080] [--secret-file F]\n"
               "                   [--network-timeout-ms 120000] [--recovery-dir D]\n"
               "Runs the master of a standalone cluster at kiln://H:PORT, with its web UI on\n"
               "http://H:HTTP_PORT/ and its status as JSON on /json (a bearer token: kiln\n"
               "http-token). Off loopback the pages need the token too: open the URL it\n"
               "prints (?token=...) once. A worker\n"
               "silent for --network-timeout-ms is marked DEAD. With --recovery-dir\n"
               "(kiln.deploy.recoveryDirectory) it keeps its workers and applications in D\n"
               "and recovers them when restarted; running applications keep running.\n"},
    {"worker", "usage: kiln worker kiln://HOST:PORT [--cores N] [--memory 4g] [--work-dir D]\n"
               "                   [--host H] [--secret-file F] [--heartbeat-ms 1000]\n"
               "                   [--max-attempts 16] [--max-executor-restarts 3]\n"
               "                   [--webui-port 8081] [--webui-host H]\n"
               "Runs a worker that offers N cores and the memory to the master at\n"
               "kiln://HOST:PORT and runs executors of applications in D (default ./work).\n"
               "Its web UI (executors and their logs) listens on --webui-host (default\n"
               "--host, else every address; off loopback it needs the token of kiln\n"
               "http-token) at --webui-port (-1: none).\n"},
    {"submit", "usage: kiln submit [--master M] [--executor-memory 1g]\n"
               "                   [--total-executor-cores N] [--executor-cores N]\n"
               "                   [--conf k=v]... [--files F,...] [--py-files F,...]\n"
               "                   [--secret-file F] ./job [args] | job.py [args]\n"
               "Runs ./job here as the driver (client mode), its executors on the cluster's\n"
               "workers; the options reach it as KILN_MASTER and KILN_SUBMIT_CONF. M is\n"
               "kiln://HOST:PORT (the secret is then required), local[N] or\n"
               "local-cluster[E,C,MB]; required but for a job.py. job.py runs under Python\n"
               "(kiln.pyspark.python, else /usr/bin/python3) with the kiln package and the\n"
               "--py-files on its path.\n"},
    {"history-server",
     "usage: kiln history-server [--host H] [--port 18080] [--log-dir DIR] [--secret-file F]\n"
     "                           [--conf k=v]...\n"
     "Serves the applications whose event logs are in DIR (kiln.eventLog.dir;\n"
     "default kiln.history.fs.logDirectory, /tmp/kiln-events; the port's default is\n"
     "kiln.history.ui.port, from kiln-defaults.conf, KILN_SUBMIT_CONF or --conf; the\n"
     "flags win): a list of them, each one's Jobs, Stages, Storage,\n"
     "Environment and Executors pages, and the REST API under /api/v1. It listens\n"
     "on 127.0.0.1 unless --host says otherwise; then the URL it prints carries a\n"
     "token (from the secret of --secret-file or $KILN_SECRET_FILE, else random).\n"},
    {"status", "usage: kiln status kiln://HOST:PORT [--secret-file F] [--timeout-ms 10000]\n"
               "Prints the master's workers, applications and executors as JSON.\n"},
    {"secret", "usage: kiln secret\n"
               "Prints a new random secret: (umask 077; kiln secret > F).\n"},
    {"http-token", "usage: kiln http-token [--secret-file F]\n"
                   "Prints the bearer token of the master's GET /json for the secret.\n"},
    {"conf", conf_usage},
    {"sql", sql_usage},
    {"help", "usage: kiln help [VERB]\n"
             "Prints kiln's usage, or a verb's.\n"},
};

/* The verb whose arguments are being parsed, for usage(). */
static const char *cur_verb;

static const char *verb_usage_text(const char *verb)
{
    for (size_t i = 0; verb && i < sizeof verb_usages / sizeof verb_usages[0]; i++)
        if (strcmp(verb_usages[i].verb, verb) == 0) return verb_usages[i].text;
    return NULL;
}

/* Reports bad usage (fmt with arg; NULL fmt: none) on stderr with the
 * current verb's usage, or kiln's. Returns the exit status 2. */
static int usage(const char *fmt, const char *arg)
{
    if (fmt) {
        if (cur_verb) fprintf(stderr, "kiln %s: ", cur_verb);
        else fputs("kiln: ", stderr);
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n");
    }
    const char *text = verb_usage_text(cur_verb);
    fputs(text ? text : usage_text, stderr);
    if (fmt)
        fprintf(stderr, "Try 'kiln %s%s--help' for more information.\n", cur_verb ? cur_verb : "",
                cur_verb ? " " : "");
    return 2;
}

/* Prints text on stdout (--help, --version): exit status 0, or 1 when stdout
 * cannot be written. */
static int print_out(const char *text)
{
    fputs(text, stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

static int print_version(void)
{
    printf("kiln %s\n", kiln_version());
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Answers --help / -h and --version given to the current verb: -1 when a
 * is neither, else the exit status. */
static int help_or_version(const char *a)
{
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        const char *text = verb_usage_text(cur_verb);
        return print_out(text ? text : usage_text);
    }
    if (strcmp(a, "--version") == 0) return print_version();
    return -1;
}

/* Reports a failed call: the error message, exit status 1. */
static int fail(const char *verb)
{
    fprintf(stderr, "kiln %s: %s\n", verb, kiln_last_error());
    return 1;
}

/* Options of one verb, filled by parse_opts. NULL: not given. */
typedef struct opts {
    const char *positional;
    const char *host, *port, *http_port, *secret_file, *network_timeout, *cores, *memory, *work_dir,
        *heartbeat, *max_attempts, *timeout, *max_restarts, *recovery_dir, *webui_port, *webui_host,
        *log_dir;
} opts;

/* The slot for option name in o, or NULL when the verb does not take it.
 * allowed lists the names the verb takes, space-separated. */
static const char **opt_slot(opts *o, const char *name, const char *allowed)
{
    static const struct {
        const char *name;
        size_t off;
    } table[] = {
        {"--host", offsetof(opts, host)},
        {"--port", offsetof(opts, port)},
        {"--http-port", offsetof(opts, http_port)},
        {"--secret-file", offsetof(opts, secret_file)},
        {"--network-timeout-ms", offsetof(opts, network_timeout)},
        {"--cores", offsetof(opts, cores)},
        {"--memory", offsetof(opts, memory)},
        {"--work-dir", offsetof(opts, work_dir)},
        {"--heartbeat-ms", offsetof(opts, heartbeat)},
        {"--max-attempts", offsetof(opts, max_attempts)},
        {"--timeout-ms", offsetof(opts, timeout)},
        {"--max-executor-restarts", offsetof(opts, max_restarts)},
        {"--recovery-dir", offsetof(opts, recovery_dir)},
        {"--webui-port", offsetof(opts, webui_port)},
        {"--webui-host", offsetof(opts, webui_host)},
        {"--log-dir", offsetof(opts, log_dir)},
    };
    size_t n = strlen(name);
    const char *hit = strstr(allowed, name);
    if (hit == NULL || (hit[n] != ' ' && hit[n] != '\0') || (hit != allowed && hit[-1] != ' '))
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0) return (const char **)((char *)o + table[i].off);
    return NULL;
}

/* parse_opts' result after --help or --version was answered: exit 0. */
#define PARSE_DONE (-1)

/* Parses "--name value", "--name=value" and at most one positional
 * argument (when want_positional). Returns 0, PARSE_DONE after answering
 * --help or --version, or the usage exit status. */
static int parse_opts(int argc, char **argv, const char *allowed, bool want_positional, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int done = help_or_version(a);
        if (done >= 0) return done == 0 ? PARSE_DONE : done;
        if (a[0] == '-' && a[1] != '-' && a[1] != '\0') return usage("unknown option '%s'", a);
        if (strncmp(a, "--", 2) != 0) {
            if (!want_positional || o->positional) return usage("unexpected argument '%s'", a);
            o->positional = a;
            continue;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= sizeof name) return usage("unknown option '%s'", a);
        memcpy(name, a, n);
        name[n] = '\0';
        const char **slot = opt_slot(o, name, allowed);
        if (slot == NULL) return usage("unknown option '%s'", name);
        if (eq) *slot = eq + 1;
        else if (i + 1 < argc) *slot = argv[++i];
        else return usage("option '%s' needs a value", name);
    }
    return 0;
}

/* An int option in [lo, hi], or def when absent. -1 after printing why. */
static int int_opt(const char *s, const char *name, int def, int lo, int hi, int *out)
{
    int64_t v = def;
    if (s && (parse_int64(s, &v) != KILN_OK || v < lo || v > hi)) {
        fprintf(stderr, "kiln: %s '%s' is not a number in %d..%d\n", name, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* The secret spec for net_secret_load: --secret-file, else $KILN_SECRET_FILE.
 * NULL (after saying so) when neither is given. */
static const char *secret_spec(const opts *o, const char *verb, char *buf, size_t size)
{
    const char *file = o->secret_file ? o->secret_file : getenv("KILN_SECRET_FILE");
    if (file == NULL || file[0] == '\0') {
        fprintf(stderr,
                "kiln %s: no secret: pass --secret-file FILE or set KILN_SECRET_FILE "
                "(cluster authentication is always on); make one with\n"
                "  (umask 077; kiln secret > FILE)\n",
                verb);
        return NULL;
    }
    snprintf(buf, size, "file:%s", file);
    return buf;
}

/* INFO lines (registrations, lost workers) unless the user chose a level. */
static void default_log_level(void)
{
    if (getenv("KILN_LOG_LEVEL") == NULL) log_set_threshold(LOG_INFO);
}

static int cmd_master(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv,
                        "--host --port --http-port --secret-file --network-timeout-ms "
                        "--recovery-dir",
                        false, &o);
    if (rc) return rc == PARSE_DONE ? 0 : rc;
    deploy_master_opts mo = {.host = o.host, .announce = stdout, .recovery_dir = o.recovery_dir};
    if (int_opt(o.port, "--port", DEFAULT_PORT, 0, 65535, &mo.port) ||
        int_opt(o.http_port, "--http-port", DEFAULT_HTTP_PORT, 0, 65535, &mo.http_port) ||
        int_opt(o.network_timeout, "--network-timeout-ms", DEFAULT_NETWORK_TIMEOUT_MS, 1, INT32_MAX,
                &mo.network_timeout_ms))
        return 2;
    char spec[4200];
    if ((mo.secret_spec = secret_spec(&o, "master", spec, sizeof spec)) == NULL) return 1;
    default_log_level();
    return deploy_master_run(&mo) == KILN_OK ? 0 : fail("master");
}

/* Spark's default worker memory: all of it but 1 GiB, at least 1 GiB. */
static uint64_t default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t total = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    return total > (2ull << 30) ? total - (1ull << 30) : 1ull << 30;
}

static int worker_sizes(const opts *o, deploy_worker_opts *wo)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int cores;
    if (int_opt(o->cores, "--cores", ncpu > 0 ? (int)ncpu : 1, 1, (int)DEPLOY_MAX_CORES, &cores))
        return -1;
    wo->cores = (uint32_t)cores;
    wo->memory = default_memory();
    int64_t mem;
    if (o->memory && (parse_size(o->memory, &mem) != KILN_OK || mem <= 0)) {
        fprintf(stderr, "kiln: --memory '%s' is not a size (512m, 4g, ...)\n", o->memory);
        return -1;
    }
    if (o->memory) wo->memory = (uint64_t)mem;
    return 0;
}

static int cmd_worker(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv,
                        "--cores --memory --work-dir --host --secret-file --heartbeat-ms "
                        "--max-attempts --max-executor-restarts --webui-port --webui-host",
                        true, &o);
    if (rc) return rc == PARSE_DONE ? 0 : rc;
    if (o.positional == NULL) return usage("worker needs the master's URL (kiln://HOST:PORT)", "");
    deploy_worker_opts wo = {.host = o.host,
                             .work_dir = o.work_dir ? o.work_dir : "work",
                             .web_host = o.webui_host,
                             .announce = stdout};
    if (net_url_parse(o.positional, &wo.master) != KILN_OK) return fail("worker");
    if (worker_sizes(&o, &wo) ||
        int_opt(o.heartbeat, "--heartbeat-ms", DEFAULT_HEARTBEAT_MS, 1, INT32_MAX,
                &wo.heartbeat_ms) ||
        int_opt(o.max_attempts, "--max-attempts", DEFAULT_MAX_ATTEMPTS, 1, INT32_MAX,
                &wo.max_attempts) ||
        int_opt(o.max_restarts, "--max-executor-restarts", DEFAULT_MAX_RESTARTS, 0, 1000,
                &wo.max_restarts) ||
        int_opt(o.webui_port, "--webui-port", DEFAULT_WEBUI_PORT, -1, 65535, &wo.web_port))
        return 2;
    char spec[4200];
    if ((wo.secret_spec = secret_spec(&o, "worker", spec, sizeof spec)) == NULL) return 1;
    default_log_level();
    return deploy_worker_run(&wo) == KILN_OK ? 0 : fail("worker");
}

/* Takes the --conf k=v (and --conf=k=v) flags out of argv into the
 * configuration flags (conf_flags_parse); *argc is what is left. 0, or 2
 * after printing why. */
static int take_conf_flags(int *argc, char **argv)
{
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        const char *kv = NULL;
        if (!strcmp(argv[i], "--conf")) {
            if (i + 1 >= *argc) return usage("option '%s' needs a value", "--conf");
            kv = argv[++i];
        } else if (!strncmp(argv[i], "--conf=", 7)) {
            kv = argv[i] + 7;
        } else {
            argv[k++] = argv[i];
            continue;
        }
        if (conf_flags_parse(kv) != KILN_OK) {
            fprintf(stderr, "kiln %s: %s\n", cur_verb, kiln_last_error());
            return 2;
        }
    }
    *argc = k;
    return 0;
}

static int cmd_history_server(int argc, char **argv)
{
    opts o;
    int rc = take_conf_flags(&argc, argv);
    if (rc == 0) rc = parse_opts(argc, argv, "--host --port --log-dir --secret-file", false, &o);
    if (rc) return rc == PARSE_DONE ? 0 : rc;
    /* Spark's keys as every context reads them (defaults file,
     * KILN_SUBMIT_CONF, --conf), below the verb's own flags. */
    kiln_conf *keys = NULL;
    if (conf_resolve(NULL, &keys) != KILN_OK) return fail("history-server");
    const char *dir = kiln_conf_get(keys, "kiln.history.fs.logDirectory");
    if (dir && !strncmp(dir, "file:", 5)) dir += 5;
    int key_port = 18080, retained = 50;
    const char *v = kiln_conf_get(keys, "kiln.history.ui.port");
    if (v && int_opt(v, "kiln.history.ui.port", 18080, 0, 65535, &key_port)) rc = 2;
    v = kiln_conf_get(keys, "kiln.history.retainedApplications");
    if (v && int_opt(v, "kiln.history.retainedApplications", 50, 1, 1 << 20, &retained)) rc = 2;
    ui_history_opts ho = {.host = o.host,
                          .log_dir = o.log_dir ? o.log_dir : dir,
                          .announce = stdout,
                          .max_retries = 16,
                          .retained_apps = retained};
    if (rc == 0 && int_opt(o.port, "--port", key_port, 0, 65535, &ho.port)) rc = 2;
    kiln_conf *conf = rc ? NULL : kiln_conf_new();
    if (!conf) {
        kiln_conf_free(keys);
        return rc ? rc : fail("history-server");
    }
    char spec[4200];
    if (o.secret_file) {
        snprintf(spec, sizeof spec, "file:%s", o.secret_file);
        kiln_conf_set(conf, "kiln.authenticate.secret", spec);
    }
    char token[UI_TOKEN_HEX + 1];
    if (ui_app_token(conf, token) != KILN_OK) {
        kiln_conf_free(conf);
        kiln_conf_free(keys);
        return fail("history-server");
    }
    ho.token = token;
    default_log_level();
    rc = ui_history_run(&ho);
    kiln_conf_free(conf);
    kiln_conf_free(keys); /* ho.log_dir may point into it */
    return rc == KILN_OK ? 0 : fail("history-server");
}

static int cmd_status(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv, "--secret-file --timeout-ms", true, &o);
    if (rc) return rc == PARSE_DONE ? 0 : rc;
    if (o.positional == NULL) return usage("status needs the master's URL (kiln://HOST:PORT)", "");
    net_url url;
    if (net_url_parse(o.positional, &url) != KILN_OK) return fail("status");
    int timeout;
    if (int_opt(o.timeout, "--timeout-ms", DEFAULT_STATUS_TIMEOUT_MS, 1, INT32_MAX, &timeout))
        return 2;
    char spec[4200];
    const char *secret = secret_spec(&o, "status", spec, sizeof spec);
    if (secret == NULL) return 1;
    deploy_status s = {0};
    kiln_buf json;
    kiln_buf_init(&json);
    rc = deploy_status_fetch(&url, secret, timeout, &s);
    if (rc == KILN_OK) rc = deploy_status_json(&s, &json);
    if (rc == KILN_OK) fwrite(json.data, 1, json.len, stdout);
    kiln_buf_release(&json);
    deploy_status_release(&s);
    return rc == KILN_OK ? 0 : fail("status");
}

/* ---- submit ------------------------------------------------------------------------ */

/* Appends "key=value\n" to conf; a value holding a newline is refused. */
static int conf_line(kiln_buf *conf, const char *key, const char *value)
{
    if (strchr(value, '\n') || strchr(key, '\n')) {
        fprintf(stderr, "kiln submit: %s holds a newline\n", key);
        return -1;
    }
    return buf_appendf(conf, "%s=%s\n", key, value) == KILN_OK ? 0 : -1;
}

/* kiln.files (or key, from flag) as absolute paths, each checked to exist. */
static int files_line(kiln_buf *conf, const char *csv, const char *key, const char *flag)
{
    kiln_buf abs;
    kiln_buf_init(&abs);
    char *list = strdup(csv), *save = NULL;
    int rc = list ? 0 : -1;
    for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && rc == 0;
         p = strtok_r(NULL, ",", &save)) {
        char path[PATH_MAX];
        if (realpath(p, path) == NULL) {
            fprintf(stderr, "kiln submit: %s: %s: %s\n", flag, p, strerror(errno));
            rc = -1;
        } else if (buf_appendf(&abs, "%s%s", abs.len ? "," : "", path) != KILN_OK) {
            rc = -1;
        }
    }
    if (rc == 0 && abs.len) {
        rc = kiln_buf_append(&abs, "", 1) == KILN_OK ? 0 : -1;
        if (rc == 0) rc = conf_line(conf, key, (const char *)abs.data);
    }
    free(list);
    kiln_buf_release(&abs);
    return rc;
}

/* Options of submit that become conf lines: flag, key, kind (s size, c cores). */
static const struct {
    const char *flag, *key;
    char kind;
} submit_keys[] = {
    {"--executor-memory", "kiln.executor.memory", 's'},
    {"--total-executor-cores", "kiln.cores.max", 'c'},
    {"--executor-cores", "kiln.executor.cores", 'c'},
};

/* One option of submit at argv[*i] into conf (or *master, *secret). 0, or
 * the exit status. */
static int submit_opt(int argc, char **argv, int *i, kiln_buf *conf, const char **master,
                      const char **secret)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    int done = help_or_version(a);
    if (done >= 0) return done == 0 ? PARSE_DONE : done;
    if (a[1] != '-') return usage("unknown option '%s'", a);
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    char name[64];
    if (n >= sizeof name) return usage("unknown option '%s'", a);
    memcpy(name, a, n);
    name[n] = '\0';
    if (v == NULL) return usage("option '%s' needs a value", name);
    if (!strcmp(name, "--master")) {
        net_url url;
        /* local modes are checked by the program's context (conf_resolve). */
        if (!strncmp(v, "kiln://", 7) && net_url_parse(v, &url) != KILN_OK) return fail("submit");
        *master = v;
        return conf_line(conf, "kiln.master", v) ? 1 : 0;
    }
    if (!strcmp(name, "--secret-file")) {
        *secret = v;
        return 0;
    }
    if (!strcmp(name, "--files")) return files_line(conf, v, "kiln.files", "--files") ? 1 : 0;
    if (!strcmp(name, "--py-files"))
        return files_line(conf, v, "kiln.submit.pyFiles", "--py-files") ? 1 : 0;
    if (!strcmp(name, "--conf")) {
        const char *e = strchr(v, '=');
        if (!e || e == v) return usage("--conf expects key=value, got '%s'", v);
        char key[256];
        if ((size_t)(e - v) >= sizeof key) return usage("--conf key too long in '%s'", v);
        memcpy(key, v, (size_t)(e - v));
        key[e - v] = '\0';
        return conf_line(conf, key, e + 1) ? 1 : 0;
    }
    for (size_t k = 0; k < sizeof submit_keys / sizeof submit_keys[0]; k++) {
        if (strcmp(name, submit_keys[k].flag)) continue;
        int64_t x;
        int bad = submit_keys[k].kind == 's'
                      ? parse_size(v, &x) != KILN_OK || x <= 0
                      : parse_int64(v, &x) != KILN_OK || x < 1 || x > (int64_t)DEPLOY_MAX_CORES;
        if (bad) {
            fprintf(stderr, "kiln submit: %s '%s' is not a %s\n", name, v,
                    submit_keys[k].kind == 's' ? "size (512m, 4g, ...)" : "number of cores");
            return 2;
        }
        return conf_line(conf, submit_keys[k].key, v) ? 1 : 0;
    }
    return usage("unknown option '%s'", name);
}

/* Client mode: the job runs here, as the driver; its kiln_context_new finds
 * the master and the options in KILN_MASTER and KILN_SUBMIT_CONF. A job.py
 * runs under Python (cli/submit_python.c). The cluster's secret is needed
 * for a kiln:// master. --master is required but for a job.py, whose own
 * setting, or kiln-defaults.conf, then decides. */
static int cmd_submit(int argc, char **argv)
{
    kiln_buf conf;
    kiln_buf_init(&conf);
    const char *master = NULL, *secret = NULL;
    int i = 0, rc = 0;
    for (; i < argc && rc == 0 && argv[i][0] == '-'; i++)
        rc = submit_opt(argc, argv, &i, &conf, &master, &secret);
    if (rc == PARSE_DONE) {
        kiln_buf_release(&conf);
        return 0;
    }
    if (rc == 0 && i >= argc) rc = usage("submit needs the program to run%s", "");
    if (rc == 0 && master == NULL && !submit_is_python(argv[i]))
        rc = usage("submit needs --master kiln://HOST:PORT%s", "");
    if (!secret) secret = getenv("KILN_SECRET_FILE");
    bool cluster = master && !strncmp(master, "kiln://", 7);
    if (!cluster && secret && !*secret) secret = NULL;
    char path[PATH_MAX];
    if (rc == 0 && cluster && (!secret || !*secret)) {
        opts none = {0};
        char spec[16];
        secret_spec(&none, "submit", spec, sizeof spec); /* says what is missing */
        rc = 1;
    } else if (rc == 0 && secret && realpath(secret, path) == NULL) {
        fprintf(stderr, "kiln submit: secret file %s: %s\n", secret, strerror(errno));
        rc = 1;
    }
    char spec[PATH_MAX + 8];
    if (rc == 0 && secret) {
        snprintf(spec, sizeof spec, "file:%s", path);
        rc = conf_line(&conf, "kiln.authenticate.secret", spec) ? 1 : 0;
    }
    if (rc == 0 && kiln_buf_append(&conf, "", 1) != KILN_OK) rc = 1;
    if (rc == 0 && ((master && setenv("KILN_MASTER", master, 1)) ||
                    setenv("KILN_SUBMIT_CONF", (char *)conf.data, 1))) {
        fprintf(stderr, "kiln submit: setenv: %s\n", strerror(errno));
        rc = 1;
    }
    if (rc == 0 && submit_is_python(argv[i])) rc = submit_python(argv + i, (char *)conf.data);
    kiln_buf_release(&conf);
    if (rc) return rc;
    execv(argv[i], argv + i);
    fprintf(stderr, "kiln submit: cannot run %s: %s\n", argv[i], strerror(errno));
    return 1;
}

static int cmd_secret(int argc, char **argv)
{
    int done = argc > 0 ? help_or_version(argv[0]) : -1;
    if (done >= 0) return done;
    if (argc > 0) return usage("secret takes no arguments ('%s')", argv[0]);
    char hex[65];
    if (net_secret_generate(hex) != KILN_OK) return fail("secret");
    printf("%s\n", hex);
    return 0;
}

static int cmd_http_token(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv, "--secret-file", false, &o);
    if (rc) return rc == PARSE_DONE ? 0 : rc;
    char spec[4200], token[HTTP_TOKEN_HEX + 1];
    const char *secret = secret_spec(&o, "http-token", spec, sizeof spec);
    if (secret == NULL) return 1;
    uint8_t *k;
    size_t klen;
    if (net_secret_load(secret, &k, &klen) != KILN_OK) return fail("http-token");
    rc = deploy_http_token(k, klen, token);
    net_secret_free(k, klen);
    if (rc != KILN_OK) return fail("http-token");
    printf("%s\n", token);
    return 0;
}

/* kiln help [VERB]: kiln's usage or a verb's, on stdout. */
static int cmd_help(int argc, char **argv)
{
    if (argc == 0) return print_out(usage_text);
    int done = help_or_version(argv[0]);
    if (done >= 0) return done;
    const char *text = verb_usage_text(argv[0]);
    cur_verb = NULL;
    if (text == NULL) return usage("unknown verb '%s'", argv[0]);
    if (argc > 1) return usage("help takes one verb ('%s')", argv[1]);
    return print_out(text);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } verbs[] = {
        {"master", cmd_master},
        {"worker", cmd_worker},
        {"status", cmd_status},
        {"history-server", cmd_history_server},
        {"submit", cmd_submit},
        {"secret", cmd_secret},
        {"http-token", cmd_http_token},
        {"conf", cmd_conf},
        {"sql", cmd_sql},
        {"help", cmd_help},
    };
    /* An executor of `kiln sql` (local-cluster or a standalone cluster runs
     * this program with KILN_EXECUTOR_* set and no arguments): kiln_init
     * serves tasks and never returns. */
    if (getenv("KILN_EXECUTOR_CONNECT")) {
        int rc = kiln_init(&argc, &argv);
        fprintf(stderr, "kiln: executor start failed: %s\n", kiln_last_error());
        return rc ? 1 : 0;
    }
    if (argc < 2) return usage(NULL, NULL);
    const char *verb = argv[1];
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(verb, verbs[i].name) == 0) {
            cur_verb = verbs[i].name;
            return verbs[i].run(argc - 2, argv + 2);
        }
    }
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) return print_out(usage_text);
    if (strcmp(verb, "--version") == 0) return print_version();
    if (verb[0] == '-') return usage("unknown option '%s'", verb);
    return usage("unknown verb '%s'", verb);
}
