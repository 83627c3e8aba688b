-- Joins over tests/sql/regress/data/emp.csv and dept.csv (null keys never match).
CREATE TEMPORARY VIEW emp (id INT, name STRING, dept INT, salary DECIMAL(10,2), hired DATE, manager INT) USING csv OPTIONS (path 'tests/sql/regress/data/emp.csv', header 'true');
CREATE TEMPORARY VIEW dept (id INT, name STRING, city STRING) USING csv OPTIONS (path 'tests/sql/regress/data/dept.csv', header 'true');
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept = d.id ORDER BY e.id;
SELECT e.name, d.name FROM emp e LEFT JOIN dept d ON e.dept = d.id ORDER BY e.id;
SELECT e.name, d.name FROM emp e RIGHT JOIN dept d ON e.dept = d.id ORDER BY d.id, e.id;
SELECT e.name, d.name FROM emp e FULL OUTER JOIN dept d ON e.dept = d.id ORDER BY e.id NULLS LAST, d.id;
SELECT e.name FROM emp e LEFT SEMI JOIN dept d ON e.dept = d.id ORDER BY e.name;
SELECT e.name FROM emp e LEFT ANTI JOIN dept d ON e.dept = d.id ORDER BY e.name;
SELECT count(*) FROM emp CROSS JOIN dept;
SELECT e.name, m.name AS manager FROM emp e LEFT JOIN emp m ON e.manager = m.id ORDER BY e.id;
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept = d.id AND e.salary > 4500 ORDER BY e.id;
SELECT e.name, d.city FROM emp e JOIN dept d ON e.dept = d.id WHERE d.city IS NOT NULL AND e.hired >= DATE '2019-01-01' ORDER BY e.name;
SELECT d.name, count(e.id), sum(e.salary) FROM dept d LEFT JOIN emp e ON e.dept = d.id GROUP BY d.name ORDER BY d.name;
SELECT a.name, b.name FROM emp a JOIN emp b ON a.salary = b.salary AND a.id < b.id;
SELECT * FROM emp e JOIN dept d USING (id) ORDER BY id;
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept <=> d.id ORDER BY e.id;
SELECT e.name FROM emp e, dept d WHERE e.dept = d.id AND d.name = 'Sales' ORDER BY e.name;
SELECT name FROM emp JOIN dept ON emp.dept = dept.id;
-- Conditions of ON on one side: pushed into the right of left, semi and anti joins and the left of right joins; kept on the join where they decide matches only.
SELECT e.name, d.name FROM emp e LEFT JOIN dept d ON e.dept = d.id AND d.city IS NOT NULL ORDER BY e.id;
SELECT e.name, d.name FROM emp e LEFT JOIN dept d ON e.dept = d.id AND e.salary > 4500 ORDER BY e.id;
SELECT e.name, d.name FROM emp e RIGHT JOIN dept d ON e.dept = d.id AND e.salary < 4500 ORDER BY d.id, e.id;
SELECT e.name, d.name FROM emp e RIGHT JOIN dept d ON e.dept = d.id AND d.city LIKE '%r%' ORDER BY d.id, e.id;
SELECT e.name FROM emp e LEFT SEMI JOIN dept d ON e.dept = d.id AND d.city LIKE '%r%' ORDER BY e.name;
SELECT e.name FROM emp e LEFT ANTI JOIN dept d ON e.dept = d.id AND d.city LIKE 'Z%' ORDER BY e.name;
SELECT e.name, d.name FROM emp e FULL JOIN dept d ON e.dept = d.id AND d.city IS NOT NULL ORDER BY e.id NULLS LAST, d.id;
SELECT count(*), count(e.dept) FROM emp e LEFT JOIN dept d ON e.dept = d.id AND d.name LIKE '%a%e%' WHERE e.name LIKE '%a%';
