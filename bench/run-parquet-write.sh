#!/bin/sh
# run-parquet-write.sh - writing TPC-H lineitem as Parquet: kiln's writer
# (bench/parquet_write_bench.c, a table cached in memory, local[2]) against
# DuckDB's COPY ... TO (FORMAT parquet) from an in-memory table (2 threads),
# same codec, in one run: median wall and CPU time of RUNS writes and the
# bytes written. Also checks that DuckDB reads kiln's files back with the
# same row count and sums.
#
#   bench/run-parquet-write.sh                 # SF 0.1 from ../shared/data
#   TBL=bench/data/tpch-sf1/lineitem.tbl bench/run-parquet-write.sh
#   CODEC=zstd RUNS=5 bench/run-parquet-write.sh
set -eu
cd "$(dirname "$0")/.."
tbl=${TBL:-../shared/data/tpch-sf0.1/tbl/lineitem.tbl.gz}
codec=${CODEC:-snappy}
runs=${RUNS:-3}
bin=${KILN_BIN:-build/bin}
[ -f "$tbl" ] || { echo "SKIP: $tbl is absent (bench/tpch_gen -s 1 -o bench/data/tpch-sf1)"; exit 0; }
tbl=$(cd "$(dirname "$tbl")" && pwd)/$(basename "$tbl")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n '/VIEW lineitem/,/;/p' tests/sql/tpch_views.sql |
    sed -e "s|'\${TPCH}/lineitem.tbl\${EXT}'|'$tbl'|" > "$tmp/views.sql"
KILN_MASTER=${KILN_MASTER:-local[2]} "$bin/parquet_write_bench" "$tmp/views.sql" lineitem \
    "$tmp/kiln" "$codec" "$runs" | tee "$tmp/kiln.log"
node bench/parquet-write-duckdb.mjs 2 "$tbl" "$tmp/duck.parquet" "$codec" "$runs" |
    tee "$tmp/duck.log"
sums="SELECT count(*), sum(l_orderkey), sum(l_extendedprice), count(DISTINCT l_comment)"
k=$(node tests/parquet/duck.mjs "$sums FROM read_parquet('$tmp/kiln/*.parquet')")
d=$(node tests/parquet/duck.mjs "$sums FROM read_parquet('$tmp/duck.parquet')")
[ "$k" = "$d" ] || { echo "FAIL: kiln's files read back as $k, DuckDB's as $d"; exit 1; }
echo "read back by DuckDB: $k (same as DuckDB's own file)"
