#!/usr/bin/env bash
# test_sql.sh — end-to-end tests of `parq sql` and `parq repartition`: output formats
# (table, jsonl, csv, parquet), JSONL/CSV inputs, directory and glob FROM, exit codes and
# caret error messages (2 = SQL/usage, 1 = data/IO), --memory-limit spilling, --threads N
# (same output as one thread for every query shape), and
# repartition invariants (every row kept, no key split across partitions, by-rows balance,
# by-files, refusing a non-empty output dir). Exit 77 when the binary is missing.
set -u
PARQ="${PARQ_BIN:-${PARQ_BUILD_DIR:-build}/parq}"
if [ ! -x "$PARQ" ]; then echo "skipped: parq binary not found (set PARQ_BIN)"; exit 77; fi
T="$(mktemp -d "${TMPDIR:-/tmp}/parq_sql.XXXXXX")"
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
run() { "$PARQ" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
expect() { # expect RC OUTPUT LABEL
  if [ "$RC" = "$1" ] && [ "$(cat "$T/out")" = "$2" ]; then ok; else
    bad "$3: rc=$RC out=$(head -c 300 "$T/out") err=$(head -c 300 "$T/err")"; fi
}

cat > "$T/a.jsonl" <<'J'
{"id":1,"g":"x","v":1.5,"m":{"lang":"en"}}
{"id":2,"g":"y","v":null,"m":{"lang":"fr"}}
{"id":3,"g":null,"v":2.5,"m":null}
{"id":4,"g":"x","v":-1,"m":{"lang":"en"}}
J
printf 'id,g,v\n5,x,3.5\n6,z,\n' > "$T/b.csv"
mkdir -p "$T/d"
"$PARQ" convert "$T/a.jsonl" -o "$T/d/a.parquet" -q

run sql "SELECT g, count(*) AS n FROM '$T/a.jsonl' GROUP BY g ORDER BY g NULLS FIRST" --format csv
expect 0 $'g,n\n,1\nx,2\ny,1' "csv group by over jsonl"
run sql "SELECT id, v FROM '$T/b.csv' ORDER BY id" --format jsonl
expect 0 $'{"id":5,"v":3.5}\n{"id":6,"v":null}' "jsonl over csv"
run sql "SELECT m.lang AS lang, sum(v) AS s FROM '$T/d' WHERE id >= 1 GROUP BY m.lang ORDER BY lang NULLS LAST" -f jsonl
expect 0 $'{"lang":"en","s":0.5}\n{"lang":"fr","s":null}\n{"lang":null,"s":2.5}' "directory FROM, nested path"
run sql "SELECT count(*) AS n FROM '$T/d/*.parquet'"
expect 0 $'n\n-\n4\n(1 row)' "table format"
run sql "SELECT id FROM '$T/d/a.parquet' ORDER BY id DESC LIMIT 2 OFFSET 1" -f csv
expect 0 $'id\n3\n2' "limit offset"
run sql "SELECT id, g FROM '$T/d/a.parquet' WHERE g = 'x' ORDER BY id" -f parquet -o "$T/r.parquet"
run sql "SELECT count(*) AS n FROM '$T/r.parquet'" -f csv
expect 0 $'n\n2' "parquet output"

# errors: SQL/usage -> 2 with a caret; data/IO -> 1
run sql "SELECT id, FROM '$T/d'"
if [ $RC = 2 ] && grep -q "syntax error at 'FROM'" "$T/err" && grep -q '^ *\^$' "$T/err"; then ok; else bad "syntax error caret: $(cat "$T/err")"; fi
run sql "SELECT nosuch FROM '$T/d'"
if [ $RC = 2 ] && grep -q "column 'nosuch' not found" "$T/err"; then ok; else bad "unknown column: $RC $(cat "$T/err")"; fi
run sql "SELECT id, count(*) FROM '$T/d' GROUP BY g"
if [ $RC = 2 ] && grep -q "must appear in GROUP BY" "$T/err"; then ok; else bad "group by check: $(cat "$T/err")"; fi
run sql "SELECT count(*) FROM '$T/missing/*.parquet'"
if [ $RC = 1 ] && grep -q "no files match" "$T/err"; then ok; else bad "bad path: $RC $(cat "$T/err")"; fi
run sql "SELECT CAST(g AS BIGINT) FROM '$T/d'"
if [ $RC = 1 ] && grep -q "could not convert 'x' to BIGINT" "$T/err"; then ok; else bad "cast error: $RC $(cat "$T/err")"; fi
run sql "SELECT 1 FROM '$T/d'" --format xml
[ $RC = 2 ] && ok || bad "bad --format"
echo "not parquet" > "$T/bad.parquet"
run sql "SELECT count(*) FROM '$T/bad.parquet'"
[ $RC = 1 ] && ok || bad "corrupt input rc=$RC"

# --memory-limit: GROUP BY spills partitions to disk and returns exactly what the in-memory
# path returns (200k rows, ~50k groups, NULL keys, count(DISTINCT), string min/max, sums)
awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) {
  k = (i % 97 == 0) ? "null" : int(rand() * 50000);
  s = (i % 13 == 0) ? "null" : "\"s" int(rand() * 100000) "\"";
  v = (i % 7 == 0) ? "null" : rand() * 100;
  printf "{\"k\":%s,\"v\":%s,\"n\":%d,\"s\":%s}\n", k, v, int(rand() * 1000), s } }' \
  > "$T/many.jsonl"
