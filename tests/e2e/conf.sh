#!/bin/sh
# tests/e2e/conf.sh - configuration as a user meets it:
#   1. `kiln conf` prints the effective settings, one "key = value    (source)"
#      line each: the defaults file ($KILN_CONF_DIR), KILN_SUBMIT_CONF,
#      KILN_MASTER, --master / --conf, the defaults; secrets masked;
#      a ./conf directory in the current directory is not read;
#   2. bad values are errors naming key, value and source (flag, file:line);
#   3. wordcount with a misspelt key warns with the nearest known key and
#      still runs; with a bad value it stops before running.
# usage: tests/e2e/conf.sh BIN_DIR   (run from the repository root)
set -eu
bin=$(cd "${1:?usage: conf.sh BIN_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset KILN_MASTER KILN_SUBMIT_CONF KILN_LOG_LEVEL KILN_SECRET_FILE

fail() {
    echo "FAIL: $*"
    for f in "$tmp"/*.out "$tmp"/*.err; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
    done
    exit 1
}
# has FILE LINE: FILE has exactly this line.
has() { grep -qxF -- "$2" "$1" || fail "$1 lacks the line '$2'"; }

# ---- 1. kiln conf ----------------------------------------------------------------
mkdir "$tmp/etc"
printf '# site defaults\nkiln.executor.memory 512m\nkiln.app.name site\nspark.local.dir /scratch\n' \
    > "$tmp/etc/kiln-defaults.conf"
export KILN_CONF_DIR="$tmp/etc"
KILN_SUBMIT_CONF='kiln.cores.max=4
kiln.authenticate.secret=0123456789abcdef0123456789abcdef' \
    "$bin/kiln" conf --master 'local[2]' --conf kiln.default.parallelism=3 \
        --conf kiln.app.name=flagged > "$tmp/conf.out" 2> "$tmp/conf.err" ||
    fail "kiln conf failed"
has "$tmp/conf.out" "# defaults file: $tmp/etc/kiln-defaults.conf"
has "$tmp/conf.out" "kiln.executor.memory = 512m    (file $tmp/etc/kiln-defaults.conf:2)"
has "$tmp/conf.out" "kiln.local.dir = /scratch    (file $tmp/etc/kiln-defaults.conf:4, as spark.local.dir)"
has "$tmp/conf.out" "kiln.app.name = flagged    (--conf flag)"
has "$tmp/conf.out" "kiln.master = local[2]    (--master flag)"
has "$tmp/conf.out" "kiln.default.parallelism = 3    (--conf flag)"
has "$tmp/conf.out" "kiln.cores.max = 4    (KILN_SUBMIT_CONF line 1)"
has "$tmp/conf.out" "kiln.authenticate.secret = ********    (KILN_SUBMIT_CONF line 2)"
has "$tmp/conf.out" "kiln.speculation = false    (default)"
has "$tmp/conf.out" "kiln.shuffle.compress.codec = lz4    (default)"
grep -q 0123456789abcdef "$tmp/conf.out" && fail "the secret is printed"
grep -q "spark.local.dir is read as kiln.local.dir" "$tmp/conf.err" || fail "no note on spark.local.dir"
# every line after the first is "key = value    (source)", sorted by key
sed 1d "$tmp/conf.out" | grep -v '^[A-Za-z][A-Za-z0-9_.]* = .*    ([^)]*)$' &&
    fail "a line is not 'key = value    (source)'"
sed 1d "$tmp/conf.out" | cut -d' ' -f1 | LC_ALL=C sort -c || fail "kiln conf output is not sorted"

KILN_MASTER='local[5]' "$bin/kiln" conf --conf kiln.authenticate.secret=file:/etc/kiln/secret \
    > "$tmp/env.out" 2>&1 || fail "kiln conf with KILN_MASTER failed"
has "$tmp/env.out" "kiln.master = local[5]    (KILN_MASTER environment)"
has "$tmp/env.out" "kiln.authenticate.secret = file:/etc/kiln/secret    (--conf flag)"
echo "ok: kiln conf prints each setting with its source"

"$bin/kiln" conf --help > "$tmp/help.out" 2>"$tmp/help.err" || fail "kiln conf --help exited $?"
grep -q "^usage: kiln conf" "$tmp/help.out" || fail "kiln conf --help prints no usage on stdout"
"$bin/kiln" conf --keys > "$tmp/keys.out" || fail "kiln conf --keys failed"
for key in kiln.master kiln.executor.memory kiln.network.timeout kiln.speculation.quantile \
           kiln.authenticate.secret kiln.ssl.enabled kiln.files kiln.local.dir; do
    grep -q "^$key (" "$tmp/keys.out" || fail "kiln conf --keys does not list $key"
done
echo "ok: kiln conf --help and --keys"

# ./conf of the current directory is not a defaults file.
mkdir -p "$tmp/cwd/conf"
echo "kiln.app.name from-cwd" > "$tmp/cwd/conf/kiln-defaults.conf"
(unset KILN_CONF_DIR; cd "$tmp/cwd" && "$bin/kiln" conf) > "$tmp/cwd.out" 2>&1 ||
    fail "kiln conf without KILN_CONF_DIR failed"
grep -q "from-cwd" "$tmp/cwd.out" && fail "./conf/kiln-defaults.conf of the current directory was read"
grep -q "^# defaults file: /.*/kiln-defaults.conf" "$tmp/cwd.out" ||
    fail "the installation's defaults file is not named"
echo "ok: ./conf in the current directory is not read"

# ---- 2. bad values ------------------------------------------------------------------
if "$bin/kiln" conf --conf 'kiln.executor.memory=2gb!' > /dev/null 2> "$tmp/bad.err"; then
    fail "kiln conf accepted kiln.executor.memory=2gb!"
fi
grep -qF "kiln.executor.memory: expected a size such as 512m or 2g, got '2gb!' (--conf flag)" \
    "$tmp/bad.err" || fail "the bad flag is not named"
printf 'kiln.master local[2]\n\nkiln.speculation.quantile 2\n' > "$tmp/etc/kiln-defaults.conf"
if "$bin/kiln" conf > /dev/null 2> "$tmp/badfile.err"; then fail "a bad defaults file was accepted"; fi
grep -qF "kiln.speculation.quantile: expected a number >= 0 and <= 1, got '2' (file $tmp/etc/kiln-defaults.conf:3)" \
    "$tmp/badfile.err" || fail "the bad line of the defaults file is not named"
printf 'kiln.master local[2]\n=oops\n' > "$tmp/etc/kiln-defaults.conf"
if "$bin/kiln" conf > /dev/null 2> "$tmp/malformed.err"; then fail "a malformed defaults file was accepted"; fi
grep -qF "$tmp/etc/kiln-defaults.conf:2: malformed line" "$tmp/malformed.err" ||
    fail "the malformed line is not named"
echo "ok: bad values and lines are named with their source"

# ---- 3. a program --------------------------------------------------------------------
: > "$tmp/etc/kiln-defaults.conf"
"$bin/wordcount" --conf kiln.executor.memroy=2g data/pride-and-prejudice.txt "$tmp/wc" \
    > "$tmp/wc.out" 2> "$tmp/wc.err" || fail "wordcount with a misspelt key failed"
grep -q "WARN conf: unknown key kiln.executor.memroy (--conf flag); did you mean kiln.executor.memory?" \
    "$tmp/wc.err" || fail "no suggestion for kiln.executor.memroy"
test -f "$tmp/wc/_SUCCESS" || fail "wordcount did not finish"
if "$bin/wordcount" --conf kiln.executor.memory=lots data/pride-and-prejudice.txt "$tmp/wc2" \
        > /dev/null 2> "$tmp/wc2.err"; then
    fail "wordcount ran with kiln.executor.memory=lots"
fi
grep -qF "kiln.executor.memory: expected a size such as 512m or 2g, got 'lots' (--conf flag)" \
    "$tmp/wc2.err" || fail "wordcount's error does not name the flag"
test -e "$tmp/wc2" && fail "wordcount wrote output despite a bad setting"
echo "ok: wordcount warns about a misspelt key and stops on a bad value"
