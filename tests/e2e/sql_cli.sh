#!/bin/bash
# tests/e2e/sql_cli.sh BIN_DIR - `kiln sql` as spark-sql behaves: rows
# tab-separated with NULL, "Time taken: ... Fetched N row(s)" on stderr,
# -e / -f / -i / --conf, views over CSV files (with a header, inferred
# types, and csv.`path` queries), SHOW TABLES / DESCRIBE / EXPLAIN / SET,
# ANSI errors and legacy nulls, and errors that name the SQL position.
set -u
bin=$1
kiln=$bin/kiln
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

# expect NAME WANT GOT
expect() {
    [ "$2" == "$3" ] || fail "$1: want [$2], got [$3]"
}

out=$("$kiln" sql -e "SELECT 1 AS a, 'x', NULL, 2.50 * 2" 2> "$tmp/err")
expect "select literals" "$(printf '1\tx\tNULL\t5.00')" "$out"
grep -Eq '^Time taken: [0-9]+\.[0-9]{3} seconds, Fetched 1 row\(s\)$' "$tmp/err" ||
    fail "no Time taken line: $(cat "$tmp/err")"

printf 'name,age,city\nann,34,Oslo\nbob,,Rome\ncid,41,Oslo\n' > "$tmp/people.csv"
cat > "$tmp/init.sql" <<SQL
CREATE TEMPORARY VIEW people USING csv OPTIONS (path '$tmp/people.csv', header 'true', inferSchema 'true');
SQL
out=$("$kiln" sql -S -i "$tmp/init.sql" -e "SELECT city, count(*) AS n, avg(age) FROM people GROUP BY city ORDER BY city")
expect "group by over a csv view" "$(printf 'Oslo\t2\t37.5\nRome\t1\tNULL')" "$out"
out=$("$kiln" sql -S -i "$tmp/init.sql" -e "DESCRIBE people")
expect "describe" "$(printf 'name\tstring\tNULL\nage\tint\tNULL\ncity\tstring\tNULL')" "$out"
out=$("$kiln" sql -S -i "$tmp/init.sql" -e "SHOW TABLES")
expect "show tables" "$(printf '\tpeople\ttrue')" "$out"
out=$("$kiln" sql -S -e "SELECT count(*) FROM csv.\`$tmp/people.csv\`")
expect "a query on a file (no header: 4 rows)" "4" "$out"

printf 'SELECT upper(name) FROM people WHERE age > 35;\nSELECT 2;\n' > "$tmp/q.sql"
out=$("$kiln" sql -S -i "$tmp/init.sql" -f "$tmp/q.sql")
expect "-f with two statements" "$(printf 'CID\n2')" "$out"

: > "$tmp/empty.sql"
printf -- '-- only a comment\n/* and a block */\n' > "$tmp/comments.sql"
out=$("$kiln" sql -S -f "$tmp/empty.sql") || fail "an empty -f file is an error"
expect "an empty -f file" "" "$out"
out=$("$kiln" sql -S -i "$tmp/comments.sql" -f "$tmp/comments.sql") ||
    fail "-i / -f files of comments are an error"
out=$("$kiln" sql -S -i "$tmp/empty.sql" -e "SELECT 3") || fail "an empty -i file is an error"
expect "an empty -i file" "3" "$out"

"$kiln" sql -S -e "EXPLAIN SELECT * FROM range(3) WHERE id > 1" | grep -q "Optimized Logical Plan" ||
    fail "EXPLAIN shows no optimised plan"
