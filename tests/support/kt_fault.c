/*
 * kt_fault.c - the fault walk of the test_faults_* tests (kt_fault.h).
 */
#include "kt_fault.h"

#include <stdio.h>
#include <string.h>

static const char *site_name(fault_site s)
{
    static const char *const names[FAULT_SITE_COUNT] = {"alloc", "read",   "write",
                                                        "fsync", "rename", "net_reset"};
    return (unsigned)s < FAULT_SITE_COUNT ? names[s] : "?";
}

kt_fault_walk_stats kt_fault_walk(const kt_fault_op *op, fault_site site, bool persistent,
                                  int max_n, bool need_fault)
{
    kt_fault_walk_stats st = {0};
    const char *mode = persistent ? "persistent" : "transient";
    for (int n = 1;; n++) {
        if (n > max_n)
            fail_msg("%s: %s %s faults: still failing after %d steps", op->name, mode,
                     site_name(site), max_n);
        st.steps = n;
        kiln_set_error(KILN_OK, NULL);
        fault_arm(site, (uint64_t)n, persistent);
        int rc = op->run(op->arg);
        uint64_t injected = fault_failures(site);
        fault_disarm_all();
        if (injected == 0) {
            if (rc != KILN_OK)
                fail_msg("%s: failed without an injected fault (N=%d): %s (%s)", op->name, n,
                         kiln_err_name(rc), kiln_last_error());
            op->check_ok(op->arg);
            if (need_fault && n == 1)
                fail_msg("%s: never reached a %s call", op->name, site_name(site));
            if (op->again) op->again(op->arg);
            break;
        }
        if (rc == KILN_OK) {
            st.recovered++;
            op->check_ok(op->arg);
        } else {
            st.failed++;
            if (rc >= 0 || strcmp(kiln_err_name(rc), "KILN_EUNKNOWN") == 0)
                fail_msg("%s: %s %s fault at N=%d: code %d is not a kiln error", op->name, mode,
                         site_name(site), n, rc);
            const char *msg = kiln_last_error();
            if (msg == NULL || msg[0] == '\0')
                fail_msg("%s: %s %s fault at N=%d: %s without a message", op->name, mode,
                         site_name(site), n, kiln_err_name(rc));
            if (op->must_name && strstr(msg, op->must_name) == NULL)
                fail_msg("%s: %s %s fault at N=%d: the message does not name '%s': %s", op->name,
                         mode, site_name(site), n, op->must_name, msg);
            if (op->check_failed) op->check_failed(op->arg, rc);
        }
        if (op->again) op->again(op->arg);
    }
    printf("[ fault    ] %s: %s %s: %d steps, %d failed, %d recovered\n", op->name, mode,
           site_name(site), st.steps, st.failed, st.recovered);
    return st;
}

int kt_fault_walk_both(const kt_fault_op *op, fault_site site, int max_n)
{
    kt_fault_walk_stats a = kt_fault_walk(op, site, false, max_n, true);
    kt_fault_walk_stats b = kt_fault_walk(op, site, true, max_n, true);
    /* Persistent faults leave no way around them: every faulted step fails. */
    if (b.recovered != 0 && b.failed == 0)
        fail_msg("%s: persistent faults never failed the operation", op->name);
    return a.steps + b.steps;
}
