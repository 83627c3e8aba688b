#!/bin/bash
# tests/e2e/cluster_submit.sh - jobs on a standalone cluster: a master and two
# workers on 127.0.0.1 (ephemeral ports, a private secret file), jobs run with
# `kiln submit` in client mode:
#   a. wordcount of a generated 24 MiB text gives local[2]'s output exactly;
#      the status shows the application FINISHED afterwards, and each
#      worker's cache holds the program under its sha256; the executors
#      stopped at that normal end are logged at INFO, never as a WARN
#      (nor are local-cluster's when its driver ends);
#   b. kill -9 of one executor while a job over 96 MiB runs: its worker
#      logs it at WARN and restarts it, the job completes with local[2]'s
#      output;
#   c. a wrong secret: the job fails saying so, no application is
#      registered and no executor process is started;
#   d. with kiln.ssl.enabled every connection of the application is TLS
#      (workers fetch the program through it too): same output.
# Every process is killed at the end (trap) and every wait has a time limit.
# usage: tests/e2e/cluster_submit.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: cluster_submit.sh BIN_DIR}
kiln="$bin/kiln"
tmp=$(mktemp -d)
pids=()
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL KILN_MASTER

cleanup() {
    {
        for p in "${pids[@]}"; do kill -9 "$p"; done
        wait
    } 2>/dev/null || true
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

(umask 077; "$kiln" secret > "$tmp/secret"; "$kiln" secret > "$tmp/wrong")
"$bin/gen_text" 24m "$tmp/input.txt" 7
"$bin/wordcount" --master 'local[2]' "$tmp/input.txt" "$tmp/out-local" 2>/dev/null
cat "$tmp/out-local"/part-* | sort > "$tmp/expected"

"$kiln" master --host 127.0.0.1 --port 0 --http-port 0 --secret-file "$tmp/secret" \
    >"$tmp/master.out" 2>"$tmp/master.err" &
pids+=($!)
wait_for "the master's address" 10 grep -q 'master listening on' "$tmp/master.out"
url=$(master_url "$tmp/master.out")
for w in w1 w2; do
    "$kiln" worker "$url" --cores 2 --memory 2g --work-dir "$tmp/$w" \
        --secret-file "$tmp/secret" --heartbeat-ms 200 2>"$tmp/$w.err" &
    pids+=($!)
done
wait_for "two ALIVE workers" 15 alive_workers

# submit NAME SECRET [INPUT [TLS]]: word count on the cluster into $tmp/out-NAME.
submit() {
    timeout 120 "$kiln" submit --master "$url" --secret-file "$2" --total-executor-cores 3 \
        --executor-cores 1 --executor-memory 512m --conf kiln.ui.showConsoleProgress=false \
        --conf "kiln.ssl.enabled=${4:-false}" \
        "$bin/wordcount" "${3:-$tmp/input.txt}" "$tmp/out-$1" 2>"$tmp/$1.err"
}
# same_output NAME [EXPECTED]
same_output() {
    cat "$tmp/out-$1"/part-* | sort > "$tmp/got-$1"
    cmp -s "$tmp/got-$1" "${2:-$tmp/expected}" || fail "$1: the output differs from local[2]'s"
}
# The pids of the executors: processes whose working directory is under a worker's.
executor_pids() {
    for d in /proc/[0-9]*; do
        case "$(readlink "$d/cwd" 2>/dev/null)" in "$tmp"/w[12]/app-*) echo "${d#/proc/}" ;; esac
    done
}

# ---- a. a job on the cluster ------------------------------------------------------
submit plain "$tmp/secret" || fail "the job failed on the cluster"
same_output plain
status
grep -q '"state": "FINISHED"' "$tmp/status.json" || fail "the application is not FINISHED"
sum=$(sha256sum "$bin/wordcount" | cut -d' ' -f1)
[ -f "$tmp/w1/cache/$sum" ] || [ -f "$tmp/w2/cache/$sum" ] || fail "no worker cached the program as $sum"
echo "ok: wordcount on a master and two workers equals local[2]'s ($(wc -l < "$tmp/expected") words)"

