-- H2O db-benchmark group-by q10: sum v3 count by id1:id6
SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count
FROM x GROUP BY id1, id2, id3, id4, id5, id6;
