-- The eight TPC-H tables as views over Parquet files ${TPCH}/<table>.parquet
-- (as ../shared/data/tpch-sf0.1/parquet holds them, or as
-- bench/run-sql-tpch-parquet.sh writes them with DuckDB); the schema is the
-- files' own.
CREATE OR REPLACE TEMPORARY VIEW nation USING parquet OPTIONS (path '${TPCH}/nation.parquet');
CREATE OR REPLACE TEMPORARY VIEW region USING parquet OPTIONS (path '${TPCH}/region.parquet');
CREATE OR REPLACE TEMPORARY VIEW part USING parquet OPTIONS (path '${TPCH}/part.parquet');
CREATE OR REPLACE TEMPORARY VIEW supplier USING parquet OPTIONS (path '${TPCH}/supplier.parquet');
CREATE OR REPLACE TEMPORARY VIEW partsupp USING parquet OPTIONS (path '${TPCH}/partsupp.parquet');
CREATE OR REPLACE TEMPORARY VIEW customer USING parquet OPTIONS (path '${TPCH}/customer.parquet');
CREATE OR REPLACE TEMPORARY VIEW orders USING parquet OPTIONS (path '${TPCH}/orders.parquet');
CREATE OR REPLACE TEMPORARY VIEW lineitem USING parquet OPTIONS (path '${TPCH}/lineitem.parquet');
