#!/bin/bash
# run-sql-sensors.sh - hourly aggregates per sensor straight from a CSV
# (count, avg/min/max temperature, avg humidity, grouped by sensor and
# hour), kiln against DuckDB on the same file, 2 threads each, run
# alternately RUNS times (default 5); prints every run's wall seconds and
# peak RSS, the medians and their ratio, and checks that the answers agree.
#
#     make && bench/run-sql-sensors.sh
#     ROWS=1e6 RUNS=3 bench/run-sql-sensors.sh
#
# The input, bench/data/sensors-ROWS.csv (ROWS default 1e7: ts,sensor,
# temperature,humidity, 50 readings a second, 1,000 sensors), is made by
# build/bin/sensors_gen when absent. kiln: `kiln sql --master local[2]`
# with the view typed by a schema; DuckDB: ../shared/bench/sensors-duckdb.sh
# (read_csv with its sniffer, COPY of the result to a CSV file).
set -eu
cd "$(dirname "$0")/.."
rows=${ROWS:-1e7}
runs=${RUNS:-5}
bin=${KILN_BIN:-build/bin}
peers=${PEERS_DIR:-../shared/bench}
data=bench/data/sensors-$rows.csv
mkdir -p bench/data
[ -f "$data" ] || "$bin/sensors_gen" -n "$rows" -o "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/q.sql" <<SQL
CREATE TEMPORARY VIEW readings (ts TIMESTAMP, sensor STRING, temperature DOUBLE, humidity DOUBLE)
USING csv OPTIONS (path '$PWD/$data', header 'true');
SELECT sensor, date_trunc('hour', ts) AS hour, count(*) AS n, avg(temperature) AS avg_t,
       min(temperature) AS min_t, max(temperature) AS max_t, avg(humidity) AS avg_h
FROM readings GROUP BY sensor, hour;
SQL
# shellcheck source=bench/timed-runs.sh
. bench/timed-runs.sh
for _ in $(seq "$runs"); do
    run kiln "$tmp/kiln.tsv" "$bin/kiln" sql -S --master 'local[2]' -f "$tmp/q.sql"
    run duckdb "$tmp/duck.log" "$peers/sensors-duckdb.sh" "$data" "$tmp/duck.csv" 2
done
/usr/bin/python3 bench/compare_rows.py "$tmp/kiln.tsv" "$tmp/duck.csv" 2
read -r ks km < <(median "$tmp/kiln")
read -r ds dm < <(median "$tmp/duckdb")
echo "median: kiln ${ks} s ${km} KB, duckdb ${ds} s ${dm} KB, kiln/duckdb $(awk "BEGIN {printf \"%.2f\", $ks / $ds}")"
