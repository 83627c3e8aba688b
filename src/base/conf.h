/*
 * base/conf.h - configuration for every layer of kiln: the kiln_conf object
 * (ordered key/value strings, each with where it came from), the table of
 * known keys (type, default, one line of doc), the layers a context's
 * settings are resolved from and their validation. The public half is
 * kiln_conf_new/free/set/get in include/kiln.h; this is the internal half
 * for sibling subsystems (engine, cluster, cli, and later sql, python, ui).
 */
#ifndef KILN_BASE_CONF_H
#define KILN_BASE_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

/* ---- Entries and where they came from (conf.c) ---------------------------- */

/* Where a value came from, as messages and `kiln conf` name it. A file's
 * entries say "file PATH:LINE" and KILN_SUBMIT_CONF's "KILN_SUBMIT_CONF
 * line N"; a spark.* key read as its kiln key adds ", as spark.KEY". */
#define CONF_SRC_CODE "code"
#define CONF_SRC_CONF_FLAG "--conf flag"
#define CONF_SRC_MASTER_FLAG "--master flag"
#define CONF_SRC_MASTER_ENV "KILN_MASTER environment"
#define CONF_SRC_DEFAULT "default"

/* Sets key to value in c (all three copied), remembering source; a key
 * already present keeps its place. KILN_OK, KILN_EINVAL or KILN_ENOMEM.
 * kiln_conf_set is this with source "code". */
int conf_set_from(kiln_conf *c, const char *key, const char *value, const char *source);
/* Where key's value in c came from (borrowed, valid until key is set
 * again), or NULL when key is not set. */
const char *conf_source(const kiln_conf *c, const char *key);
/* The entries of c in the order they were first set, for handing them to
 * executors or printing them (c may be NULL: no entries). key, value and
 * source are borrowed, valid until the entry is set again. */
size_t conf_size(const kiln_conf *c);
void conf_at(const kiln_conf *c, size_t i, const char **key, const char **value);
const char *conf_source_at(const kiln_conf *c, size_t i);

/* ---- Command-line flags (process-wide) ------------------------------------ */

/* Remembers one flag for every context resolved afterwards, between
 * KILN_SUBMIT_CONF and code. source is CONF_SRC_CONF_FLAG or
 * CONF_SRC_MASTER_FLAG. Not thread-safe: call before starting contexts
 * (kiln_init does). KILN_OK or KILN_ENOMEM. */
int conf_flags_set(const char *key, const char *value, const char *source);
/* The argument of --conf: "key=value" into the flags. KILN_ECONF quoting
 * kv when it has no '=' or no key. */
int conf_flags_parse(const char *kv);
/* Forgets every flag (tests, and programs that resolve twice). */
void conf_flags_reset(void);

/* ---- Resolution ------------------------------------------------------------ */

/* Writes the path of the defaults file (kiln-defaults.conf) to buf:
 * $KILN_CONF_DIR when set and non-empty, else the installation's
 * KILN_SYSCONFDIR (a compile definition, /usr/local/etc/kiln unless the
 * build says otherwise). Never the current directory. KILN_ECONF when it
 * does not fit. */
int conf_defaults_path(char *buf, size_t size);

/* Builds the effective configuration of a context, lowest layer first:
 * $KILN_MASTER, the defaults file, the key=value lines of
 * $KILN_SUBMIT_CONF, the flags (conf_flags_set), then code (borrowed, may
 * be NULL; each entry keeps the source it was set with). spark.* keys with
 * a kiln equivalent are read as it (a warning says so; the kiln key wins
 * within a layer), other spark.* keys are warned about and dropped,
 * unknown kiln.* keys are warned about with the nearest known key and kept.
 * Then every known key's value is checked against the key table, so later
 * readers of the value cannot fail on it. Returns owned *out, or
 * KILN_ECONF naming the key, the value and its source (or the defaults
 * file and line that cannot be parsed), KILN_EIO, KILN_ENOMEM. */
int conf_resolve(const kiln_conf *code, kiln_conf **out);

/* Turns off the warnings of conf_resolve for this process (an executor's
 * settings come from its driver, which has already reported them). */
void conf_set_quiet(bool quiet);

/* ---- The table of known keys (conf_keys.c; others register theirs) -------- */