# The normal end of the application: its three executors are reported gone
# (EXITED when they left on the driver's SHUTDOWN, KILLED when the worker's
# SIGTERM came first) at INFO; neither log holds a warning about them.
app1_gone() {
    [ "$(cat "$tmp"/w[12].err | grep -c 'app-1 executor [0-9]*: \(KILLED\|EXITED\)')" -ge 3 ]
}
wait_for "the executors of app-1 to be reported gone" 15 app1_gone
warned=$(grep -h 'WARN' "$tmp"/w[12].err | grep -E 'executor|KILLED|killed by signal' || true)
[ -z "$warned" ] || fail "the normal end of app-1 was logged as a warning: $warned"
! grep -q 'WARN' "$tmp/plain.err" || fail "the driver of a normal run logged a warning"
KILN_LOG_LEVEL=INFO timeout 60 "$bin/wordcount" --master 'local-cluster[2,1,256]' \
    --conf kiln.ui.showConsoleProgress=false "$tmp/input.txt" "$tmp/out-lc" 2>"$tmp/lc.err" \
    || fail "wordcount under local-cluster failed"
same_output lc
! grep -q 'WARN' "$tmp/lc.err" || fail "local-cluster's normal end logged a warning"
echo "ok: the normal end of an application (standalone, local-cluster) logs no warning"

# ---- b. kill -9 of an executor mid-job --------------------------------------------
"$bin/gen_text" 96m "$tmp/big.txt" 8
"$bin/wordcount" --master 'local[2]' "$tmp/big.txt" "$tmp/out-big" 2>/dev/null
cat "$tmp/out-big"/part-* | sort > "$tmp/expected-big"
KILN_LOG_LEVEL=INFO submit killed "$tmp/secret" "$tmp/big.txt" &
job=$!
pids+=("$job")
# Once the first stage runs, kill the executor a worker started first for this application.
wait_for "the job's first stage" 60 grep -q "stage 0" "$tmp/killed.err"
victim=$(sed -n 's/.*app-2 executor [0-9]*: RUNNING: pid \([0-9]*\) .*/\1/p' "$tmp"/w[12].err | head -n 1)
[ -n "$victim" ] || fail "no executor of the second application in the workers' logs"
kill -9 "$victim"
wait "$job" || fail "the job failed after an executor was killed"
same_output killed "$tmp/expected-big"
grep -q "executor [0-9]* lost" "$tmp/killed.err" || fail "the driver did not notice the killed executor"
grep -q "restart" "$tmp/w1.err" "$tmp/w2.err" || fail "no worker restarted the killed executor"
grep -q "WARN worker: app-2 executor [0-9]*: RESTARTING: killed by signal 9" "$tmp"/w[12].err \
    || fail "the killed executor was not logged as a warning"
echo "ok: kill -9 of executor $victim: the worker restarted it and the output is unchanged"

# ---- c. a wrong secret ----------------------------------------------------------------
status
apps_before=$(grep -c '"state": "FINISHED"' "$tmp/status.json" || true)
if submit wrong "$tmp/wrong"; then fail "a job with the wrong secret ran"; fi
grep -q "wrong secret" "$tmp/wrong.err" || fail "unclear message for a wrong secret"
status
apps_after=$(grep -c '"state": "FINISHED"' "$tmp/status.json" || true)
[ "$apps_before" = "$apps_after" ] || fail "an application was registered with a wrong secret"
[ -z "$(executor_pids)" ] || fail "an executor runs after a refused application"
[ ! -e "$tmp/out-wrong/_SUCCESS" ] || fail "output written with a wrong secret"
echo "ok: a wrong secret is refused, nothing registered or started"

# ---- d. TLS -----------------------------------------------------------------------------
rm -rf "$tmp"/w[12]/cache # the workers fetch the program again, through TLS
submit tls "$tmp/secret" "$tmp/input.txt" true || fail "the job failed with TLS"
same_output tls
[ -f "$tmp/w1/cache/$sum" ] || [ -f "$tmp/w2/cache/$sum" ] || fail "no worker fetched the program through TLS"
echo "ok: with kiln.ssl.enabled the job runs over TLS with the same output"
