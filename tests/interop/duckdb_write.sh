#!/usr/bin/env bash
# duckdb_write.sh — Parquet written by DuckDB (many types, every codec, page v1/v2) must
# read back through `parq cat --format jsonl` with DuckDB's own values.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

if ! node "$here/duckdb_write.mjs" "$work" > "$work/gen.log" 2>&1; then
  bad "DuckDB could not write every file"; cat "$work/gen.log"
fi
for exp in "$work"/*.expected.jsonl; do
  [ -e "$exp" ] || continue
  f="${exp%.expected.jsonl}.parquet"
  check_cat "$f" "$exp" "duckdb $(basename "$f")"
done
finish
