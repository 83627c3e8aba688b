/*
 * session/session.h - the session layer, between the public API and the
 * layers that run jobs: kiln_init (executor mode, command-line flags) and
 * kiln_context_new, which resolves the configuration, parses kiln.master
 * and gives the engine's context its task backend: the engine's own
 * threads for local[N], the cluster runtime's executors for
 * local-cluster[E,C,MB] and kiln:// masters. It also attaches the console
 * progress bar (src/ui) to the context's event bus.
 */
#ifndef KILN_SESSION_H
#define KILN_SESSION_H

#include "kiln.h"

#pragma GCC visibility push(hidden)

typedef enum master_kind { MASTER_LOCAL, MASTER_LOCAL_CLUSTER, MASTER_STANDALONE } master_kind;

typedef struct master_spec {
    master_kind kind;
    int cores;    /* local: threads; local-cluster: all executors' slots */
    int attempts; /* per task */
    int executors, executor_cores, executor_mb; /* local-cluster */
} master_spec;

/* Parses a kiln.master value. KILN_ECONF listing every form a master can
 * take when m is none of them. */
int master_parse(const char *m, master_spec *out);

#pragma GCC visibility pop

#endif
