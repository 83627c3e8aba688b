-- The eight TPC-H tables of ../shared/data/tpch-sf0.1/tbl as views over the
-- dbgen files ('|'-separated, no header, a trailing '|'); ${TPCH} is the
-- directory of the files, ${EXT} their extension after .tbl (.gz for the
-- shared SF0.1 data, empty for bench/tpch_gen output). Types as the data's README gives them.
CREATE OR REPLACE TEMPORARY VIEW nation (n_nationkey INT, n_name STRING, n_regionkey INT, n_comment STRING)
USING csv OPTIONS (path '${TPCH}/nation.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW region (r_regionkey INT, r_name STRING, r_comment STRING)
USING csv OPTIONS (path '${TPCH}/region.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW part (p_partkey INT, p_name STRING, p_mfgr STRING, p_brand STRING, p_type STRING, p_size INT, p_container STRING, p_retailprice DECIMAL(15,2), p_comment STRING)
USING csv OPTIONS (path '${TPCH}/part.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW supplier (s_suppkey INT, s_name STRING, s_address STRING, s_nationkey INT, s_phone STRING, s_acctbal DECIMAL(15,2), s_comment STRING)
USING csv OPTIONS (path '${TPCH}/supplier.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW partsupp (ps_partkey INT, ps_suppkey INT, ps_availqty INT, ps_supplycost DECIMAL(15,2), ps_comment STRING)
USING csv OPTIONS (path '${TPCH}/partsupp.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW customer (c_custkey INT, c_name STRING, c_address STRING, c_nationkey INT, c_phone STRING, c_acctbal DECIMAL(15,2), c_mktsegment STRING, c_comment STRING)
USING csv OPTIONS (path '${TPCH}/customer.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW orders (o_orderkey INT, o_custkey INT, o_orderstatus STRING, o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority STRING, o_clerk STRING, o_shippriority INT, o_comment STRING)
USING csv OPTIONS (path '${TPCH}/orders.tbl${EXT}', sep '|');
CREATE OR REPLACE TEMPORARY VIEW lineitem (l_orderkey INT, l_partkey INT, l_suppkey INT, l_linenumber INT, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag STRING, l_linestatus STRING, l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct STRING, l_shipmode STRING, l_comment STRING)
USING csv OPTIONS (path '${TPCH}/lineitem.tbl${EXT}', sep '|');
