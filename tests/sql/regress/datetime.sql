-- Dates and timestamps (session time zone UTC).
SET kiln.sql.session.timeZone=UTC;
SELECT year(DATE '2024-02-29'), month(DATE '2024-02-29'), dayofmonth(DATE '2024-02-29'), dayofweek(DATE '2024-02-29'), dayofyear(DATE '2024-12-31'), quarter(DATE '2024-08-01');
SELECT hour(TIMESTAMP '2024-01-01 13:45:59'), minute(TIMESTAMP '2024-01-01 13:45:59'), second(TIMESTAMP '2024-01-01 13:45:59'), weekofyear(DATE '2021-01-03');
SELECT date_add(DATE '2024-02-28', 1), date_add(DATE '2023-02-28', 1), date_sub(DATE '2024-03-01', 1), datediff(DATE '2024-03-01', DATE '2023-03-01');
SELECT add_months(DATE '2024-01-31', 1), add_months(DATE '2023-01-31', 1), add_months(DATE '2024-03-31', -1), last_day(DATE '2024-02-10');
SELECT months_between(DATE '2024-03-31', DATE '2024-02-29'), months_between(TIMESTAMP '2024-03-15 00:00:00', TIMESTAMP '2024-01-01 00:00:00');
SELECT next_day(DATE '2024-06-05', 'MON'), trunc(DATE '2024-06-05', 'MM'), trunc(DATE '2024-06-05', 'YEAR'), date_trunc('HOUR', TIMESTAMP '2024-06-05 10:31:02');
SELECT to_date('05/06/2024', 'dd/MM/yyyy'), to_timestamp('2024-06-05 10:31', 'yyyy-MM-dd HH:mm'), date_format(DATE '2024-06-05', 'EEE, d MMM yyyy');
SELECT date_format(TIMESTAMP '2024-06-05 08:03:04.5', 'yyyy/MM/dd HH:mm:ss.SSS a');
SELECT unix_timestamp(TIMESTAMP '2024-01-01 00:00:00'), from_unixtime(0), timestamp_seconds(86400), timestamp_millis(1500), to_unix_timestamp(DATE '1970-01-02');
SELECT DATE '2024-01-01' + INTERVAL '10' DAY, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '90' MINUTE;
SELECT make_date(2024, 2, 29), DATE '1969-12-31' < DATE '1970-01-01';
SELECT CAST('2024-06-05T10:31:02Z' AS TIMESTAMP), CAST('2024-06-05 10:31:02+02:00' AS TIMESTAMP), CAST('2024-06' AS DATE);
SET kiln.sql.session.timeZone=America/New_York;
SELECT CAST(TIMESTAMP '2024-07-01 12:00:00' AS STRING), hour(TIMESTAMP '2024-07-01 12:00:00'), CAST(CAST('2024-07-01 12:00:00+00:00' AS TIMESTAMP) AS STRING);
SELECT from_utc_timestamp(TIMESTAMP '2024-01-15 12:00:00', 'Asia/Tokyo'), to_utc_timestamp(TIMESTAMP '2024-01-15 12:00:00', 'Europe/Paris');
