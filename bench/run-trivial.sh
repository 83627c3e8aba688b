#!/bin/sh
# run-trivial.sh - start-to-exit latency of the smallest kiln program.
#
#     make && bench/run-trivial.sh [TRIVIAL_JOB_ARGS...]
#     bench/run-trivial.sh --master 'local[1]'
#
# Runs build/bin/trivial_job (one context, one count job over 1000 ints)
# RUNS times (default 20), timing each run with `date +%s%N` around it, and
# prints the minimum and the median in milliseconds. Those times include
# starting the second `date`, so the same is measured for /bin/true as a
# baseline: subtract it to get kiln's own cost. Needs GNU date (%N).
# KILN_BIN (default build/bin) says where trivial_job is.
set -eu

cd "$(dirname "$0")/.."
prog=${KILN_BIN:-build/bin}/trivial_job
runs=${RUNS:-20}

if [ ! -x "$prog" ]; then
    echo "run-trivial: $prog is missing; run make first" >&2
    exit 1
fi
case $(date +%N) in
*[!0-9]* | '')
    echo "run-trivial: needs a date that knows %N (GNU coreutils)" >&2
    exit 1
    ;;
esac

# measure COMMAND...: prints "min median" in ms over $runs runs of COMMAND.
measure() {
    list=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s%N)
        if ! "$@"; then
            echo "run-trivial: $* failed" >&2
            exit 1
        fi
        end=$(date +%s%N)
        list="$list $(((end - start) / 1000))" # microseconds
        i=$((i + 1))
    done
    # shellcheck disable=SC2086 # one number per line, split on purpose
    printf '%s\n' $list | sort -n | awk '{ t[NR] = $1 }
        END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
              printf "%.2f %.2f\n", t[1] / 1000, m / 1000 }'
}

kiln=$(measure "$prog" "$@")
base=$(measure /bin/true)
echo "trivial_job, $runs runs:"
echo "$kiln" | awk '{ printf "  kiln trivial_job   min %8.2f ms   median %8.2f ms\n", $1, $2 }'
echo "$base" | awk '{ printf "  /bin/true baseline min %8.2f ms   median %8.2f ms\n", $1, $2 }'
