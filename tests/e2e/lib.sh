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

# The standalone tests' cluster, from their globals: $kiln (the kiln
# binary), $url (the master's kiln:// URL) and $tmp/secret.

# master_url FILE: the kiln:// URL of a master's "master listening on" line.
master_url() {
    sed -n 's/^master listening on \(kiln:[^,]*\),.*/\1/p' "$1"
}

# status: `kiln status` of $url into $tmp/status.json (errors in status.err).
status() {
    timeout 15 "$kiln" status "$url" --secret-file "$tmp/secret" --timeout-ms 5000 \
        >"$tmp/status.json" 2>"$tmp/status.err"
}

# alive_workers [N]: status lists at least N (2) ALIVE workers.
alive_workers() {
    status && [ "$(grep -c '"state": "ALIVE"' "$tmp/status.json")" -ge "${1:-2}" ]
}
