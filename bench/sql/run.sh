#!/usr/bin/env bash
# run.sh — SQL benchmark: parq sql (one thread, --threads 2, and 2 MPI ranks) against DuckDB
# with SET threads=1, on the generated FineWeb-like corpus converted to Parquet.
#
#   bash bench/sql/run.sh [--size 1G] [--copies K] [--work DIR]      env BUILD=DIR (default build/)
#
# Queries: group-by (dump -> count, avg(score), max(token_count)), filtered aggregate,
# count distinct, top-k. --copies K queries a directory holding K links to the corpus file
# (K times the rows, same page cache) to give the threads longer queries.
# parq "query" = in-process query seconds that `parq sql --timing` prints (planning, scan,
# aggregation, sort: what DuckDB's timer below covers), "wall" = the whole command (process
# start, footer, printing); best of 3 each. The 2-rank column is `mpirun -np 2` wall time and
# includes mpirun's start-up (~0.3 s here). DuckDB: best of 3 in-process query times.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIZE=1G
COPIES=1
WORK=/tmp/parq-sql-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --copies) COPIES=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "usage: $0 [--size N] [--copies K] [--work DIR]"; exit 2 ;;
  esac
done
BUILD=${BUILD:-$root/build}
PARQ=$BUILD/parq
mkdir -p "$WORK"
if [ ! -f "$WORK/corpus-$SIZE.parquet" ]; then
  "$BUILD/gencorpus" --bytes "$SIZE" --out "$WORK/corpus.jsonl"
  "$PARQ" convert "$WORK/corpus.jsonl" -o "$WORK/corpus-$SIZE.parquet" --row-group-rows 65536 -q
  rm -f "$WORK/corpus.jsonl"
fi
F="'$WORK/corpus-$SIZE.parquet'"
if [ "$COPIES" -gt 1 ]; then
  D="$WORK/copies-$SIZE-x$COPIES"
  rm -rf "$D"
  mkdir -p "$D"
  for k in $(seq "$COPIES"); do ln -s "$WORK/corpus-$SIZE.parquet" "$D/c$k.parquet"; done
  F="'$D/*.parquet'"
fi
names=("group-by" "filtered aggregate" "count distinct" "top-k")
queries=(
  "SELECT dump, count(*) AS n, avg(score) AS a, max(token_count) AS m FROM $F GROUP BY dump ORDER BY dump"
  "SELECT count(*) AS n, avg(token_count) AS a FROM $F WHERE language_score > 0.9 AND int_score >= 3"
  "SELECT count(DISTINCT url) AS u, count(DISTINCT dump) AS d FROM $F"
  "SELECT id, token_count FROM $F ORDER BY token_count DESC, id LIMIT 10"
)
best() { # best of 3 wall seconds of "$@"
  local b=""
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null 2>"$WORK/err" || { echo "error: $(head -c 200 "$WORK/err")"; return; }
    e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-999999}" | awk '{t=$2-$1; print (t<$3)?t:$3}')
  done
  printf '%.3f' "$b"
}
bestq() { # best of 3 in-process query seconds of parq sql "$@" --timing
  local b=999999
  for _ in 1 2 3; do
    "$PARQ" sql "$@" --timing > /dev/null 2>"$WORK/err" || { echo "error: $(head -c 200 "$WORK/err")"; return; }
    b=$(awk -v b="$b" '/query [0-9.]+ s/ { for (i = 1; i < NF; i++) if ($i == "query") t = $(i+1) }
                       END { print (t < b) ? t : b }' "$WORK/err")
  done
  printf '%.3f' "$b"
}
duck() { node "$root/bench/sql/duck.mjs" "$1"; }  # prints best-of-3 query seconds (in-process)
cat > "$root/bench/sql/duck.mjs" <<'JS'
// duck.mjs — runs one query in DuckDB (threads=1) for bench/sql/run.sh.
import { DuckDBInstance } from '../../tests/interop/node_modules/@duckdb/node-api/lib/index.js';
const con = await (await DuckDBInstance.create(':memory:')).connect();
await con.run('SET threads=1');
let best = Infinity;
for (let i = 0; i < 3; i++) {
  const t = process.hrtime.bigint();
  await con.runAndReadAll(process.argv[2]);
  best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
}
console.log(best.toFixed(3));
JS
have_duck=0
[ -d "$root/tests/interop/node_modules/@duckdb/node-api" ] && command -v node >/dev/null && have_duck=1
rows=$("$PARQ" sql "SELECT count(*) FROM $F" -f csv | tail -1)
echo "corpus: $SIZE x $COPIES ($(du -hL "$WORK/corpus-$SIZE.parquet" | cut -f1) Parquet per copy, $rows rows)"
echo
echo "| query | parq 1 thread query (s) | parq 1 thread wall (s) | parq 2 threads query (s) | speed-up | parq 2 ranks MPI wall (s) | DuckDB threads=1 (s) |"
echo "|---|---|---|---|---|---|---|"
for i in "${!queries[@]}"; do
  q=${queries[$i]}
  q1=$(bestq "$q" -f csv)
  w1=$(best "$PARQ" sql "$q" -f csv)
  q2=$(bestq "$q" -f csv --threads 2)
  sp=$(awk -v a="$q1" -v b="$q2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')
  p2="n/a"
  command -v mpirun >/dev/null && p2=$(best mpirun --allow-run-as-root --oversubscribe -np 2 "$PARQ" sql "$q" -f csv)
  d="n/a"
  [ $have_duck = 1 ] && d=$(duck "$q")
  echo "| ${names[$i]} | $q1 | $w1 | $q2 | $sp | $p2 | $d |"
done
