#!/bin/bash
# tests/e2e/sql_h2o.sh BIN_DIR [MASTER...] - the 10 H2O group-by questions
# (bench/h2o, kiln's own SQL from bench/h2o/kiln where there is one) run by
# build/bin/sql_h2o on small tables with nulls, each answer compared with
# DuckDB's on the same file (bench/compare_answers.py: rows and values),
# under each master (default local[2] and local-cluster[2,1,256]). Tables:
# 20,000 rows in 10 groups with 5 % nulls in every column; 3,000 rows in
# 3 groups, sorted, no nulls (few large groups, so the medians' partial
# arrays are long); 300,000 rows in 10 groups with 1 % nulls (q10's keys
# are nearly unique: with KILN_TEST_AGG_PASS_ROWS=4096 its partial
# aggregate hands groups on per batch); one
# row; eight rows of edge cases (a constant side of corr, a group of nulls
# only, -0.0). Skips with a reason when node or DuckDB's package
# (../shared/bench/install-peers.sh) is absent.
set -u
bin=$1
shift
masters=("$@")
[ ${#masters[@]} -gt 0 ] || masters=("local[2]" "local-cluster[2,1,256]")
here=$(cd "$(dirname "$0")/../.." && pwd)
peers=${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}
if ! command -v node > /dev/null || [ ! -d "$peers/node_modules/@duckdb/node-api" ]; then
    echo "SKIP: node or @duckdb/node-api in $peers is absent (../shared/bench/install-peers.sh)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/q"
cp "$here"/bench/h2o/groupby-q*.sql "$tmp/q/"
cp "$here"/bench/h2o/kiln/*.sql "$tmp/q/"
"$bin/h2o_gen" -n 20000 -k 10 -na 5 -sorted 0 -o "$tmp/nulls.csv" || exit 1
"$bin/h2o_gen" -n 3000 -k 3 -na 0 -sorted 1 -o "$tmp/few.csv" || exit 1
"$bin/h2o_gen" -n 3e5 -k 10 -na 1 -sorted 0 -o "$tmp/many.csv" || exit 1
head -2 "$tmp/few.csv" > "$tmp/one.csv"
# corr of a constant side (NaN), nulls in the measures, a group of nulls only
cat > "$tmp/edge.csv" <<CSV
id1,id2,id3,id4,id5,id6,v1,v2,v3
id001,id001,id0000000001,1,1,1,3,1,1.5
id001,id001,id0000000001,1,1,1,3,2,2.5
id002,id002,id0000000002,2,2,2,,4,
id002,id002,id0000000002,2,2,2,5,,-0.0
id002,id002,id0000000002,2,2,2,1,5,7.25
id002,id002,id0000000002,2,2,2,4,7,3
id003,id003,id0000000003,3,3,3,,,
id003,id003,id0000000003,3,3,3,,,
CSV
keys() {
    case $1 in 02 | 06 | 09) echo 2 ;; 10) echo 6 ;; *) echo 1 ;; esac
}
failed=0
for data in nulls few many one edge; do
    cat > "$tmp/setup.sql" <<SQL
CREATE TABLE x (id1 VARCHAR, id2 VARCHAR, id3 VARCHAR, id4 INTEGER, id5 INTEGER, id6 INTEGER,
                v1 INTEGER, v2 INTEGER, v3 DOUBLE);
COPY x FROM '$tmp/$data.csv' (HEADER true);
SQL
    rm -rf "$tmp/duck"
    node "$here/bench/duckdb-bench.mjs" 1 1 "$tmp/duck" "$tmp/setup.sql" \
        "$here"/bench/h2o/groupby-q*.sql > "$tmp/duck.log" 2>&1 ||
        { echo "FAIL: DuckDB on $data: $(tail -3 "$tmp/duck.log")"; exit 1; }
    for m in "${masters[@]}"; do
        rm -rf "$tmp/kiln"
        mkdir "$tmp/kiln"
        # partial aggregates decide after 4096 rows whether to hand groups on per batch
        pass=
        [ $data != many ] || pass=4096
        if ! KILN_TEST_AGG_PASS_ROWS=$pass "$bin/sql_h2o" --master "$m" "$tmp/$data.csv" \
            "$tmp/q" "$tmp/kiln" 1 > "$tmp/kiln.log" 2>&1; then
            echo "FAIL: sql_h2o on $data under $m: $(tail -3 "$tmp/kiln.log")"
            failed=1
            continue
        fi
        for q in 01 02 03 04 05 06 07 08 09 10; do
            # DuckDB's corr of one row is NaN, Spark's NULL
            nan=
            [ "$data$q" != one09 ] || nan=--null-is-nan
            if ! out=$(/usr/bin/python3 "$here/bench/compare_answers.py" $nan \
                "$tmp/kiln/groupby-q$q" "$tmp/duck/groupby-q$q.csv" "$(keys $q)"); then
                echo "FAIL: q$q on $data under $m: $out"
                failed=1
            fi
        done
        echo "$data under $m: 10 questions run"
    done
done
[ $failed -eq 0 ] && echo "PASS: H2O group-by answers match DuckDB's"
exit $failed
