/*
 * engine/context.c - kiln_context: the effective configuration, the executor
 * thread pool, the shuffle store, and ownership of every RDD, shuffle
 * dependency, broadcast and accumulator of an application.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "engine/engine.h"
#include "io/io.h"

/* Parses local, local[N], local[*], local[N,F], local[*,F]. */
static int parse_master(const char *m, int *cores, int *attempts)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *attempts = 1;
    if (strcmp(m, "local") == 0) {
        *cores = 1;
        return KILN_OK;
    }
    if (strncmp(m, "local[", 6) != 0) goto bad;
    const char *p = m + 6;
    if (*p == '*') {
        *cores = ncpu > 0 ? (int)ncpu : 1;
        p++;
    } else {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > 4096) goto bad;
        *cores = (int)n;
        p = end;
    }
    if (*p == ',') {
        char *end;
        long f = strtol(p + 1, &end, 10);
        if (end == p + 1 || f < 1 || f > 1000) goto bad;
        *attempts = (int)f;
        p = end;
    }
    if (strcmp(p, "]") == 0) return KILN_OK;
bad:
    return kiln_set_error(KILN_ECONF,
                          "kiln.master: unsupported master '%s' (expected local, local[N], "
                          "local[*] or local[N,F])",
                          m);
}

static int conf_int(const kiln_conf *c, const char *key, int dflt, int *out)
{
    const char *v = kiln_conf_get(c, key);
    int64_t x;
    if (!v) {
        *out = dflt;
        return KILN_OK;
    }
    if (parse_int64(v, &x) || x < 1 || x > 1 << 20)
        return kiln_set_error(KILN_ECONF, "%s: expected a positive integer, got '%s'", key, v);
    *out = (int)x;
    return KILN_OK;
}

/* Reads a fraction-like number in [lo, hi] (lo excluded when open_lo). */
static int conf_double(const kiln_conf *c, const char *key, double dflt, double lo, bool open_lo,
                       double hi, double *out)
{
    const char *v = kiln_conf_get(c, key);
    *out = dflt;
    if (!v) return KILN_OK;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    while (end != v && isspace((unsigned char)*end)) end++;
    if (end == v || *end || errno || !(x >= lo) || (open_lo && x == lo) || !(x <= hi))
        return kiln_set_error(KILN_ECONF, "%s: expected a number %s %g and <= %g, got '%s'", key,
                              open_lo ? ">" : ">=", lo, hi, v);
    *out = x;
    return KILN_OK;
}

/* Reads a duration as Spark writes them: a number with a unit (us, ms, s,
 * m or min, h, d), milliseconds when there is none. *out is in seconds. */
static int conf_duration(const kiln_conf *c, const char *key, double dflt, bool positive,
                         double *out)
{
    const char *v = kiln_conf_get(c, key);
    *out = dflt;
    if (!v) return KILN_OK;
    double x;
    if (parse_duration(v, 1e-3, &x) || (positive && x <= 0))
        return kiln_set_error(KILN_ECONF,
                              "%s: expected a %sduration such as 100ms or 2s, got '%s'", key,
                              positive ? "positive " : "", v);
    *out = x;
    return KILN_OK;
}

/* kiln.speculation and its settings (Spark's spark.speculation*). */
static int read_speculation(kiln_context *c)
{
    const char *on = kiln_conf_get(c->conf, "kiln.speculation");
    if (on && parse_bool(on, &c->speculation))
        return kiln_set_error(KILN_ECONF, "kiln.speculation: expected true or false, got '%s'",
                              on);
    int rc = conf_duration(c->conf, "kiln.speculation.interval", 0.1, true, &c->spec_interval);
    if (!rc)
        rc = conf_double(c->conf, "kiln.speculation.multiplier", 1.5, 0, true, 1e6,
                         &c->spec_multiplier);
    if (!rc)
        rc = conf_double(c->conf, "kiln.speculation.quantile", 0.75, 0, false, 1,
                         &c->spec_quantile);
    if (!rc)
        rc = conf_duration(c->conf, "kiln.speculation.minTaskRuntime", 0.1, false,
                           &c->spec_min_runtime);
    return rc;
}

/* Creates kiln.local.dir/kiln-XXXXXX for this context's scratch files
 * (shuffle files); it is removed when the context is freed. */
static int make_app_dir(kiln_context *c)
{
    const char *base = kiln_conf_get(c->conf, "kiln.local.dir");
    const char *tmp = getenv("TMPDIR");
    if (!base) base = tmp && *tmp ? tmp : "/tmp";
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/kiln-XXXXXX", base) >= sizeof path)
        return kiln_set_error(KILN_ECONF, "kiln.local.dir: path too long");
    if (!mkdtemp(path))
        return kiln_set_error(KILN_EIO, "kiln.local.dir: cannot create a directory in %s: %s",
                              base, strerror(errno));
    if (!(c->app_dir = strdup(path))) {
        rmdir(path);
        return KILN_ENOMEM;
    }
    return KILN_OK;
}

