#!/bin/bash
# run-ui-overhead.sh - what watching a job costs: the word count with the
# status store, the web UI (kiln.ui.enabled, the default) and the event log
# (kiln.eventLog.enabled=true) on, against all of them off, in paired runs
# (off, on, off, on, ... so both see the same machine), on the same text.
#
#     make && bench/run-ui-overhead.sh          # SIZE=64m RUNS=7
#
# Prints each pair's wall and user CPU seconds, then the medians and the
# ratio on/off (issue 16's budget: at most 1.03). The progress bar draws
# only on a terminal; run it from one to include it.
set -eu
cd "$(dirname "$0")/.."
size=${SIZE:-64m}
runs=${RUNS:-7}
bin=${KILN_BIN:-build/bin}
data=bench/data/text-$size.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$data" ] || { mkdir -p bench/data && "$bin/gen_text" "$size" "$data" > /dev/null; }
off='kiln.ui.enabled=false
kiln.eventLog.enabled=false'
on="kiln.ui.enabled=true
kiln.eventLog.enabled=true
kiln.eventLog.dir=$tmp/events"
mkdir -p "$tmp/events"
one() { # one MODE CONF: a run's "wall user" seconds
    rm -rf "$tmp/out"
    KILN_SUBMIT_CONF="$2" /usr/bin/time -f '%e %U' -o "$tmp/time" \
        "$bin/wordcount" --master 'local[2]' "$data" "$tmp/out" > /dev/null 2> "$tmp/err-$1" ||
        { cat "$tmp/err-$1" >&2; exit 1; }
    cat "$tmp/time"
}
: > "$tmp/off"
: > "$tmp/on"
for i in $(seq "$runs"); do
    a=$(one off "$off")
    b=$(one on "$on")
    echo "$a" >> "$tmp/off"
    echo "$b" >> "$tmp/on"
    echo "pair $i: off wall/user $a s, on $b s"
done
ls "$tmp/events" | grep -q . || { echo "no event log was written" >&2; exit 1; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for k in 1 2; do
    o=$(cut -d' ' -f$k "$tmp/off" | median)
    n=$(cut -d' ' -f$k "$tmp/on" | median)
    what=$([ "$k" = 1 ] && echo wall || echo "user CPU")
    echo "median $what: off $o s, on $n s, on/off $(awk -v a="$n" -v b="$o" 'BEGIN {printf "%.3f", a / b}')"
done
