#!/bin/sh
# h2o-duckdb.sh - the 10 H2O db-benchmark group-by questions in an in-memory DuckDB.
#
#     bench/h2o-duckdb.sh FILE [THREADS] [RUNS] [OUT_DIR]
#     build/bin/h2o_gen -n 1e7 -k 100 -na 0 -sorted 0 -o /work/data-gen/G1_1e7_1e2_0_0.csv
#     bench/h2o-duckdb.sh /work/data-gen/G1_1e7_1e2_0_0.csv 2 3
#
# Loads the CSV that h2o_gen writes into a table x (id1..id3 VARCHAR, id4..id6, v1, v2 INTEGER,
# v3 DOUBLE; empty fields are NULL), then runs bench/h2o/groupby-q01.sql .. q10.sql RUNS times
# (default 3) with THREADS threads (default 2) through bench/duckdb-bench.mjs: prints the load
# time, and per question the median and each run in ms; writes each result as
# OUT_DIR/groupby-qNN.csv and the figures as OUT_DIR/timings.csv (OUT_DIR defaults to a new
# mktemp -d directory, printed at the end). Needs node and @duckdb/node-api from
# ../shared/bench/install-peers.sh.
set -eu

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: h2o-duckdb.sh FILE [THREADS] [RUNS] [OUT_DIR]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
threads=${2:-2}
runs=${3:-3}
out=${4:-$(mktemp -d /tmp/h2o-duckdb.XXXXXX)}

setup=$(mktemp --suffix=.sql)
trap 'rm -f "$setup"' EXIT
cat >"$setup" <<SQL
CREATE TABLE x (id1 VARCHAR, id2 VARCHAR, id3 VARCHAR, id4 INTEGER, id5 INTEGER, id6 INTEGER,
                v1 INTEGER, v2 INTEGER, v3 DOUBLE);
COPY x FROM '$file' (HEADER true);
SQL

node "$here/duckdb-bench.mjs" "$threads" "$runs" "$out" "$setup" "$here"/h2o/groupby-q*.sql
echo "results and timings.csv in $out"
