-- H2O db-benchmark group-by q9: regression v1 v2 by id2 id4 (r squared)
-- needs the aggregate corr(y, x) and power(x, y)
SELECT id2, id4, power(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4;
