#!/bin/bash
# tests/e2e/cluster_web.sh - the web pages of a standalone cluster, as real
# processes on 127.0.0.1 (a master, a worker, two Python applications whose
# names are XSS attempts, still running while the pages are read):
#   a. the master's page (GET /, HEAD /) lists the worker, linked to the
#      worker's page, and the applications with their names escaped (never
#      raw); every answer has the security headers; POST is 405; GET /json
#      still needs the bearer token (401 without, 200 with);
#   b. the worker's page lists both executors with links to their logs; a
#      log page shows what the executor printed, paged by offset and
#      byteLength; appId "..", "%2e%2e", "/etc", "../..", a bad executorId
#      or logType, and symbolic links under the work directory (to a file
#      or a directory outside it) are refused, the file's bytes never shown;
#   c. a master bound to every address needs the token: 401 without it,
#      ?token=T sets the cookie (HttpOnly, SameSite=Strict) and redirects
#      to the URL without it, the cookie then opens the page;
#   d. with --browser: tests/browser/cluster_pages.mjs drives headless
#      chromium through the pages (skipped, saying why, when chromium or
#      playwright-core is absent); screenshots go to ARTIFACTS.
# usage: tests/e2e/cluster_web.sh BIN_DIR [--browser ARTIFACTS]  (from the repository root)
set -eu
bin=${1:?usage: cluster_web.sh BIN_DIR [--browser ARTIFACTS]}
mode=${2:-}
artifacts=${3:-}
kiln="$bin/kiln"
tmp=$(mktemp -d)
pids=()
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL KILN_MASTER
py=/usr/bin/python3
peers="${KILN_PEERS_DIR:-$HOME/.cache/kiln-peers}"

