#!/bin/bash
# tests/e2e/cluster_netns.sh - the standalone cluster manager across network
# namespaces: the master, two workers and a client (standing in for the
# driver) each in a namespace of their own, linked to the master's by veth
# pairs on separate subnets, so every connection crosses a real (virtual)
# link rather than loopback:
#   a. both workers register over their links and `kiln status` from the
#      client's namespace lists them ALIVE;
#   b. a wrong secret from the client's namespace is refused;
#   c. a word count submitted from the driver's namespace runs its executors
#      in the workers' namespaces (which fetch the program from the driver
#      and shuffle blocks from each other, routed through the master's
#      namespace) and gives local[2]'s output;
#   d. taking one worker's link down makes it DEAD after the network
#      timeout while the other stays ALIVE.
# Needs root and `ip netns` (iproute2); skips with the reason otherwise.
# usage: tests/e2e/cluster_netns.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: cluster_netns.sh BIN_DIR}
kiln="$(cd "$(dirname "$bin/kiln")" && pwd)/kiln"
wordcount="$(dirname "$kiln")/wordcount"
export LC_ALL=C
unset KILN_SECRET_FILE KILN_LOG_LEVEL

if ! command -v ip >/dev/null 2>&1; then
    echo "skip: network namespaces: the ip command (iproute2) is not installed"; exit 0
fi
tag="k$$"
if ! ip netns add "${tag}m" 2>/dev/null; then
    echo "skip: network namespaces: cannot create one here (needs root / CAP_SYS_ADMIN)"; exit 0
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
    { for p in "${pids[@]}"; do kill -9 "$p"; done; wait; } 2>/dev/null || true
    for n in m w1 w2 d; do ip netns del "$tag$n" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

# link NAME N: namespace $tag$NAME on 10.77.N.2, the master's side 10.77.N.1.
link() {
    ip netns add "$tag$1"
    ip link add "$tag$1a" type veth peer name "$tag$1b"
    ip link set "$tag$1a" netns "${tag}m"
    ip link set "$tag$1b" netns "$tag$1"
    ip -n "${tag}m" addr add "10.77.$2.1/24" dev "$tag$1a"
    ip -n "$tag$1" addr add "10.77.$2.2/24" dev "$tag$1b"
    ip -n "${tag}m" link set "$tag$1a" up
    ip -n "$tag$1" link set "$tag$1b" up
    ip -n "$tag$1" link set lo up
    ip -n "$tag$1" route add default via "10.77.$2.1"
}
ip -n "${tag}m" link set lo up
ip netns exec "${tag}m" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' # the leaves reach each other through it
link w1 1 || fail "cannot set up the links"
link w2 2
link d 3
(umask 077; "$kiln" secret > "$tmp/secret"; "$kiln" secret > "$tmp/wrong")

ip netns exec "${tag}m" "$kiln" master --port 0 --http-port 0 --secret-file "$tmp/secret" \
    --network-timeout-ms 2000 >"$tmp/master.out" 2>"$tmp/master.err" &
pids+=($!)
wait_for "the master's address" 10 grep -q 'master listening on' "$tmp/master.out"
port=$(sed -n 's/^master listening on kiln:\/\/[^:]*:\([0-9]*\),.*/\1/p' "$tmp/master.out")
[ -n "$port" ] || fail "cannot read the port from: $(cat "$tmp/master.out")"

for w in 1 2; do
    ip netns exec "${tag}w$w" "$kiln" worker "kiln://10.77.$w.1:$port" --cores $w --memory 1g \
        --work-dir "$tmp/w$w" --secret-file "$tmp/secret" --heartbeat-ms 200 2>"$tmp/w$w.err" &
    pids+=($!)
done
status() {
    timeout 15 ip netns exec "${tag}d" "$kiln" status "kiln://10.77.3.1:$port" \
        --secret-file "${1:-$tmp/secret}" --timeout-ms 5000 >"$tmp/status.json" 2>"$tmp/status.err"
}
wait_for "two ALIVE workers" 20 sh -c "$(declare -f status); tmp='$tmp' tag='$tag' port='$port' kiln='$kiln' status && grep -q '\"aliveworkers\": 2' '$tmp/status.json'"
grep -q '"host": "10.77.1.2"' "$tmp/status.json" || fail "worker 1 is not seen at its link's address"
grep -q '"host": "10.77.2.2"' "$tmp/status.json" || fail "worker 2 is not seen at its link's address"
echo "ok: two workers in their own namespaces registered over veth links"

if status "$tmp/wrong"; then fail "a wrong secret was accepted across namespaces"; fi
grep -q "wrong secret" "$tmp/status.err" || fail "unclear refusal: $(cat "$tmp/status.err")"
echo "ok: a wrong secret from the client's namespace is refused"

"$wordcount" --master 'local[2]' data/pride-and-prejudice.txt "$tmp/out-local" 2>/dev/null
cat "$tmp/out-local"/part-* | sort > "$tmp/expected"
timeout 120 ip netns exec "${tag}d" "$kiln" submit --master "kiln://10.77.3.1:$port" \
    --secret-file "$tmp/secret" --executor-memory 256m --conf kiln.ui.showConsoleProgress=false \
    "$wordcount" "$PWD/data/pride-and-prejudice.txt" "$tmp/out-cluster" 2>"$tmp/submit.err" ||
    fail "the job submitted across namespaces failed"
cat "$tmp/out-cluster"/part-* | sort > "$tmp/got"
cmp -s "$tmp/got" "$tmp/expected" || fail "the job across namespaces differs from local[2]'s"
grep -q "executor 0 ('wordcount')" "$tmp/w1.err" "$tmp/w2.err" || fail "no worker started an executor"
echo "ok: wordcount submitted from the driver's namespace, executors in the workers', equals local[2]'s"

ip -n "${tag}m" link set "${tag}w1a" down
wait_for "worker 1 DEAD" 20 sh -c "$(declare -f status); tmp='$tmp' tag='$tag' port='$port' kiln='$kiln' status && grep -q '\"aliveworkers\": 1' '$tmp/status.json'"
grep '"host": "10.77.2.2"' "$tmp/status.json" | grep -q '"state": "ALIVE"' || fail "worker 2 is not ALIVE"
echo "ok: a worker whose link goes down is DEAD after the timeout; the other stays ALIVE"
