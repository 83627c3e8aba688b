-- Aggregates, GROUP BY, HAVING, DISTINCT and empty input.
CREATE TEMPORARY VIEW emp (id INT, name STRING, dept INT, salary DECIMAL(10,2), hired DATE, manager INT) USING csv OPTIONS (path 'tests/sql/regress/data/emp.csv', header 'true');
SELECT count(*), count(dept), count(DISTINCT dept), sum(salary), avg(salary), min(salary), max(salary) FROM emp;
SELECT dept, count(*), sum(salary), avg(salary), min(name), max(hired) FROM emp GROUP BY dept ORDER BY dept;
SELECT dept, count(*) AS n FROM emp GROUP BY dept HAVING count(*) > 1 ORDER BY dept;
SELECT dept, sum(salary) FROM emp GROUP BY dept HAVING sum(salary) > 5000 ORDER BY 2 DESC;
SELECT count(*), sum(salary), avg(salary), min(name), max(name) FROM emp WHERE id > 100;
SELECT dept, count(*) FROM emp WHERE id > 100 GROUP BY dept;
SELECT sum(DISTINCT salary), count(DISTINCT salary), avg(DISTINCT salary) FROM emp;
SELECT year(hired) AS y, count(*) FROM emp GROUP BY year(hired) ORDER BY y;
SELECT dept IS NULL AS no_dept, count(*) FROM emp GROUP BY dept IS NULL ORDER BY 1;
SELECT sum(id), avg(id), sum(CAST(id AS DOUBLE)) / count(id) FROM emp;
SELECT stddev_samp(id), var_samp(id), stddev_pop(id), var_pop(id) FROM emp;
SELECT collect_list(name), collect_set(dept) FROM emp WHERE dept = 20;
SELECT sort_array(collect_set(dept)) FROM emp;
SELECT first(name), last(name), any_value(dept) IS NOT NULL FROM (SELECT * FROM emp WHERE id = 3);
SELECT bool_and(salary > 3000), bool_or(salary > 6000), every(id > 0), some(id > 7) FROM emp;
SELECT max_by(name, salary), min_by(name, hired), count_if(dept = 10) FROM emp;
SELECT sum(x) FROM VALUES (2147483647), (1) AS t(x);
SELECT sum(CAST(x AS BIGINT)) FROM VALUES (9223372036854775807L), (1L) AS t(x);
SELECT name, count(*) FROM emp;
-- FILTER (WHERE ...): each aggregate sees only the rows where its condition is true (false and null drop the row for it).
SELECT count(*) FILTER (WHERE dept = 10), count(dept) FILTER (WHERE salary > 4000), sum(salary) FILTER (WHERE dept > 10), avg(id) FILTER (WHERE manager IS NULL), count(*) FROM emp;
SELECT dept, count(*) FILTER (WHERE salary > 4000) AS rich, count(*) AS n, max(name) FILTER (WHERE id > 3) AS late FROM emp GROUP BY dept ORDER BY dept;
SELECT count(DISTINCT dept) FILTER (WHERE salary > 4000), sum(DISTINCT salary) FILTER (WHERE dept = 10), count(DISTINCT salary) FROM emp;
SELECT sum(1 / (dept - 10)) FILTER (WHERE dept <> 10) FROM emp;
SELECT count(*) FILTER (WHERE NULL), sum(id) FILTER (WHERE false), min(name) FILTER (WHERE true) FROM emp;
SELECT dept, count(*) FILTER (WHERE id > 100) FROM emp GROUP BY dept HAVING count(*) FILTER (WHERE salary IS NULL) = 0 ORDER BY dept;
