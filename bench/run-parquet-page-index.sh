#!/bin/bash
# run-parquet-page-index.sh - page pruning by the Parquet page index:
# lineitem rewritten by kiln sorted by l_shipdate (so each page holds a
# narrow range of dates), then one query selecting one week of
# l_shipdate, timed with parquet.filter.columnindex.enabled true and
# false (`kiln sql`, local[2]) and with DuckDB (node, 2 threads) on the
# same files, RUNS runs each (default 5): each one's median wall time and
# the answers (which must agree).
#
#     SF=1 bench/run-parquet-page-index.sh   # bench/data/tpch-sf1-parquet (run-sql-tpch-parquet.sh)
#
# The sorted copy is made once with `kiln sql` (CREATE TABLE ... USING
# parquet AS SELECT ... ORDER BY l_shipdate, snappy) into
# $DATA/tpch-sf$SF-parquet-kiln-sorted (DATA: bench/data).
set -eu
cd "$(dirname "$0")/.."
sf=${SF:-1}
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
data=${DATA:-bench/data}
case $data in /*) ;; *) data=$PWD/$data ;; esac
src=$data/tpch-sf$sf-parquet/lineitem.parquet
sorted=$data/tpch-sf$sf-parquet-kiln-sorted/lineitem
[ -f "$src" ] || { echo "no $src: run SF=$sf bench/run-sql-tpch-parquet.sh first" >&2; exit 2; }
if [ ! -d "$sorted" ]; then
    "$bin/kiln" sql --master 'local[2]' -e "CREATE TABLE li USING parquet LOCATION '$sorted'
        AS SELECT * FROM parquet.\`$src\` ORDER BY l_shipdate" >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q="SELECT count(*), sum(l_extendedprice), sum(l_quantity), max(l_comment) FROM"
where="WHERE l_shipdate BETWEEN DATE'1995-03-01' AND DATE'1995-03-07'"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for on in true false; do
    sql="SET parquet.filter.columnindex.enabled=$on; $q parquet.\`$sorted\` $where"
    for _ in $(seq "$runs"); do
        t0=$(date +%s%N)
        "$bin/kiln" sql -S --master 'local[2]' -e "$sql" 2>/dev/null | tail -1 > "$tmp/kiln.out"
        echo $((($(date +%s%N) - t0) / 1000000))
    done | median > "$tmp/kiln.ms"
    printf 'kiln, page index %-5s %6s ms  (%s)\n' "$on" "$(cat "$tmp/kiln.ms")" \
        "$(tr '\t' ' ' < "$tmp/kiln.out")"
done
echo "$q read_parquet('$sorted/*.parquet') $where" > "$tmp/week.sql"
echo "SELECT 1" > "$tmp/setup.sql"
node bench/duckdb-bench.mjs 2 "$runs" "$tmp/duck" "$tmp/setup.sql" "$tmp/week.sql" > "$tmp/duck.log"
printf 'duckdb                  %6s ms  (%s)\n' \
    "$(sed -n 's/^week *\([0-9.]*\) ms.*/\1/p' "$tmp/duck.log")" "$(tail -1 "$tmp/duck/week.csv")"