cleanup() {
    {
        touch "$tmp/go" # the drivers end on their own (killing kiln submit leaves them)
        sleep 1
        for p in "${pids[@]}"; do kill -9 "$p"; done
        wait
    } 2>/dev/null || true
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

if [ "$mode" = --browser ]; then
    chromium=${KILN_CHROMIUM:-/usr/bin/chromium}
    [ -x "$chromium" ] || { echo "skip: no chromium at $chromium (apt-get install chromium)"; exit 0; }
    [ -d "$peers/node_modules/playwright-core" ] ||
        { echo "skip: playwright-core is not installed in $peers (npm install playwright-core)"; exit 0; }
    command -v node >/dev/null || { echo "skip: node is not installed"; exit 0; }
fi
[ -x "$py" ] || { echo "skip: $py is not installed"; exit 0; }
[ -d "$bin/../python/kiln" ] || { echo "skip: the Python package is not built ($bin/../python)"; exit 0; }

(umask 077; "$kiln" secret > "$tmp/secret")
token=$("$kiln" http-token --secret-file "$tmp/secret")

"$kiln" master --host 127.0.0.1 --port 0 --http-port 0 --secret-file "$tmp/secret" \
    >"$tmp/master.out" 2>"$tmp/master.err" &
pids+=($!)
wait_for "the master's address" 10 grep -q 'master web UI at' "$tmp/master.out"
url=$(master_url "$tmp/master.out")
hport=$(sed -n 's/.*status on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/master.out")
grep -q "master web UI at http://127.0.0.1:$hport/\$" "$tmp/master.out" ||
    fail "loopback master's UI URL: $(cat "$tmp/master.out")"
mkdir -m 700 "$tmp/w1"
"$kiln" worker "$url" --cores 2 --memory 2g --work-dir "$tmp/w1" --secret-file "$tmp/secret" \
    --host 127.0.0.1 --webui-port 0 >"$tmp/w1.out" 2>"$tmp/w1.err" &
pids+=($!)
wait_for "the worker's web UI" 10 grep -q 'worker web UI at' "$tmp/w1.out"
wport=$(sed -n 's/^worker web UI at http:\/\/127.0.0.1:\([0-9]*\)\/$/\1/p' "$tmp/w1.out")
[ -n "$wport" ] || fail "worker's UI URL: $(cat "$tmp/w1.out")"

# get PORT PATH [CURL ARGS...]: the whole answer (head and body) into $tmp/r.
get() {
    local port=$1 path=$2
    shift 2
    curl -s -i --max-time 10 "$@" "http://127.0.0.1:$port$path" >"$tmp/r" || true
}
status() { head -n 1 "$tmp/r" | cut -d' ' -f2; }
headers_ok() {
    for h in 'X-Frame-Options: DENY' 'X-Content-Type-Options: nosniff' \
        "Content-Security-Policy: default-src 'self'; script-src 'self'" 'Referrer-Policy: no-referrer' \
        'Cache-Control: '; do
        grep -qiF "$h" "$tmp/r" || fail "$1: no '$h' in the answer"
    done
}

wait_for "the worker in the master's page" 10 sh -c "curl -s http://127.0.0.1:$hport/ | grep -q worker-"

# ---- The applications: Python drivers named as XSS attempts -------------------------
xss1='<script>alert(1)</script>'
xss2="\"'><img src=x onerror=alert(1)>"
cat > "$tmp/job.py" <<'PYEOF'
import os, sys, time
from kiln import SparkContext
sc = SparkContext(appName=sys.argv[1])
def shout(x):
    print("executor-output-line %d" % x, flush=True)
    return x
assert sc.parallelize(range(20), 2).map(shout).count() == 20
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
sc.stop()
PYEOF
for i in 1 2; do
    eval "name=\$xss$i"
    timeout 120 "$kiln" submit --master "$url" --secret-file "$tmp/secret" --total-executor-cores 1 \
        --executor-memory 512m "$tmp/job.py" "$name" "$tmp/go" >"$tmp/app$i.out" 2>"$tmp/app$i.err" &
    pids+=($!)
    wait_for "application $i running" 60 test -e "$tmp/go.ready"
    rm -f "$tmp/go.ready"
done

# ---- a. The master's page -------------------------------------------------------------
get "$hport" /
[ "$(status)" = 200 ] || fail "GET / on the master: $(head -n 1 "$tmp/r")"
headers_ok "the master's page"
grep -qi '^Cache-Control: no-store' "$tmp/r" || fail "the master's page may be cached"
grep -q "href=\"http://127.0.0.1:$wport/\"" "$tmp/r" || fail "no link to the worker's page"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/r" || fail "application 1 not shown escaped"
grep -qF '&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;' "$tmp/r" || fail "application 2 not shown escaped"
grep -qF "$xss1" "$tmp/r" && fail "application 1's name is raw HTML on the master's page"
grep -qF '<img src=x' "$tmp/r" && fail "application 2's name is raw HTML on the master's page"
grep -q 'Running Applications (2)' "$tmp/r" || fail "two running applications not listed"
get "$hport" / -I
[ "$(status)" = 200 ] || fail "HEAD /: $(head -n 1 "$tmp/r")"
get "$hport" / -X POST -d x=1
[ "$(status)" = 405 ] || fail "POST /: $(head -n 1 "$tmp/r")"
headers_ok "a 405"
get "$hport" /json
[ "$(status)" = 401 ] || fail "GET /json without the token: $(head -n 1 "$tmp/r")"
get "$hport" /json -H "Authorization: Bearer $token"
[ "$(status)" = 200 ] || fail "GET /json with the token: $(head -n 1 "$tmp/r")"
grep -q '"aliveworkers": 1' "$tmp/r" || fail "GET /json: no ALIVE worker"
get "$hport" /static/kiln.js
grep -qi '^Content-Type: text/javascript' "$tmp/r" || fail "kiln.js is not JavaScript"
echo "ok: the master's page lists the worker and both applications, names escaped; /json needs its token"

# Each running application's name links to its UI (what its driver sent in
# REGISTER_APP, an http URL), and the link leads to that application's UI.
get "$hport" /
for i in 1 2; do
    esc=$([ $i = 1 ] && echo '&lt;script&gt;alert(1)&lt;/script&gt;' ||
        echo '&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;')
    link=$(grep -o '<a href="http://[^"]*">[^<]*</a>' "$tmp/r" | grep -F ">$esc</a>" |
        sed 's/^<a href="\([^"]*\)".*/\1/' | head -n 1)
    [ -n "$link" ] || fail "application $i's name does not link to its UI"
    case "$link" in http://*:[0-9]*/) ;; *) fail "application $i's UI link is '$link'" ;; esac
    curl -s --max-time 10 "${link}jobs/" >"$tmp/ui$i" || fail "GET ${link}jobs/ failed"
    grep -qF "$esc" "$tmp/ui$i" || fail "${link}jobs/ is not application $i's UI"
    api=$(curl -s --max-time 10 "${link}api/v1/applications")
    echo "$api" | grep -qF '"name"' || fail "${link}api/v1/applications: $api"
    get "$hport" /json -H "Authorization: Bearer $token"
    grep -qF "\"appuiurl\": \"$link\"" "$tmp/r" || fail "GET /json: no appuiurl $link"
    get "$hport" /
done
echo "ok: each running application's name links to its UI, which answers; /json has its appuiurl"

# ---- b. The worker's page and its logs ---------------------------------------------------
get "$wport" /
[ "$(status)" = 200 ] || fail "the worker's page: $(head -n 1 "$tmp/r")"
headers_ok "the worker's page"
[ "$(grep -o 'logType=stdout' "$tmp/r" | wc -l)" = 2 ] || fail "two executors' stdout links expected"
app=$(grep -o 'appId=app-[0-9]*' "$tmp/r" | head -n 1 | cut -d= -f2)
exe=$(grep -o "appId=$app&amp;executorId=[0-9]*" "$tmp/r" | head -n 1 | sed 's/.*=//')
get "$wport" "/logPage/?appId=$app&executorId=$exe&logType=stdout"
[ "$(status)" = 200 ] || fail "log page: $(head -n 1 "$tmp/r")"
headers_ok "a log page"
grep -q 'executor-output-line' "$tmp/r" || fail "the log page does not show the executor's output"
size=$(stat -c %s "$tmp/w1/$app/$exe/stdout")
get "$wport" "/logPage/?appId=$app&executorId=$exe&logType=stdout&offset=3&byteLength=5"
grep -q "Showing bytes 3-8 of $size" "$tmp/r" || fail "paging: $(grep -o 'Showing[^<]*' "$tmp/r")"
grep -q 'id="next"' "$tmp/r" && grep -q 'id="prev"' "$tmp/r" || fail "no previous/next links"
# Traversal, in every spelling: never a byte of the secret.
echo "outside-secret-bytes" > "$tmp/outside.txt"
mkdir -p "$tmp/outside/0" "$tmp/w1/app-evil/0"
echo "outside-secret-bytes" > "$tmp/outside/0/stdout"
ln -s "$tmp/outside.txt" "$tmp/w1/app-evil/0/stdout"
ln -s "$tmp/outside" "$tmp/w1/app-link"
ln -s "$tmp/outside/0" "$tmp/w1/$app/99"
for q in 'appId=..&executorId=0&logType=stdout' 'appId=%2e%2e&executorId=0&logType=stdout' \
    'appId=%2E%2E%2F%2E%2E&executorId=0&logType=stdout' 'appId=/etc&executorId=0&logType=stdout' \
    'appId=../../etc&executorId=0&logType=stdout' "appId=$app&executorId=../0&logType=stdout" \
    "appId=$app&executorId=$exe&logType=../../../outside.txt" "appId=$app&executorId=$exe&logType=%2e%2e" \
    'appId=app-evil&executorId=0&logType=stdout' 'appId=app-link&executorId=0&logType=stdout' \
    "appId=$app&executorId=99&logType=stdout" "appId=$app&executorId=$exe&logType=stdout&byteLength=0" \
    "appId=.hidden&executorId=0&logType=stdout" "appId=$app&executorId=-1&logType=stdout"; do
    get "$wport" "/logPage/?$q"
    case "$(status)" in 400 | 404) ;; *) fail "/logPage/?$q answered $(head -n 1 "$tmp/r")" ;; esac
    grep -q 'outside-secret-bytes' "$tmp/r" && fail "/logPage/?$q showed a file outside the work directory"
