#!/usr/bin/env bash
# test_example.sh — the README's C example compiles against the built library and runs.
set -u
src=${PARQ_SOURCE_DIR:?}; bld=${PARQ_BUILD_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A sanitizer build's library needs the sanitizer runtime linked into programs using it.
SAN=(); [ "${PARQ_SANITIZE:-OFF}" = ON ] && SAN=(-fsanitize=address,undefined)
pass=0; fail=0
if cc -std=c17 -Wall -Wextra -Werror "${SAN[@]}" "$src/examples/roundtrip.c" -I "$src/include" "$bld/libparq.a" \
     -lzstd -lsnappy -ldeflate -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lpng -lpthread -lm -o "$work/roundtrip"; then
  pass=$((pass+1))
else
  echo "FAIL: example does not compile"; fail=$((fail+1))
fi
if [ -x "$work/roundtrip" ]; then
  out=$(cd "$work" && ./roundtrip)
  if [ "$out" = $'100 alpha\n101 beta\n102 gamma' ]; then pass=$((pass+1)); else echo "FAIL: output was: $out"; fail=$((fail+1)); fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
