#!/bin/bash
# tests/e2e/master_recovery.sh - a standalone master killed (kill -9) and
# restarted during a job (issue 12, defect 2; Spark's FILESYSTEM recovery
# mode): a master with --recovery-dir and two workers on 127.0.0.1, a job
# of some seconds (pi over 12,000 slices) submitted with `kiln submit`; once
# its first stage runs the master is killed and started again on the same
# port with the same directory.
#   a. the job finishes with local[2]'s output, and no executor was lost,
#      killed or restarted on the way (the workers kept them running);
#   b. the driver logged the lost connection and registered its
#      application again under the same id;
#   c. within 60 s of the restart `kiln status` lists both workers ALIVE
#      (same ids) and the application RUNNING;
#   d. a word count submitted after the restart runs too (local[2]'s
#      output), as a new application
#      whose id does not collide with the recovered one;
#   - a job that ends while the master is down: its executors exit and
#     the workers remove its directory without a master; the restarted
#     master says RECOVERING and lists it UNKNOWN, then FINISHED when the
#     recovery times out (its driver is gone);
#   e. a damaged state file stops a master with an error naming the file;
#   f. without a recovery directory the restarted master kills the
#      executors it does not know, the driver registers its application
#      anew (a new id, new executors) and the job still gives local[2]'s
#      output; the scratch directories of the killed executors are
#      removed with their application's directory (none is left).
# Every process is killed at the end (trap) and every wait has a time limit.
# usage: tests/e2e/master_recovery.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: master_recovery.sh BIN_DIR}
kiln="$bin/kiln"
tmp=$(mktemp -d)
pids=()
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL KILN_MASTER
# Every scratch directory (kiln-XXXXXX) of the drivers and executors goes here.
mkdir "$tmp/scratch"
export TMPDIR="$tmp/scratch"

