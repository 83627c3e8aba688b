#!/bin/bash
# tests/e2e/cli.sh - what a user meets at the door of every kiln program:
#   1. --help (usage on stdout, exit 0) and --version ("NAME (kiln) X.Y.Z",
#      the KILN_VERSION of include/kiln.h) for every program built from
#      examples/ and bench/, for `kiln` and each of its verbs, `kiln help VERB`;
#   2. an unknown option (--mastr) is an error naming it, with a usage hint on
#      stderr and exit status 2, never taken as an input;
#   3. an input that does not exist (or a glob matching nothing) is an error
#      naming it, exit status 1; comma-separated inputs ("a.txt,b.txt") and
#      several arguments count the same as the concatenated file;
#   4. .zip and .tar (.tgz, .tar.bz2) inputs, the book's parts as members,
#      count the same as the book; a damaged archive fails naming it.
# usage: tests/e2e/cli.sh BIN_DIR   (run from the repository root)
set -euo pipefail
bin=${1:?usage: cli.sh BIN_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'echo "FAIL: unexpected error at line $LINENO" >&2' ERR
export LC_ALL=C
. tests/e2e/lib.sh

version=$(sed -n 's/^#define KILN_VERSION "\(.*\)"$/\1/p' include/kiln.h)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no KILN_VERSION in include/kiln.h ('$version')"

# run NAME ARGS...: runs $bin/NAME, leaving $tmp/out, $tmp/err and $status.
run() {
    local prog=$1
    shift
    set +e
    "$bin/$prog" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    status=$?
    set -e
}

# expect_help WHAT: the last run printed a usage on stdout and exited 0.
expect_help() {
    [ "$status" -eq 0 ] || fail "$1: exit $status"
    grep -q '^usage: ' "$tmp/out" || fail "$1: no 'usage:' line on stdout: $(head -3 "$tmp/out")"
    [ ! -s "$tmp/err" ] || fail "$1: wrote to stderr: $(head -3 "$tmp/err")"
}

# expect_bad_option WHAT OPTION: the last run refused OPTION with exit 2.
expect_bad_option() {
    [ "$status" -eq 2 ] || fail "$1: exit $status, expected 2"
    grep -qF -- "$2" "$tmp/err" || fail "$1: stderr does not name $2: $(head -3 "$tmp/err")"
    grep -qi 'usage' "$tmp/err" || fail "$1: no usage hint on stderr: $(head -3 "$tmp/err")"
    [ ! -s "$tmp/out" ] || fail "$1: wrote to stdout: $(head -3 "$tmp/out")"
}

programs=()
for src in examples/*.c bench/*.c; do
    name=$(basename "$src" .c)
    [ -x "$bin/$name" ] || fail "$src has no program $bin/$name"
    programs+=("$name")
done

for p in "${programs[@]}"; do
    run "$p" --help
    expect_help "$p --help"
    grep -q "^usage: $p" "$tmp/out" || fail "$p --help: usage does not name $p"
    run "$p" -h
    expect_help "$p -h"
    run "$p" --version
    [ "$status" -eq 0 ] || fail "$p --version: exit $status"
    [ "$(cat "$tmp/out")" = "$p (kiln) $version" ] ||
        fail "$p --version printed '$(cat "$tmp/out")', expected '$p (kiln) $version'"
    # After positional arguments too, and before a real input.
    run "$p" --mastr 'local[2]' data/pride-and-prejudice.txt "$tmp/out-$p"
    expect_bad_option "$p --mastr" "--mastr"
    [ ! -e "$tmp/out-$p" ] || fail "$p --mastr: ran anyway"
    run "$p" data/pride-and-prejudice.txt -x
    expect_bad_option "$p ... -x" "'-x'"
done
echo "ok: --help, -h, --version and unknown options for ${#programs[@]} programs (${programs[*]})"

# The kiln command, its verbs and `kiln help VERB`.
run kiln --help
expect_help "kiln --help"
run kiln help
expect_help "kiln help"
run kiln --version
[ "$status" -eq 0 ] && [ "$(cat "$tmp/out")" = "kiln $version" ] ||
    fail "kiln --version: exit $status, printed '$(cat "$tmp/out")'"
for verb in master worker status submit secret http-token help; do
    for h in --help -h; do
        run kiln "$verb" "$h"
        expect_help "kiln $verb $h"
        grep -q "^usage: kiln $verb" "$tmp/out" || fail "kiln $verb $h: not the verb's usage"
    done
    run kiln help "$verb"
    expect_help "kiln help $verb"
    grep -q "^usage: kiln $verb" "$tmp/out" || fail "kiln help $verb: not the verb's usage"
    run kiln "$verb" --version
    [ "$status" -eq 0 ] && [ "$(cat "$tmp/out")" = "kiln $version" ] ||
        fail "kiln $verb --version: exit $status, printed '$(cat "$tmp/out")'"
done
for verb in master worker status submit http-token; do
    run kiln "$verb" --mastr kiln://127.0.0.1:7077
    expect_bad_option "kiln $verb --mastr" "--mastr"
done
run kiln secret --mastr
expect_bad_option "kiln secret --mastr" "--mastr"
run kiln --mastr
expect_bad_option "kiln --mastr" "--mastr"
run kiln help nosuch
[ "$status" -eq 2 ] && grep -q "nosuch" "$tmp/err" || fail "kiln help nosuch: exit $status"
run kiln nosuch
[ "$status" -eq 2 ] && grep -q "nosuch" "$tmp/err" || fail "kiln nosuch: exit $status"
# A program's own --help after `kiln submit ... ./job` belongs to the job.
run kiln submit --master kiln://127.0.0.1:1 --secret-file /nonexistent "$bin/pi" --help
[ "$status" -ne 0 ] && grep -q "secret file" "$tmp/err" ||
    fail "kiln submit ... pi --help: exit $status: $(head -3 "$tmp/err")"
echo "ok: kiln --help/--version, kiln VERB --help/-h/--version, kiln help VERB, unknown options"

# ---- Inputs ------------------------------------------------------------------------------
# counts DIR: the word counts a wordcount run wrote, sorted.
counts() { cat "$1"/part-* | sort; }
book=data/pride-and-prejudice.txt
"$bin/wordcount" --master 'local[2]' "$book" "$tmp/wc-book" 2>/dev/null
counts "$tmp/wc-book" > "$tmp/expected"

# A missing input, first, in the middle or last, and a glob matching nothing:
# an error naming it (Spark's words), exit status 1, no output.
for args in "/nosuch.txt $book" "$book /nosuch.txt" "$book,/nosuch.txt" "/nosuch.txt,$book"; do
    # shellcheck disable=SC2086 # two arguments, or one list
    run wordcount $args "$tmp/wc-missing"
    [ "$status" -eq 1 ] || fail "wordcount $args: exit $status, expected 1"
    grep -q "Input path does not exist: /nosuch.txt" "$tmp/err" ||
        fail "wordcount $args: error does not name /nosuch.txt: $(head -3 "$tmp/err")"
    [ ! -e "$tmp/wc-missing" ] || fail "wordcount $args: wrote output"
    # shellcheck disable=SC2086
    run wordcount_top $args
    [ "$status" -eq 1 ] && grep -q "Input path does not exist: /nosuch.txt" "$tmp/err" ||
        fail "wordcount_top $args: exit $status: $(head -3 "$tmp/err")"
done
run wordcount "$book" "$tmp/nothing-*.txt" "$tmp/wc-missing"
[ "$status" -eq 1 ] && grep -qF "Input Pattern $tmp/nothing-*.txt matches 0 files" "$tmp/err" ||
    fail "wordcount with an empty glob: exit $status: $(head -3 "$tmp/err")"
echo "ok: a missing input or an empty glob is an error naming it"

# Comma-separated inputs and several arguments count as their concatenation.
lines=$(wc -l < "$book")
third=$((lines / 3))
sed -n "1,${third}p" "$book" > "$tmp/part1.txt"
sed -n "$((third + 1)),$((2 * third))p" "$book" > "$tmp/part2.txt"
sed -n "$((2 * third + 1)),\$p" "$book" > "$tmp/part3.txt"
cat "$tmp/part1.txt" "$tmp/part2.txt" "$tmp/part3.txt" | cmp -s - "$book" || fail "bad split of $book"
"$bin/wordcount" "$tmp/part1.txt,$tmp/part2.txt,$tmp/part3.txt" "$tmp/wc-list" 2>/dev/null ||
    fail "wordcount of a comma-separated list failed"
counts "$tmp/wc-list" | cmp -s - "$tmp/expected" || fail "comma-separated inputs count differently"
"$bin/wordcount" "$tmp/part1.txt" "$tmp/part2.txt,$tmp/part3.txt" "$tmp/wc-args" 2>/dev/null ||
    fail "wordcount of several inputs failed"
counts "$tmp/wc-args" | cmp -s - "$tmp/expected" || fail "several inputs count differently"
"$bin/wordcount_top" -n 5 "$tmp/part1.txt,$tmp/part2.txt,$tmp/part3.txt" > "$tmp/top-list"
"$bin/wordcount_top" -n 5 "$book" > "$tmp/top-book"
diff <(head -5 "$tmp/top-list") <(head -5 "$tmp/top-book") >/dev/null ||
    fail "wordcount_top of a list differs from the book's"
echo "ok: comma-separated inputs count as their concatenation"

# ---- Archives ----------------------------------------------------------------------------
# The book's three parts as members of a .zip (python3's zipfile: `zip` may
# be absent) and of tars made by tar(1): the counts are the plain book's.
mkdir -p "$tmp/members/inner"
cp "$tmp/part1.txt" "$tmp/members/p1.txt"
cp "$tmp/part2.txt" "$tmp/members/inner/p2.txt"
gzip -c "$tmp/part3.txt" > "$tmp/members/inner/p3.txt.gz"
/usr/bin/python3 - "$tmp" <<'PY'
import sys, zipfile
tmp = sys.argv[1]
with zipfile.ZipFile(tmp + '/book.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    for n in ('p1.txt', 'inner/', 'inner/p2.txt', 'inner/p3.txt.gz'):
        z.write(tmp + '/members/' + n, n)
PY
(cd "$tmp/members" && tar cf ../book.tar p1.txt inner && tar czf ../book.tgz p1.txt inner &&
    tar cjf ../book.tar.bz2 p1.txt inner)
for archive in book.zip book.tar book.tgz book.tar.bz2; do
    "$bin/wordcount" --master 'local[2]' "$tmp/$archive" "$tmp/wc-$archive" 2>"$tmp/err" ||
        fail "wordcount $archive failed: $(cat "$tmp/err")"
    counts "$tmp/wc-$archive" | cmp -s - "$tmp/expected" || fail "$archive counts differently"
done
# An archive in a list with a plain file, and under a local cluster.
"$bin/wordcount" --master 'local-cluster[2,1,256]' "$tmp/members/p1.txt,$tmp/book.zip" \
    "$tmp/wc-mixed" 2>"$tmp/err" || fail "wordcount of a list with a zip failed: $(cat "$tmp/err")"
cat "$tmp/part1.txt" "$book" | tr -s ' \t\n\v\f\r' '\n\n\n\n\n\n' | grep -v '^$' | sort | uniq -c |
    awk '{print $2 "\t" $1}' | sort > "$tmp/expected-mixed"
counts "$tmp/wc-mixed" | cmp -s - "$tmp/expected-mixed" || fail "p1.txt,book.zip counts differently"
echo "ok: .zip, .tar, .tgz and .tar.bz2 members count as the plain file"

# A damaged or misnamed archive fails naming it; never counted as text.
head -c 4000 "$tmp/book.zip" > "$tmp/cut.zip"
printf 'plain words, not a zip\n' > "$tmp/fake.zip"
head -c 3000 "$tmp/book.tgz" > "$tmp/cut.tgz"
for bad in cut.zip fake.zip cut.tgz; do
    run wordcount "$tmp/$bad" "$tmp/wc-$bad"
    [ "$status" -eq 1 ] || fail "wordcount $bad: exit $status, expected 1"
    grep -q "$bad" "$tmp/err" || fail "wordcount $bad: error does not name it: $(tail -1 "$tmp/err")"
    [ ! -e "$tmp/wc-$bad" ] || fail "wordcount $bad: wrote output"
done
echo "ok: damaged archives fail naming them"

# On a terminal the progress bar shows a stage that runs for over half a
# second (drawn from the scheduler's progress events); off a terminal, or
# with kiln.ui.showConsoleProgress=false, nothing is drawn.
if command -v script >/dev/null 2>&1; then
    "$bin/gen_text" 64m "$tmp/big.txt" >/dev/null || fail "gen_text failed"
    script -qec "$bin/wordcount --master 'local[1]' $tmp/big.txt $tmp/wc-tty" /dev/null \
        >"$tmp/tty.out" 2>&1 || fail "wordcount on a terminal failed: $(tail -3 "$tmp/tty.out")"
    tr '\r' '\n' <"$tmp/tty.out" | grep -aq '^\[Stage 0:.*/ [0-9]*\]' ||
        fail "no progress bar on a terminal: $(tr '\r' '\n' <"$tmp/tty.out" | tail -3)"
    script -qec "$bin/wordcount --master 'local[1]' --conf kiln.ui.showConsoleProgress=false \
        $tmp/big.txt $tmp/wc-tty2" /dev/null >"$tmp/tty2.out" 2>&1 || fail "wordcount failed"
    ! grep -aq '\[Stage' "$tmp/tty2.out" || fail "a progress bar despite showConsoleProgress=false"
    "$bin/wordcount" --master 'local[1]' "$tmp/big.txt" "$tmp/wc-notty" 2>"$tmp/err" >/dev/null
    ! grep -aq '\[Stage' "$tmp/err" || fail "a progress bar off a terminal"
    echo "ok: the progress bar on a terminal only"
else
    echo "skip: the progress bar check needs script(1) (util-linux)"
fi
