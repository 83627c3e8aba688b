#!/bin/sh
# tests/e2e/install.sh - kiln as a user gets it from `make install`:
#   1. `cmake --install BUILD --prefix TMP`: the kiln command, libkiln.so
#      with its soname (libkiln.so -> .so.0 -> .so.0.1.0), libkiln.a, the
#      headers, kiln.pc, the configuration template and the man pages;
#   2. libkiln.so exports kiln_* names only, and every function declared in
#      the installed headers;
#   3. from a directory outside the tree, the README's word count built
#      with `cc job.c $(pkg-config --cflags --libs kiln)` (which must be
#      -lkiln alone) counts a small text as awk/sort do, in local[2] and
#      local-cluster[2,1,256]; again linked with libkiln.a through
#      `pkg-config --static` (no libkiln.so needed);
#   4. with DESTDIR: the files land under it, kiln.pc names the prefix and
#      no installed file names the staging directory; a build through
#      PKG_CONFIG_SYSROOT_DIR works;
#   5. each man page renders without a warning (man, else groff; skipped
#      with the reason when neither is installed).
# usage: tests/e2e/install.sh BUILD_DIR [CMAKE]   (run from the repository root)
set -eu
build=$(cd "${1:?usage: install.sh BUILD_DIR [CMAKE]}" && pwd)
cmake=${2:-cmake}
src=$(pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR LD_LIBRARY_PATH KILN_CONF_DIR KILN_MASTER

fail() {
    echo "FAIL: $*"
    exit 1
}

command -v pkg-config >/dev/null 2>&1 || fail "pkg-config is not installed (apt-get install pkg-config)"

# ---- 1. Install into a temporary prefix ------------------------------------
prefix=$tmp/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "cmake --install --prefix failed"; }
pc=$(find "$prefix" -name kiln.pc)
[ -n "$pc" ] || fail "no kiln.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/kiln include/kiln.h include/kiln/error.h include/kiln/value.h include/kiln/ml.h \
    include/kiln/export.h etc/kiln/kiln-defaults.conf.template share/man/man1/kiln.1; do
    [ -f "$prefix/$f" ] || fail "$f is not installed"
done
for f in libkiln.a libkiln.so.0.1.0; do
    [ -f "$libdir/$f" ] || fail "$libdir/$f is not installed"
done
[ "$(readlink "$libdir/libkiln.so")" = libkiln.so.0 ] || fail "libkiln.so does not point to libkiln.so.0"
[ "$(readlink "$libdir/libkiln.so.0")" = libkiln.so.0.1.0 ] ||
    fail "libkiln.so.0 does not point to libkiln.so.0.1.0"
