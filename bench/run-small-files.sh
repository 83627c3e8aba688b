#!/bin/sh
# bench/run-small-files.sh - reading N (10,000) small CSV files: kiln sql
# (local[2]) against DuckDB's read_csv('dir/*.csv') (node +
# @duckdb/node-api from $KILN_PEERS_DIR, skipped when absent), wall and CPU
# time and peak RSS from /usr/bin/time. usage: bench/run-small-files.sh [N]
set -eu
N=${1:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILN=${KILN:-$ROOT/build/bin/kiln}
PEERS=${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}
DIR=$(mktemp -d /tmp/kiln-small-files.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
i=0
while [ $i -lt "$N" ]; do
    printf 'k,v\n%d,%d\n' $i $((i % 97)) > "$DIR/f$(printf %05d $i).csv"
    i=$((i + 1))
done
Q="SELECT count(*), sum(k), sum(v)"
echo "kiln:"
/usr/bin/time -f "  wall %es user %Us sys %Ss maxrss %MKB" "$KILN" sql --master 'local[2]' -e \
    "CREATE TEMPORARY VIEW t USING csv OPTIONS (path '$DIR', header 'true', schema 'k INT, v INT'); $Q FROM t"
if command -v node >/dev/null && [ -d "$PEERS/node_modules/@duckdb/node-api" ]; then
    echo "duckdb:"
    printf "%s FROM read_csv('%s/*.csv')" "$Q" "$DIR" > "$DIR/q.sql"
    mkdir "$DIR/duck" && ln -s "$PEERS/node_modules" "$DIR/duck/node_modules"
    cp "$ROOT/../shared/bench/duckdb-run.mjs" "$DIR/duck/run.mjs"
    /usr/bin/time -f "  wall %es user %Us sys %Ss maxrss %MKB" node "$DIR/duck/run.mjs" 2 "$DIR/q.sql"
else
    echo "duckdb: skipped (node or @duckdb/node-api absent under $PEERS)"
fi
