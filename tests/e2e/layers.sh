#!/bin/sh
# tests/e2e/layers.sh BUILD_DIR - the layers of src/ as the build enforces
# them (cmake/layers.cmake): each folder compiles against a directory of
# the headers it may use, so including a header of a folder above it, or
# another folder's private *_int.h, fails to compile. Checks that (a) the
# forbidden includes really fail with the flags the build uses, (b) the
# allowed ones compile, and (c) no file of src/engine names a header of
# cluster/, net/, ui/ or deploy/.
set -eu
build=$1
layers=$build/layers
[ -d "$layers/engine" ] || { echo "no $layers/engine: configure the build first"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# try LAYER HEADER EXPECT: compile a file of LAYER that includes HEADER.
try() {
    printf '#include "%s"\nint layer_probe;\n' "$2" > "$tmp/probe.c"
    if cc -std=gnu17 -Iinclude -I"$layers/$1" -c "$tmp/probe.c" -o "$tmp/probe.o" 2>"$tmp/err"; then
        got=compiles
    else
        got=fails
    fi
    if [ "$got" != "$3" ]; then
        echo "FAIL: $1 including $2 $got, expected it $3"; sed 's/^/  /' "$tmp/err" | head -5
        fail=1
    else
        echo "ok: $1 including $2 $got"
    fi
}

# The engine sees base, io and shuffle, never what sits above it.
try engine cluster/cluster.h fails
try engine net/net.h fails
try engine ui/ui.h fails
try engine deploy/deploy.h fails
try engine shuffle/shuffle.h compiles
try engine engine/engine_int.h compiles
# The layers above see the engine's interface, not its private header.
try cluster engine/engine_int.h fails
try cluster engine/engine.h compiles
try cluster net/net.h compiles
try deploy cluster/cluster.h fails
try deploy engine/engine.h fails
try ui engine/engine_int.h fails
try ui engine/engine.h compiles
try session engine/engine_int.h fails
try session cluster/cluster.h compiles
# The web server sees net and base only; deploy sees it.
try web net/net.h compiles
try web deploy/deploy.h fails
try web engine/engine.h fails
try deploy web/web.h compiles
# The bottom layers see nothing above them.
try base engine/engine.h fails
try io engine/engine.h fails
try net engine/engine.h fails
try shuffle engine/engine.h fails

# And the sources say the same.
if grep -n '#include "\(cluster\|net\|ui\|session\|deploy\)/' src/engine/*.[ch]; then
    echo "FAIL: src/engine includes a header of a layer above it"; fail=1
else
    echo "ok: no file of src/engine includes cluster/, net/, ui/, session/ or deploy/"
fi
exit $fail
