#!/bin/sh
# run-python-wordcount.sh - word count in Python on kiln against the same job
# in C on kiln, in Dask and in plain Python, on the same text, in one run
# (issue 14's figures).
#
#     make && bench/run-python-wordcount.sh
#
# Runs each under /usr/bin/time -v, RUNS times in turn (A, B, C, ... A, B,
# C, ...), and prints the median wall seconds, CPU seconds and peak RSS of
# each with its ratio to the C job's wall time; every output is compared
# with the C job's (sorted `word<TAB>count` lines):
#   c          build/bin/wordcount --master local[2] IN OUT
#   py-rdd     python/examples/wordcount.py IN OUT --master local[2]
#              (flatMap(lambda l: l.split()).map(lambda w: (w, 1))
#               .reduceByKey(operator.add): recognised, runs in C)
#   py-df      python/examples/wordcount_df.py IN OUT --master local[2]
#              (split, explode, groupBy().count(); skipped without kiln.sql)
#   py-lambdas python/examples/wordcount.py IN OUT --master local[2] --lambdas
#              (functions kiln does not recognise: every word through Python,
#               on two worker processes)
#   dask       ../shared/bench/wordcount-dask.py IN OUT (2 processes)
#   python     ../shared/bench/wordcount-python.py IN OUT (one process)
#
# Environment: SIZE (256m) picks bench/data/text-SIZE.txt (generated with
# build/bin/gen_text when absent); RUNS (1); ONLY (space-separated names)
# runs a subset; PEERS_DIR (../shared/bench).
set -eu

cd "$(dirname "$0")/.."
size=${SIZE:-256m}
runs=${RUNS:-1}
peers=${PEERS_DIR:-../shared/bench}
data=bench/data/text-$size.txt
py=/usr/bin/python3
export PYTHONPATH=$PWD/build/python

for prog in build/bin/wordcount build/bin/gen_text /usr/bin/time; do
    [ -x "$prog" ] || { echo "run-python-wordcount: $prog is missing" >&2; exit 1; }
done
[ -d build/python/kiln ] || { echo "run-python-wordcount: build/python is missing (make)" >&2; exit 1; }
if [ ! -f "$data" ]; then
    mkdir -p bench/data
    build/bin/gen_text "$size" "$data.tmp" 1
    mv "$data.tmp" "$data"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-pywc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

names="c py-rdd py-df py-lambdas dask python"
[ -n "${ONLY:-}" ] && names=$ONLY

# command NAME OUT: the command line of NAME writing to OUT (a directory for
# kiln's jobs, a file for the peers), or nothing when NAME cannot run here.
command_of() {
    case $1 in
    c) echo "build/bin/wordcount --master local[2] $data $2" ;;
    py-rdd) echo "$py python/examples/wordcount.py $data $2 --master local[2]" ;;
    py-df) $py -c 'import kiln.sql' 2>/dev/null &&
        echo "$py python/examples/wordcount_df.py $data $2 --master local[2]" ;;
    py-lambdas) echo "$py python/examples/wordcount.py $data $2 --master local[2] --lambdas" ;;
    dask) $py -c 'import dask.bag' 2>/dev/null && [ -f "$peers/wordcount-dask.py" ] &&
        echo "$py $peers/wordcount-dask.py $data $2" ;;
    python) [ -f "$peers/wordcount-python.py" ] && echo "$py $peers/wordcount-python.py $data $2" ;;
    esac
}

field() { # field FILE "Label": the value after "Label: " in /usr/bin/time -v output
    awk -F': ' -v l="$2" 'index($0, l) { print $2 }' "$1"
}
seconds() { # "1:02.34" -> 62.34
    echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}

i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    for n in $names; do
        out=$tmp/$n.out
        rm -rf "$out"
        cmd=$(command_of "$n" "$out") || true
        [ -n "$cmd" ] || continue
        echo "run $i: $n" >&2
        # shellcheck disable=SC2086 # the command's words
        if ! /usr/bin/time -v -o "$tmp/$n.time.$i" $cmd >"$tmp/$n.log" 2>&1; then
            echo "run-python-wordcount: $n failed:" >&2
            tail -n 20 "$tmp/$n.log" >&2
            exit 1
        fi
        if [ -d "$out" ]; then cat "$out"/part-*; else cat "$out"; fi | LC_ALL=C sort >"$tmp/$n.sorted"
        t=$tmp/$n.time.$i
        wall=$(seconds "$(field "$t" "Elapsed (wall clock)")")
        cpu=$(awk -v u="$(field "$t" "User time")" -v s="$(field "$t" "System time")" \
            'BEGIN { printf "%.2f", u + s }')
        rss=$(awk -v k="$(field "$t" "Maximum resident set size")" 'BEGIN { printf "%.0f", k / 1024 }')
        echo "$wall $cpu $rss" >>"$tmp/$n.rows"
    done
done

median() { # column N of FILE, median
    cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo
echo "word count of $data ($(wc -c <"$data") bytes), $(nproc) cores, median of $runs run(s)"
printf '%-11s %8s %8s %12s %8s  %s\n' system "wall s" "CPU s" "peak RSS MB" "x C" output
c_wall=""
[ -f "$tmp/c.rows" ] && c_wall=$(median "$tmp/c.rows" 1)
status=0
for n in $names; do
    if [ ! -f "$tmp/$n.rows" ]; then
        printf '%-11s %8s %8s %12s %8s  %s\n' "$n" - - - - "skipped (not installed here)"
        continue
    fi
    wall=$(median "$tmp/$n.rows" 1)
    ratio=-
    [ -n "$c_wall" ] && ratio=$(awk -v a="$wall" -v b="$c_wall" 'BEGIN { printf "%.2f", a / b }')
    same="same as C"
    if [ -f "$tmp/c.sorted" ] && ! cmp -s "$tmp/c.sorted" "$tmp/$n.sorted"; then
        same="DIFFERS from C"
        status=1
    fi
    printf '%-11s %8s %8s %12s %8s  %s\n' "$n" "$wall" "$(median "$tmp/$n.rows" 2)" \
        "$(median "$tmp/$n.rows" 3)" "$ratio" "$same"
done
exit $status
