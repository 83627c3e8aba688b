#!/bin/bash
# tests/e2e/cluster_manager.sh - the standalone cluster manager as real
# processes on 127.0.0.1 with ephemeral ports and a private secret file:
#   0. the master refuses to start without a secret or with a readable one;
#   a. a master and two workers: `kiln status` shows both ALIVE with their
#      cores and memory; GET /json answers with the bearer token (any case
#      of the scheme, several blanks), 401 without, both with nosniff;
#   b. a wrong secret: `kiln status` fails saying so, a worker is refused and
#      never listed, a client that does not speak kiln is dropped; the
#      master's state is unchanged; 50 refused clients write at most 3 WARN
#      lines, and a later line counts the ones left out;
#   c. kill -9 of a worker: DEAD (connection lost), the other still ALIVE;
#   d. SIGSTOP of a worker: DEAD after the network timeout (1.5 s);
#   e. `kiln submit` runs the job with KILN_MASTER and KILN_SUBMIT_CONF
#      (absolute kiln.files, the secret file, each --conf) and refuses a
#      missing file or master;
#   f. the master stops cleanly on SIGTERM; every process is killed at the
#      end (trap) and every wait has a time limit. (Applications running
#      on a master and worker: tests/unit/test_cluster_standalone.c.)
# usage: tests/e2e/cluster_manager.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: cluster_manager.sh BIN_DIR}
kiln="$bin/kiln"
tmp=$(mktemp -d)
pids=()
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL

