/*
 * sql/sql_conf.c - the SQL layer's settings (kiln.sql.*), registered with
 * the configuration's table of known keys (base/conf.h) once per process.
 */
#include <pthread.h>

#include "base/conf.h"
#include "sql/sql_session.h"

#define MIB (1024.0 * 1024.0)

static const conf_key sql_keys[] = {
    {.name = "kiln.sql.ansi.enabled",
     .type = CONF_BOOL,
     .dflt = "true",
     .spark = "spark.sql.ansi.enabled",
     .doc = "ANSI SQL mode: overflow, invalid casts and division by zero raise errors (false: "
            "they give null, Spark 3's legacy behaviour)"},
    {.name = "kiln.sql.session.timeZone",
     .type = CONF_STRING,
     .dflt = "UTC",
     .spark = "spark.sql.session.timeZone",
     .doc = "the time zone timestamps are shown and parsed in: an IANA name or an offset "
            "such as +02:00"},
    {.name = "kiln.sql.shuffle.partitions",
     .type = CONF_INT,
     .min = 1,
     .max = 1 << 20,
     .spark = "spark.sql.shuffle.partitions",
     .doc = "partitions of SQL exchanges (joins, aggregations) (default: the cores)"},
    {.name = "kiln.sql.autoBroadcastJoinThreshold",
     .type = CONF_STRING,
     .dflt = "10m",
     .spark = "spark.sql.autoBroadcastJoinThreshold",
     .doc = "a join side estimated below this size (bytes, or 10m, 1g...) is broadcast "
            "(-1: never)"},
    {.name = "kiln.sql.optimizer.windowGroupLimitThreshold",
     .type = CONF_INT,
     .dflt = "1000",
     .min = -1,
     .max = 2147483647,
     .spark = "spark.sql.optimizer.windowGroupLimitThreshold",
     .doc = "a filter `rn <= k` over a row_number, rank or dense_rank window with k up to this "
            "keeps only k rows a key before the window's exchange (WindowGroupLimit; -1: never)"},
    {.name = "kiln.sql.files.maxPartitionBytes",
     .type = CONF_SIZE,
     .dflt = "128m",
     .min = 1,
     .max = 1e15,
     .spark = "spark.sql.files.maxPartitionBytes",
     .doc = "the most bytes of files one scan task reads"},
    {.name = "kiln.sql.files.openCostInBytes",
     .type = CONF_SIZE,
     .dflt = "4m",
     .min = 0,
     .max = 1e15,
     .spark = "spark.sql.files.openCostInBytes",
     .doc = "what opening a file costs, in bytes, when files are packed into scan tasks"},
    {.name = "kiln.sql.parquet.compression.codec",
     .type = CONF_ENUM,
     .dflt = "snappy",
     .choices = "none,uncompressed,snappy,gzip,zstd,lz4,lz4_raw",
     .spark = "spark.sql.parquet.compression.codec",
     .doc = "the codec of Parquet files written when no compression option is given"},
    {.name = "kiln.sql.parquet.outputTimestampType",
     .type = CONF_ENUM,
     .dflt = "TIMESTAMP_MICROS",
     .choices = "INT96,TIMESTAMP_MICROS,TIMESTAMP_MILLIS",
     .spark = "spark.sql.parquet.outputTimestampType",
     .doc = "how Parquet files written store timestamps (Spark's default is INT96; kiln "
            "writes INT64 microseconds)"},
    {.name = "kiln.sql.files.minPartitionNum",
     .type = CONF_INT,
     .min = 1,
     .max = 1 << 30,
     .spark = "spark.sql.files.minPartitionNum",
     .doc = "the scan tasks a file scan aims for at least when packing files (default: the "
            "cores)"},
    {.name = "kiln.sql.sources.partitionColumnTypeInference.enabled",
     .type = CONF_BOOL,
     .dflt = "true",
     .spark = "spark.sql.sources.partitionColumnTypeInference.enabled",
     .doc = "partition columns get types inferred from their directory names (false: strings)"},
    {.name = "kiln.sql.warehouse.dir",
     .type = CONF_STRING,
     .dflt = "spark-warehouse",
     .spark = "spark.sql.warehouse.dir",
     .doc = "where CREATE TABLE ... USING without a LOCATION puts a (managed) table's files"},
    {.name = "kiln.sql.sources.partitionOverwriteMode",
     .type = CONF_STRING,
     .dflt = "STATIC",
     .spark = "spark.sql.sources.partitionOverwriteMode",
     .doc = "overwriting a partitioned output: STATIC replaces all of it (or the partition "
            "INSERT OVERWRITE ... PARTITION names), DYNAMIC only the partitions written"},
    {.name = "kiln.sql.sources.maxOpenWriters",
     .type = CONF_INT,
     .dflt = "16",
     .min = 1,
     .max = 1 << 20,
     .doc = "the most files a task of a partitioned write keeps open; one more closes the "
            "least recently used (its partition's later rows start a new file)"},
};

static void register_once(void)
{
    (void)conf_register_keys(sql_keys, sizeof sql_keys / sizeof sql_keys[0]);
}

void sql_conf_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
}
