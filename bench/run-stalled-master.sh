#!/bin/bash
# bench/run-stalled-master.sh [BIN_DIR] [ROUNDS] - kiln status latency and a concurrent word
# count's wall time on a standalone cluster (master + one worker of 2
# cores, 127.0.0.1), idle vs under 100 stalled unauthenticated connections
# (each sent one byte "K" and then nothing), alternating (the order too),
# ROUNDS of each. Issue 12, defect 1; docs/benchmarks.md has its figures.
# Needs /usr/bin/python3 (to hold the connections) and a built tree (make).
set -eu
bin=${1:-build/bin}; rounds=${2:-5}
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
kiln=$bin/kiln
(umask 077; "$kiln" secret > "$tmp/secret")
"$bin/gen_text" 32m "$tmp/input.txt" 5 >/dev/null
cat > "$tmp/hold.py" <<'PY'
import socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.send(b"K"); socks.append(s)
open(ready, "w").write("ok\n")
time.sleep(3600)
PY
"$kiln" master --host 127.0.0.1 --port 0 --http-port 0 --secret-file "$tmp/secret" >"$tmp/m.out" 2>"$tmp/m.err" &
pids+=($!)
master=$!
sleep 1
url=$(sed -n 's/^master listening on \(kiln:[^,]*\),.*/\1/p' "$tmp/m.out")
"$kiln" worker "$url" --cores 2 --memory 2g --work-dir "$tmp/w" --secret-file "$tmp/secret" 2>"$tmp/w.err" &
pids+=($!)
sleep 2
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
for r in $(seq "$rounds"); do
  # The order alternates (odd rounds idle first, even rounds stalled first),
  # and 2 s pass between runs so the previous application's executors are gone.
  order="idle stalled"; [ $((r % 2)) = 0 ] && order="stalled idle"
  for mode in $order; do
    sleep 2
    holder=""
    if [ $mode = stalled ]; then
      rm -f "$tmp/ready"; /usr/bin/python3 "$tmp/hold.py" "${url##*:}" 100 "$tmp/ready" & holder=$!
      while [ ! -s "$tmp/ready" ]; do sleep 0.05; done; sleep 0.3
    fi
    c0=$(awk '{print $14 + $15}' /proc/$master/stat)
    lat=()
    for i in 1 2 3 4 5 6 7; do
      t0=$(date +%s%N); "$kiln" status "$url" --secret-file "$tmp/secret" --timeout-ms 5000 >/dev/null || echo "status failed" >&2
      lat+=($(ms $t0))
    done
    med=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 4p)
    rm -rf "$tmp/out"
    t0=$(date +%s%N)
    "$kiln" submit --master "$url" --secret-file "$tmp/secret" --total-executor-cores 2 --executor-cores 1 \
        --executor-memory 512m --conf kiln.ui.showConsoleProgress=false "$bin/wordcount" "$tmp/input.txt" "$tmp/out" 2>"$tmp/job.err" \
        || { echo "job failed" >&2; tail -3 "$tmp/job.err" >&2; }
    job=$(ms $t0)
    c1=$(awk '{print $14 + $15}' /proc/$master/stat)
    [ -n "$holder" ] && { kill $holder; wait $holder 2>/dev/null || true; }
    echo "round $r $mode status_median_ms $med status_all ${lat[*]} wordcount_ms $job master_cpu_ms $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) ))"
  done
done
grep -c 'refused' "$tmp/m.err" | sed 's/^/master WARN refused lines: /'
grep -c 'is DEAD' "$tmp/m.err" | sed 's/^/workers declared dead: /' || true
