#!/bin/sh
# tests/e2e/examples.sh - runs the example programs as a user would and
# checks their output against an independent count made with coreutils/awk:
#   1. wordcount on the bundled book (always), under local[1], local[3] and
#      local-cluster[3,1,256] (three executor processes);
#   2. access_log on ../shared/data/access-logs/apache_logs, when present, and
#      log_analysis_df (the same report with DataFrames) against it, and
#      its report again under local-cluster[3,1,256];
#   3. sensors (SQL and DataFrames, which it checks agree) on the IoT
#      room-climate data against Python; movielens against sqlite3;
#      wordcount_df (split + explode + groupBy().count()) against wordcount
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

# Hourly min / avg / max per sensor, in SQL and with DataFrames (the program
# checks both agree), against Python over the same CSV files.
iot=../shared/data/iot-room-climate/datasets-location_A
if [ ! -d "$iot" ]; then
    echo "skip: sensors check: $iot is absent (a clone without ../shared)"
elif ! command -v python3 >/dev/null; then
    echo "skip: sensors check: no python3 for the reference"
else
    for master in 'local[2]' 'local-cluster[2,1,256]'; do
        "$bin/sensors" --master "$master" "$iot" > "$tmp/sensors" 2>"$tmp/err" || {
            echo "FAIL: sensors ($master): $(cat "$tmp/err")"; exit 1; }
        python3 - "$iot" "$tmp/sensors" <<'EOF' || exit 1
import sys, os, glob, datetime
g = {}
for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.csv'))):
    for line in open(p):
        f = [x.strip() for x in line.split(',')]
        if len(f) < 5 or f[4] == '':
            continue
        node, ms, t = int(f[3]), int(f[1]), float(f[4])
        h = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
        k = (node, h.strftime('%Y-%m-%d %H:00'))
        e = g.setdefault(k, [t, t, 0.0, 0])
        e[0], e[1], e[2], e[3] = min(e[0], t), max(e[1], t), e[2] + t, e[3] + 1
got = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])]
want = sorted(g)
if len(got) != len(want):
    sys.exit('FAIL: sensors: %d rows, Python %d' % (len(got), len(want)))
for r, k in zip(got, want):
    mn, mx, s, n = g[k]
    if ((int(r[0]), r[1]) != k or r[2] != '%.2f' % mn or r[4] != '%.2f' % mx or
            int(r[5]) != n or abs(float(r[3]) - s / n) > 1e-5):
        sys.exit('FAIL: sensors row %s, Python %s %.2f %.6f %.2f %d' % (r, k, mn, s / n, mx, n))
EOF
    done
    echo "ok: sensors (SQL = DataFrames) matches Python ($(wc -l < "$tmp/sensors") node-hours), local and local-cluster"
fi

# The 20 best rated films with at least 100 ratings, against sqlite3.
ml=../shared/data/movielens-latest-small
if [ ! -f "$ml/ratings.csv" ]; then
    echo "skip: movielens check: $ml is absent (a clone without ../shared)"
elif ! command -v sqlite3 >/dev/null; then
    echo "skip: movielens check: no sqlite3 for the reference"
else
    "$bin/movielens" --master 'local[2]' "$ml" > "$tmp/movielens"
    sqlite3 :memory: ".import --csv $ml/ratings.csv ratings" ".import --csv $ml/movies.csv movies" \
        ".mode tabs" "SELECT CAST(r.movieId AS INT), m.title, printf('%.4f', r.average), r.n
          FROM (SELECT movieId, avg(CAST(rating AS REAL)) AS average, count(*) AS n
                FROM ratings GROUP BY movieId HAVING count(*) >= 100) r
          JOIN movies m ON m.movieId = r.movieId
          ORDER BY r.average DESC, CAST(r.movieId AS INT) LIMIT 20" > "$tmp/movielens-want"
    test "$(wc -l < "$tmp/movielens-want")" -eq 20 || { echo "FAIL: sqlite3 reference"; exit 1; }
    cmp -s "$tmp/movielens" "$tmp/movielens-want" || {
        echo "FAIL: movielens differs from sqlite3"; diff "$tmp/movielens" "$tmp/movielens-want"; exit 1; }
    echo "ok: movielens top 20 matches sqlite3"
fi

# Word count with split + explode + groupBy().count() against the RDD one.
book=../shared/data/gutenberg/pg1342.txt
if [ ! -f "$book" ]; then
    echo "skip: wordcount_df check: $book is absent (a clone without ../shared)"
elif ! "$bin/wordcount_df" --master 'local[2]' "$book" > "$tmp/wc-df" 2>"$tmp/err"; then
    if grep -q 'UNRESOLVED_ROUTINE.*explode' "$tmp/err"; then
        echo "skip: wordcount_df check: explode in a select list is not supported yet"
    else
        echo "FAIL: wordcount_df: $(cat "$tmp/err")"; exit 1
    fi
else
    "$bin/wordcount" --master 'local[2]' "$book" "$tmp/wc-rdd" 2>/dev/null
    cat "$tmp/wc-rdd"/part-* | sort > "$tmp/wc-rdd-sorted"
    sort "$tmp/wc-df" > "$tmp/wc-df-sorted"
    cmp -s "$tmp/wc-df-sorted" "$tmp/wc-rdd-sorted" || {
        echo "FAIL: wordcount_df differs from wordcount"
        diff "$tmp/wc-df-sorted" "$tmp/wc-rdd-sorted" | head; exit 1; }
    echo "ok: wordcount_df (explode) matches wordcount ($(wc -l < "$tmp/wc-df") words)"
fi

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
