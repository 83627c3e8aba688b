-- ANSI mode (the default): run-time errors instead of nulls or wrapped values.
SELECT 1 / 0;
SELECT 1 % 0;
SELECT 5 DIV 0;
SELECT try_divide(1, 0), try_add(2147483647, 1), try_multiply(2, 3);
SELECT 2147483647 + 1;
SELECT -2147483648 - 1;
SELECT 9223372036854775807L * 2;
SELECT abs(-2147483648);
SELECT CAST('abc' AS INT);
SELECT CAST('12.5' AS INT);
SELECT CAST(300 AS TINYINT);
SELECT CAST(1e20 AS BIGINT);
SELECT CAST('2024-02-30' AS DATE);
SELECT CAST(123.456 AS DECIMAL(4,2));
SELECT CAST('yes please' AS BOOLEAN);
SELECT element_at(array(1, 2, 3), 5);
SELECT try_element_at(array(1, 2, 3), 5), element_at(array(1, 2, 3), -1);
SELECT 1.0 / 0.0;
SELECT 1.0D / 0;
-- With ANSI off: nulls and wrapping, as Spark's legacy mode.
SET kiln.sql.ansi.enabled=false;
SELECT 1 / 0, 2147483647 + 1, CAST('abc' AS INT), CAST(300 AS TINYINT), CAST('2024-02-30' AS DATE), CAST('12.5' AS INT);
SELECT element_at(array(1, 2, 3), 5);
SET kiln.sql.ansi.enabled=true;
SELECT 1 / 0;
