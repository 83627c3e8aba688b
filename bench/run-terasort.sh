#!/bin/sh
# run-terasort.sh - kiln's terasort against coreutils sort on the same records.
#
#     make && bench/run-terasort.sh            # 2 GiB, kiln.executor.memory=256m
#     SIZE=256m BUDGET=64m bench/run-terasort.sh
#
# Generates bench/data/tera-SIZE.txt with build/bin/teragen if absent, then
# runs under /usr/bin/time -v:
#   kiln       build/bin/terasort --master 'local[2]' --conf kiln.executor.memory=BUDGET IN DIR
#   coreutils  LC_ALL=C sort --parallel=2 -S BUDGET -T TMP -o OUT IN
# checks that kiln's part files, concatenated, are byte-identical to
# coreutils' output (so sorted and complete), and prints wall seconds and
# peak RSS. Scratch goes to TMPDIR (default /tmp) and is removed.
set -eu
cd "$(dirname "$0")/.."
size=${SIZE:-2g}
budget=${BUDGET:-256m}
in=bench/data/tera-$size.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-terasort-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/data
[ -f "$in" ] || build/bin/teragen "$size" "$in"

measure() { # name, command...: prints "wall_s peak_mb"
    name=$1; shift
    /usr/bin/time -v "$@" 2>"$tmp/$name.time" >/dev/null || { cat "$tmp/$name.time"; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                                           for (i = 1; i <= n; i++) s = s * 60 + t[i] }
                /Maximum resident set size/ { kb = $2 }
                END { printf "%.2f %.0f\n", s, kb / 1024 }' "$tmp/$name.time"
}

k=$(measure kiln build/bin/terasort --master 'local[2]' --conf "kiln.executor.memory=$budget" \
    "$in" "$tmp/kiln-out")
c=$(measure coreutils env LC_ALL=C sort --parallel=2 -S "$budget" -T "$tmp" -o "$tmp/sorted" "$in")
cat "$tmp"/kiln-out/part-* | cmp -s - "$tmp/sorted" || { echo "kiln's output differs"; exit 1; }

echo "sort of $in ($(wc -c < "$in") bytes), budget $budget, 2 cores; outputs identical"
printf '%-10s %8s %12s\n' system "wall s" "peak RSS MB"
echo "$k" | awk '{ printf "%-10s %8s %12s\n", "kiln", $1, $2 }'
echo "$c" | awk '{ printf "%-10s %8s %12s\n", "coreutils", $1, $2 }'
