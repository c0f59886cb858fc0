#!/usr/bin/env bash
# polars_write.sh — Parquet written by Polars (every codec; lists, structs, categoricals,
# temporals in several units) must read back through `parq cat --format jsonl`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

if ! node "$here/polars_write.mjs" "$work" > "$work/gen.log" 2>&1; then
  bad "Polars could not write every file"; cat "$work/gen.log"
fi
for exp in "$work"/*.expected.jsonl; do
  [ -e "$exp" ] || continue
  f="${exp%.expected.jsonl}.parquet"
  check_cat "$f" "$exp" "polars $(basename "$f")"
done
finish
