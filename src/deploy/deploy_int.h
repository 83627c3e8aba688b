/*
 * deploy/deploy_int.h - what the files of src/deploy share and no other
 * folder may use: the payload helpers of messages.c and app_messages.c,
 * the driver's file list
 * and the sha256 of a file, the monotonic clock and the stop flag of the
 * daemons. (The tests include it too.)
 */
#ifndef KILN_DEPLOY_INT_H
#define KILN_DEPLOY_INT_H

#include <pthread.h>

#include "base/json.h"
#include "deploy/messages.h"

#pragma GCC visibility push(hidden)

/* ---- Payload helpers (messages.c; the field tables are net/fields.h) ------------------ */

/* KILN_ECORRUPT unless f has type want. */
int deploy_msg_expect(const net_frame *f, int want, const char *peer);
/* Starts reading f's payload, naming message and peer in errors ("what",
 * size bytes, must outlive r). */
void deploy_msg_reader_start(wire_reader *r, const net_frame *f, const char *peer, char *what,
                             size_t size);
/* Sets and returns code with "WHAT: field DETAIL" (what NULL, as writers
 * pass it: "field DETAIL"), DETAIL from fmt. */
int deploy_msg_bad(int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- The driver's files (app_files.c) -------------------------------------------------- */

/* The executable's entry (name "exe") and the others, for REGISTER_APP.
 * Borrowed, valid as long as f. */
const deploy_file *app_files_exe(const app_files *f);
const deploy_file *app_files_list(const app_files *f, uint32_t *n);

/* Lowercase hex sha256 of everything readable from fd (from its current
 * offset), and how many bytes that was. KILN_EIO naming what on a read error. */
int app_sha256_fd(int fd, const char *what, char hex[DEPLOY_SHA256_HEX], uint64_t *size);

/* ---- The daemons' clock and stop flag (util.c) --------------------------------------- */

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t deploy_now_ms(void);
/* Milliseconds since the epoch (CLOCK_REALTIME), for what pages show. */
int64_t deploy_wall_ms(void);
/* Installs SIGTERM/SIGINT handlers that set the stop flag (no SA_RESTART, so
 * poll() and sleeps return early) and ignores SIGPIPE. */
void deploy_signals_install(void);
bool deploy_stop_requested(void);

/* ---- The web pages' view of a daemon's tables (web_xchg.c) ----------------------------- */

/* The master's and worker's tables belong to their loop's thread; their web
 * server runs on its own (src/web). A page asks the loop to run fn(arg) (a
 * snapshot of the tables) and waits: the request wakes the loop through
 * wake_fd, which it polls with its sockets. Caller-owned (_init/_release). */
typedef struct deploy_xchg {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake[2]; /* the loop polls wake[0] */
    int state;   /* XCHG_IDLE, _POSTED, _RUNNING, _DONE */
    void (*fn)(void *owner, void *arg);
    void *arg;
    bool shut; /* the loop has ended: calls fail at once */
} deploy_xchg;

/* KILN_EIO when the pipe cannot be made. */
int deploy_xchg_init(deploy_xchg *x);
void deploy_xchg_release(deploy_xchg *x);
/* The loop is ending: calls posted or to come fail at once (KILN_EIO). */
void deploy_xchg_shut(deploy_xchg *x);
/* The descriptor the loop adds to its poll() set (POLLIN). */
int deploy_xchg_fd(const deploy_xchg *x);
/* On the loop's thread, when deploy_xchg_fd is readable or once a round:
 * runs the posted call, if any, with owner (the master, the worker). */
void deploy_xchg_serve(deploy_xchg *x, void *owner);
/* On the web thread: posts fn(owner, arg) and waits for it at most
 * timeout_ms. KILN_OK once it ran; KILN_EIO when the loop did not take it
 * in time (then it never runs: arg may go). */
int deploy_xchg_call(deploy_xchg *x, void (*fn)(void *owner, void *arg), void *arg, int timeout_ms);

#pragma GCC visibility pop

#endif
