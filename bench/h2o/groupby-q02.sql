-- H2O db-benchmark group-by q2: sum v1 by id1:id2
SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2;