"$PARQ" convert "$T/many.jsonl" -o "$T/many.parquet" --row-group-rows 30000 -q
Q="SELECT k, count(*) AS c, sum(v) AS sv, avg(v) AS av, sum(n) AS sn, avg(n) AS an, min(s) AS mn,
   max(s) AS mx, min(v) AS lo, max(n) AS hi, count(DISTINCT n) AS dn, count(DISTINCT s) AS ds
   FROM '$T/many.parquet' GROUP BY k ORDER BY k NULLS FIRST"
"$PARQ" sql "$Q" -f csv > "$T/mem.csv"
sd="$T/spilltmp"; mkdir -p "$sd"
TMPDIR="$sd" "$PARQ" sql "$Q" -f csv --memory-limit 1M > "$T/spill.csv"; RC=$?
if [ $RC = 0 ] && [ "$(wc -l < "$T/mem.csv")" -gt 40000 ] && cmp -s "$T/mem.csv" "$T/spill.csv"; then ok
else bad "spilled GROUP BY differs from in-memory (rc=$RC)"; fi
[ -z "$(ls -A "$sd")" ] && ok || bad "spill files left behind: $(ls "$sd")"
run sql "SELECT k % 1000 AS m, count(*) AS c FROM '$T/many.parquet' GROUP BY m HAVING count(*) > 230 ORDER BY c DESC, m LIMIT 3" -f csv --memory-limit 64K
"$PARQ" sql "SELECT k % 1000 AS m, count(*) AS c FROM '$T/many.parquet' GROUP BY m HAVING count(*) > 230 ORDER BY c DESC, m LIMIT 3" -f csv > "$T/want"
expect 0 "$(cat "$T/want")" "GROUP BY alias + HAVING + top-k under a tiny limit"
# without GROUP BY a count(DISTINCT) set cannot be partitioned: still a clean failure
run sql "SELECT count(DISTINCT s) FROM '$T/many.parquet'" --memory-limit 64K
if [ $RC = 1 ] && grep -q "memory-limit" "$T/err"; then ok; else bad "memory limit: $RC $(cat "$T/err")"; fi

