#!/usr/bin/env bash
# test_python.sh — runs the Python binding's unittest suite (python/tests)
# against the built libparq.so and parq binary. Prints "N passed, N failed";
# exits 77 (skip) when python3 or the library is missing.
set -u
BUILD="${PARQ_BUILD_DIR:-build}"
SRC="${PARQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"
  exit 77
fi
if [ "${PARQ_SANITIZE:-OFF}" = ON ]; then
  # A sanitizer-built libparq.so cannot be loaded into an uninstrumented python3.
  echo "skipped: sanitizer build (run in the normal build)"
  exit 77
fi
if [ ! -e "$BUILD/libparq.so" ]; then
  echo "skipped: $BUILD/libparq.so not found"
  exit 77
fi
log="$(mktemp "${TMPDIR:-/tmp}/parq_py.XXXXXX")"
trap 'rm -f "$log"' EXIT
PARQ_LIBRARY="$BUILD/libparq.so" PARQ_BIN="${PARQ_BIN:-$BUILD/parq}" \
  python3 -m unittest discover -s "$SRC/python/tests" -v >"$log" 2>&1
rc=$?
cat "$log"
passed=$(grep -c '\.\.\. ok$' "$log")
failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$log")
skipped=$(grep -c '\.\.\. skipped' "$log")
echo "$passed passed, $failed failed"
if [ "$rc" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ] && { [ "$skipped" -gt 0 ] || grep -q "skipped" "$log"; }; then exit 77; fi
exit 0
