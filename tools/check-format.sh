#!/bin/sh
# tools/check-format.sh - checks that the C sources follow .clang-format:
# clang-format --dry-run -Werror over src include tests examples bench python/src.
# Prints each difference and exits 1 when a file would change; exits 0 when
# none would. CI (.ci/run) runs it before building.
# usage: tools/check-format.sh [FILE...]   (default: every .c and .h)
# CLANG_FORMAT=clang-format-14 picks another binary.
set -eu
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null 2>&1 || {
    echo "check-format: $clang_format is not installed (apt-get install clang-format)" >&2
    exit 2
}
if [ $# -eq 0 ]; then
    # shellcheck disable=SC2046 # paths hold no spaces
    set -- $(find src include tests examples bench python/src -name '*.c' -o -name '*.h' | sort)
fi
"$clang_format" --style=file --dry-run -Werror "$@"
