-- Analysis and parse errors: Spark's error classes, the line and position, the caret under the culprit.
CREATE TEMPORARY VIEW emp (id INT, name STRING, dept INT, salary DECIMAL(10,2), hired DATE, manager INT) USING csv OPTIONS (path 'tests/sql/regress/data/emp.csv', header 'true');
SELECT nme FROM emp;
SELECT id,
       salery
FROM emp;
SELECT * FROM nowhere;
SELECT nosuchfn(1);
SELECT upper(1, 2);
SELECT substring('a');
SELECT id FROM emp ORDER BY nme;
SELECT id FROM emp e JOIN emp f ON e.id = f.id;
SELECT 1 + 'a' || ;
SELECT FROM emp;
SELECT id FROM emp GROUP BY;
SELECT id, count(*) FROM emp GROUP BY name;
SELECT date_add('x', 'y');
SELECT id FROM emp ORDER BY 5;
SELECT 1 UNION SELECT 1, 2;
SELECT 'unterminated;
SELECT id FROM emp WHERE sum(id) > 3;
SELECT sum(max(id)) FROM emp;
SELECT count(*) FROM emp GROUP BY dept HAVING sum(count(*)) > 1;
SELECT CAST(1 AS NOTATYPE);
SELECT CAST(id AS array<nosuch>) FROM emp;
CREATE TEMPORARY VIEW emp AS SELECT 1;
