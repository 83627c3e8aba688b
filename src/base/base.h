/*
 * base/base.h - the base layer's interface for the rest of kiln: logging,
 * configuration files, size and number parsing, portable random numbers,
 * monotonic time, a child process's environment. (The configuration
 * object, its layers and the table of known keys are in base/conf.h.)
 * (Values, arenas, encoding and errors are public: see
 * include/kiln/value.h and include/kiln/error.h.)
 */
#ifndef KILN_BASE_H
#define KILN_BASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#define KILN_HIDDEN __attribute__((visibility("hidden")))

/* ---- Logging: lines "YY/MM/DD HH:MM:SS LEVEL component: message" on stderr */
typedef enum log_level { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;
/* The level from KILN_LOG_LEVEL (TRACE/DEBUG/INFO/WARN/ERROR/OFF, any case),
 * WARN by default; read once. */
log_level log_threshold(void);
void log_set_threshold(log_level l);
void log_write(log_level l, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define LOG(l, comp, ...)                                                                          \
    do {                                                                                           \
        if ((l) >= log_threshold()) log_write((l), (comp), __VA_ARGS__);                           \
    } while (0)

/* A rate limit for a line that an attacker or a fault can repeat (a refused
 * connection): at most one line per LOG_THROTTLE_MS per throttle, the
 * others counted. Zero-initialised (static or in a struct); thread-safe.
 * log_throttle_take returns true when a line may be written now and then
 * sets *suppressed to the number of lines dropped since the last one. */
#define LOG_THROTTLE_MS 1000
typedef struct log_throttle {
    _Atomic long long last_ms; /* CLOCK_MONOTONIC ms of the last line written, + 1 */
    _Atomic unsigned long suppressed;
} log_throttle;
bool log_throttle_take(log_throttle *t, unsigned long *suppressed);
/* LOG at level l through throttle t, with ", N similar lines suppressed"
 * appended when some were. */
#define LOG_THROTTLED(t, l, comp, fmt, ...)                                                        \
    do {                                                                                           \
        unsigned long log_supp_;                                                                   \
        if ((l) >= log_threshold() && log_throttle_take((t), &log_supp_)) {                        \
            if (log_supp_)                                                                         \
                log_write((l), (comp), fmt " (%lu similar lines suppressed in the last second)",   \
                          __VA_ARGS__, log_supp_);                                                 \
            else log_write((l), (comp), fmt, __VA_ARGS__);                                         \
        }                                                                                          \
    } while (0)

/* ---- Byte buffers */
/* Appends printf-style text to b (no NUL kept). KILN_OK or KILN_ENOMEM. */
int buf_appendf(kiln_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* dtoa.c: the shortest digits (at least two significant) of finite,
 * non-zero |x| that read back as x (as a float with is_float), the nearest
 * such: dig (>= 24 bytes) gets them without trailing zeros, *e10 the
 * decimal exponent of the first; returns their count. The _slow variant is
 * the snprintf/strtod reference (same result). */
int dtoa_shortest(double x, bool is_float, char *dig, int *e10);
int dtoa_shortest_slow(double x, bool is_float, char *dig, int *e10);
/* dtoa.c: 10^0 .. 10^19 as integers, and 10^0 .. 10^22, the powers of
 * ten a double holds exactly. */
extern const uint64_t pow10_u64[20];
extern const double pow10_f64[23];

/* ---- Configuration text --------------------------------------------------- */
/* Parses a Spark-style properties file: "key value" or "key=value" per line,
 * '#' comments, blank lines ignored. Calls fn for each pair (stops and
 * returns fn's nonzero result). KILN_ENOENT if the file is absent; a malformed
 * line gives KILN_ECONF naming file and line. */
int conf_parse_file(const char *path, int (*fn)(void *arg, const char *k, const char *v),
                    void *arg);
/* The same, telling fn each pair's line number (from 1). */
int conf_parse_file_lines(const char *path,
                          int (*fn)(void *arg, const char *k, const char *v, int line), void *arg);
/* "512m", "4g", "1024k", "100" (bytes), case-insensitive, b/k/m/g/t suffix. */
int parse_size(const char *s, int64_t *out);
/* A whole decimal int64 (no trailing junk). */
int parse_int64(const char *s, int64_t *out);
int parse_bool(const char *s, bool *out);
/* A duration as Spark writes them, "100ms", "2s", "1.5min", "1h" (units us,
 * ms, s, m or min, h, d), or a bare number counted in bare_seconds (Spark
 * reads some settings' bare numbers as ms, others as s). KILN_EINVAL. */
int parse_duration(const char *s, double bare_seconds, double *seconds);

/* ---- Random numbers: splitmix64-seeded xoshiro256**, identical on every
 * machine for the same seed. */
typedef struct rng {
    uint64_t s[4];
} rng;
void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
double rng_double(rng *r); /* [0, 1) */
/* Poisson(lambda) deviate (lambda <= 0 gives 0). */
int64_t rng_poisson(rng *r, double lambda);

/* ---- Arena reuse (see arena.c) */
void arena_rewind(kiln_arena *a);
size_t arena_used_bytes(const kiln_arena *a);

/* ---- Memory held by arenas and byte buffers (process-wide) */
/* n zeroed bytes from malloc (free them with free), zeroed by writing:
 * the fresh pages calloc leaves unwritten are the shared zero page until
 * the first write, which faults again and flushes the TLB of every core
 * running the process (an interrupt each). For tables probed before they
 * are written (hash tables). NULL when out of memory. */
void *zeroed_alloc(size_t n);

void mem_stats_add(int64_t delta);
void mem_stats_read(int64_t *now, int64_t *peak);

/* ---- Time */
double now_seconds(void);    /* CLOCK_MONOTONIC */
int64_t mono_ns(void);       /* CLOCK_MONOTONIC in nanoseconds */
int64_t thread_cpu_ns(void); /* the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) */
/* Wall-clock seconds since the epoch at monotonic time t (now_seconds). */
double wall_seconds_at(double t);

/* ---- Growable arrays (vec.c) --------------------------------------------- */

/* A growable array of values (malloc-backed). */
typedef struct val_vec {
    kiln_value *v;
    size_t n, cap;
} val_vec;
int val_vec_grow(val_vec *vv);
/* Makes room for one more element in *items (count n, capacity *cap,
 * elements of size elem), doubling from `first`. Returns KILN_OK or
 * KILN_ENOMEM (the array is unchanged). */
int grow_for_one(void **items, size_t n, size_t *cap, size_t elem, size_t first);
static inline int val_vec_push(val_vec *vv, const kiln_value *v)
{
    if (vv->n == vv->cap && val_vec_grow(vv)) return KILN_ENOMEM;
    vv->v[vv->n++] = *v;
    return KILN_OK;
}
void val_vec_release(val_vec *vv);
/* Decodes the values encoded back to back in p[0..n) onto vv (their parts
 * in a). KILN_ECORRUPT at a bad one, KILN_ENOMEM. */
int values_decode_all(kiln_arena *a, const uint8_t *p, size_t n, val_vec *vv);

/* ---- Processes (env.c) */
/* This process's environment minus the variables whose names start with
 * prefix, plus extra ("NAME=value" strings), for execve. Returns an owned
 * array of borrowed strings (free the array only), NULL when out of
 * memory. */
char **env_without(const char *prefix, const char *const *extra, int nextra);

/* The command set by kiln_set_executor_command (base/exec_command.c): an
 * owned, NULL-terminated copy (free with exec_command_free), or NULL when
 * none is set (executors are then this program, with no arguments). */
char **exec_command_dup(void);
void exec_command_free(char **argv);
/* The files set by kiln_set_executor_files, the same way (NULL: none). */
char **exec_files_dup(void);

#endif
