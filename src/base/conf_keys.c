/*
 * base/conf_keys.c - the table of every key kiln reads: type, default, range
 * and one line of doc each. conf_resolve checks each known key's value
 * against it once, so a reader elsewhere (engine/context.c, engine/memory.c,
 * cluster/driver.c, cluster/standalone.c, net/tls.c...) never sees a value
 * of the wrong form. A layer with settings of its own (SQL, Python, UI)
 * registers its table with conf_register_keys at start-up instead of
 * growing this one.
 *
 * When a reader's rule changes, change its entry here too: the entry must
 * accept at least every value the reader accepts, and should refuse the
 * ones it refuses.
 */
#include "base/conf.h"

#define MS 1e-3 /* a bare duration counts milliseconds */
#define S 1.0   /* ... seconds */
#define MIB (1024.0 * 1024.0)
#define MAX_CORES (1 << 20)

const conf_key conf_base_keys[] = {
    /* ---- Application and master (session/, cluster/, deploy/) ---- */
    {.name = "kiln.master",
     .type = CONF_MASTER,
     .dflt = "local[*]",
     .spark = "spark.master",
     .doc = "where tasks run: local, local[N], local[*], local[N,F] (F attempts per task), "
            "local-cluster[E,C,MB] or kiln://HOST:PORT"},
    {.name = "kiln.app.name",
     .type = CONF_STRING,
     .spark = "spark.app.name",
     .doc = "the application's name on a standalone cluster (default: the program's file name)"},
    {.name = "kiln.default.parallelism",
     .type = CONF_INT,
     .min = 1,
     .max = MAX_CORES,
     .spark = "spark.default.parallelism",
     .doc = "partitions when an operation is not told (default: the number of cores)"},
    {.name = "kiln.ui.showConsoleProgress",
     .type = CONF_BOOL,
     .dflt = "true",
     .spark = "spark.ui.showConsoleProgress",
     .doc = "the [Stage 3:===>   (12 + 2) / 40] bar on a terminal"},

    /* ---- Memory, scratch files, shuffle (engine/) ---- */
    {.name = "kiln.executor.memory",
     .type = CONF_SIZE,
     .dflt = "1g",
     .min = 1 * MIB,
     .spark = "spark.executor.memory",
     .doc = "the memory budget of an executor: half for cached partitions, half for running "
            "tasks (at least 1m; 16m on a standalone cluster)"},
    {.name = "kiln.executor.memory.retain",
     .type = CONF_SIZE,
     .doc = "memory a process keeps for reuse after freeing it, instead of giving it back to "
            "the system at once (blocks up to 32m then come from the heap and the heap is "
            "trimmed only past this size): repeated queries skip the page faults of fresh "
            "memory, at the cost of resident memory between them (0: give everything back; "
            "default: a quarter of kiln.executor.memory)"},
    {.name = "kiln.local.dir",
     .type = CONF_STRING,
     .spark = "spark.local.dir",
     .doc = "where scratch files (shuffle, spills) go, in a kiln-XXXXXX directory removed with "
            "the context (default: $TMPDIR or /tmp); executors' scratch is inside the directory "
            "their driver or worker gave them"},
    {.name = "kiln.shuffle.compress.codec",
     .type = CONF_ENUM,
     .dflt = "lz4",
     .choices = "lz4,zstd,none",
     .doc = "the compression of shuffle and spill blocks"},
    {.name = "kiln.shuffle.memory",
     .type = CONF_SIZE,
     .dflt = "1g",
     .doc = "local mode: map outputs are kept in memory (uncompressed) instead of shuffle "
            "files while those held stay within this size or a quarter of "
            "kiln.executor.memory, whichever is less (0: always files; executors of clusters "
            "always write files, which they serve to others)"},
    {.name = "kiln.checkpoint.dir",
     .type = CONF_STRING,
     .spark = "spark.checkpoint.dir",
     .doc = "where kiln_rdd_checkpoint writes (unset: checkpointing is an error)"},

    /* ---- Speculation (engine/speculation.c) ---- */
    {.name = "kiln.speculation",
     .type = CONF_BOOL,
     .dflt = "false",
     .spark = "spark.speculation",
     .doc = "run a copy of straggling tasks; the first attempt to finish wins"},
    {.name = "kiln.speculation.interval",
     .type = CONF_DURATION,
     .dflt = "100ms",
     .min = 0,
     .unit = MS,
     .flags = CONF_OPEN_MIN,
     .spark = "spark.speculation.interval",
     .doc = "how often stragglers are looked for (a bare number is milliseconds)"},
    {.name = "kiln.speculation.multiplier",
     .type = CONF_DOUBLE,
     .dflt = "1.5",
     .min = 0,
     .max = 1e6,
     .flags = CONF_OPEN_MIN,
     .spark = "spark.speculation.multiplier",
     .doc = "a task is a straggler past this many times the stage's median task duration"},
    {.name = "kiln.speculation.quantile",
     .type = CONF_DOUBLE,
     .dflt = "0.75",
     .min = 0,
     .max = 1,
     .spark = "spark.speculation.quantile",
     .doc = "the fraction of a stage's tasks that must have finished before any is copied"},
    {.name = "kiln.speculation.minTaskRuntime",
     .type = CONF_DURATION,
     .dflt = "100ms",
     .min = 0,
     .unit = MS,
     .spark = "spark.speculation.minTaskRuntime",
     .doc = "a task is never copied before running this long (a bare number is milliseconds)"},

    /* ---- Task failures (engine/tasks.c) ---- */
    {.name = "kiln.excludeOnFailure.enabled",
     .type = CONF_BOOL,
     .dflt = "true",
     .spark = "spark.excludeOnFailure.enabled",
     .doc = "a failed task's retry avoids the executors it failed on, and a stage avoids an "
            "executor where too many of its tasks failed, while another executor can take "
            "the task (on by default, unlike Spark's)"},
    {.name = "kiln.excludeOnFailure.task.maxTaskAttemptsPerExecutor",
     .type = CONF_INT,
     .dflt = "1",
     .min = 1,
     .max = MAX_CORES,
     .spark = "spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor",
     .doc = "attempts of a task that may fail on one executor before its retries go elsewhere"},
    {.name = "kiln.excludeOnFailure.stage.maxFailedTasksPerExecutor",
     .type = CONF_INT,
     .dflt = "2",
     .min = 1,
     .max = MAX_CORES,
     .spark = "spark.excludeOnFailure.stage.maxFailedTasksPerExecutor",
     .doc = "different tasks of a stage that may fail on one executor before the stage "
            "sends it no more tasks"},

    /* ---- Cluster mode (cluster/, net/) ---- */
    {.name = "kiln.network.timeout",
     .type = CONF_DURATION,
     .dflt = "120s",
     .min = 0.1,
     .unit = S,
     .spark = "spark.network.timeout",
     .doc = "an executor silent this long is lost (a bare number is seconds; at least 100ms)"},
    {.name = "kiln.shuffle.io.maxRetries",
     .type = CONF_INT,
     .dflt = "3",
     .min = 0,
     .max = 1000,
     .spark = "spark.shuffle.io.maxRetries",
     .doc = "times a shuffle fetch that failed with an I/O error (refused, reset, timed out) is "
            "retried before it is a fetch failure (which recomputes the map output)"},
    {.name = "kiln.shuffle.io.retryWait",
     .type = CONF_DURATION,
     .dflt = "200ms",
     .min = 0,
     .max = 3600,
     .unit = S,
     .spark = "spark.shuffle.io.retryWait",
     .doc = "the wait before a shuffle fetch's first retry, doubled before each next one "
            "(a bare number is seconds; Spark's 5s waits out JVM pauses kiln does not have)"},
    {.name = "kiln.authenticate.secret",
     .type = CONF_STRING,
     .flags = CONF_SECRET,
     .spark = "spark.authenticate.secret",
     .doc = "the cluster's shared secret, or file:PATH of a file holding it (default: "
            "$KILN_SECRET_FILE)"},
    {.name = "kiln.ssl.enabled",
     .type = CONF_BOOL,
     .dflt = "false",
     .spark = "spark.ssl.enabled",
     .doc = "every connection of a cluster application in TLS"},
    {.name = "kiln.cores.max",
     .type = CONF_INT,
     .min = 1,
     .max = MAX_CORES,
     .spark = "spark.cores.max",
     .doc = "cores of a standalone cluster the application may use (default: all)"},
    {.name = "kiln.executor.cores",
     .type = CONF_INT,
     .min = 1,
     .max = MAX_CORES,
     .spark = "spark.executor.cores",
     .doc = "cores of each executor on a standalone cluster (default: a worker's free cores)"},
    {.name = "kiln.driver.host",
     .type = CONF_STRING,
     .spark = "spark.driver.host",
     .doc = "the address executors connect back to (default: the one that reaches the master)"},
    {.name = "kiln.files",
     .type = CONF_STRING,
     .spark = "spark.files",
     .doc = "comma-separated files every executor gets in its directory (kiln submit --files)"},
    /* ---- The Python package (python/kiln: context.py reads them) ---- */
    {.name = "kiln.pyspark.python",
     .type = CONF_STRING,
     .spark = "spark.pyspark.python",
     .doc = "the Python interpreter executors run, an absolute path on every worker host "
            "(default: $PYSPARK_PYTHON, else the driver's)"},
    {.name = "kiln.pyspark.driver.python",
     .type = CONF_STRING,
     .spark = "spark.pyspark.driver.python",
     .doc = "the Python interpreter kiln submit runs a job.py with (default: "
            "$PYSPARK_DRIVER_PYTHON, else kiln.pyspark.python, else /usr/bin/python3)"},
    {.name = "kiln.python.version",
     .type = CONF_STRING,
     .doc = "the driver's Python version (major.minor), set by the Python package; each "
            "executor checks its own against it at start-up"},
    {.name = "kiln.submit.pyFiles",
     .type = CONF_STRING,
     .spark = "spark.submit.pyFiles",
     .doc = "comma-separated .py, .zip or .egg files put on the Python path of the driver and "
            "its executors (kiln submit --py-files)"},
    {.name = "kiln.deploy.maxExecutorRetries",
     .type = CONF_INT,
     .dflt = "10",
     .min = 0,
     .max = 2147483647.0,
     .spark = "spark.deploy.maxExecutorRetries",
     .doc = "local-cluster: a dead executor is started again at most this many times in a "
            "row with none of its processes registering in between (it cannot start); one "
            "that registered is always replaced"},
    {.name = "kiln.deploy.recoveryDirectory",
     .type = CONF_STRING,
     .spark = "spark.deploy.recoveryDirectory",
     .doc = "where a standalone master keeps its workers and applications so that a restarted "
            "master recovers them and running applications go on (kiln master --recovery-dir)"},
};

const size_t conf_base_key_count = sizeof conf_base_keys / sizeof conf_base_keys[0];