soname=$(readelf -d "$libdir/libkiln.so.0.1.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libkiln.so.0 ] || fail "soname is '$soname', not libkiln.so.0"
pages=$(ls "$prefix/share/man/man1" | tr '\n' ' ')
for v in master worker status submit secret http-token conf; do
    [ -f "$prefix/share/man/man1/kiln-$v.1" ] || fail "no man page kiln-$v.1 (have: $pages)"
done
"$prefix/bin/kiln" --help >/dev/null || fail "the installed kiln --help failed"
echo "ok: installed into a prefix: kiln, $soname, libkiln.a, headers, kiln.pc, man pages ($pages)"

# ---- 2. Exported symbols ------------------------------------------------------
nm -D --defined-only "$libdir/libkiln.so.0.1.0" | awk '{print $3}' | sort > "$tmp/exported"
if grep -v '^kiln_' "$tmp/exported" > "$tmp/internal"; then
    fail "libkiln.so exports $(wc -l < "$tmp/internal") names not starting with kiln_: $(head -20 "$tmp/internal" | tr '\n' ' ')"
fi
# Functions declared in the headers (not static inline), from the preprocessed
# text: every "kiln_x (" but those of "static inline ... kiln_x (".
for h in "$prefix"/include/kiln.h "$prefix"/include/kiln/*.h; do echo "#include \"$h\""; done |
    "$cc" -E -P -I"$prefix/include" -x c - | tr '\n' ' ' > "$tmp/headers.i"
grep -oE 'static inline [^(;{}]*\(' "$tmp/headers.i" | grep -oE 'kiln_[a-z0-9_]+ *\($' |
    tr -d ' (' | sort -u > "$tmp/inline"
grep -oE '\bkiln_[a-z0-9_]+ *\(' "$tmp/headers.i" | tr -d ' (' | sort -u |
    comm -23 - "$tmp/inline" > "$tmp/declared"
[ "$(wc -l < "$tmp/declared")" -gt 100 ] || fail "found only $(wc -l < "$tmp/declared") declared functions"
missing=$(comm -23 "$tmp/declared" "$tmp/exported" | tr '\n' ' ')
[ -z "$missing" ] || fail "declared in include/ but not exported (KILN_API missing?): $missing"
extra=$(comm -13 "$tmp/declared" "$tmp/exported" | tr '\n' ' ')
[ -z "$extra" ] || fail "exported but declared in no installed header: $extra"
echo "ok: libkiln.so exports only kiln_* names: the $(wc -l < "$tmp/exported") functions of the headers"

# ---- 3. The README's word count, built against the installed kiln ----------
# A program built by hand needs the flags the library was built with when it
# is instrumented (make asan).
cflags=""
if nm -D --undefined-only "$libdir/libkiln.so.0.1.0" | grep -q __asan_init; then
    cflags="-fsanitize=address,undefined"
fi
mkdir "$tmp/job"
awk '/^## Word count in C/ {s = 1} s && /^```c/ {c = 1; next} c && /^```/ {exit} c' \
    "$src/README.md" > "$tmp/job/job.c"
grep -q kiln_rdd_reduce_by_key "$tmp/job/job.c" || fail "no word count C example in README.md"
printf 'the quick brown fox\n\tjumps over  the lazy dog\n\nthe end of the fox  \nover and over\n' \
    > "$tmp/job/text.txt"
i=0
while [ $i -lt 200 ]; do echo "line $i of the text, the $((i % 7)) word"; i=$((i + 1)); done \
    >> "$tmp/job/text.txt"
tr -s ' \t\n\v\f\r' '\n\n\n\n\n\n' < "$tmp/job/text.txt" | grep -v '^$' | sort | uniq -c |
    awk '{print $2 "\t" $1}' | sort > "$tmp/expected"

# check_counts DIR WHAT: the job's output in DIR matches awk/sort.
check_counts() {
    [ -f "$1/_SUCCESS" ] || fail "$2: no _SUCCESS in the output"
    cat "$1"/part-* | sort > "$tmp/got"
    cmp -s "$tmp/got" "$tmp/expected" || { diff "$tmp/got" "$tmp/expected" | head; fail "$2: counts differ"; }
}

cd "$tmp/job"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# One version everywhere: kiln.pc, the kiln command, the library.
version=$(pkg-config --modversion kiln)
[ "$("$prefix/bin/kiln" --version)" = "kiln $version" ] ||
    fail "kiln --version says '$("$prefix/bin/kiln" --version)', kiln.pc says $version"
libs=$(pkg-config --libs kiln | sed "s/ *$//")
[ "$libs" = "-L$libdir -lkiln" ] || fail "pkg-config --libs kiln is '$libs', not -L$libdir -lkiln"
# shellcheck disable=SC2046 # one word per flag
"$cc" $cflags job.c $(pkg-config --cflags --libs kiln) -o job 2>"$tmp/cc.err" ||
    { cat "$tmp/cc.err"; fail "cc job.c \$(pkg-config --cflags --libs kiln) failed"; }
readelf -d job | grep -q 'NEEDED.*libkiln\.so\.0' || fail "job is not linked with libkiln.so.0"
LD_LIBRARY_PATH=$libdir ./job --master 'local[2]' text.txt out-shared 2>"$tmp/job.err" ||
    { cat "$tmp/job.err"; fail "the word count linked with libkiln.so failed"; }
check_counts out-shared "libkiln.so"
# Executors are the program itself: functions of libkiln.so travel by the
# library's build id (src/cluster/fnref.c).
LD_LIBRARY_PATH=$libdir ./job --master 'local-cluster[2,1,256]' text.txt out-cluster 2>"$tmp/job.err" ||
    { cat "$tmp/job.err"; fail "the word count linked with libkiln.so failed under local-cluster"; }
check_counts out-cluster "libkiln.so, local-cluster[2,1,256]"
echo "ok: word count from README.md built with pkg-config and libkiln.so: $(wc -l < "$tmp/expected") words as awk counts, in local[2] and local-cluster[2,1,256]"

# Static: libkiln.a and the libraries it needs (Libs.private); -l:libkiln.a
# picks the archive where -lkiln would take the shared library.
static_libs=$(pkg-config --static --libs kiln | sed 's/-lkiln\( \|$\)/-l:libkiln.a\1/')
# shellcheck disable=SC2046,SC2086
"$cc" $cflags job.c $(pkg-config --cflags kiln) $static_libs -o job-static 2>"$tmp/cc.err" ||
    { cat "$tmp/cc.err"; fail "cc job.c with pkg-config --static --libs kiln failed"; }
if readelf -d job-static | grep -q 'NEEDED.*libkiln'; then fail "job-static needs libkiln.so"; fi
./job-static --master 'local[2]' text.txt out-static 2>"$tmp/job.err" ||
    { cat "$tmp/job.err"; fail "the word count linked with libkiln.a failed"; }
check_counts out-static "libkiln.a"
echo "ok: the same linked with libkiln.a through pkg-config --static ($static_libs)"
cd "$src"

# ---- 4. DESTDIR ---------------------------------------------------------------
stage=$tmp/stage
DESTDIR=$stage "$cmake" --install "$build" --prefix /opt/kiln-e2e >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "DESTDIR=... cmake --install failed"; }
[ -x "$stage/opt/kiln-e2e/bin/kiln" ] || fail "DESTDIR: bin/kiln is not under the staging directory"
[ ! -e /opt/kiln-e2e ] || fail "DESTDIR: something was installed into /opt/kiln-e2e itself"
spc=$(find "$stage" -name kiln.pc)
grep -qx 'prefix=/opt/kiln-e2e' "$spc" || fail "DESTDIR: kiln.pc does not say prefix=/opt/kiln-e2e"
if grep -rlI "$stage" "$stage" > "$tmp/leaks"; then
    fail "DESTDIR: installed files name the staging directory: $(tr '\n' ' ' < "$tmp/leaks")"
fi
cd "$tmp/job"
# shellcheck disable=SC2046
PKG_CONFIG_PATH=$(dirname "$spc") PKG_CONFIG_SYSROOT_DIR=$stage \
    "$cc" $cflags job.c $(PKG_CONFIG_PATH=$(dirname "$spc") PKG_CONFIG_SYSROOT_DIR=$stage \
    pkg-config --cflags --libs kiln) -o job-staged 2>"$tmp/cc.err" ||
    { cat "$tmp/cc.err"; fail "DESTDIR: cc with PKG_CONFIG_SYSROOT_DIR failed"; }
LD_LIBRARY_PATH=$(dirname "$(dirname "$spc")") ./job-staged text.txt out-staged 2>"$tmp/job.err" ||
    { cat "$tmp/job.err"; fail "DESTDIR: the word count failed"; }
check_counts out-staged "DESTDIR"
cd "$src"
echo "ok: DESTDIR stages under its root, kiln.pc says prefix=/opt/kiln-e2e, no file names the stage"

# ---- 5. Man pages --------------------------------------------------------------
# groff with every warning on, and man as a reader runs it (80 columns).
have_groff=$(command -v groff || true)
have_man=$(command -v man || true)
if [ -z "$have_groff" ] && [ -z "$have_man" ]; then
    echo "skip: man pages not rendered: neither man nor groff is installed (apt-get install man-db)"
    exit 0
fi
for page in "$prefix"/share/man/man1/*.1; do
    name=$(basename "$page")
    if [ -n "$have_groff" ]; then
        groff -man -Tutf8 -ww -z "$page" 2>"$tmp/man.err" || fail "$name: groff failed"
        [ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err"; fail "$name: warnings from groff -ww"; }
    fi
    if [ -n "$have_man" ]; then
        MANWIDTH=80 man -l --warnings "$page" >"$tmp/man.out" 2>"$tmp/man.err" || fail "$name: man failed"
        [ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err"; fail "$name: warnings from man --warnings"; }
        grep -q '^NAME' "$tmp/man.out" || fail "$name: man printed no NAME section"
    fi
done
echo "ok: $(ls "$prefix"/share/man/man1/*.1 | wc -l) man pages render without warnings (${have_groff:+groff -ww }${have_man:+man --warnings})"
