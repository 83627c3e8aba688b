#!/bin/bash
# run-ui-sql-overhead.sh - what watching SQL costs: the 22 TPC-H queries
# read from Parquet (as bench/run-sql-tpch-parquet.sh runs them) with the
# status store, the web UI and the event log on (each query then describes
# its plan, builds its plan graph, and its operators count rows and time
# into accumulators that ride on every task end) against all of them off,
# in paired runs (off, on, off, on, ...) on the same files; then the same
# for 300 tiny queries (a count over the 25-row nation table), where the
# per-query cost of describing an execution shows most.
#
#     make && bench/run-ui-sql-overhead.sh      # SF=1 PAIRS=3
#
# Needs bench/data/tpch-sf$SF-parquet (bench/run-sql-tpch-parquet.sh
# makes it). Prints each pair's totals and the medians' ratio on/off.
set -eu
cd "$(dirname "$0")/.."
sf=${SF:-1}
pairs=${PAIRS:-3}
bin=${KILN_BIN:-build/bin}
queries=${QUERIES:-../shared/bench/tpch/queries}
data=bench/data/tpch-sf$sf-parquet
[ -f "$data/lineitem.parquet" ] || { echo "no $data: run bench/run-sql-tpch-parquet.sh first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|\${TPCH}|$PWD/$data|" tests/sql/tpch_views_parquet.sql > "$tmp/views.sql"
mkdir -p "$tmp/tiny" "$tmp/events"
for i in $(seq 1 22); do echo "SELECT count(*) FROM nation WHERE n_nationkey >= $i" > "$tmp/tiny/q$(printf %02d "$i").sql"; done
off='kiln.ui.enabled=false
kiln.eventLog.enabled=false'
on="kiln.ui.enabled=true
kiln.eventLog.enabled=true
kiln.eventLog.dir=$tmp/events"
one() { # one CONF QUERIES RUNS: "wall-total cpu-total" ms of the medians
    rm -rf "$tmp/out" && mkdir -p "$tmp/out"
    KILN_SUBMIT_CONF="$1" TPCH_NO_CACHE=1 "$bin/sql_tpch" "$tmp/views.sql" "$2" "$tmp/out" "$3" \
        > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
    echo "$(sed -n 's/^total of medians: \([0-9]*\) ms/\1/p' "$tmp/log") $(sed -n 's/^total of cpu medians: \([0-9]*\) ms/\1/p' "$tmp/log")"
}
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
report() { # report NAME
    for k in 1 2; do
        o=$(cut -d' ' -f$k "$tmp/off" | median)
        n=$(cut -d' ' -f$k "$tmp/on" | median)
        what=$([ "$k" = 1 ] && echo wall || echo "CPU")
        echo "$1 median $what: off $o ms, on $n ms, on/off $(awk -v a="$n" -v b="$o" 'BEGIN {printf "%.3f", a / b}')"
    done
}
for suite in tpch tiny; do
    : > "$tmp/off"
    : > "$tmp/on"
    dir=$([ "$suite" = tpch ] && echo "$queries" || echo "$tmp/tiny")
    runs=$([ "$suite" = tpch ] && echo 1 || echo 15) # tiny: 22 x 15 = 330 queries a run
    for i in $(seq "$pairs"); do
        a=$(one "$off" "$dir" "$runs")
        b=$(one "$on" "$dir" "$runs")
        echo "$a" >> "$tmp/off"
        echo "$b" >> "$tmp/on"
        echo "$suite pair $i: off wall/cpu $a ms, on $b ms"
    done
    report "$suite"
done
ls "$tmp/events" | grep -q . || { echo "no event log was written" >&2; exit 1; }
