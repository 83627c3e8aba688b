-- H2O db-benchmark group-by q6 in kiln's SQL: median v3 sd v3 by id4 id5
-- (median(v3) for DuckDB's percentile_cont(0.5) WITHIN GROUP (ORDER BY v3): the same value)
SELECT id4, id5, median(v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5;