# --threads N: every query shape prints byte-for-byte what one thread prints, including
# orders SQL leaves open (GROUP BY / projection / LIMIT without ORDER BY: first-seen and
# input order), JSONL input (whole files), an input with fewer row groups than threads,
# and a spilling GROUP BY
M="'$T/many.parquet'"
tq=(
  "SELECT k, count(*) AS c, sum(v) AS sv, avg(v) AS av, min(s) AS mn, max(n) AS hi FROM $M GROUP BY k"
  "SELECT count(*) AS n FROM $M"
  "SELECT count(*) AS n, count(DISTINCT s) AS d, sum(v) AS sv, avg(n) AS an, min(s) AS lo, max(v) AS hv FROM $M"
  "SELECT n % 10 AS m, count(DISTINCT k) AS dk, max(s) AS mx FROM $M GROUP BY m HAVING count(*) > 10 ORDER BY dk DESC"
  "SELECT s, n FROM $M WHERE n > 500 LIMIT 50"
  "SELECT k, v FROM $M WHERE n < 3"
  "SELECT s, n FROM $M ORDER BY n DESC, s LIMIT 25 OFFSET 3"
  "SELECT k, n FROM $M WHERE v > 99.9 ORDER BY n"
  "SELECT DISTINCT n % 7 AS r FROM $M"
  "SELECT k % 1000 AS m, count(*) AS c FROM $M GROUP BY m HAVING count(*) > 230 ORDER BY c DESC, m LIMIT 3"
  "SELECT g, count(*) AS n, sum(v) AS s FROM '$T/a.jsonl' GROUP BY g"
  "SELECT m.lang AS lang, sum(v) AS s FROM '$T/d' WHERE id >= 1 GROUP BY m.lang ORDER BY lang NULLS LAST"
  "SELECT id, g FROM '$T/d' ORDER BY id DESC LIMIT 2"
)
for q in "${tq[@]}"; do
  "$PARQ" sql "$q" -f csv > "$T/t1" 2>&1; r1=$?
  for n in 2 3; do
    "$PARQ" sql "$q" -f csv --threads $n > "$T/tn" 2>&1; rn=$?
    if [ $r1 = 0 ] && [ $rn = 0 ] && [ -s "$T/t1" ] && cmp -s "$T/t1" "$T/tn"; then ok; else
      bad "--threads $n differs ($r1/$rn): $q"; diff "$T/t1" "$T/tn" | head -5; fi
  done
done
TMPDIR="$sd" "$PARQ" sql "$Q" -f csv --memory-limit 1M --threads 2 > "$T/spill2.csv"; RC=$?
if [ $RC = 0 ] && cmp -s "$T/mem.csv" "$T/spill2.csv"; then ok; else bad "--threads 2 spilled GROUP BY differs (rc=$RC)"; fi
[ -z "$(ls -A "$sd")" ] && ok || bad "spill files left behind by --threads: $(ls "$sd")"
# a data error in one thread fails the query (no hang) with that thread's message
run sql "SELECT CAST(s AS BIGINT) AS x FROM $M" --threads 3
if [ $RC = 1 ] && grep -q "could not convert" "$T/err" && [ ! -s "$T/out" ]; then ok; else bad "thread error: $RC $(cat "$T/err")"; fi
run sql "SELECT count(*) AS n FROM $M" --threads 0
[ $RC = 2 ] && ok || bad "--threads 0 rc=$RC"
run sql "SELECT count(*) AS n FROM $M" -f csv --threads 2 --timing
if [ $RC = 0 ] && [ "$(cat "$T/out")" = $'n\n200000' ] && grep -q "query [0-9.]* s, total" "$T/err"; then ok
else bad "--timing: $RC $(cat "$T/err")"; fi

# strings longer than 12 bytes (Arrow views point into the pages instead of inlining them):
# a low-cardinality key the writer dictionary-encodes, a unique URL-like column, NULLs in
# both; every query over the Parquet file (views) prints what it prints over the same rows
# as JSONL (plain strings)
awk 'BEGIN { srand(11); for (i = 0; i < 30000; i++) {
  c = (i % 101 == 0) ? "null" : "\"category-number-" int(rand() * 12) "\"";
  u = (i % 89 == 0) ? "null" : "\"https://example.org/path/" int(rand() * 20000) "\"";
  printf "{\"c\":%s,\"u\":%s,\"t\":%d,\"x\":\"s%d\"}\n", c, u, int(rand() * 50), i % 7 } }' \
  > "$T/long.jsonl"
