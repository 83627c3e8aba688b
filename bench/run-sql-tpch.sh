#!/bin/bash
# run-sql-tpch.sh - the 22 TPC-H queries on tables held in memory, kiln
# (cached DataFrames, build/bin/sql_tpch) against DuckDB (in-memory tables,
# bench/tpch-duckdb.sh), 2 threads each, RUNS runs per query (default 5),
# one suite after the other; prints both suites' medians per query, the
# totals and their ratio, and checks each query's row count agrees.
#
#     make && bench/run-sql-tpch.sh            # SF=1: bench/data/tpch-sf1
#     SF=0.1 RUNS=3 bench/run-sql-tpch.sh
#
# The data is made by build/bin/tpch_gen when absent. Queries:
# ../shared/bench/tpch/queries (QUERIES=DIR). kiln's master: KILN_MASTER
# (default local[2]); its kiln.executor.memory: KILN_MEMORY (default 4g, so
# that the cached tables stay in memory as DuckDB's do; 256m runs the
# suite under a small budget, the cache spilling to disk); its
# kiln.executor.memory.retain: KILN_RETAIN (default: kiln's, a quarter of
# the budget kept for the next query, as DuckDB's buffer manager and a JVM
# heap do; 0 gives freed memory back to the system at once).
set -eu
cd "$(dirname "$0")/.."
sf=${SF:-1}
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
queries=${QUERIES:-../shared/bench/tpch/queries}
data=bench/data/tpch-sf$sf
[ -f "$data/lineitem.tbl" ] || { mkdir -p "$data" && "$bin/tpch_gen" -s "$sf" -o "$data"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|\${TPCH}|$PWD/$data|" -e "s|\${EXT}||" tests/sql/tpch_views.sql > "$tmp/views.sql"
mkdir -p "$tmp/kiln" "$tmp/duck"
/usr/bin/time -f 'kiln peak RSS %M KB, wall %e s' "$bin/sql_tpch" \
    --conf "kiln.executor.memory=${KILN_MEMORY:-4g}" \
    ${KILN_RETAIN:+--conf "kiln.executor.memory.retain=$KILN_RETAIN"} "$tmp/views.sql" "$queries" \
    "$tmp/kiln" "$runs" | tee "$tmp/kiln.log"
QUERIES=$PWD/$queries /usr/bin/time -f 'duckdb peak RSS %M KB, wall %e s' \
    bench/tpch-duckdb.sh "$data" 2 "$runs" "$tmp/duck" | tee "$tmp/duck.log"
bench/tpch-compare.sh "$tmp"
