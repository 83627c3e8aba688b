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
-- typeof, format_number, format_string / printf, base64 / unbase64, levenshtein, soundex.
SELECT typeof(1), typeof(1L), typeof('a'), typeof(NULL), typeof(array(1)), typeof(1.5), typeof(1.5D), typeof(DATE '2024-01-01'), typeof(X'00');
SELECT format_number(1234567.891, 2), format_number(0.125D, 2), format_number(0.135D, 2), format_number(-0.001D, 2), format_number(12345, 0), format_number(12345L, 3), format_number(1.5, -1), format_number(2.5, 0), format_number(NULL, 2);
SELECT format_string('%s|%5d|%-5s|%05.2f|%x|%,d|%e|%10.3e|%b|%%|%2$s', 'a', 42, 'bc', 3.14159D, 255, 1234567, 12345.678D, 0.000123D, NULL);
SELECT printf('%s and %s', 'x', NULL), format_string(NULL, 1), printf('%.2f %.1f %S %08.3f %+d %(d', 0.125D, 0.25D, 'abc', -3.5D, 5, -7), printf('%3$s %1$s %<s', 'a', 'b', 'c');
SELECT printf('%d', 1.5D);
SELECT printf('%s %s', 1);
SELECT base64('Spark SQL'), CAST(unbase64('U3BhcmsgU1FM') AS STRING), base64(''), base64(X'00FF10'), hex(unbase64('AP8Q')), base64(NULL);
SELECT levenshtein('kitten', 'sitting'), levenshtein('kitten', 'sitting', 2), levenshtein('kitten', 'sitting', 3), levenshtein('héllo', 'hello'), levenshtein('', 'abc'), levenshtein(NULL, 'a');
SELECT soundex('Miller'), soundex('Ashcraft'), soundex('Tymczak'), soundex('Pfister'), soundex('1abc'), soundex(''), soundex('a');
-- Subscripts: a[i] is 0-based, out of range an error under ANSI (get() gives null); element_at is 1-based.
SELECT array(10, 20, 30)[0], array(10, 20, 30)[2], array(array(1, 2), array(3))[1][0], get(array(1, 2), 5), get(array(1, 2), -1), element_at(array(1, 2), -1), try_element_at(array(1, 2), 3);
SELECT array(1, 2)[2];
SELECT split('a,b,c', ',')[1], split('a,b,c', ',')[CAST(NULL AS INT)];
