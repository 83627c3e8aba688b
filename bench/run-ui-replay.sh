#!/bin/sh
# bench/run-ui-replay.sh - the history server's budget (issue 16): the
# event log of an application with 1,000,000 tasks replays into a status
# store in at most 30 s under 300 MB of RSS. Writes the log with
# gen_event_log (plain and zstd-compressed), replays each with
# replay_bench under /usr/bin/time -v, and prints the time and peak RSS.
#
#   bench/run-ui-replay.sh [TASKS]      (from the repository, after make)
set -eu
tasks=${1:-1000000}
bin=build/bin
dir=$(mktemp -d /tmp/kiln-replay.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$bin/gen_event_log" "$dir/app-20270115080000-0000" "$tasks"
zstd -q -3 "$dir/app-20270115080000-0000" -o "$dir/app-20270115080000-0000.zstd"
ls -l "$dir"
for log in "$dir/app-20270115080000-0000" "$dir/app-20270115080000-0000.zstd"; do
    /usr/bin/time -v "$bin/replay_bench" "$log" 2>"$dir/time.txt"
    grep -E "Elapsed|User time|System time|Maximum resident" "$dir/time.txt"
done
