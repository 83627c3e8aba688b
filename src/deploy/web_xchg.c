/*
 * deploy/web_xchg.c - how the web pages of the master and of a worker see
 * tables that belong to their poll() loop's thread: the page's thread posts
 * a call (a snapshot function) and waits; the loop, woken through a pipe it
 * polls, runs it between two rounds, so no table is ever read while it
 * changes and the loop never waits for a browser (rendering and sending
 * happen on the web thread, from the snapshot).
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "deploy/deploy_int.h"

enum { XCHG_IDLE, XCHG_POSTED, XCHG_RUNNING, XCHG_DONE };

int deploy_xchg_init(deploy_xchg *x)
{
    x->state = XCHG_IDLE;
    x->fn = NULL;
    x->arg = NULL;
    x->shut = false;
    if (pipe2(x->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        x->wake[0] = x->wake[1] = -1;
        return kiln_set_error(KILN_EIO, "cannot make a pipe for the web pages: %s",
                              strerror(errno));
    }
    pthread_mutex_init(&x->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->cv, &ca);
    pthread_condattr_destroy(&ca);
    return KILN_OK;
}

void deploy_xchg_release(deploy_xchg *x)
{
    if (x->wake[0] < 0) return;
    close(x->wake[0]);
    close(x->wake[1]);
    x->wake[0] = x->wake[1] = -1;
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
}

void deploy_xchg_shut(deploy_xchg *x)
{
    if (x->wake[0] < 0) return;
    pthread_mutex_lock(&x->mu);
    x->shut = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

int deploy_xchg_fd(const deploy_xchg *x)
{
    return x->wake[0];
}

void deploy_xchg_serve(deploy_xchg *x, void *owner)
{
    if (x->wake[0] < 0) return;
    char drain[16];
    while (read(x->wake[0], drain, sizeof drain) > 0) {
    }
    pthread_mutex_lock(&x->mu);
    if (x->state != XCHG_POSTED) {
        pthread_mutex_unlock(&x->mu);
        return;
    }
    x->state = XCHG_RUNNING;
    void (*fn)(void *, void *) = x->fn;
    void *arg = x->arg;
    pthread_mutex_unlock(&x->mu);
    fn(owner, arg);
    pthread_mutex_lock(&x->mu);
    x->state = XCHG_DONE;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

int deploy_xchg_call(deploy_xchg *x, void (*fn)(void *owner, void *arg), void *arg, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&x->mu);
    if (x->shut) {
        pthread_mutex_unlock(&x->mu);
        return kiln_set_error(KILN_EIO, "the loop has ended");
    }
    x->fn = fn;
    x->arg = arg;
    x->state = XCHG_POSTED;
    if (write(x->wake[1], "w", 1) < 0) {
    } /* full pipe: a wake-up is already pending */
    int rc = KILN_OK;
    while (x->state != XCHG_DONE) {
        /* Once the loop took the call it is waited for to the end: arg is in use. */
        if (x->shut && x->state == XCHG_POSTED) {
            rc = kiln_set_error(KILN_EIO, "the loop has ended");
            break;
        }
        if (pthread_cond_timedwait(&x->cv, &x->mu, &until) == ETIMEDOUT &&
            x->state == XCHG_POSTED) {
            rc = kiln_set_error(KILN_EIO, "the loop did not answer within %d ms", timeout_ms);
            break;
        }
    }
    x->state = XCHG_IDLE;
    x->fn = NULL;
    x->arg = NULL;
    pthread_mutex_unlock(&x->mu);
    return rc;
}
