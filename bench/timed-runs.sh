# shellcheck shell=bash disable=SC2154 # tmp is the sourcing script's
# timed-runs.sh - shell functions for the bench/run-*.sh scripts that time
# whole processes (sourced, not run). They keep their figures in $tmp.
#
# run NAME OUT COMMAND...: one timed run of COMMAND (stdout to OUT),
# appending "seconds rss_kb" to $tmp/NAME; on failure prints its stderr and
# exits.
run() {
    local name=$1 out=$2
    shift 2
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$out" 2> "$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    cat "$tmp/time" >> "$tmp/$name"
    echo "$name: $(cat "$tmp/time") (s, KB)"
}

# median FILE: the median line of "seconds rss_kb" lines (by seconds).
median() { sort -n "$1" | awk '{a[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); print a[i], m[i]}'; }
