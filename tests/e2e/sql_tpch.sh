#!/bin/bash
# tests/e2e/sql_tpch.sh BIN_DIR [MASTER...] - the 22 TPC-H queries of
# ../shared/bench/tpch/queries on ../shared/data/tpch-sf0.1 through
# `kiln sql`, each answer compared with the answers DuckDB computed
# (tests/sql/compare_answers.py), under each master (default local[1],
# local[2] and local-cluster[3,1,512]). Skips with a reason when ../shared
# is absent (a user's clone has none). TPCH_FORMAT=parquet reads the tables
# from ../shared/data/tpch-sf0.1/parquet (tests/sql/tpch_views_parquet.sql)
# instead of the .tbl.gz files.
set -u
bin=$1
shift
masters=("$@")
[ ${#masters[@]} -gt 0 ] || masters=("local[1]" "local[2]" "local-cluster[3,1,512]")
here=$(cd "$(dirname "$0")/../.." && pwd)
data=$here/../shared/data/tpch-sf0.1
queries=$here/../shared/bench/tpch/queries
format=${TPCH_FORMAT:-tbl}
if [ ! -d "$data/$format" ] || [ ! -d "$queries" ]; then
    echo "SKIP: $data or $queries is absent (TPC-H data lives outside the repository)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
views=$here/tests/sql/tpch_views.sql
[ "$format" = parquet ] && views=$here/tests/sql/tpch_views_parquet.sql
sed -e "s|\${TPCH}|$data/$format|" -e "s|\${EXT}|.gz|" "$views" > "$tmp/views.sql"
failed=0
for m in "${masters[@]}"; do
    for q in $(seq -w 1 22); do
        if ! "$bin/kiln" sql -S --master "$m" -i "$tmp/views.sql" -f "$queries/q$q.sql" \
            > "$tmp/q$q.tsv" 2> "$tmp/q$q.err"; then
            echo "FAIL: q$q under $m: $(head -c 600 "$tmp/q$q.err")"
            failed=1
            continue
        fi
        if ! out=$(/usr/bin/python3 "$here/tests/sql/compare_answers.py" "$tmp/q$q.tsv" \
            "$data/answers/q$q.csv"); then
            echo "FAIL: q$q under $m: $out"
            failed=1
        fi
    done
    echo "$m: 22 queries run"
done
[ $failed -eq 0 ] && echo "PASS: TPC-H SF0.1 answers match ($format)"
exit $failed
