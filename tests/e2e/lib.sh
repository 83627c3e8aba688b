# tests/e2e/lib.sh - helpers the bash e2e tests share (sourced; they set $tmp).

# fail MESSAGE: prints it with the tails of the test's *.err files, exits 1.
fail() {
    echo "FAIL: $*"
    for f in "$tmp"/*.err "$tmp"/status.json; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
    done
    exit 1
}

# wait_for WHAT SECONDS COMMAND...: runs COMMAND every 0.1 s until it
# succeeds, failing the test after SECONDS.
wait_for() {
    local what=$1 limit=$2
    shift 2
    local end=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || fail "timed out after ${limit}s waiting for $what"
        sleep 0.1
    done
}
