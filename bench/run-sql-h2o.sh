#!/bin/bash
# run-sql-h2o.sh - the 10 H2O db-benchmark group-by questions on a table
# held in memory, kiln (a cached DataFrame, build/bin/sql_h2o) against
# DuckDB (an in-memory table, bench/duckdb-bench.mjs serve), 2 threads
# each, both loaded from the same CSV (one after the other) and kept
# running side by side; each question runs RUNS times (default 5)
# alternately in the two engines (kiln first in odd runs, DuckDB first in
# even ones). Prints both load times (CSV to in-memory table), every run,
# the medians per question (and of kiln's process CPU time), the totals of
# medians and their ratio and both peak RSS, then checks that the answers
# agree (compare_answers.py: rows and values, floats within 1e-9).
#
#     make && bench/run-sql-h2o.sh             # bench/data/G1_1e7_1e2_0_0.csv
#     N=1e6 RUNS=3 bench/run-sql-h2o.sh
#
# The data (N rows, 100 groups, no nulls, unsorted) is made by
# build/bin/h2o_gen when absent. Questions: bench/h2o/groupby-qNN.sql
# (DuckDB's SQL); kiln runs bench/h2o/kiln/NAME.sql instead where one
# exists. QUESTIONS="01 06" runs just those. kiln: --master local[2]
# (KILN_MASTER) with kiln.executor.memory=8g, so the table stays in memory.
set -eu
cd "$(dirname "$0")/.."
n=${N:-1e7}
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
questions=${QUESTIONS:-01 02 03 04 05 06 07 08 09 10}
data=bench/data/G1_${n}_1e2_0_0.csv
mkdir -p bench/data
[ -f "$data" ] || "$bin/h2o_gen" -n "$n" -k 100 -na 0 -sorted 0 -o "$data"
tmp=$(mktemp -d)
kpid= dpid=
cleanup() {
    exec 3>&- 5>&- 2> /dev/null || true
    [ -z "$kpid" ] || kill "$kpid" 2> /dev/null || true
    [ -z "$dpid" ] || kill "$dpid" 2> /dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/q" "$tmp/kiln" "$tmp/duck"
cp bench/h2o/groupby-q*.sql "$tmp/q/"
cp bench/h2o/kiln/*.sql "$tmp/q/" 2> /dev/null || true
cat > "$tmp/setup.sql" <<SQL
CREATE TABLE x (id1 VARCHAR, id2 VARCHAR, id3 VARCHAR, id4 INTEGER, id5 INTEGER, id6 INTEGER,
                v1 INTEGER, v2 INTEGER, v3 DOUBLE);
COPY x FROM '$PWD/$data' (HEADER true);
SQL

# answer FD: the next line from an engine, or exit when it has stopped.
answer() {
    local line
    IFS= read -r line <&"$1" || { echo "an engine stopped (see above)" >&2; exit 1; }
    echo "$line"
}

# The two engines, each reading orders from a FIFO and answering on another,
# loading one after the other.
mkfifo "$tmp/k.in" "$tmp/k.out" "$tmp/d.in" "$tmp/d.out"
/usr/bin/time -f '%M' -o "$tmp/kiln.rss" "$bin/sql_h2o" --master "${KILN_MASTER:-local[2]}" \
    --conf kiln.executor.memory=8g "$data" "$tmp/q" "$tmp/kiln" < "$tmp/k.in" > "$tmp/k.out" &
kpid=$!
exec 3> "$tmp/k.in" 4< "$tmp/k.out"
kload=$(answer 4)
[ "$(answer 4)" = ready ]
/usr/bin/time -f '%M' -o "$tmp/duck.rss" node bench/duckdb-bench.mjs 2 serve "$tmp/duck" \
    "$tmp/setup.sql" < "$tmp/d.in" > "$tmp/d.out" &
dpid=$!
exec 5> "$tmp/d.in" 6< "$tmp/d.out"
dload=$(answer 6)
[ "$(answer 6)" = ready ]
kload_ms=$(echo "$kload" | awk '{print $2}')
dload_ms=$(echo "$dload" | awk '{print $2}')
echo "load (CSV to in-memory table): kiln $kload_ms ms, duckdb $dload_ms ms"

# median of the numbers on stdin
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
kt=0 dt=0
printf '%-12s %10s %10s %7s %9s  %s\n' question kiln_ms duck_ms ratio kiln_cpu \
    'runs (kiln/duckdb ms)'
for q in $questions; do
    name=groupby-q$q
    ks= ds= cs= each=
    for r in $(seq 1 "$runs"); do
        if [ $((r % 2)) -eq 1 ]; then
            echo "$name" >&3
            k=$(answer 4)
            echo "$tmp/q/$name.sql" >&5
            d=$(answer 6)
        else
            echo "$tmp/q/$name.sql" >&5
            d=$(answer 6)
            echo "$name" >&3
            k=$(answer 4)
        fi
        set -- $k
        ks="$ks $2" krows=$3 cs="$cs $4"
        set -- $d
        ds="$ds $2" drows=$3
        each="$each ${ks##* }/${ds##* }"
    done
    km=$(echo $ks | tr ' ' '\n' | median)
    dm=$(echo $ds | tr ' ' '\n' | median)
    cm=$(echo $cs | tr ' ' '\n' | median)
    kt=$(awk "BEGIN {print $kt + $km}")
    dt=$(awk "BEGIN {print $dt + $dm}")
    printf '%-12s %10.1f %10.1f %7.2f %9.0f %s\n' "$name" "$km" "$dm" \
        "$(awk "BEGIN {print $km / $dm}")" "$cm" "$each"
    [ "$krows" = "$drows" ] || echo "$name: kiln $krows rows, duckdb $drows rows"
done
exec 3>&- 5>&-
wait "$kpid" "$dpid" || true
kpid= dpid=
printf 'total of medians: kiln %.0f ms, duckdb %.0f ms, kiln/duckdb %.2f\n' "$kt" "$dt" \
    "$(awk "BEGIN {print $kt / $dt}")"
echo "peak RSS: kiln $(tail -1 "$tmp/kiln.rss") KB, duckdb $(tail -1 "$tmp/duck.rss") KB"

# The answers, question by question (key columns first).
bad=0
keys() {
    case $1 in 02 | 06 | 09) echo 2 ;; 10) echo 6 ;; *) echo 1 ;; esac
}
for q in $questions; do
    name=groupby-q$q
    printf '%s: ' "$name"
    /usr/bin/python3 bench/compare_answers.py "$tmp/kiln/$name" "$tmp/duck/$name.csv" \
        "$(keys "$q")" || bad=1
done
exit $bad
