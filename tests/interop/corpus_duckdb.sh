#!/usr/bin/env bash
# corpus_duckdb.sh — parq reads the parquet-testing corpus exactly as DuckDB does: for every
# non-encrypted file DuckDB can read, `parq cat` must print the same values. Files DuckDB
# cannot read are listed as skipped. The corpus comes from PARQUET_TEST_DATA (default
# ../shared/parquet-testing beside the checkout); without it the test is skipped.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.bash"
data=${PARQUET_TEST_DATA:-${PARQ_SOURCE_DIR:-$here/../..}/../shared/parquet-testing}
if [ ! -f "$data/MANIFEST.tsv" ]; then echo "skipped: parquet-testing corpus not found (set PARQUET_TEST_DATA)"; exit 77; fi
args=()
for f in "$data"/data/*.parquet "$data"/data/geospatial/*.parquet "$data"/bad_data/ARROW-GH-43605.parquet; do
  b=$(basename "$f")
  case "$b" in
    large_string_map.brotli.parquet|*corrupt-checksum*|nation.dict-malformed.parquet) continue ;;
  esac
  out="$work/$b.actual.jsonl"
  if ! "$PARQ_BIN" cat "$f" > "$out" 2> "$work/$b.err"; then
    bad "$b: parq cat failed: $(head -c 300 "$work/$b.err")"
    rm -f "$out"
  fi
  args+=("$f" "$out")
done
node "$here/corpus_duckdb.mjs" "${args[@]}" > "$work/report.txt" 2>&1
cat "$work/report.txt"
read -r p f s < <(awk '/^counts:/ {print $2, $3, $4}' "$work/report.txt")
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
echo "(${s:-0} files skipped because DuckDB cannot read them)"
finish
