#!/bin/bash
# run-sql-tpch-parquet.sh - the 22 TPC-H queries over Parquet files, kiln
# (build/bin/sql_tpch with TPCH_NO_CACHE=1: every query reads the files)
# against DuckDB querying the same files (views over read_parquet), 2
# threads each, RUNS runs per query (default 3), one suite after the other;
# prints both suites' medians per query, the totals and their ratio, and
# checks each query's row count agrees.
#
#     make && bench/run-sql-tpch-parquet.sh          # SF=1
#     SF=0.1 RUNS=3 bench/run-sql-tpch-parquet.sh
#
# The Parquet files (bench/data/tpch-sf$SF-parquet/<table>.parquet) are
# written by DuckDB from the dbgen tables of bench/data/tpch-sf$SF (made by
# build/bin/tpch_gen when absent), typed as tests/sql/tpch_views.sql types
# them, with DuckDB's defaults (snappy, row groups of 122,880 rows);
# CODEC=zstd writes them with zstd instead. Needs node and @duckdb/node-api
# (../shared/bench/install-peers.sh).
set -eu
cd "$(dirname "$0")/.."
sf=${SF:-1}
runs=${RUNS:-3}
codec=${CODEC:-snappy}
bin=${KILN_BIN:-build/bin}
queries=${QUERIES:-../shared/bench/tpch/queries}
tbl=bench/data/tpch-sf$sf
data=bench/data/tpch-sf$sf-parquet${CODEC:+-$codec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$tbl/lineitem.tbl" ] || { mkdir -p "$tbl" && "$bin/tpch_gen" -s "$sf" -o "$tbl"; }
if [ ! -f "$data/lineitem.parquet" ]; then
    mkdir -p "$data"
    # The CREATE TABLEs and COPY FROMs of tpch-duckdb.sh's setup, then COPY TO Parquet.
    sed -n '/^CREATE TABLE region/,/^SQL$/p' bench/tpch-duckdb.sh | sed '$d' > "$tmp/make.sql"
    for t in region nation part supplier partsupp customer orders lineitem; do
        echo "COPY $t FROM '$PWD/$tbl/$t.tbl' (DELIMITER '|', HEADER false, QUOTE '');"
        echo "COPY $t TO '$PWD/$data/$t.parquet' (FORMAT parquet, COMPRESSION $codec);"
    done >> "$tmp/make.sql"
    echo 'SELECT 1' > "$tmp/noop.sql"
    node bench/duckdb-bench.mjs 2 1 "$tmp/make-out" "$tmp/make.sql" "$tmp/noop.sql" > /dev/null
fi
sed -e "s|\${TPCH}|$PWD/$data|" tests/sql/tpch_views_parquet.sql > "$tmp/views.sql"
for t in region nation part supplier partsupp customer orders lineitem; do
    echo "CREATE VIEW $t AS SELECT * FROM read_parquet('$PWD/$data/$t.parquet');"
done > "$tmp/duck.sql"
mkdir -p "$tmp/kiln" "$tmp/duck"
TPCH_NO_CACHE=1 /usr/bin/time -f 'kiln peak RSS %M KB, wall %e s' "$bin/sql_tpch" \
    "$tmp/views.sql" "$queries" "$tmp/kiln" "$runs" | tee "$tmp/kiln.log"
# shellcheck disable=SC2046 # query paths hold no spaces
/usr/bin/time -f 'duckdb peak RSS %M KB, wall %e s' node bench/duckdb-bench.mjs 2 "$runs" \
    "$tmp/duck" "$tmp/duck.sql" $(ls "$queries"/q*.sql) | tee "$tmp/duck.log"
bench/tpch-compare.sh "$tmp"
