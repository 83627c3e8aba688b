/*
 * engine/conf.c - kiln_init: takes the options kiln owns (--master M,
 * --conf key=value) out of argv and hands them to base's process-wide flags
 * (base/conf.c), where every context's configuration is resolved. It stays
 * above base because it first lets an executor process take over
 * (cluster_executor_main_if_asked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "cluster/cluster.h"
#include "engine/engine.h"

int kiln_init(int *argc, char ***argv)
{
    /* A process started as an executor of a local cluster serves tasks and
     * never returns from here. */
    cluster_executor_main_if_asked();
    if (!argc || !argv) return KILN_OK;
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
