-- String functions (bytes are UTF-8; lengths and positions count characters).
SELECT length('héllo'), char_length('日本語'), octet_length('héllo'), length(''), length(NULL);
SELECT upper('straße'), lower('ÉCOLE'), initcap('hello wORLD  x');
SELECT substring('kiln engine', 6), substring('kiln engine', 1, 4), substring('kiln', -2), substring('kiln', 0, 2), substring('kiln', 10);
SELECT substr('日本語テキスト', 2, 3), left('abcdef', 2), right('abcdef', 2);
SELECT concat('a', 'b', 'c'), 'x' || 'y' || 'z', concat_ws(', ', 'a', 'b'), repeat('ab', 3), repeat('x', 0);
SELECT trim('  pad  '), ltrim('  pad  '), rtrim('  pad  '), trim(BOTH 'x' FROM 'xxpadxx'), trim(LEADING 'x' FROM 'xxpadxx');
SELECT lpad('7', 3, '0'), rpad('ab', 5, '-'), lpad('abcdef', 3, '0'), lpad('é', 3, 'ü');
SELECT replace('banana', 'an', 'AN'), translate('hello', 'el', 'ip'), reverse('añb');
SELECT instr('banana', 'an'), locate('an', 'banana', 3), position('na' IN 'banana'), instr('banana', 'x');
SELECT 'abc' LIKE 'a%', 'abc' LIKE '_b_', 'a_c' LIKE 'a\_c', 'abc' LIKE 'A%', 'abc' ILIKE 'A%', 'abc' NOT LIKE '%z%';
SELECT 'a1b22' RLIKE '[0-9]+', regexp_extract('2024-06-30', '(\\d+)-(\\d+)', 2), regexp_replace('a1b22c', '[0-9]+', '#');
SELECT split('a,b,,c', ','), split('a1b2c', '[0-9]'), size(split('', ','));
SELECT ascii('A'), chr(66), ascii(''), startswith('kiln', 'ki'), endswith('kiln', 'ln'), contains('kiln', 'il');
SELECT 'b' < 'a', 'B' < 'a', 'é' > 'z', 'abc' = 'abc ', 'ab' < 'abc';
SELECT md5('kiln'), sha2('kiln', 256), hex('kiln');
SELECT upper(NULL), concat_ws('-', NULL), substring(NULL, 1), lpad(NULL, 3, 'x');
