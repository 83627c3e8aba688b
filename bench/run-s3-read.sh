#!/bin/bash
# run-s3-read.sh - read throughput from an object store against local disk:
# the same CSV file (default ~256 MiB, made by build/bin/sensors_gen) read
# by `kiln sql` from local disk and from s3a:// on an s3rver on loopback
# (tests/peers/objstore.mjs; node and s3rver from
# ${KILN_PEERS_DIR:-~/.cache/kiln-peers}), as SELECT count(*) over the text
# and over the CSV, RUNS times each (default 3), alternating; prints each
# run's wall seconds (the whole `kiln sql` process) and MB/s and the
# medians, and checks that every count is the same.
#
#     make && bench/run-s3-read.sh
#     ROWS=2e6 RUNS=5 bench/run-s3-read.sh
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
rows=${ROWS:-5e6}
bin=${KILN_BIN:-build/bin}
peers=${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}
if ! command -v node >/dev/null || [ ! -d "$peers/node_modules/s3rver" ]; then
    echo "SKIP: node or s3rver missing (npm install s3rver in $peers)"
    exit 0
fi
tmp=$(mktemp -d)
mkfifo "$tmp/in"
node tests/peers/objstore.mjs "$tmp/s3" "$tmp" < "$tmp/in" > "$tmp/ports" &
peer=$!
exec 3>"$tmp/in" # holds the peers' stdin open; closing it stops them
trap 'exec 3>&-; wait $peer 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/local"
"$bin/sensors_gen" -n "$rows" -o "$tmp/local/data.csv" >/dev/null
for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port=$(sed 's/.*"s3":\([0-9]*\).*/\1/' "$tmp/ports")
curl -sf -T "$tmp/local/data.csv" "http://127.0.0.1:$port/kiln/bench/data.csv" >/dev/null
bytes=$(stat -c %s "$tmp/local/data.csv")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "file: $mb MiB, $rows rows; s3rver on 127.0.0.1:$port; $runs runs each"
conf=(--conf "kiln.hadoop.fs.s3a.endpoint=http://127.0.0.1:$port"
      --conf kiln.hadoop.fs.s3a.access.key=S3RVER --conf kiln.hadoop.fs.s3a.secret.key=S3RVER)

# run LABEL FORMAT PATH: one timed count; prints seconds, MB/s, the count.
run() {
    local t0 t1 out
    t0=$(date +%s.%N)
    out=$("$bin/kiln" sql -S --master 'local[2]' "${conf[@]}" \
        -e "SELECT count(*) FROM $2.\`$3\`" 2>/dev/null | tail -1)
    t1=$(date +%s.%N)
    awk -v l="$1" -v a="$t0" -v b="$t1" -v m="$mb" -v c="$out" \
        'BEGIN { printf "%-10s %6.2f s %7.1f MB/s  count %s\n", l, b - a, m / (b - a), c }'
}
for fmt in text csv; do
    for i in $(seq "$runs"); do
        run "local-$fmt" "$fmt" "$tmp/local/data.csv"
        run "s3a-$fmt" "$fmt" "s3a://kiln/bench/data.csv"
    done
done | tee "$tmp/results"
awk '{ if (c0 == "") c0 = $NF; if ($NF != c0) bad = 1; s[$1, ++n[$1]] = $2 }
     END {
         for (k in n) {
             m = n[k]; for (i = 1; i <= m; i++) v[i] = s[k, i]
             for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
             printf "median %-10s %6.2f s\n", k, v[int((m + 1) / 2)]
         }
         if (bad) { print "COUNTS DIFFER"; exit 1 }
     }' "$tmp/results" | sort
