#!/bin/sh
# quickstart.sh - builds kiln and runs a first job: the 20 most frequent words
# of Pride and Prejudice, and the time it took.
#
#     ./quickstart.sh
#
# 1. Installs the Debian/Ubuntu packages kiln needs to build, if any is
#    missing (apt-get, through sudo when not root). Nothing is installed when
#    all are present.
# 2. Builds with `make` (CMake, into build/).
# 3. Runs build/bin/wordcount_top data/pride-and-prejudice.txt
#    (examples/wordcount_top.c; the book is described in data/README.md),
#    then the same job in Python: python/examples/wordcount_top.py with
#    PYTHONPATH=build/python and Debian's /usr/bin/python3.
set -eu

cd "$(dirname "$0")"
packages="build-essential cmake zlib1g-dev libbz2-dev libzstd-dev liblz4-dev libxxhash-dev libcmocka-dev libssl-dev libpcre2-dev libedit-dev libsnappy-dev libcurl4-openssl-dev
libarchive-dev pkg-config libopenblas-dev liblapacke-dev python3-dev python3-cloudpickle"

missing=""
if command -v dpkg >/dev/null 2>&1; then
    for p in $packages; do
        if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing="$missing $p"
        fi
    done
else
    # shellcheck disable=SC2086 # the list on one line
    echo "quickstart: not a Debian-like system; make sure these are installed:" $packages >&2
fi

if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "quickstart: missing packages:$missing" >&2
        echo "quickstart: run as root, or install sudo, or install them yourself" >&2
        exit 1
    fi
    echo "quickstart: installing$missing"
    $sudo apt-get update
    # shellcheck disable=SC2086 # one word per package
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
fi

echo "quickstart: building (make)"
make

echo
echo "\$ build/bin/wordcount_top data/pride-and-prejudice.txt"
build/bin/wordcount_top data/pride-and-prejudice.txt

echo
echo "\$ PYTHONPATH=build/python /usr/bin/python3 python/examples/wordcount_top.py data/pride-and-prejudice.txt"
PYTHONPATH=build/python /usr/bin/python3 python/examples/wordcount_top.py data/pride-and-prejudice.txt
