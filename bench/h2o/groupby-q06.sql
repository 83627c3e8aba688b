-- H2O db-benchmark group-by q6: median v3 sd v3 by id4 id5
-- needs the ordered-set aggregate percentile_cont(f) WITHIN GROUP (ORDER BY ...) and stddev_samp
SELECT id4, id5, percentile_cont(0.5) WITHIN GROUP (ORDER BY v3) AS median_v3,
       stddev_samp(v3) AS sd_v3
FROM x GROUP BY id4, id5;
