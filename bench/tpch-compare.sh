#!/bin/sh
# tpch-compare.sh - the end of bench/run-sql-tpch*.sh: checks that kiln's
# and DuckDB's answers to the 22 TPC-H queries have the same row counts and
# prints both suites' totals of medians and their ratio.
#
#     bench/tpch-compare.sh DIR    # DIR/kiln/qNN.tsv, DIR/duck/qNN.csv, DIR/{kiln,duck}.log
#
# Exits 1 when a row count differs.
set -eu
dir=$1
bad=0
for q in $(seq -w 1 22); do
    k=$(wc -l < "$dir/kiln/q$q.tsv")
    d=$(($(wc -l < "$dir/duck/q$q.csv") - 1))
    [ "$k" -eq "$d" ] || { echo "q$q: kiln $k rows, duckdb $d rows"; bad=1; }
done
kt=$(sed -n 's/^total of medians: \([0-9]*\) ms/\1/p' "$dir/kiln.log")
dt=$(sed -n 's/^total of medians \([0-9]*\) ms.*/\1/p' "$dir/duck.log")
echo "total of medians: kiln $kt ms, duckdb $dt ms, kiln/duckdb $(awk "BEGIN {printf \"%.2f\", $kt / $dt}")"
exit $bad
