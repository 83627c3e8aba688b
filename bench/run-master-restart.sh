#!/bin/bash
# bench/run-master-restart.sh - master restart (issue 12, defect 2): time from the restarted master's "listening" line until
# `kiln status` lists 2 ALIVE workers and the application RUNNING, polled
# every 50 ms. One long job (pi over SLICES slices), the master killed
# (kill -9) and restarted DOWN seconds later, ROUNDS times.
# usage: bench/run-master-restart.sh BIN_DIR [ROUNDS] [DOWN] [SLICES]
# docs/benchmarks.md has its figures.
set -u
bin=$1; rounds=${2:-5}; down=${3:-1}; slices=${4:-60000}
kiln=$bin/kiln
tmp=$(mktemp -d)
(umask 077; $kiln secret > $tmp/secret)
start_master() {
  $kiln master --host 127.0.0.1 --port $1 --http-port 0 --secret-file $tmp/secret \
     --recovery-dir $tmp/rec --network-timeout-ms 30000 > $tmp/m.out 2>>$tmp/m.err & m=$!
  until grep -q listening $tmp/m.out 2>/dev/null; do sleep 0.01; done
}
start_master 0
url=$(sed -n 's/^master listening on \(kiln:[^,]*\),.*/\1/p' $tmp/m.out); port=${url##*:}
for w in w1 w2; do $kiln worker $url --cores 2 --memory 2g --work-dir $tmp/$w --secret-file $tmp/secret --heartbeat-ms 200 2>$tmp/$w.err & eval "$w=$!"; done
sleep 1
KILN_LOG_LEVEL=INFO $kiln submit --master $url --secret-file $tmp/secret --total-executor-cores 4 --executor-cores 1 --executor-memory 256m --conf kiln.ui.showConsoleProgress=false $bin/pi $slices > $tmp/pi.out 2>$tmp/pi.err & job=$!
until grep -q "stage 0" $tmp/pi.err; do sleep 0.1; done
for r in $(seq $rounds); do
  sleep 2
  kill -9 $m; wait $m 2>/dev/null
  sleep $down
  : > $tmp/m.out
  start_master $port
  t0=$(date +%s%N)
  until $kiln status $url --secret-file $tmp/secret > $tmp/st.json 2>/dev/null &&
        [ "$(grep -c '"state": "ALIVE"' $tmp/st.json)" = 2 ] &&
        grep -q '"id": "app-1",.*"RUNNING"' $tmp/st.json; do sleep 0.05; done
  t1=$(date +%s%N)
  echo "round $r (down ${down} s): back after $(( (t1 - t0) / 1000000 )) ms"
done
wait $job; echo "job exit $? : $(cat $tmp/pi.out)"
grep -c "lost the connection" $tmp/pi.err | sed 's/^/driver WARN lines: /'
grep -c "executor [0-9]* lost" $tmp/pi.err | sed 's/^/executors lost: /'
kill $m $w1 $w2 2>/dev/null; wait 2>/dev/null
rm -rf $tmp
