#!/usr/bin/env bash
# test_install.sh — `cmake --install` lays out bin, lib (static + shared), include and a
# relocatable pkg-config file, and a C program builds with `pkg-config --cflags --libs parq`.
set -u
src=${PARQ_SOURCE_DIR:?}; bld=${PARQ_BUILD_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A sanitizer build's library needs the sanitizer runtime linked into programs using it.
SAN=(); [ "${PARQ_SANITIZE:-OFF}" = ON ] && SAN=(-fsanitize=address,undefined)
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
if ! command -v pkg-config >/dev/null; then echo "skipped: pkg-config missing"; exit 77; fi
cmake --install "$bld" --prefix "$work/prefix" >/dev/null 2>&1 && ok || bad "cmake --install failed"
for f in bin/parq lib/libparq.a lib/libparq.so include/parq.h lib/pkgconfig/parq.pc; do
  [ -e "$work/prefix/$f" ] && ok || bad "missing $f"
done
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
if cc -std=c17 "${SAN[@]}" "$src/examples/roundtrip.c" $(pkg-config --cflags parq) -o "$work/rt" $(pkg-config --libs --static parq) 2>"$work/err"; then
  ok
  (cd "$work" && LD_LIBRARY_PATH="$work/prefix/lib" ./rt) | grep -q "101 beta" && ok || bad "installed example did not run"
else
  bad "example did not build with pkg-config: $(cat "$work/err")"
fi
"$work/prefix/bin/parq" --version >/dev/null && ok || bad "installed parq --version"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