cleanup() {
    {
        for p in "${pids[@]}"; do kill -9 "$p"; done
        wait
    } 2>/dev/null || true
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

(umask 077; "$kiln" secret > "$tmp/secret")
slices=${SLICES:-12000}
"$bin/gen_text" 16m "$tmp/input.txt" 11
"$bin/wordcount" --master 'local[2]' "$tmp/input.txt" "$tmp/out-local" 2>/dev/null
cat "$tmp/out-local"/part-* | sort > "$tmp/expected"
"$bin/pi" --master 'local[2]' "$slices" > "$tmp/expected-pi" 2>/dev/null

# start_master LOG PORT [TIMEOUT_MS]: a master on PORT (0: any) keeping its state in
# $tmp/recovery.
start_master() {
    "$kiln" master --host 127.0.0.1 --port "$2" --http-port 0 --secret-file "$tmp/secret" \
        --recovery-dir "$tmp/recovery" --network-timeout-ms "${3:-20000}" \
        >"$tmp/$1.out" 2>"$tmp/$1.err" &
    master=$!
    pids+=("$master")
    wait_for "the master's address" 10 grep -q 'master listening on' "$tmp/$1.out"
}
start_master master1 0
url=$(master_url "$tmp/master1.out")
port=${url##*:}
[ -n "$port" ] || fail "cannot read the port from: $(cat "$tmp/master1.out")"
for w in w1 w2; do
    "$kiln" worker "$url" --cores 2 --memory 2g --work-dir "$tmp/$w" \
        --secret-file "$tmp/secret" --heartbeat-ms 200 2>"$tmp/$w.err" &
    pids+=($!)
done
wait_for "two ALIVE workers" 15 alive_workers
grep -o '"id": "worker-[0-9]*"' "$tmp/status.json" | sort > "$tmp/workers-before"

# submit NAME PROGRAM ARGS...: PROGRAM on the cluster, INFO log in $tmp/NAME.err.
submit() {
    local name=$1
    shift
    KILN_LOG_LEVEL=INFO timeout 240 "$kiln" submit --master "$url" --secret-file "$tmp/secret" \
        --total-executor-cores 4 --executor-cores 1 --executor-memory 256m \
        --conf kiln.ui.showConsoleProgress=false "$@" 2>"$tmp/$name.err"
}
same_output() {
    cat "$tmp/out-$1"/part-* | sort > "$tmp/got-$1"
    cmp -s "$tmp/got-$1" "$tmp/expected" || fail "$1: the output differs from local[2]'s"
}

# ---- the job, and the master killed and restarted under it -------------------------
submit during "$bin/pi" "$slices" > "$tmp/got-pi" &
job=$!
pids+=("$job")
wait_for "the job's first stage" 60 grep -qs "stage 0" "$tmp/during.err"
grep -q "application app-1 on" "$tmp/during.err" || fail "the job is not application app-1"
{ kill -9 "$master"; wait "$master"; } 2>/dev/null || true
sleep 1
start_master master2 "$port"
restarted=$(date +%s.%N)
grep -q "recovering from $tmp/recovery/master-state: 2 workers, 1 running" "$tmp/master2.err" ||
    fail "the restarted master did not recover 2 workers and 1 application"
# c. the workers and the application are back within 60 s.
back() {
    status && [ "$(grep -c '"state": "ALIVE"' "$tmp/status.json")" -ge 2 ] &&
        grep -q '"id": "app-1",.*"state": "RUNNING"' "$tmp/status.json"
}
wait_for "two ALIVE workers and app-1 RUNNING after the restart" 60 back
recovered() { status && grep -q '"status": "ALIVE"' "$tmp/status.json"; }
wait_for "the end of the recovery" 10 recovered
grep -q "recovery complete: 0 workers DEAD, 0 applications FINISHED" "$tmp/master2.err" ||
    fail "the recovery did not end with everything back"
echo "ok: 2 workers ALIVE and app-1 RUNNING $(echo "$(date +%s.%N) - $restarted" | bc) s after the restart"
grep -o '"id": "worker-[0-9]*"' "$tmp/status.json" | sort | uniq > "$tmp/workers-after"
cmp -s "$tmp/workers-before" "$tmp/workers-after" ||
    fail "the workers came back under other ids: $(cat "$tmp/workers-after")"

# a. the job finishes with the same output, no executor lost.
wait "$job" || fail "the job failed after the master was restarted"
cmp -s "$tmp/got-pi" "$tmp/expected-pi" ||
    fail "pi on the cluster printed '$(cat "$tmp/got-pi")', local[2] '$(cat "$tmp/expected-pi")'"
! grep -q "executor [0-9]* lost" "$tmp/during.err" || fail "the driver lost an executor"
! grep -E 'WARN worker: app-1 executor' "$tmp"/w[12].err ||
    fail "an executor of app-1 was killed or restarted"
echo "ok: the job finished with local[2]'s output ($(cat "$tmp/expected-pi")), no executor lost"

# b. the driver's log.
[ "$(grep -c 'lost the connection to master' "$tmp/during.err")" = 1 ] ||
    fail "the driver did not log the lost master once"
grep -q "registered application app-1 again" "$tmp/during.err" ||
    fail "the driver did not register app-1 again"
echo "ok: the driver logged the lost master once and registered app-1 again"

# d. a job after the restart.
submit after "$bin/wordcount" "$tmp/input.txt" "$tmp/out-after" ||
    fail "a job submitted after the restart failed"
same_output after
grep -q "application app-2 on" "$tmp/after.err" || fail "the new job is not app-2: $(grep application "$tmp/after.err")"
status
grep -q '"id": "app-1",.*"state": "FINISHED"' "$tmp/status.json" || fail "app-1 is not FINISHED"
grep -q '"id": "app-2",.*"state": "FINISHED"' "$tmp/status.json" || fail "app-2 is not FINISHED"
echo "ok: a job submitted after the restart runs as app-2"

# The job ends while the master is down.
submit gone "$bin/pi" 3000 > "$tmp/got-pi-gone" &
job=$!
pids+=("$job")
wait_for "the job's first stage" 60 grep -qs "stage 0" "$tmp/gone.err"
{ kill -9 "$master"; wait "$master"; } 2>/dev/null || true
wait "$job" || fail "a job whose master died failed"
grep -q "Pi is roughly" "$tmp/got-pi-gone" || fail "pi printed: $(cat "$tmp/got-pi-gone")"
no_app_dirs() { [ -z "$(find "$tmp/w1" "$tmp/w2" -mindepth 1 -maxdepth 1 -name 'app-*')" ]; }
wait_for "the workers to remove the directory of app-3 without a master" 15 no_app_dirs
start_master master5 "$port" 8000
app3_unknown() {
    status && grep -q '"status": "RECOVERING"' "$tmp/status.json" &&
        grep -q '"id": "app-3",.*"state": "UNKNOWN"' "$tmp/status.json"
}
wait_for "app-3 UNKNOWN and the master RECOVERING" 8 app3_unknown
# Its driver never comes back: FINISHED once the recovery times out (8 s).
app3_finished() {
    status && grep -q '"status": "ALIVE"' "$tmp/status.json" &&
        grep -q '"id": "app-3",.*"state": "FINISHED"' "$tmp/status.json"
}
wait_for "app-3 FINISHED after the recovery timeout" 30 app3_finished
grep -q "recovery complete (timed out): [0-9]* workers DEAD, 1 applications FINISHED" \
    "$tmp/master5.err" || fail "the recovery did not time out with app-3 FINISHED"
wait_for "two ALIVE workers" 60 alive_workers
echo "ok: a job that ended while the master was down left no directory; UNKNOWN, then FINISHED"

# e. a damaged state file.
{ kill -9 "$master"; wait "$master"; } 2>/dev/null || true
printf 'x' | dd of="$tmp/recovery/master-state" bs=1 seek=20 conv=notrunc 2>/dev/null
if timeout 10 "$kiln" master --host 127.0.0.1 --port 0 --http-port 0 --secret-file "$tmp/secret" \
    --recovery-dir "$tmp/recovery" >/dev/null 2>"$tmp/damaged.err"; then
    fail "a master started on a damaged state file"
fi
grep -q "$tmp/recovery/master-state is damaged" "$tmp/damaged.err" ||
    fail "unclear message for a damaged state file: $(cat "$tmp/damaged.err")"
! grep -q "$(cat "$tmp/secret")" "$tmp/recovery/master-state" || fail "the state file holds the secret"
echo "ok: a damaged state file stops the master with a message naming it"

# ---- f. no recovery directory ---------------------------------------------------------
"$kiln" master --host 127.0.0.1 --port "$port" --http-port 0 --secret-file "$tmp/secret" \
    >"$tmp/master3.out" 2>"$tmp/master3.err" &
master=$!
pids+=("$master")
wait_for "the master's address" 10 grep -q 'master listening on' "$tmp/master3.out"
wait_for "two ALIVE workers" 60 alive_workers
submit norec "$bin/pi" "$slices" > "$tmp/got-pi-norec" &
job=$!
pids+=("$job")
wait_for "the job's first stage" 60 grep -qs "stage 0" "$tmp/norec.err"
{ kill -9 "$master"; wait "$master"; } 2>/dev/null || true
sleep 1
"$kiln" master --host 127.0.0.1 --port "$port" --http-port 0 --secret-file "$tmp/secret" \
    >"$tmp/master4.out" 2>"$tmp/master4.err" &
master=$!
pids+=("$master")
wait "$job" || fail "the job failed after a master without recovery directory restarted"
cmp -s "$tmp/got-pi-norec" "$tmp/expected-pi" || fail "pi without recovery: $(cat "$tmp/got-pi-norec")"
grep -q "registered anew as app-[0-9]*" "$tmp/norec.err" || fail "the driver did not register anew"
grep -q "runs executors of app-[0-9]*, which this master does not know: killing them" \
    "$tmp/master4.err" || fail "the master did not kill the executors it does not know"
echo "ok: without a recovery directory the job is registered anew and still finishes"
wait_for "the workers to remove the applications' directories" 15 no_app_dirs
left=$(find "$tmp/scratch" -mindepth 1 -maxdepth 1 -name 'kiln-*')
[ -z "$left" ] || fail "scratch directories left behind: $left"
echo "ok: no scratch directory is left behind by the killed executors"
