#!/bin/bash
# tests/e2e/history_flags.sh - where `kiln history-server` takes its port and
# log directory from: the keys kiln.history.ui.port and
# kiln.history.fs.logDirectory (kiln-defaults.conf in $KILN_CONF_DIR,
# KILN_SUBMIT_CONF lines, --conf flags, in that order), and the verb's own
# --port and --log-dir above them; a bad value is refused naming the key.
# Each case starts the server and reads the URL and directory it announces.
# usage: tests/e2e/history_flags.sh BIN_DIR   (run from the repository root)
set -euo pipefail
bin=${1:?usage: history_flags.sh BIN_DIR}
kiln=$bin/kiln
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
export LC_ALL=C
. tests/e2e/lib.sh
unset KILN_SUBMIT_CONF KILN_MASTER

# free_port: a port nothing listens on now (bound once, closed).
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mkdir -p "$tmp/conf" "$tmp/a" "$tmp/b" "$tmp/c"
export KILN_CONF_DIR=$tmp/conf

# serve EXPECT_PORT EXPECT_DIR ARGS...: starts the server with ARGS, checks
# the port of its URL and the directory it reads, stops it.
serve() {
    local want_port=$1 want_dir=$2
    shift 2
    : >"$tmp/out"
    "$kiln" history-server --host 127.0.0.1 "$@" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    wait_for "the history server ($*)" 10 grep -q 'kiln history server at' "$tmp/out"
    local line
    line=$(grep 'kiln history server at' "$tmp/out")
    [[ $line == *"http://127.0.0.1:$want_port/"* ]] ||
        fail "history-server $*: expected port $want_port in: $line"
    [[ $line == *"(event logs in $want_dir)"* ]] ||
        fail "history-server $*: expected the logs of $want_dir in: $line"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}

p1=$(free_port)
printf 'kiln.history.ui.port %s\nkiln.history.fs.logDirectory file:%s\n' "$p1" "$tmp/a" \
    >"$tmp/conf/kiln-defaults.conf"
serve "$p1" "$tmp/a"
echo "ok: the defaults file's kiln.history.ui.port and kiln.history.fs.logDirectory"

printf 'kiln.history.fs.logDirectory=%s\n' "$tmp/c" >"$tmp/submit.conf"
KILN_SUBMIT_CONF=$(cat "$tmp/submit.conf") serve "$p1" "$tmp/c"
echo "ok: KILN_SUBMIT_CONF's lines over the defaults file"

p2=$(free_port)
serve "$p2" "$tmp/b" --conf "kiln.history.ui.port=$p2" --conf="kiln.history.fs.logDirectory=$tmp/b"
echo "ok: --conf over the defaults file"

p3=$(free_port)
serve "$p3" "$tmp/c" --conf "kiln.history.ui.port=$p2" --port "$p3" \
    --conf "kiln.history.fs.logDirectory=$tmp/b" --log-dir "$tmp/c"
echo "ok: --port and --log-dir over the keys"

set +e
"$kiln" history-server --conf kiln.history.ui.port=99999 >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
[ "$status" -ne 0 ] || fail "a port of 99999 was accepted"
grep -q 'kiln.history.ui.port' "$tmp/err" || fail "the error does not name the key: $(cat "$tmp/err")"
echo "ok: a bad kiln.history.ui.port is refused naming the key"
