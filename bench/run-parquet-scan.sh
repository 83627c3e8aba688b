#!/bin/bash
# run-parquet-scan.sh - scanning lineitem from Parquet: kiln (`kiln sql`,
# local[2]) against DuckDB (node, 2 threads) on the same files, the file
# DuckDB wrote and the file kiln wrote, RUNS runs each (default 5), one
# query reading five columns (two decimals, a date, a dictionary string,
# an int) and one reading all sixteen; prints each engine's median wall
# time and the answers (which must agree).
#
#     SF=1 bench/run-parquet-scan.sh      # bench/data/tpch-sf1-parquet (run-sql-tpch-parquet.sh)
#
# The kiln-written copy is made once with `kiln sql` (CREATE TABLE ... USING
# parquet AS SELECT, snappy) into bench/data/tpch-sf$SF-parquet-kiln.
set -eu
cd "$(dirname "$0")/.."
sf=${SF:-1}
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
duck=bench/data/tpch-sf$sf-parquet/lineitem.parquet
mine=bench/data/tpch-sf$sf-parquet-kiln/lineitem
[ -f "$duck" ] || { echo "no $duck: run SF=$sf bench/run-sql-tpch-parquet.sh first" >&2; exit 2; }
if [ ! -d "$mine" ]; then
    "$bin/kiln" sql --master 'local[2]' -e "CREATE TABLE li USING parquet LOCATION '$PWD/$mine'
        AS SELECT * FROM parquet.\`$PWD/$duck\`" >/dev/null 2>&1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q5="SELECT sum(l_extendedprice), sum(l_quantity), count(*), max(l_shipdate), count(DISTINCT l_shipmode) FROM"
q16="SELECT count(*), sum(l_orderkey), sum(l_partkey), sum(l_suppkey), sum(l_linenumber), sum(l_quantity), sum(l_extendedprice), sum(l_discount), sum(l_tax), max(l_returnflag), max(l_linestatus), max(l_shipdate), max(l_commitdate), max(l_receiptdate), max(l_shipinstruct), max(l_shipmode), max(l_comment) FROM"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for file in "$duck" "$mine"; do
    for q in q5 q16; do
        sql="${!q} parquet.\`$PWD/$file\`"
        for _ in $(seq "$runs"); do
            t0=$(date +%s%N)
            "$bin/kiln" sql -S --master 'local[2]' -e "$sql" 2>/dev/null | tail -1 > "$tmp/kiln.out"
            echo $((($(date +%s%N) - t0) / 1000000))
        done | median > "$tmp/kiln.ms"
        dfile=$file
        [ -d "$file" ] && dfile="$file/*.parquet"
        echo "${!q} read_parquet('$PWD/$dfile')" > "$tmp/$q.sql"
        echo "SELECT 1" > "$tmp/setup.sql"
        node bench/duckdb-bench.mjs 2 "$runs" "$tmp/duck" "$tmp/setup.sql" "$tmp/$q.sql" > "$tmp/duck.log"
        dms=$(sed -n "s/^$q *\([0-9.]*\) ms.*/\1/p" "$tmp/duck.log")
        printf '%-60s %s  kiln %5s ms  duckdb %7s ms  (%s)\n' "$file" "$q" "$(cat "$tmp/kiln.ms")" \
            "$dms" "$(tr '\t' ' ' < "$tmp/kiln.out")"
        tail -1 "$tmp/duck/$q.csv" | sed 's/^/    duckdb: /'
    done
done
