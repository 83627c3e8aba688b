#!/bin/bash
# tests/e2e/app_ui_browser.sh - the application web UI and the history server
# in a real browser (headless chromium driven by playwright-core, as
# tests/browser/cluster_pages.mjs does for the standalone cluster):
#   a. BUILD/tests/ui_app runs a word count over a cached text file, a job
#      whose task fails with "'><img src=x onerror=alert(1)> in its message and
#      a SQL query with markup in its text (its plan graph on the SQL tab),
#      with the application name <script>alert(1)</script>, a configuration
#      value holding the same <img ...>, its UI on a free port (the URL from
#      its "web UI available at" line) and the event log in a temp directory;
#      while it waits, tests/browser/app_pages.mjs opens every tab;
#   b. once it has ended, kiln history-server on a free port over the event
#      log directory: the same script checks the list and the application's
#      Jobs and Stages pages there.
# Skipped (exit 0, saying why) when chromium, node or playwright-core is absent.
# usage: tests/e2e/app_ui_browser.sh BUILD_DIR ARTIFACTS  (from the repository root)
set -eu
build=${1:?usage: app_ui_browser.sh BUILD_DIR ARTIFACTS}
artifacts=${2:?usage: app_ui_browser.sh BUILD_DIR ARTIFACTS}
kiln="$build/bin/kiln"
app="$build/tests/ui_app"
mjs="$(dirname "$0")/../browser/app_pages.mjs"
peers="${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}"
chromium=${KILN_CHROMIUM:-/usr/bin/chromium}
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL KILN_MASTER

[ -x "$chromium" ] || { echo "skip: no chromium at $chromium (apt-get install chromium)"; exit 0; }
[ -d "$peers/node_modules/playwright-core" ] ||
    { echo "skip: playwright-core is not installed in $peers (npm install playwright-core)"; exit 0; }
command -v node >/dev/null || { echo "skip: node is not installed"; exit 0; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    exec 2>/dev/null # bash's "Killed" notices
    {
        for p in "${pids[@]}"; do kill -9 "$p"; done
        wait
    } 2>/dev/null || true
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

xss1='<script>alert(1)</script>'
xss2="\"'><img src=x onerror=alert(1)>"
rm -rf "$artifacts"
mkdir -p "$artifacts"

# ---- a. The live application's UI ---------------------------------------------------------
KILN_LOG_LEVEL=INFO "$app" "$tmp" >"$tmp/app.out" 2>"$tmp/app.err" &
apid=$!
pids+=($apid)
wait_for "the application's jobs" 60 test -e "$tmp/ready"
url=$(sed -n 's/^.*web UI available at \(http:[^ ]*\)$/\1/p' "$tmp/app.err")
[ -n "$url" ] || fail "no 'web UI available at' line: $(cat "$tmp/app.err")"
KILN_PEERS_DIR="$peers" timeout 60 node "$mjs" live "$url" "$artifacts" "$xss1" "$xss2" ||
    fail "the browser test of the application UI failed"
echo "ok: chromium: every tab of the live UI renders without errors, escaped; links and sorting work"

touch "$tmp/go"
wait "$apid" || fail "the application exited with $?"
ls "$tmp/events" | grep -q '^local-[0-9]*$' ||
    fail "no finished event log in $tmp/events: $(ls -a "$tmp/events")"

# ---- b. The history server over its event log ------------------------------------------------
"$kiln" history-server --host 127.0.0.1 --port 0 --log-dir "$tmp/events" \
    >"$tmp/history.out" 2>"$tmp/history.err" &
pids+=($!)
wait_for "the history server" 10 grep -q 'kiln history server at' "$tmp/history.out"
hurl=$(sed -n 's/^kiln history server at \(http:[^ ]*\) .*/\1/p' "$tmp/history.out")
[ -n "$hurl" ] || fail "no URL in: $(cat "$tmp/history.out")"
KILN_PEERS_DIR="$peers" timeout 60 node "$mjs" history "$hurl" "$artifacts" "$xss1" "$xss2" ||
    fail "the browser test of the history server failed"
echo "ok: chromium: the history server lists the application; its Jobs and Stages render the same"