done
get "$wport" "/logPage/../../etc/passwd"
case "$(status)" in 400 | 404) ;; *) fail "a path with ../ answered $(head -n 1 "$tmp/r")" ;; esac
echo "ok: the worker's page lists both executors; logs are paged; 15 traversal attempts refused"

# ---- d. In a real browser (before the applications end) -------------------------------
if [ "$mode" = --browser ]; then
    mkdir -p "$artifacts"
    KILN_PEERS_DIR="$peers" timeout 120 node "$(dirname "$0")/../browser/cluster_pages.mjs" \
        "http://127.0.0.1:$hport/" "$artifacts" "$xss1" "$xss2" || fail "the browser test failed"
    echo "ok: chromium: the pages render without errors, tables sort, links lead to the logs"
    exit 0
fi

touch "$tmp/go"
wait_for "the applications to finish" 60 sh -c "curl -s http://127.0.0.1:$hport/ | grep -q 'Completed Applications (2)'"
get "$hport" /
grep -qF "$xss1" "$tmp/r" && fail "a completed application's name is raw HTML"
echo "ok: both applications listed as completed, still escaped"

# ---- c. Bound to every address: the token, then a cookie -------------------------------
"$kiln" master --port 0 --http-port 0 --secret-file "$tmp/secret" >"$tmp/m2.out" 2>"$tmp/m2.err" &
pids+=($!)
wait_for "the second master" 10 grep -q 'master web UI at' "$tmp/m2.out"
grep -q "master web UI at http://.*/?token=$token\$" "$tmp/m2.out" || fail "no token in the URL: $(cat "$tmp/m2.out")"
p2=$(sed -n 's/^master web UI at http:\/\/[^:]*:\([0-9]*\)\/.*/\1/p' "$tmp/m2.out")
get "$p2" /
[ "$(status)" = 401 ] || fail "off loopback, GET / without the token: $(head -n 1 "$tmp/r")"
headers_ok "a 401"
get "$p2" "/?token=$token"
[ "$(status)" = 302 ] || fail "?token=: $(head -n 1 "$tmp/r")"
grep -qi "^Set-Cookie: kiln_token_$p2=$token; HttpOnly; SameSite=Strict; Path=/" "$tmp/r" || fail "no cookie set"
grep -qi '^Location: /\s*$' "$tmp/r" || fail "not redirected to the URL without the token"
get "$p2" / -H "Cookie: kiln_token_$p2=$token"
[ "$(status)" = 200 ] || fail "with the cookie: $(head -n 1 "$tmp/r")"
get "$p2" "/?token=0$token"
[ "$(status)" = 401 ] || fail "a wrong token: $(head -n 1 "$tmp/r")"
echo "ok: off loopback the pages need the token; ?token= gives a cookie and redirects"
