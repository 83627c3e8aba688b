#!/bin/sh
# tpch-duckdb.sh - the 22 TPC-H queries in an in-memory DuckDB, the peer run for kiln's SQL.
#
#     bench/tpch-duckdb.sh DATA_DIR [THREADS] [RUNS] [OUT_DIR]
#     build/bin/tpch_gen -s 1 -o /work/data-gen/tpch-sf1
#     bench/tpch-duckdb.sh /work/data-gen/tpch-sf1 2 3
#
# Loads DATA_DIR/<table>.tbl (dbgen's format, as tpch_gen writes it) into eight DuckDB tables
# typed as ../shared/data/tpch-sf0.1/README.md says (keys and counts INTEGER, money, quantities,
# discounts and taxes DECIMAL(15,2), dates DATE, text VARCHAR), then runs each query of
# $QUERIES (default ../shared/bench/tpch/queries/q*.sql) RUNS times (default 3) with THREADS
# threads (default 2) through bench/duckdb-bench.mjs: prints the load time, and per query the
# median and each run in ms; writes each result as OUT_DIR/qNN.csv and the figures as
# OUT_DIR/timings.csv (OUT_DIR defaults to a new mktemp -d directory, printed at the end).
# Needs node and @duckdb/node-api from ../shared/bench/install-peers.sh.
set -eu

if [ $# -lt 1 ] || [ ! -f "$1/lineitem.tbl" ]; then
    echo "usage: tpch-duckdb.sh DATA_DIR [THREADS] [RUNS] [OUT_DIR] (DATA_DIR/*.tbl)" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$1" && pwd)
threads=${2:-2}
runs=${3:-3}
out=${4:-$(mktemp -d /tmp/tpch-duckdb.XXXXXX)}
queries=${QUERIES:-$here/../../shared/bench/tpch/queries}
if [ ! -f "$queries/q01.sql" ]; then
    echo "tpch-duckdb: no queries in $queries (set QUERIES=DIR)" >&2
    exit 2
fi

setup=$(mktemp --suffix=.sql)
trap 'rm -f "$setup"' EXIT
cat >"$setup" <<SQL
CREATE TABLE region (r_regionkey INTEGER, r_name VARCHAR, r_comment VARCHAR);
CREATE TABLE nation (n_nationkey INTEGER, n_name VARCHAR, n_regionkey INTEGER,
                     n_comment VARCHAR);
CREATE TABLE part (p_partkey INTEGER, p_name VARCHAR, p_mfgr VARCHAR, p_brand VARCHAR,
                   p_type VARCHAR, p_size INTEGER, p_container VARCHAR,
                   p_retailprice DECIMAL(15,2), p_comment VARCHAR);
CREATE TABLE supplier (s_suppkey INTEGER, s_name VARCHAR, s_address VARCHAR,
                       s_nationkey INTEGER, s_phone VARCHAR, s_acctbal DECIMAL(15,2),
                       s_comment VARCHAR);
CREATE TABLE partsupp (ps_partkey INTEGER, ps_suppkey INTEGER, ps_availqty INTEGER,
                       ps_supplycost DECIMAL(15,2), ps_comment VARCHAR);
CREATE TABLE customer (c_custkey INTEGER, c_name VARCHAR, c_address VARCHAR,
                       c_nationkey INTEGER, c_phone VARCHAR, c_acctbal DECIMAL(15,2),
                       c_mktsegment VARCHAR, c_comment VARCHAR);
CREATE TABLE orders (o_orderkey INTEGER, o_custkey INTEGER, o_orderstatus VARCHAR,
                     o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority VARCHAR,
                     o_clerk VARCHAR, o_shippriority INTEGER, o_comment VARCHAR);
CREATE TABLE lineitem (l_orderkey INTEGER, l_partkey INTEGER, l_suppkey INTEGER,
                       l_linenumber INTEGER, l_quantity DECIMAL(15,2),
                       l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2),
                       l_tax DECIMAL(15,2), l_returnflag VARCHAR, l_linestatus VARCHAR,
                       l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE,
                       l_shipinstruct VARCHAR, l_shipmode VARCHAR, l_comment VARCHAR);
SQL
for t in region nation part supplier partsupp customer orders lineitem; do
    echo "COPY $t FROM '$data/$t.tbl' (DELIMITER '|', HEADER false, QUOTE '');" >>"$setup"
done

# shellcheck disable=SC2046 # query paths hold no spaces
node "$here/duckdb-bench.mjs" "$threads" "$runs" "$out" "$setup" $(ls "$queries"/q*.sql)
echo "results and timings.csv in $out"
