#!/usr/bin/env bash
# sql_vs_duckdb.sh — `parq sql` must return the same rows as DuckDB for every query shape in
# sql_vs_duckdb.mjs (aggregates, GROUP BY/HAVING, ORDER BY with NULLS FIRST/LAST, LIMIT/OFFSET,
# expressions, nested paths, NULL/NaN semantics, empty input). Skips (77) without node modules.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
node "$here/sql_vs_duckdb.mjs" "$PARQ_BIN" "$work"
