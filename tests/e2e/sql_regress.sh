#!/bin/bash
# tests/e2e/sql_regress.sh - data-driven SQL regression tests, as
# PostgreSQL's: each tests/sql/regress/NAME.sql is run statement by
# statement with `kiln sql` and its output compared with NAME.out.
#
# A statement ends at a line ending with ';'; lines starting with '--'
# between statements are comments. The output echoes each comment and
# statement, then the statement's rows (tab-separated, NULL for null) or
# `ERROR: ` and its message (the job / stage prefix of a task failure and
# the scheduler's log lines and ASan's swapcontext warning taken out).
# Each statement runs in its own `kiln sql -f` process after the
# state-changing statements before it that succeeded (CREATE, DROP, SET,
# ... replayed with -i), so an error never stops the file. Data files are in tests/sql/regress/data/, named from the
# repository root.
#
# usage: tests/e2e/sql_regress.sh BIN_DIR [NAME...]   (from the repository root)
#        REGEN=1 tests/e2e/sql_regress.sh BIN_DIR [NAME...]   rewrites the .out
#        files (review them with git diff: never accept output unchecked)
set -u
bin=${1:?usage: sql_regress.sh BIN_DIR [NAME...]}
shift
dir=tests/sql/regress
master=${KILN_REGRESS_MASTER:-local[2]}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs one .sql file, writing its output on stdout.
run_file() {
    local sql=$1 stmt="" line init="$tmp/init.sql"
    : > "$init"
    while IFS= read -r line || [ -n "$line" ]; do
        if [ -z "$stmt" ] && { [[ $line =~ ^[[:space:]]*$ ]] || [[ $line == --* ]]; }; then
            printf '%s\n' "$line"
            continue
        fi
        stmt+="$line"$'\n'
        [[ $line =~ \;[[:space:]]*$ ]] || continue
        printf '%s' "$stmt"
        printf '%s' "$stmt" > "$tmp/stmt.sql"
        local opts=(-S --master "$master")
        [ -s "$init" ] && opts+=(-i "$init")
        if "$bin/kiln" sql "${opts[@]}" -f "$tmp/stmt.sql" > "$tmp/out" 2> "$tmp/err"; then
            cat "$tmp/out"
            # State-changing statements are replayed before later ones.
            if [[ ! $stmt =~ ^[[:space:]]*(SELECT|select|WITH|with|VALUES|values|EXPLAIN|explain|SHOW|show|DESCRIBE|describe|\() ]]; then
                printf '%s' "$stmt" >> "$init"
            fi
        else
            cat "$tmp/out"
            # ASan says once per process that it does not fully support
            # swapcontext (the engine's coroutines annotate their switches).
            grep -v -E -e '^[0-9/]+ [0-9:]+ (WARN|INFO|DEBUG) ' \
                -e "^==[0-9]+==WARNING: ASan doesn't fully support makecontext/swapcontext" "$tmp/err" |
                sed -E -e 's/^Error: /ERROR: /' \
                    -e 's/job [0-9]+ failed: stage [0-9]+ \([^)]*\), partition [0-9]+ failed on attempt [0-9]+ of [0-9]+: //'
        fi
        stmt=""
    done < "$sql"
    [ -z "$stmt" ] || printf '%s-- (unterminated statement not run)\n' "$stmt"
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$dir"/*.sql; do names+=("$(basename "$f" .sql)"); done
fi
fail=0
for name in "${names[@]}"; do
    run_file "$dir/$name.sql" > "$tmp/$name.out"
    if [ "${REGEN:-0}" = 1 ]; then
        cp "$tmp/$name.out" "$dir/$name.out"
        echo "wrote $dir/$name.out"
    elif ! diff -u "$dir/$name.out" "$tmp/$name.out" > "$tmp/diff"; then
        echo "FAIL: $name (expected - / got +):"
        cat "$tmp/diff"
        fail=1
    else
        echo "ok: $name"
    fi
done
exit $fail