# The physical plan: a small side is broadcast, unless broadcasts are off;
# the join gives the same rows either way.
join="SELECT count(*) FROM range(100000) a JOIN range(10) b ON a.id % 10 = b.id"
"$kiln" sql -S -e "EXPLAIN $join" > "$tmp/out"
grep -q "== Physical Plan ==" "$tmp/out" || fail "EXPLAIN shows no physical plan"
grep -q "BroadcastHashJoin(BuildRight)" "$tmp/out" || fail "no broadcast join: $(cat "$tmp/out")"
grep -q "BroadcastExchange" "$tmp/out" || fail "no broadcast exchange: $(cat "$tmp/out")"
"$kiln" sql -S --conf kiln.sql.autoBroadcastJoinThreshold=-1 -e "EXPLAIN $join" > "$tmp/out"
grep -q "ShuffledHashJoin" "$tmp/out" || fail "threshold -1 still broadcasts: $(cat "$tmp/out")"
grep -q "Exchange hashpartitioning" "$tmp/out" || fail "no exchange: $(cat "$tmp/out")"
expect "broadcast join" "100000" "$("$kiln" sql -S -e "$join")"
expect "shuffled join" "100000" \
    "$("$kiln" sql -S --conf kiln.sql.autoBroadcastJoinThreshold=-1 -e "$join")"
# A nested-loop join's right columns are constant vectors; a join keyed on
# one of them in the same task (broadcast) must read the right rows.
nl="SELECT b.id, count(*), sum(c.id) FROM range(5) a, range(3) b, range(30) c
    WHERE (a.id + b.id) % 2 = 0 AND c.id % 3 = b.id GROUP BY b.id ORDER BY b.id"
expect "nested loop, then a broadcast join on its constant column" \
    "$("$kiln" sql -S --conf kiln.sql.autoBroadcastJoinThreshold=-1 -e "$nl")" \
    "$("$kiln" sql -S -e "$nl")"
expect "nested loop, then a join (reference)" "$(printf '0\t30\t405\n1\t20\t290\n2\t30\t465')" \
    "$("$kiln" sql -S -e "$nl")"

# ANSI mode: division by zero is an error naming the expression; legacy: NULL.
"$kiln" sql -S -e "SELECT 1 / (id - id) FROM range(1)" > "$tmp/out" 2> "$tmp/err" &&
    fail "ANSI division by zero succeeded"
grep -q "DIVIDE_BY_ZERO" "$tmp/err" || fail "no DIVIDE_BY_ZERO: $(cat "$tmp/err")"
out=$("$kiln" sql -S --conf kiln.sql.ansi.enabled=false -e "SELECT 1 / (id - id) FROM range(1)")
expect "legacy division by zero" "NULL" "$out"
out=$("$kiln" sql -S -e "SET kiln.sql.ansi.enabled=false; SELECT CAST('x' AS INT)")
expect "SET then a legacy cast" "NULL" "$out"

# Errors: the position in the SQL text, a suggestion, exit status 1.
"$kiln" sql -S -i "$tmp/init.sql" -e "SELECT nmae FROM people" > "$tmp/out" 2> "$tmp/err" &&
    fail "an unknown column succeeded"
grep -q 'UNRESOLVED_COLUMN.WITH_SUGGESTION' "$tmp/err" || fail "no error class: $(cat "$tmp/err")"
grep -q 'Did you mean one of the following? \[`people`.`name`' "$tmp/err" || fail "no suggestion: $(cat "$tmp/err")"
grep -q 'line 1 pos 7' "$tmp/err" || fail "no position: $(cat "$tmp/err")"
"$kiln" sql -S -e "SELEC 1" > "$tmp/out" 2> "$tmp/err" && fail "a syntax error succeeded"
grep -q 'PARSE_SYNTAX_ERROR' "$tmp/err" || fail "no syntax error: $(cat "$tmp/err")"
"$kiln" sql --bogus > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] || fail "a bad option did not exit 2"
"$kiln" sql --help | grep -q '^usage: kiln sql' || fail "no usage from --help"

# The interactive shell reads statements across lines from stdin.
out=$(printf 'SELECT\n 40 + 2;\nquit;\n' | "$kiln" sql -S 2> /dev/null | grep -v 'kiln-sql>' | tr -d ' >')
echo "$out" | grep -q '^42$' || fail "the shell did not answer 42: [$out]"
echo "PASS: kiln sql"