cleanup() {
    {
        for p in "${pids[@]}"; do kill -CONT "$p"; kill -9 "$p"; done
        wait
    } 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

(umask 077; "$kiln" secret > "$tmp/secret"; "$kiln" secret > "$tmp/wrong")

# ---- 0. no secret, no master -----------------------------------------------------
if timeout 10 "$kiln" master --host 127.0.0.1 --port 0 --http-port 0 2>"$tmp/nosecret.err"; then
    fail "the master started without a secret"
fi
grep -q "no secret" "$tmp/nosecret.err" || fail "unclear message without a secret"
cp "$tmp/secret" "$tmp/public" && chmod 644 "$tmp/public"
if timeout 10 "$kiln" master --port 0 --http-port 0 --secret-file "$tmp/public" 2>"$tmp/public.err"; then
    fail "the master started with a world-readable secret"
fi
grep -q "accessible by group or others" "$tmp/public.err" || fail "unclear message for a readable secret"
echo "ok: the master refuses to start without a private secret"

# ---- a. a master and two workers ------------------------------------------------
"$kiln" master --host 127.0.0.1 --port 0 --http-port 0 --secret-file "$tmp/secret" \
    --network-timeout-ms 1500 >"$tmp/master.out" 2>"$tmp/master.err" &
master=$!
pids+=("$master")
wait_for "the master's address" 10 grep -q 'master listening on' "$tmp/master.out"
url=$(master_url "$tmp/master.out")
hport=$(sed -n 's/.*status on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/master.out")
[ -n "$url" ] && [ -n "$hport" ] || fail "cannot read the ports from: $(cat "$tmp/master.out")"

# start_worker NAME CORES MEMORY [SECRET]: a worker heartbeating every 200 ms.
start_worker() {
    "$kiln" worker "$url" --cores "$2" --memory "$3" --work-dir "$tmp/$1" \
        --secret-file "${4:-$tmp/secret}" --heartbeat-ms 200 2>"$tmp/$1.err" &
    pids+=($!)
    eval "$1=\$!"
}

# The status line of the worker whose work directory is $tmp/NAME.
worker_line() { grep "\"workdir\": \"$tmp/$1\"" "$tmp/status.json" | tail -n 1; }
# is_state NAME STATE: a fresh status shows that worker in that state.
is_state() { status && worker_line "$1" | grep -q "\"state\": \"$2\""; }
worker_count() { grep -c '"workdir"' "$tmp/status.json" || true; }

start_worker w1 2 4g
start_worker w2 3 1g
wait_for "two ALIVE workers" 15 sh -c "
    '$kiln' status '$url' --secret-file '$tmp/secret' > '$tmp/status.json' 2>/dev/null &&
    grep -q '\"aliveworkers\": 2' '$tmp/status.json'"
status || fail "kiln status failed: $(cat "$tmp/status.err")"
worker_line w1 | grep -q '"cores": 2, "memory": 4096,.*"state": "ALIVE"' || fail "w1: $(worker_line w1)"
worker_line w2 | grep -q '"cores": 3, "memory": 1024,.*"state": "ALIVE"' || fail "w2: $(worker_line w2)"
grep -q '"applications": \[\]' "$tmp/status.json" || fail "applications missing"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["workers"]) == 2' \
        "$tmp/status.json" || fail "kiln status did not print valid JSON"
fi
echo "ok: two workers registered and ALIVE with their cores and memory"

# http_get PATH [TOKEN]: the whole response to GET PATH on the status port.
http_get() {
    timeout 10 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        auth=""
        [ -n "$3" ] && auth="Authorization: Bearer $3"$'"'"'\r\n'"'"'
        printf "GET %s HTTP/1.1\r\nHost: kiln\r\n%s\r\n" "$2" "$auth" >&3
        cat <&3' _ "$hport" "$1" "${2:-}"
}
token=$("$kiln" http-token --secret-file "$tmp/secret")
http_get /json "$token" > "$tmp/http.out" || fail "GET /json failed"
head -n 1 "$tmp/http.out" | grep -q "200 OK" || fail "GET /json: $(head -n 1 "$tmp/http.out")"
[ "$(grep -c '"state": "ALIVE"' "$tmp/http.out")" = 2 ] || fail "GET /json does not list 2 ALIVE workers"
http_get /json > "$tmp/http.out" || true
head -n 1 "$tmp/http.out" | grep -q "401" || fail "GET /json without a token: $(head -n 1 "$tmp/http.out")"
http_get /json "$("$kiln" http-token --secret-file "$tmp/wrong")" > "$tmp/http.out" || true
head -n 1 "$tmp/http.out" | grep -q "401" || fail "GET /json with a wrong token was not refused"
grep -q '"workers"' "$tmp/http.out" && fail "a 401 answer leaked the status"
grep -qi '^X-Content-Type-Options: nosniff' "$tmp/http.out" || fail "a 401 answer without nosniff"
timeout 10 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /json HTTP/1.1\r\nHost: kiln\r\nAuthorization: bearer  \t %s\r\n\r\n" "$2" >&3
    cat <&3' _ "$hport" "$token" > "$tmp/http.out" || fail "GET /json (bearer, spaces) failed"
head -n 1 "$tmp/http.out" | grep -q "200 OK" || fail "'bearer' with spaces refused: $(head -n 1 "$tmp/http.out")"
grep -qi '^X-Content-Type-Options: nosniff' "$tmp/http.out" || fail "a 200 answer without nosniff"
echo "ok: GET /json answers with the bearer token and 401 without it"

# ---- b. wrong secrets ------------------------------------------------------------
if timeout 15 "$kiln" status "$url" --secret-file "$tmp/wrong" --timeout-ms 5000 \
    >/dev/null 2>"$tmp/wrongstatus.err"; then
    fail "kiln status succeeded with a wrong secret"
fi
grep -q "authentication with master.*failed: wrong secret" "$tmp/wrongstatus.err" ||
    fail "unclear message for a wrong secret: $(cat "$tmp/wrongstatus.err")"
set +e
timeout 20 "$kiln" worker "$url" --cores 1 --memory 1g --work-dir "$tmp/w3" \
    --secret-file "$tmp/wrong" 2>"$tmp/w3.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "a worker with a wrong secret exited with $rc (expected 1)"
grep -q "wrong secret" "$tmp/w3.err" || fail "unclear worker message: $(cat "$tmp/w3.err")"
# A client that does not speak kiln is dropped on its first bytes.
# (Closed or reset: either is fine; hanging until the timeout is not.)
set +e
timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' \
    _ "${url##*:}" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" != 124 ] || fail "the master did not close a non-kiln client"
status || fail "kiln status failed after the wrong secrets"
[ "$(worker_count)" = 2 ] || fail "the worker list changed: $(worker_count) workers"
[ -z "$(worker_line w3)" ] || fail "the refused worker is listed"
grep -q '"aliveworkers": 2' "$tmp/status.json" || fail "the ALIVE workers changed"
echo "ok: wrong secrets are refused with a clear message and change nothing"

# A storm of refused clients writes a WARN line a second, not one each; the
# next line says how many were left out.
refused_lines() { grep -c 'WARN master: refus' "$tmp/master.err" || true; }
before=$(refused_lines)
sleep 1.1
for _ in $(seq 50); do
    timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' \
        _ "${url##*:}" >/dev/null 2>&1 || true
done
storm=$(( $(refused_lines) - before ))
[ "$storm" -ge 1 ] && [ "$storm" -le 3 ] || fail "50 refused clients wrote $storm WARN lines"
sleep 1.1
timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' \
    _ "${url##*:}" >/dev/null 2>&1 || true
wait_for "the suppressed count" 5 grep -q 'similar lines suppressed' "$tmp/master.err"
echo "ok: 50 refused clients wrote $storm WARN lines, the rest counted"

# ---- c. a worker killed ---------------------------------------------------------------
kill -9 "$w1"
wait "$w1" 2>/dev/null || true
wait_for "w1 DEAD after kill -9" 10 is_state w1 DEAD
worker_line w2 | grep -q '"state": "ALIVE"' || fail "w2 is not ALIVE: $(worker_line w2)"
echo "ok: a killed worker is DEAD at once, the other ALIVE"

# ---- d. a worker stopped ---------------------------------------------------------------
start_worker w4 1 512m
wait_for "w4 ALIVE" 10 is_state w4 ALIVE
kill -STOP "$w4"
stopped=$SECONDS
wait_for "w4 DEAD after SIGSTOP" 10 is_state w4 DEAD
grep -q "no heartbeat for 1500 ms" "$tmp/master.err" || fail "w4 was not timed out by heartbeat"
worker_line w2 | grep -q '"state": "ALIVE"' || fail "w2 is not ALIVE: $(worker_line w2)"
echo "ok: a stopped worker is DEAD after the network timeout ($((SECONDS - stopped)) s)"

# ---- e. submit -------------------------------------------------------------------------
echo data > "$tmp/lookup.txt"
(cd "$tmp" && timeout 10 "$kiln" submit --master kiln://127.0.0.1:1 --executor-memory 512m \
    --total-executor-cores 3 --executor-cores 1 --conf kiln.x=a=b --files lookup.txt \
    --secret-file secret /usr/bin/env) > "$tmp/submit.env" || fail "kiln submit failed"
grep -qx "KILN_MASTER=kiln://127.0.0.1:1" "$tmp/submit.env" || fail "no KILN_MASTER"
for line in kiln.executor.memory=512m kiln.cores.max=3 kiln.executor.cores=1 kiln.x=a=b \
            "kiln.files=$(cd "$tmp" && pwd -P)/lookup.txt" \
            "kiln.authenticate.secret=file:$(cd "$tmp" && pwd -P)/secret"; do
    grep -qxF -- "$line" "$tmp/submit.env" || fail "KILN_SUBMIT_CONF lacks $line"
done
if timeout 10 "$kiln" submit --master kiln://127.0.0.1:1 --files "$tmp/none" \
        --secret-file "$tmp/secret" /usr/bin/env 2>"$tmp/submit.err" >/dev/null; then
    fail "submit ran with a missing file"
fi
grep -q "$tmp/none" "$tmp/submit.err" || fail "unclear message for a missing file"
if timeout 10 "$kiln" submit /usr/bin/env 2>/dev/null >/dev/null; then fail "submit without --master"; fi
echo "ok: kiln submit hands the job its master and options"

# ---- f. shutdown -------------------------------------------------------------------------
kill -TERM "$master"
for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
kill -0 "$master" 2>/dev/null && fail "the master did not stop within 5 s of SIGTERM"
wait "$master" || fail "the master exited with status $? on SIGTERM"
kill -TERM "$w2"
for _ in $(seq 50); do kill -0 "$w2" 2>/dev/null || break; sleep 0.1; done
kill -0 "$w2" 2>/dev/null && fail "worker w2 did not stop within 5 s of SIGTERM"
echo "ok: the master and a worker stop on SIGTERM"
