# lib.bash — shared setup for the interop tests (sourced, not a test: CTest runs *.sh only).
# Skips (exit 77) when the parq binary, node or the node modules are missing; provides a
# scratch directory, pass/fail counters and the closing "N passed, N failed" line.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PARQ_BIN=${PARQ_BIN:-$here/../../build/parq}
if [ ! -x "$PARQ_BIN" ]; then echo "skipped: parq binary not found ($PARQ_BIN)"; exit 77; fi
if ! command -v node >/dev/null 2>&1; then echo "skipped: node not found"; exit 77; fi
if [ ! -d "$here/node_modules/@duckdb/node-api" ] || [ ! -d "$here/node_modules/nodejs-polars" ]; then
  echo "skipped: interop node modules missing (run scripts/test-setup.sh)"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/parq-interop.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
  exit $?
}

# check_cat FILE.parquet EXPECTED.jsonl LABEL: parq cat must print the expected rows.
check_cat() {
  local f=$1 exp=$2 label=$3 act="${1%.parquet}.actual.jsonl" errf="${1%.parquet}.err"
  if ! "$PARQ_BIN" cat "$f" --format jsonl > "$act" 2> "$errf"; then
    bad "$label: parq cat failed: $(head -c 300 "$errf")"
    return
  fi
  if node "$here/compare.mjs" "$exp" "$act" 2> "$errf"; then
    ok "$label"
  else
    bad "$label"
    head -n 8 "$errf"
  fi
}
