#!/bin/sh
# run-wordcount.sh - kiln's word count side by side with DuckDB's and Dask's,
# on the same 256 MiB of generated text, in one run.
#
#     make && bench/run-wordcount.sh
#
# Generates bench/data/text-256m.txt with build/bin/gen_text if it is absent
# (bench/data/ is git-ignored), then runs each system under /usr/bin/time -v:
#   kiln    build/bin/wordcount --master 'local[2]' IN OUTDIR
#   duckdb  ../shared/bench/wordcount-duckdb.sh IN OUT 2   (2 threads)
#   dask    ../shared/bench/wordcount-dask.py IN OUT       (2 worker processes)
# checks that each peer's word counts equal kiln's (both sorted), and prints
# wall seconds, peak RSS and the ratio of each wall time to kiln's. A peer
# that is not installed is skipped with the reason (see
# ../shared/bench/install-peers.sh; this script installs nothing).
#
# Environment: SIZE (default 256m) picks the input, bench/data/text-SIZE.txt;
# KILN_BIN (default build/bin) the kiln programs; PEERS_DIR (default
# ../shared/bench) the peer scripts; KILN_PEERS_DIR as for those scripts.
# Exit status: 0 when everything that ran succeeded and agreed, else 1.
set -eu

cd "$(dirname "$0")/.."
size=${SIZE:-256m}
bin=${KILN_BIN:-build/bin}
peers=${PEERS_DIR:-../shared/bench}
peer_modules=${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}/node_modules/@duckdb/node-api
data=bench/data/text-$size.txt

for prog in "$bin/wordcount" "$bin/gen_text"; do
    if [ ! -x "$prog" ]; then
        echo "run-wordcount: $prog is missing; run make first" >&2
        exit 1
    fi
done
if [ ! -x /usr/bin/time ]; then
    echo "run-wordcount: needs GNU time as /usr/bin/time (Debian package 'time')" >&2
    exit 1
fi

if [ ! -f "$data" ]; then
    mkdir -p bench/data
    "$bin/gen_text" "$size" "$data.tmp" 1
    mv "$data.tmp" "$data"
fi
input=$(cd "$(dirname "$data")" && pwd)/$(basename "$data") # peers may run elsewhere

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-wordcount.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# run NAME COMMAND...: runs COMMAND under /usr/bin/time -v, its output in
# $tmp/NAME.log and the measurements in $tmp/NAME.time.
run() {
    name=$1
    shift
    echo "running $name..." >&2
    if /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.log" 2>&1; then
        return 0
    fi
    echo "run-wordcount: $name failed; the end of its output:" >&2
    tail -n 20 "$tmp/$name.log" >&2
    return 1
}

# "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34" -> 62.34
wall_seconds() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, part, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + part[i]
        printf "%.2f", s }' "$1"
}

# "Maximum resident set size (kbytes): 524288" -> 512
peak_mb() {
    awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"
}

row() {
    printf '%-8s %10s %13s %10s  %s\n' "$1" "$2" "$3" "$4" "$5"
}

status=0
table=$tmp/table

if ! run kiln "$bin/wordcount" --master 'local[2]' "$input" "$tmp/kiln-out"; then
    exit 1
fi
cat "$tmp/kiln-out"/part-* | LC_ALL=C sort >"$tmp/kiln.sorted"
kiln_wall=$(wall_seconds "$tmp/kiln.time")
row kiln "$kiln_wall" "$(peak_mb "$tmp/kiln.time")" 1.00 "$(wc -l <"$tmp/kiln.sorted") distinct words" \
    >"$table"

# peer NAME: compares and tabulates a peer that wrote $tmp/NAME.out.
peer() {
    LC_ALL=C sort "$tmp/$1.out" >"$tmp/$1.sorted"
    if cmp -s "$tmp/kiln.sorted" "$tmp/$1.sorted"; then
        same="same output as kiln"
    else
        same="OUTPUT DIFFERS from kiln's"
        status=1
        echo "run-wordcount: $1's word counts differ from kiln's (< kiln, > $1):" >&2
        diff "$tmp/kiln.sorted" "$tmp/$1.sorted" | head -n 10 >&2
    fi
    wall=$(wall_seconds "$tmp/$1.time")
    ratio=$(awk -v p="$wall" -v k="$kiln_wall" \
        'BEGIN { if (k > 0) printf "%.2f", p / k; else print "-" }')
    row "$1" "$wall" "$(peak_mb "$tmp/$1.time")" "$ratio" "$same" >>"$table"
}

skip() {
    row "$1" - - - "skipped: $2" >>"$table"
}

if [ ! -d "$peers" ]; then
    skip duckdb "no peer scripts at $peers"
    skip dask "no peer scripts at $peers"
else
    if ! command -v node >/dev/null 2>&1 || [ ! -d "$peer_modules" ]; then
        skip duckdb "not installed (run $peers/install-peers.sh)"
    elif run duckdb "$peers/wordcount-duckdb.sh" "$input" "$tmp/duckdb.out" 2; then
        peer duckdb
    else
        row duckdb - - - "FAILED (the end of its output is above)" >>"$table"
        status=1
    fi

    if ! /usr/bin/python3 -c 'import dask.bag' >/dev/null 2>&1; then
        skip dask "not installed (run $peers/install-peers.sh)"
    elif run dask /usr/bin/python3 "$peers/wordcount-dask.py" "$input" "$tmp/dask.out"; then
        peer dask
    else
        row dask - - - "FAILED (the end of its output is above)" >>"$table"
        status=1
    fi
fi

echo
echo "word count of $data ($(wc -c <"$input") bytes), $(nproc 2>/dev/null || echo '?') cores"
row system "wall s" "peak RSS MB" "x kiln" ""
cat "$table"
echo "(peak RSS is that of the largest single process, as /usr/bin/time reports it)"
exit $status