int kiln_context_new(const kiln_conf *conf, kiln_context **out)
{
    *out = NULL;
    kiln_init(NULL, NULL);
    kiln_context *c = calloc(1, sizeof *c);
    if (!c) return KILN_ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    int rc = conf_resolve(conf, &c->conf);
    if (rc) goto fail;
    const char *master = kiln_conf_get(c->conf, "kiln.master");
    if (!master) {
        master = "local[*]";
        if ((rc = conf_set_from(c->conf, "kiln.master", master, CONF_SRC_DEFAULT))) goto fail;
    }
    int execs = 0, exec_cores = 0, exec_mb = 0;
    int is_cluster = cluster_parse_master(master, &execs, &exec_cores, &exec_mb);
    if (is_cluster < 0) {
        rc = is_cluster;
        goto fail;
    }
    if (is_cluster) {
        /* One driver thread per executor slot (on a standalone cluster, as
         * many as connect); Spark's 4 attempts per task. */
        c->cores = execs * exec_cores;
        c->max_attempts = 4;
    } else if ((rc = parse_master(master, &c->cores, &c->max_attempts))) {
        goto fail;
    }
    const char *prog = kiln_conf_get(c->conf, "kiln.ui.showConsoleProgress");
    c->show_progress = true;
    if (prog && parse_bool(prog, &c->show_progress)) {
        rc = kiln_set_error(KILN_ECONF, "kiln.ui.showConsoleProgress: expected true or false");
        goto fail;
    }
    if ((rc = read_speculation(c))) goto fail;
    if ((rc = mem_init(c))) goto fail;
    if ((rc = make_app_dir(c))) goto fail;
    block_codec codec;
    if ((rc = block_codec_parse(kiln_conf_get(c->conf, "kiln.shuffle.compress.codec"), &codec)))
        goto fail;
    char shuffle_dir[4096];
    snprintf(shuffle_dir, sizeof shuffle_dir, "%s/shuffle", c->app_dir);
    if (!(c->shuffles = shuffle_store_new(shuffle_dir, codec))) {
        rc = KILN_EIO;
        goto fail;
    }
    if (is_cluster == 1 && (rc = cluster_start(c, execs, exec_cores, exec_mb, &c->cluster)))
        goto fail;
    if (is_cluster == 2) {
        if ((rc = cluster_start_standalone(c, master, &c->cluster))) goto fail;
        c->cores = cluster_cores(c->cluster);
    }
    if ((rc = conf_int(c->conf, "kiln.default.parallelism", c->cores,
                       &c->default_parallelism)))
        goto fail;
    c->arena = kiln_arena_new();
    c->pool = pool_new(c->cores);
    /* Storage gets half the budget, execution the other half (as Spark's
     * spark.memory.storageFraction = 0.5, without borrowing). */
    c->blocks = block_store_new(c->mem_budget / 2);
    if (!c->arena || !c->pool || !c->blocks) {
        rc = KILN_ENOMEM;
        goto fail;
    }
    LOG(LOG_INFO, "context", "started with master %s (%d cores, %d attempts per task)", master,
        c->cores, c->max_attempts);
    *out = c;
    return KILN_OK;
fail:
    kiln_context_free(c);
    return rc;
}

void kiln_context_free(kiln_context *c)
{
    if (!c) return;
    pool_free(c->pool);
    cluster_stop(c->cluster);
    for (size_t i = 0; i < c->nrdds; i++) {
        kiln_rdd *r = c->rdds[i];
        if (r->ops->free_extra) r->ops->free_extra(r);
        free(r->checkpoint_dir);
        kiln_arena_free(r->arena);
        free(r->env);
        free(r);
    }
    free(c->rdds);
    for (size_t i = 0; i < c->nsdeps; i++) free(c->sdeps[i]);
    free(c->sdeps);
    for (size_t i = 0; i < c->naccs; i++) free(c->accs[i].name);
    free(c->accs);
    free(c->broadcasts);
    shuffle_store_free(c->shuffles);
    block_store_free(c->blocks);
    if (c->app_dir) (void)io_remove_tree(c->app_dir);
    free(c->app_dir);
    kiln_arena_free(c->arena);
    kiln_conf_free(c->conf);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *kiln_context_conf(const kiln_context *c, const char *key)
{
    return kiln_conf_get(c->conf, key);
}
int kiln_context_cores(const kiln_context *c) { return c->cores; }
int kiln_context_default_parallelism(const kiln_context *c) { return c->default_parallelism; }
int kiln_context_max_attempts(const kiln_context *c) { return c->max_attempts; }
