-- H2O db-benchmark group-by q4: mean v1:v3 by id4
SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4;