"$PARQ" convert "$T/long.jsonl" -o "$T/long.parquet" --row-group-rows 7000 -q
lq=(
  "SELECT c, count(*) AS n, count(DISTINCT u) AS du, min(u) AS lo, max(u) AS hi, max(t) AS mt FROM %F GROUP BY c ORDER BY c NULLS FIRST"
  "SELECT count(DISTINCT u) AS du, count(DISTINCT c) AS dc, count(DISTINCT x) AS dx, count(u) AS nu FROM %F"
  "SELECT u, t FROM %F WHERE c = 'category-number-3' AND u LIKE '%/1%' ORDER BY t DESC, u LIMIT 7"
  "SELECT length(u) AS l, count(*) AS n FROM %F GROUP BY l ORDER BY l NULLS FIRST"
  "SELECT c, x, count(*) AS n FROM %F GROUP BY c, x ORDER BY n DESC, c, x LIMIT 5"
  "SELECT upper(substr(c, 10, 8)) AS s, count(DISTINCT t) AS d FROM %F GROUP BY s ORDER BY s NULLS LAST"
)
for q in "${lq[@]}"; do
  "$PARQ" sql "${q//%F/\'$T/long.jsonl\'}" -f csv > "$T/lj" 2>&1; r1=$?
  "$PARQ" sql "${q//%F/\'$T/long.parquet\'}" -f csv > "$T/lp" 2>&1; r2=$?
  if [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(wc -l < "$T/lj")" -gt 1 ] && cmp -s "$T/lj" "$T/lp"; then ok; else
    bad "views vs plain strings differ ($r1/$r2): $q"; diff "$T/lj" "$T/lp" | head -5; fi
done
# count(DISTINCT) without GROUP BY on threads: values are split by hash across the threads
# (2 threads probe, 3 insert); same counts as one thread
for n in 2 3; do
  q="SELECT count(DISTINCT u) AS du, count(DISTINCT c) AS dc, count(DISTINCT t) AS dt, count(*) AS n FROM '$T/long.parquet'"
  "$PARQ" sql "$q" -f csv > "$T/t1"; "$PARQ" sql "$q" -f csv --threads $n > "$T/tn"; rn=$?
  if [ $rn = 0 ] && cmp -s "$T/t1" "$T/tn" && [ "$(tail -1 "$T/t1" | cut -d, -f2)" = 12 ]; then ok; else
    bad "count(DISTINCT) on $n threads: $(cat "$T/t1") vs $(cat "$T/tn")"; fi
done
# WHERE made of `column OP literal` conjuncts builds its selection straight from the
# columns: same rows as the general evaluator (NOT NOT defeats the fast path), NULLs included
for w in "v > 50 AND n <= 500" "k = 77 AND v >= 0" "v < 25.5 AND k <> 3 AND n > 100" \
         "n = 7" "v <= 10 AND v > 9" "k >= 49000 AND k < 49010 AND n >= 0 AND v <> 1"; do
  "$PARQ" sql "SELECT count(*) AS c, sum(n) AS s, min(k) AS lo FROM $M WHERE $w" -f csv > "$T/w1" 2>&1
  "$PARQ" sql "SELECT count(*) AS c, sum(n) AS s, min(k) AS lo FROM $M WHERE NOT NOT ($w)" -f csv > "$T/w2" 2>&1
  "$PARQ" sql "SELECT k, n, s FROM $M WHERE $w ORDER BY n DESC, k LIMIT 5" -f csv > "$T/w3" 2>&1
  "$PARQ" sql "SELECT k, n, s FROM $M WHERE NOT NOT ($w) ORDER BY n DESC, k LIMIT 5" -f csv > "$T/w4" 2>&1
  if cmp -s "$T/w1" "$T/w2" && cmp -s "$T/w3" "$T/w4" && [ "$(sed -n 2p "$T/w1" | cut -d, -f1)" -gt 0 ]; then ok
  else bad "WHERE fast path differs: $w: $(cat "$T/w1") vs $(cat "$T/w2")"; fi
done
# top-k over the groups of a filtered scan (the frame is the aggregate's, not the scan's)
"$PARQ" sql "SELECT n % 10 AS m, count(*) AS c, sum(k) AS s FROM $M WHERE v > 50 GROUP BY m ORDER BY m LIMIT 4" -f csv > "$T/g1"
"$PARQ" sql "SELECT n % 10 AS m, count(*) AS c, sum(k) AS s FROM $M WHERE v > 50 GROUP BY m ORDER BY m" -f csv | head -5 > "$T/g2"
if [ "$(wc -l < "$T/g1")" = 5 ] && cmp -s "$T/g1" "$T/g2"; then ok; else bad "grouped top-k after WHERE: $(cat "$T/g1")"; fi
# min/max(DISTINCT x) = min/max(x); sum/avg(DISTINCT) are refused, not answered wrongly
run sql "SELECT max(DISTINCT t) AS a, min(DISTINCT c) AS b FROM '$T/long.parquet'" -f csv
expect 0 $'a,b\n49,category-number-0' "min/max DISTINCT"
run sql "SELECT sum(DISTINCT t) FROM '$T/long.parquet'"
if [ $RC = 2 ] && grep -q "sum(DISTINCT ...) is not supported" "$T/err"; then ok; else bad "sum DISTINCT: $RC $(cat "$T/err")"; fi
# top-k (bounded heap with the first key compared inline) = the full sort cut to the window
for ord in "n DESC, s" "n, s DESC" "k DESC NULLS LAST, s" "k NULLS FIRST, n DESC, s"; do
  "$PARQ" sql "SELECT k, n, s FROM $M ORDER BY $ord LIMIT 20 OFFSET 5" -f csv > "$T/tk" 2>&1
  "$PARQ" sql "SELECT k, n, s FROM $M ORDER BY $ord" -f csv 2>&1 | sed -n '1p;7,26p' > "$T/full"
  if [ "$(wc -l < "$T/tk")" = 21 ] && cmp -s "$T/tk" "$T/full"; then ok; else
    bad "top-k ORDER BY $ord differs from the full sort"; diff "$T/tk" "$T/full" | head -5; fi
done

# repartition: every row kept, keys never split
for i in $(seq 0 999); do echo "{\"id\":$i,\"key\":\"k$((i % 37))\"}"; done > "$T/r.jsonl"
"$PARQ" convert "$T/r.jsonl" -o "$T/r1.parquet" --row-group-rows 100 -q
run repartition "$T/r1.parquet" -o "$T/ph" --partitions 5 --hash-by key -q
[ $RC = 0 ] && ok || bad "repartition hash rc=$RC $(cat "$T/err")"
run sql "SELECT count(*) AS n, count(DISTINCT id) AS d FROM '$T/ph/*/*.parquet'" -f csv
expect 0 $'n,d\n1000,1000' "hash keeps every row"
total=0
for p in "$T"/ph/part-*; do
  "$PARQ" sql "SELECT DISTINCT key FROM '$p'" -f csv | tail -n +2 >> "$T/keys"
done
if [ "$(sort "$T/keys" | uniq -d | wc -l)" = 0 ] && [ "$(wc -l < "$T/keys")" = 37 ]; then ok; else bad "a key is split across partitions"; fi
run repartition "$T/r1.parquet" -o "$T/pr" -n 3 --by-rows -q
run sql "SELECT count(*) AS n FROM '$T/pr/part-00001'" -f csv
expect 0 $'n\n333' "by-rows balance"
run sql "SELECT min(id) AS a, max(id) AS b FROM '$T/pr/part-00002'" -f csv
expect 0 $'a,b\n667,999' "by-rows contiguous ranges"
cp "$T/r.jsonl" "$T/r2.jsonl"
run repartition "$T/r.jsonl" "$T/r2.jsonl" "$T/b.csv" -o "$T/pf" -n 2 --by-files -q
[ $RC = 1 ] && grep -q "b.csv" "$T/err" && [ ! -e "$T/pf/part-00000" ] && ok || bad "by-files schema mismatch rc=$RC $(cat "$T/err")"
run repartition "$T/r.jsonl" "$T/r2.jsonl" -o "$T/pf2" -n 2 --by-files -q
run sql "SELECT count(*) AS n FROM '$T/pf2/part-00001'" -f csv
expect 0 $'n\n1000' "by-files whole files"
run repartition "$T/r1.parquet" -o "$T/ph" --partitions 5 --hash-by key -q
[ $RC = 2 ] && grep -q "already holds partitions" "$T/err" && ok || bad "non-empty output dir rc=$RC"
run repartition "$T/r1.parquet" -o "$T/px" --partitions 5 --hash-by nosuch -q
[ $RC = 2 ] && ok || bad "bad hash column rc=$RC"
[ ! -e "$T/px/part-00000" ] && ok || bad "failed repartition left output"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
