/*
 * base/conf_master.c - parsing kiln.master: every form a master can take,
 * and one message listing them all when a master is none of them. The
 * configuration's value check (conf.c) and the session layer, which
 * starts the backend a master names, both use it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"

#define MASTER_FORMS                                                                               \
    "local, local[N], local[*], local[N,F], local[*,F] (N threads, F attempts per task), "         \
    "local-cluster[E,C,MB] (E executor processes of C cores and MB megabytes, MB at least "        \
    "16) or kiln://HOST:PORT (a standalone master)"

static int bad(const char *m, const char *why)
{
    return kiln_set_error(KILN_ECONF, "kiln.master: %s'%s'; expected " CONF_MASTER_FORMS, why, m);
}

/* local, local[N], local[*], local[N,F], local[*,F]. */
static int parse_local(const char *m, master_spec *out)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    out->kind = MASTER_LOCAL;
    out->attempts = 1;
    if (strcmp(m, "local") == 0) {
        out->cores = 1;
        return KILN_OK;
    }
    const char *p = m + 6;
    if (*p == '*') {
        out->cores = ncpu > 0 ? (int)ncpu : 1;
        p++;
    } else {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > 4096) return bad(m, "bad thread count in ");
        out->cores = (int)n;
        p = end;
    }
    if (*p == ',') {
        char *end;
        long f = strtol(p + 1, &end, 10);
        if (end == p + 1 || f < 1 || f > 1000) return bad(m, "bad attempt count in ");
        out->attempts = (int)f;
        p = end;
    }
    return strcmp(p, "]") == 0 ? KILN_OK : bad(m, "unsupported master ");
}

/* local-cluster[E,C,MB]. */
static int parse_local_cluster(const char *m, master_spec *out)
{
    int e, c, n, used = 0;
    if (sscanf(m + 14, "%d,%d,%d]%n", &e, &c, &n, &used) != 3 || used == 0 || m[14 + used] ||
        e < 1 || e > 64 || c < 1 || c > 256 || n < 16 || n > 1 << 20)
        return bad(m, "bad local-cluster master ");
    out->kind = MASTER_LOCAL_CLUSTER;
    out->executors = e;
    out->cores = e * c;
    out->executor_cores = c;
    out->executor_mb = n;
    out->attempts = 4; /* Spark's spark.task.maxFailures */
    return KILN_OK;
}

int master_parse(const char *m, master_spec *out)
{
    *out = (master_spec){0};
    if (strcmp(m, "local") == 0 || strncmp(m, "local[", 6) == 0) return parse_local(m, out);
    if (strncmp(m, "local-cluster[", 14) == 0) return parse_local_cluster(m, out);
    if (strncmp(m, "kiln://", 7) == 0 && m[7]) {
        out->kind = MASTER_STANDALONE;
        out->attempts = 4;
        return KILN_OK;
    }
    return bad(m, "unsupported master ");
}
