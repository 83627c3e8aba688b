/*
 * base/fault.c - fault simulation for tests (base/fault.h): per-site
 * counters and the rule that decides which call fails.
 */
#include "base/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

_Atomic int fault_armed_any;

typedef struct fault_rule {
    _Atomic int mode; /* 0 off, 1 nth, 2 rate */
    uint64_t nth;
    bool persistent;
    double p;
    rng gen; /* rate mode, under lock */
    _Atomic uint64_t calls, failures;
    _Atomic int err; /* the errno a failure reports; 0: EIO */
} fault_rule;

static fault_rule rules[FAULT_SITE_COUNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const site_names[FAULT_SITE_COUNT] = {"alloc", "read",   "write",
                                                         "fsync", "rename", "net_reset"};

static void recount_armed(void)
{
    int any = 0;
    for (int i = 0; i < FAULT_SITE_COUNT; i++) any |= atomic_load(&rules[i].mode) != 0;
    atomic_store(&fault_armed_any, any);
}

bool fault_hit_slow(fault_site s)
{
    if ((unsigned)s >= FAULT_SITE_COUNT) return false;
    fault_rule *r = &rules[s];
    int mode = atomic_load(&r->mode);
    if (mode == 0) return false;
    uint64_t call = atomic_fetch_add(&r->calls, 1) + 1;
    bool fail;
    if (mode == 1) {
        fail = call == r->nth || (r->persistent && call > r->nth);
    } else {
        pthread_mutex_lock(&lock);
        fail = rng_double(&r->gen) < r->p;
        pthread_mutex_unlock(&lock);
    }
    if (fail) atomic_fetch_add(&r->failures, 1);
    return fail;
}

void fault_arm(fault_site s, uint64_t n, bool persistent)
{
    if ((unsigned)s >= FAULT_SITE_COUNT) return;
    pthread_mutex_lock(&lock);
    fault_rule *r = &rules[s];
    r->nth = n;
    r->persistent = persistent;
    atomic_store(&r->err, 0);
    atomic_store(&r->calls, 0);
    atomic_store(&r->failures, 0);
    atomic_store(&r->mode, 1);
    recount_armed();
    pthread_mutex_unlock(&lock);
}

void fault_arm_rate(fault_site s, double p, uint64_t seed)
{
    if ((unsigned)s >= FAULT_SITE_COUNT) return;
    pthread_mutex_lock(&lock);
    fault_rule *r = &rules[s];
    r->p = p;
    rng_seed(&r->gen, seed);
    atomic_store(&r->err, 0);
    atomic_store(&r->calls, 0);
    atomic_store(&r->failures, 0);
    atomic_store(&r->mode, 2);
    recount_armed();
    pthread_mutex_unlock(&lock);
}

void fault_disarm_all(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < FAULT_SITE_COUNT; i++) atomic_store(&rules[i].mode, 0);
    recount_armed();
    pthread_mutex_unlock(&lock);
}

void fault_set_errno(fault_site s, int err)
{
    if ((unsigned)s < FAULT_SITE_COUNT) atomic_store(&rules[s].err, err);
}

int fault_errno(fault_site s)
{
    int err = (unsigned)s < FAULT_SITE_COUNT ? atomic_load(&rules[s].err) : 0;
    return err ? err : EIO;
}

uint64_t fault_calls(fault_site s)
{
    return (unsigned)s < FAULT_SITE_COUNT ? atomic_load(&rules[s].calls) : 0;
}

uint64_t fault_failures(fault_site s)
{
    return (unsigned)s < FAULT_SITE_COUNT ? atomic_load(&rules[s].failures) : 0;
}

int fault_site_by_name(const char *name)
{
    for (int i = 0; i < FAULT_SITE_COUNT; i++)
        if (strcmp(name, site_names[i]) == 0) return i;
    return -1;
}

/* One "site:opt:opt" part of a spec. */
typedef struct fault_part {
    int site;
    uint64_t n, seed;
    bool persist, rate;
    double p;
} fault_part;

static int parse_part(char *part, fault_part *out)
{
    *out = (fault_part){.site = -1, .seed = 1};
    char *save = NULL;
    char *tok = strtok_r(part, ":", &save);
    if (tok == NULL || (out->site = fault_site_by_name(tok)) < 0)
        return kiln_set_error(KILN_EINVAL,
                              "KILN_FAULTS: unknown site '%s' (alloc, read, write, fsync, "
                              "rename, net_reset)",
                              tok ? tok : "");
    bool have = false;
    while ((tok = strtok_r(NULL, ":", &save)) != NULL) {
        char *end = NULL;
        if (strncmp(tok, "n=", 2) == 0) {
            out->n = strtoull(tok + 2, &end, 10);
            have = out->n > 0;
        } else if (strncmp(tok, "p=", 2) == 0) {
            out->p = strtod(tok + 2, &end);
            out->rate = have = out->p >= 0 && out->p <= 1;
        } else if (strncmp(tok, "seed=", 5) == 0) {
            out->seed = strtoull(tok + 5, &end, 10);
        } else if (strcmp(tok, "persist") == 0) {
            out->persist = true;
            continue;
        }
        if (end == NULL || *end != '\0' || end == tok)
            return kiln_set_error(KILN_EINVAL, "KILN_FAULTS: bad option '%s' for site %s", tok,
                                  site_names[out->site]);
    }
    if (!have)
        return kiln_set_error(KILN_EINVAL, "KILN_FAULTS: site %s needs n=N (N >= 1) or p=P (0..1)",
                              site_names[out->site]);
    return KILN_OK;
}

int fault_arm_spec(const char *spec)
{
    fault_part parts[FAULT_SITE_COUNT * 2];
    int nparts = 0;
    char *copy = strdup(spec);
    if (copy == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for KILN_FAULTS");
    char *save = NULL;
    int rc = KILN_OK;
    for (char *part = strtok_r(copy, ",", &save); part && rc == KILN_OK;
         part = strtok_r(NULL, ",", &save)) {
        if (nparts == (int)(sizeof parts / sizeof parts[0]))
            rc = kiln_set_error(KILN_EINVAL, "KILN_FAULTS: too many parts");
        else rc = parse_part(part, &parts[nparts++]);
    }
    free(copy);
    if (rc != KILN_OK) return rc;
    for (int i = 0; i < nparts; i++) {
        if (parts[i].rate) fault_arm_rate((fault_site)parts[i].site, parts[i].p, parts[i].seed);
        else fault_arm((fault_site)parts[i].site, parts[i].n, parts[i].persist);
    }
    return KILN_OK;
}

int fault_arm_from_env(void)
{
    const char *spec = getenv("KILN_FAULTS");
    return spec && spec[0] ? fault_arm_spec(spec) : KILN_OK;
}
