/*
 * cli/kiln.c - the kiln command: one program, git-style verbs.
 *
 *   kiln master [--host H] [--port 7077] [--http-port 8080] [--secret-file F]
 *               [--network-timeout-ms MS]
 *   kiln worker kiln://H:7077 [--cores N] [--memory 4g] [--work-dir D] [--host H]
 *               [--secret-file F] [--heartbeat-ms MS] [--max-attempts N]
 *   kiln status kiln://H:7077 [--secret-file F] [--timeout-ms MS]
 *   kiln secret                 prints a new random secret
 *   kiln http-token [--secret-file F]   prints the bearer token of GET /json
 *
 * This file only parses arguments and reports errors; the work is in
 * src/cluster. Exit status: 0 success, 1 failure (message on stderr),
 * 2 bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cluster/manager.h"

#define DEFAULT_PORT 7077
#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_NETWORK_TIMEOUT_MS 120000 /* kiln.network.timeout, Spark's 120 s */
#define DEFAULT_HEARTBEAT_MS 1000         /* kiln.worker.heartbeat */
#define DEFAULT_MAX_ATTEMPTS 16           /* Spark's registration retries */
#define DEFAULT_STATUS_TIMEOUT_MS 10000

static const char usage_text[] =
    "usage: kiln <verb> [options]\n"
    "  master [--host H] [--port 7077] [--http-port 8080] [--secret-file F]\n"
    "         [--network-timeout-ms 120000]\n"
    "  worker kiln://HOST:PORT [--cores N] [--memory 4g] [--work-dir D] [--host H]\n"
    "         [--secret-file F] [--heartbeat-ms 1000] [--max-attempts 16]\n"
    "  status kiln://HOST:PORT [--secret-file F] [--timeout-ms 10000]\n"
    "  secret                      print a new random secret: (umask 077; kiln secret > F)\n"
    "  http-token [--secret-file F]  print the bearer token for GET /json\n"
    "The secret comes from --secret-file F or $KILN_SECRET_FILE; it is required\n"
    "(authentication cannot be turned off).\n";

static int usage(const char *fmt, const char *arg)
{
    if (fmt) {
        fprintf(stderr, "kiln: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n");
    }
    fputs(usage_text, stderr);
    return 2;
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
    const char *host, *port, *http_port, *secret_file, *network_timeout, *cores, *memory,
        *work_dir, *heartbeat, *max_attempts, *timeout;
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
    };
    size_t n = strlen(name);
    const char *hit = strstr(allowed, name);
    if (hit == NULL || (hit[n] != ' ' && hit[n] != '\0') || (hit != allowed && hit[-1] != ' '))
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0) return (const char **)((char *)o + table[i].off);
    return NULL;
}

/* Parses "--name value", "--name=value" and at most one positional
 * argument (when want_positional). Returns 0 or the usage exit status. */
static int parse_opts(int argc, char **argv, const char *allowed, bool want_positional, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
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
    int rc = parse_opts(argc, argv, "--host --port --http-port --secret-file --network-timeout-ms",
                        false, &o);
    if (rc) return rc;
    cluster_master_opts mo = {.host = o.host, .announce = stdout};
    if (int_opt(o.port, "--port", DEFAULT_PORT, 0, 65535, &mo.port) ||
        int_opt(o.http_port, "--http-port", DEFAULT_HTTP_PORT, 0, 65535, &mo.http_port) ||
        int_opt(o.network_timeout, "--network-timeout-ms", DEFAULT_NETWORK_TIMEOUT_MS, 1,
                INT32_MAX, &mo.network_timeout_ms))
        return 2;
    char spec[4200];
    if ((mo.secret_spec = secret_spec(&o, "master", spec, sizeof spec)) == NULL) return 1;
    default_log_level();
    return cluster_master_run(&mo) == KILN_OK ? 0 : fail("master");
}

/* Spark's default worker memory: all of it but 1 GiB, at least 1 GiB. */
static uint64_t default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t total = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    return total > (2ull << 30) ? total - (1ull << 30) : 1ull << 30;
}

static int worker_sizes(const opts *o, cluster_worker_opts *wo)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int cores;
    if (int_opt(o->cores, "--cores", ncpu > 0 ? (int)ncpu : 1, 1, (int)CLUSTER_MAX_CORES, &cores))
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
                        "--max-attempts",
                        true, &o);
    if (rc) return rc;
    if (o.positional == NULL) return usage("worker needs the master's URL (kiln://HOST:PORT)", "");
    cluster_worker_opts wo = {.host = o.host, .work_dir = o.work_dir ? o.work_dir : "work"};
    if (net_url_parse(o.positional, &wo.master) != KILN_OK) return fail("worker");
    if (worker_sizes(&o, &wo) ||
        int_opt(o.heartbeat, "--heartbeat-ms", DEFAULT_HEARTBEAT_MS, 1, INT32_MAX,
                &wo.heartbeat_ms) ||
        int_opt(o.max_attempts, "--max-attempts", DEFAULT_MAX_ATTEMPTS, 1, INT32_MAX,
                &wo.max_attempts))
        return 2;
    char spec[4200];
    if ((wo.secret_spec = secret_spec(&o, "worker", spec, sizeof spec)) == NULL) return 1;
    default_log_level();
    return cluster_worker_run(&wo) == KILN_OK ? 0 : fail("worker");
}

static int cmd_status(int argc, char **argv)
{
    opts o;
    int rc = parse_opts(argc, argv, "--secret-file --timeout-ms", true, &o);
    if (rc) return rc;
    if (o.positional == NULL) return usage("status needs the master's URL (kiln://HOST:PORT)", "");
    net_url url;
    if (net_url_parse(o.positional, &url) != KILN_OK) return fail("status");
    int timeout;
    if (int_opt(o.timeout, "--timeout-ms", DEFAULT_STATUS_TIMEOUT_MS, 1, INT32_MAX, &timeout))
        return 2;
    char spec[4200];
    const char *secret = secret_spec(&o, "status", spec, sizeof spec);
    if (secret == NULL) return 1;
    cluster_status s = {0};
    kiln_buf json;
    kiln_buf_init(&json);
    rc = cluster_status_fetch(&url, secret, timeout, &s);
    if (rc == KILN_OK) rc = cluster_status_json(&s, &json);
    if (rc == KILN_OK) fwrite(json.data, 1, json.len, stdout);
    kiln_buf_release(&json);
    cluster_status_release(&s);
    return rc == KILN_OK ? 0 : fail("status");
}

static int cmd_secret(int argc, char **argv)
{
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
    if (rc) return rc;
    char spec[4200], token[HTTP_TOKEN_HEX + 1];
    const char *secret = secret_spec(&o, "http-token", spec, sizeof spec);
    if (secret == NULL) return 1;
    uint8_t *k;
    size_t klen;
    if (net_secret_load(secret, &k, &klen) != KILN_OK) return fail("http-token");
    rc = cluster_http_token(k, klen, token);
    net_secret_free(k, klen);
    if (rc != KILN_OK) return fail("http-token");
    printf("%s\n", token);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(NULL, NULL);
    const char *verb = argv[1];
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(verb, "master") == 0) return cmd_master(n, rest);
    if (strcmp(verb, "worker") == 0) return cmd_worker(n, rest);
    if (strcmp(verb, "status") == 0) return cmd_status(n, rest);
    if (strcmp(verb, "secret") == 0) return cmd_secret(n, rest);
    if (strcmp(verb, "http-token") == 0) return cmd_http_token(n, rest);
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    return usage("unknown verb '%s'", verb);
}
