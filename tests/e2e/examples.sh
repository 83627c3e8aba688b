#!/bin/sh
# tests/e2e/examples.sh - runs the example programs as a user would and
# checks their output against an independent count made with coreutils/awk:
#   1. wordcount on the bundled book (always), under local[1], local[3] and
#      local-cluster[3,1,256] (three executor processes);
#   2. access_log on ../shared/data/access-logs/apache_logs, when present, and
#      log_analysis_df (the same report with DataFrames) against it, and
#      its report again under local-cluster[3,1,256]
#      (skipped with a printed reason in a clone without ../shared).
# usage: tests/e2e/examples.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: examples.sh BIN_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

# Tokens are runs of non-whitespace bytes split on ASCII whitespace.
tr -s ' \t\n\v\f\r' '\n\n\n\n\n\n' < data/pride-and-prejudice.txt | grep -v '^$' | sort | uniq -c |
    awk '{print $2 "\t" $1}' | sort > "$tmp/expected"
for master in 'local[1]' 'local[3]' 'local-cluster[3,1,256]'; do
    "$bin/wordcount" --master "$master" data/pride-and-prejudice.txt "$tmp/out-$master" 2>/dev/null
    test -f "$tmp/out-$master/_SUCCESS" || { echo "FAIL: no _SUCCESS ($master)"; exit 1; }
    cat "$tmp/out-$master"/part-* | sort > "$tmp/got"
    cmp -s "$tmp/got" "$tmp/expected" || { echo "FAIL: wordcount differs ($master)"; exit 1; }
done
echo "ok: wordcount matches coreutils ($(wc -l < "$tmp/expected") distinct words)"

# A failed job (existing output) leaves the directory as it was.
before=$(ls "$tmp/out-local[1]" | tr '\n' ' ')
if "$bin/wordcount" data/pride-and-prejudice.txt "$tmp/out-local[1]" 2>"$tmp/err"; then
    echo "FAIL: wordcount overwrote an existing output directory"; exit 1
fi
grep -q "already exists" "$tmp/err" || { echo "FAIL: unclear error: $(cat "$tmp/err")"; exit 1; }
test "$(ls "$tmp/out-local[1]" | tr '\n' ' ')" = "$before" || { echo "FAIL: output changed"; exit 1; }
echo "ok: existing output directory refused and untouched"

# teragen refuses a size it cannot honour (a sign, an overflow) by name,
# writing nothing, rather than taking "-1g" as 2^64 - 1 and filling the disk.
for size in -1g +1g 99999999999999999999 9000000000g ' 1g'; do
    if timeout 10 "$bin/teragen" "$size" "$tmp/tera" 2>"$tmp/err"; then
        echo "FAIL: teragen accepted size '$size'"; exit 1
    fi
    grep -qF -- "'$size'" "$tmp/err" || { echo "FAIL: teragen '$size': unclear error: $(cat "$tmp/err")"; exit 1; }
    test ! -e "$tmp/tera" || { echo "FAIL: teragen '$size' wrote $tmp/tera"; exit 1; }
done
"$bin/teragen" 1k "$tmp/tera" 2>/dev/null && test "$(wc -c < "$tmp/tera")" -eq 1000 ||
    { echo "FAIL: teragen 1k"; exit 1; }
echo "ok: teragen refuses negative and overflowing sizes by name"

log=../shared/data/access-logs/apache_logs
if [ ! -f "$log" ]; then
    echo "skip: access_log check: $log is absent (a clone without ../shared)"
    exit 0
fi
"$bin/access_log" --master 'local[2]' "$log" "$tmp/status" > "$tmp/report"
cat "$tmp/status"/part-* | tr -d '()' | tr ',' '\t' | sort > "$tmp/got-status"
awk '{print $9}' "$log" | sort | uniq -c | awk '{print $2 "\t" $1}' | sort > "$tmp/exp-status"
cmp -s "$tmp/got-status" "$tmp/exp-status" || {
    echo "FAIL: access_log status counts differ"; diff "$tmp/got-status" "$tmp/exp-status"; exit 1; }
echo "ok: access_log status counts match awk ($(wc -l < "$tmp/exp-status") codes)"

# The whole report (counts, top endpoints, 404s per day, malformed lines
# counted by an accumulator) is the same from three executor processes.
"$bin/access_log" --master 'local[2]' "$log" > "$tmp/report-local"
"$bin/access_log" --master 'local-cluster[3,1,256]' "$log" > "$tmp/report-cluster"
cmp -s "$tmp/report-local" "$tmp/report-cluster" || {
    echo "FAIL: access_log under local-cluster differs"; diff "$tmp/report-local" "$tmp/report-cluster"; exit 1; }
echo "ok: access_log under local-cluster[3,1,256] prints the same report"

# The DataFrame version of the log lab (regexp_extract, groupBy, orderBy,
# to_date) prints the same report as the RDD one, also from executors.
for master in 'local[2]' 'local-cluster[3,1,256]'; do
    "$bin/log_analysis_df" --master "$master" "$log" > "$tmp/df-report"
    tail -n +2 "$tmp/df-report" | tr -s ' ' > "$tmp/df-got"
    tail -n +2 "$tmp/report-local" | tr -s ' ' > "$tmp/df-want"
    cmp -s "$tmp/df-got" "$tmp/df-want" || {
        echo "FAIL: log_analysis_df ($master) differs from access_log"
        diff "$tmp/df-got" "$tmp/df-want"; exit 1; }
done
echo "ok: log_analysis_df (DataFrames) prints access_log's report, local and local-cluster"