typedef enum conf_type {
    CONF_STRING,   /* any text (paths, names, lists) */
    CONF_BOOL,     /* true/false, yes/no, on/off, 1/0 (parse_bool) */
    CONF_INT,      /* a whole number in [min, max] (parse_int64) */
    CONF_SIZE,     /* bytes: 512m, 4g (parse_size), at least min */
    CONF_DURATION, /* 100ms, 2s, 1min (parse_duration); a bare number counts unit seconds;
                    * at least min seconds */
    CONF_DOUBLE,   /* a number in [min, max] (min excluded with CONF_OPEN_MIN) */
    CONF_ENUM,     /* one of choices, a comma-separated list */
    CONF_MASTER,   /* local, local[N], local[*], local[N,F], local-cluster[E,C,MB], kiln://H:P */
} conf_type;

enum {
    CONF_SECRET = 1u << 0,   /* masked when printed (unless a file: reference) */
    CONF_OPEN_MIN = 1u << 1, /* min itself is not allowed (CONF_DOUBLE, CONF_DURATION) */
};

/* One known key. Tables are arrays of these in static storage. For the
 * numeric types a value below min is refused, and one above max when
 * max > min (otherwise there is no upper limit but the parser's). */
typedef struct conf_key {
    const char *name; /* "kiln.executor.memory" */
    conf_type type;
    const char *dflt;    /* the default as text, or NULL when it is computed or unset */
    const char *doc;     /* one line: what it does (and the default when dflt is NULL) */
    double min, max;     /* CONF_INT, CONF_DOUBLE; CONF_SIZE (bytes); CONF_DURATION (seconds) */
    double unit;         /* CONF_DURATION: seconds a bare number counts (1e-3: ms) */
    const char *choices; /* CONF_ENUM: "lz4,zstd,none" */
    const char *spark;   /* the Spark key read as this one ("spark.executor.memory"), or NULL */
    unsigned flags;      /* CONF_SECRET, CONF_OPEN_MIN */
} conf_key;

/* Adds n keys (borrowed: the table must outlive the process's contexts) to
 * the known keys, as a layer's start-up does for its settings (the base
 * table, conf_keys.c, is always there). Call before starting contexts.
 * KILN_OK, KILN_EINVAL when a name or Spark name is already known, or
 * KILN_ENOMEM when too many tables are registered. */
int conf_register_keys(const conf_key *table, size_t n);
/* The known key named name, or NULL (borrowed, static). */
const conf_key *conf_key_find(const char *name);
/* The known key whose Spark name is spark_name, or NULL. */
const conf_key *conf_key_find_spark(const char *spark_name);
/* Every known key, in registration order: i from 0 to conf_key_count() - 1. */
size_t conf_key_count(void);
const conf_key *conf_key_at(size_t i);
/* The known key nearest to name by edit distance (ignoring case), when it
 * is near enough to be a likely typo; NULL otherwise. With spark, among
 * the keys' Spark names. Returns the key's (or Spark) name, static. */
const char *conf_nearest_key(const char *name, bool spark);
/* Checks value against k's type and range. KILN_OK, or KILN_ECONF with
 * "KEY: expected ..., got 'VALUE' (SOURCE)" (source may be NULL). */
int conf_check_value(const conf_key *k, const char *value, const char *source);
/* The value as it may be shown: "********" for a CONF_SECRET key's value
 * unless it is a "file:" reference, else value. */
const char *conf_display_value(const conf_key *k, const char *value);
/* The same by key name; unknown keys named like credentials (secret,
 * password, token, access.key, account.key) are masked too. */
const char *conf_display_named(const char *key, const char *value);

/* The base table of every key kiln reads (conf_keys.c). */
extern const conf_key conf_base_keys[];
extern const size_t conf_base_key_count;

/* ---- kiln.master (conf_master.c) ------------------------------------------ */

/* Every form kiln.master can take, for messages. */
#define CONF_MASTER_FORMS                                                                          \
    "local, local[N], local[*], local[N,F], local[*,F] (N threads, F attempts per task), "         \
    "local-cluster[E,C,MB] (E executor processes of C cores and MB megabytes, MB at least "        \
    "16) or kiln://HOST:PORT (a standalone master)"

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

#endif
