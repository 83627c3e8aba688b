#!/bin/bash
# run-csv-load.sh - CSV loading speed: a large CSV read into an in-memory
# table and counted, kiln against DuckDB on the same files, 2 threads each,
# run alternately RUNS times (default 5); prints every run's wall seconds
# and peak RSS, the medians and their ratio per file, and checks that the
# row counts agree.
#
#     make && bench/run-csv-load.sh
#     RUNS=3 DATASETS=sensors bench/run-csv-load.sh
#
# Datasets ($DATASETS, default "sensors lineitem"):
#   sensors   $SENSORS_CSV, default bench/data/sensors-1e7.csv (made by
#             build/bin/sensors_gen when absent): ts TIMESTAMP, sensor STRING, temperature DOUBLE,
#             humidity DOUBLE, a header line.
#   lineitem  $TPCH/lineitem.tbl (default /work/data-gen/tpch-sf1; made by
#             build/bin/tpch_gen -s 1 -o DIR): TPC-H SF1's 6M lineitems,
#             '|'-separated, typed as tests/sql/tpch_views.sql.
# kiln: `kiln sql --master local[2]` with the view typed by a schema, then
# CACHE TABLE t AS SELECT * FROM view (eager: the batches kept in memory)
# and SELECT count(*) FROM t, timed as a whole process; kiln.executor.memory
# is $KILN_MEMORY (default 4g) so that the cache's storage share (half)
# holds the table without evicting blocks to disk (DuckDB's in-memory
# database has no limit below 80 % of RAM). DuckDB:
# bench/duckdb-bench.mjs (an in-memory database) running CREATE TABLE AS
# SELECT * FROM read_csv(...) with the same column types once per run,
# timed inside the process: the statement alone, leaving out node's and
# DuckDB's start and the copy of the table to a CSV file that
# duckdb-bench.mjs writes afterwards (its whole-process time and RSS are
# printed too, but only the statement's time goes into the ratio).
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
tpch=${TPCH:-/work/data-gen/tpch-sf1}
datasets=${DATASETS:-sensors lineitem}
memory=${KILN_MEMORY:-4g}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# setup NAME: writes $tmp/NAME.kiln.sql and $tmp/NAME.duck.sql.
setup() {
    case $1 in
    sensors)
        local data=${SENSORS_CSV:-bench/data/sensors-1e7.csv}
        mkdir -p bench/data
        [ -f "$data" ] || "$bin/sensors_gen" -n 1e7 -o "$data"
        data=$(realpath "$data")
        cat > "$tmp/sensors.kiln.sql" <<SQL
CREATE TEMPORARY VIEW readings (ts TIMESTAMP, sensor STRING, temperature DOUBLE, humidity DOUBLE)
USING csv OPTIONS (path '$data', header 'true');
CACHE TABLE t AS SELECT * FROM readings;
SELECT count(*) FROM t;
SQL
        cat > "$tmp/sensors.duck.sql" <<SQL
SELECT * FROM read_csv('$data', header = true, auto_detect = false, delim = ',', quote = '"',
    columns = {'ts': 'TIMESTAMP', 'sensor': 'VARCHAR', 'temperature': 'DOUBLE',
               'humidity': 'DOUBLE'})
SQL
        ;;
    lineitem)
        [ -f "$tpch/lineitem.tbl" ] || { echo "no $tpch/lineitem.tbl (set TPCH=DIR)" >&2; exit 2; }
        {
            grep -A1 'VIEW lineitem' tests/sql/tpch_views.sql |
                sed "s|\${TPCH}|$tpch|; s|\${EXT}||"
            echo "CACHE TABLE t AS SELECT * FROM lineitem;"
            echo "SELECT count(*) FROM t;"
        } > "$tmp/lineitem.kiln.sql"
        cat > "$tmp/lineitem.duck.sql" <<SQL
SELECT * FROM read_csv('$tpch/lineitem.tbl', delim = '|', header = false, quote = '',
    auto_detect = false, columns = {'l_orderkey': 'INTEGER', 'l_partkey': 'INTEGER',
    'l_suppkey': 'INTEGER', 'l_linenumber': 'INTEGER', 'l_quantity': 'DECIMAL(15,2)',
    'l_extendedprice': 'DECIMAL(15,2)', 'l_discount': 'DECIMAL(15,2)',
    'l_tax': 'DECIMAL(15,2)', 'l_returnflag': 'VARCHAR', 'l_linestatus': 'VARCHAR',
    'l_shipdate': 'DATE', 'l_commitdate': 'DATE', 'l_receiptdate': 'DATE',
    'l_shipinstruct': 'VARCHAR', 'l_shipmode': 'VARCHAR', 'l_comment': 'VARCHAR'})
SQL
        ;;
    *)
        echo "unknown dataset $1" >&2
        exit 2
        ;;
    esac
}

# shellcheck source=bench/timed-runs.sh
. bench/timed-runs.sh

echo "SELECT 1;" > "$tmp/setup.sql"
for ds in $datasets; do
    setup "$ds"
    for _ in $(seq "$runs"); do
        run "$ds.kiln" "$tmp/$ds.kiln.out" "$bin/kiln" sql -S --master 'local[2]' \
            --conf "kiln.executor.memory=$memory" -f "$tmp/$ds.kiln.sql"
        cp "$tmp/$ds.duck.sql" "$tmp/$ds.sql"
        run "$ds.duckdb-process" "$tmp/$ds.duck.out" node bench/duckdb-bench.mjs 2 1 "$tmp/duck" \
            "$tmp/setup.sql" "$tmp/$ds.sql"
        # "NAME  MS ms  rows N  runs MS": the statement's own time, in seconds.
        awk -v n="$ds" '$1 == n {print $2 / 1000, 0}' "$tmp/$ds.duck.out" >> "$tmp/$ds.duckin"
        echo "$ds.duckdb (statement): $(tail -1 "$tmp/$ds.duckin" | cut -d' ' -f1) s"
    done
    kn=$(tail -1 "$tmp/$ds.kiln.out" | tr -dc '0-9')
    dn=$(awk -v n="$ds" '$1 == n {print $5}' "$tmp/$ds.duck.out")
    if [ -z "$kn" ] || [ "$kn" != "$dn" ]; then
        echo "$ds: row counts differ: kiln '$kn', duckdb '$dn'" >&2
        exit 1
    fi
    read -r ks km < <(median "$tmp/$ds.kiln")
    read -r dsec dm < <(median "$tmp/$ds.duckdb-process")
    read -r din _ < <(median "$tmp/$ds.duckin")
    echo "$ds: $kn rows; median: kiln ${ks} s ${km} KB, duckdb statement ${din} s" \
        "(process ${dsec} s ${dm} KB), kiln/duckdb $(awk "BEGIN {printf \"%.2f\", $ks / $din}")"
done
