#!/usr/bin/env bash
# test_cli.sh — end-to-end tests of the `parq` program: usage errors and exit
# codes, help texts, error messages, convert/cat round trips, schema/meta,
# --offset/--limit, CSV output, scan, and files from the parquet-testing
# corpus. Needs PARQ_BIN (the built binary). Prints "N passed, N failed";
# exits 1 on failure, 77 (skip) when the binary is missing.
set -u

PARQ="${PARQ_BIN:-${PARQ_BUILD_DIR:-build}/parq}"
if [ ! -x "$PARQ" ]; then
  echo "skipped: parq binary not found (set PARQ_BIN)"
  exit 77
fi
SRC="${PARQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
CORPUS="${PARQUET_TEST_DATA:-$SRC/../shared/parquet-testing}"

T="$(mktemp -d "${TMPDIR:-/tmp}/parq_cli.XXXXXX")"
trap 'rm -rf "$T"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run CMD...: runs parq, capturing stdout/stderr/exit code in OUT, ERR, RC.
run() {
  "$PARQ" "$@" >"$T/out" 2>"$T/err"
  RC=$?
  OUT="$(cat "$T/out")"
  ERR="$(cat "$T/err")"
}
# expect_rc NAME CODE: checks the last run's exit code.
expect_rc() {
  if [ "$RC" -eq "$2" ]; then ok; else bad "$1: exit $RC, want $2; stderr: $ERR"; fi
}
# expect_in NAME HAYSTACK NEEDLE
expect_in() {
  case "$2" in *"$3"*) ok ;; *) bad "$1: '$3' not found in: $(printf '%s' "$2" | head -c 600)" ;; esac
}
expect_eq() {
  if [ "$2" = "$3" ]; then ok; else bad "$1: got '$(printf '%s' "$2" | head -c 600)', want '$3'"; fi
}
# expect_files_equal NAME GOT WANT
expect_files_equal() {
  if cmp -s "$2" "$3"; then ok; else
    bad "$1: files differ"
    diff "$2" "$3" | head -10
  fi
}

# ---------------------------------------------------------------- usage & help
run --version
expect_rc "--version" 0
expect_in "--version text" "$OUT" "parq "

run
expect_rc "no command" 2

run frobnicate
expect_rc "unknown command" 2
expect_in "unknown command message" "$ERR" "unknown command 'frobnicate'"

run help
expect_rc "help" 0
for c in cat schema meta scan convert; do
  expect_in "help lists $c" "$OUT" "$c"
done

for c in schema meta cat scan convert help; do
  run help "$c"
  expect_rc "help $c" 0
  expect_in "help $c usage" "$OUT" "usage: parq $c"
  expect_in "help $c examples" "$OUT" "examples:"
  run "$c" --help
  expect_rc "$c --help" 0
  expect_in "$c --help usage" "$OUT" "usage: parq $c"
done
run help convert
for o in --output --from --schema --compression --row-group-rows --row-group-bytes --page-bytes \
         --page-version --dictionary --statistics --encoding --columns --threads --quiet; do
  expect_in "help convert lists $o" "$OUT" "$o"
done
run help nosuchcmd
expect_rc "help unknown command" 2

run convert in.jsonl -o out.parquet --frob
expect_rc "unknown option" 2
expect_eq "unknown option message" "$ERR" "parq convert: unknown option '--frob' (see parq help convert)"
run cat x.parquet --frob=1
expect_rc "unknown option with =" 2
expect_in "unknown option with = message" "$ERR" "unknown option '--frob'"

run cat
expect_rc "cat without file" 2
expect_in "cat without file hint" "$ERR" "(see parq help cat)"
run schema
expect_rc "schema without file" 2
run schema a.parquet b.parquet
expect_rc "schema with two files" 2
run cat x.parquet --limit
expect_rc "missing option value" 2
run cat x.parquet --limit abc
expect_rc "bad integer" 2
run cat x.parquet --limit=-3
expect_rc "negative limit" 2
run cat x.parquet --format xml
expect_rc "bad --format" 2
run cat x.parquet --json
expect_rc "option of another command" 2
run schema x.parquet --json=yes
expect_rc "flag with value" 2
run convert in.jsonl
expect_rc "convert without -o" 2
expect_in "convert without -o message" "$ERR" "-o"
run convert in.jsonl -o o.parquet --compression lzma
expect_rc "bad compression" 2
run convert in.jsonl -o o.parquet --page-version 3
expect_rc "bad page version" 2
run convert in.jsonl -o o.parquet --dictionary maybe
expect_rc "bad on/off" 2
run convert in.jsonl -o o.parquet --row-group-bytes 12Q
expect_rc "bad size" 2
run convert in.jsonl -o o.parquet --encoding idplain
expect_rc "bad --encoding" 2
run convert in.jsonl -o o.parquet --encoding id=rot13
expect_rc "unknown encoding" 2
run convert in.unknownext -o o.parquet
expect_rc "unknown input format" 2
run convert in.jsonl -o o.parquet --from yaml
expect_rc "bad --from" 2
run scan x.parquet --threads 0
expect_rc "scan --threads 0" 2

# ---------------------------------------------------------------- missing files
MISSING="$T/no/such/file.parquet"
for c in schema meta cat scan; do
  run "$c" "$MISSING"
  expect_rc "$c missing file" 1
  expect_in "$c missing file names path" "$ERR" "$MISSING"
  expect_in "$c missing file prefix" "$ERR" "parq: "
done
run convert "$T/no/such.jsonl" -o "$T/x.parquet" --quiet
expect_rc "convert missing input" 1
expect_in "convert missing input names path" "$ERR" "$T/no/such.jsonl"
[ ! -e "$T/x.parquet" ] && ok || bad "convert missing input left output behind"

# Not a Parquet file: exit 1, message names it.
printf 'hello, this is not parquet\n' >"$T/notparquet.parquet"
run cat "$T/notparquet.parquet"
expect_rc "cat non-parquet" 1
expect_in "cat non-parquet names path" "$ERR" "notparquet.parquet"

# ---------------------------------------------------------------- round trips
cat >"$T/small.jsonl" <<'EOF'
{"id":1,"name":"alice","score":1.5,"ok":true}
{"id":2,"name":"bob","score":-2.25,"ok":false}
{"id":3,"name":null,"score":0.5,"ok":true}
{"id":4,"name":"dave","score":null,"ok":null}
{"id":5,"name":"eve \"quoted\", comma","score":100.125,"ok":false}
EOF

run convert "$T/small.jsonl" -o "$T/small.parquet" --quiet
expect_rc "convert small.jsonl" 0
expect_eq "convert --quiet is quiet" "$ERR" ""
if [ -f "$T/small.parquet" ]; then
  ok
  run cat "$T/small.parquet"
  expect_rc "cat small" 0
  printf '%s\n' "$OUT" >"$T/small.out.jsonl"
  expect_files_equal "jsonl round trip" "$T/small.out.jsonl" "$T/small.jsonl"

  run schema "$T/small.parquet"
  expect_rc "schema" 0
  for col in id name score ok; do expect_in "schema has $col" "$OUT" "$col"; done
  run schema "$T/small.parquet" --json
  expect_rc "schema --json" 0
  expect_in "schema --json has name" "$OUT" '"name"'
  run meta "$T/small.parquet"
  expect_rc "meta" 0
  for col in id name score ok; do expect_in "meta has $col" "$OUT" "$col"; done
  run meta "$T/small.parquet" --json
  expect_rc "meta --json" 0
  expect_in "meta --json has score" "$OUT" "score"

  run cat "$T/small.parquet" --limit 2
  expect_eq "cat --limit 2" "$OUT" "$(head -2 "$T/small.jsonl")"
  run cat "$T/small.parquet" --offset 3
  expect_eq "cat --offset 3" "$OUT" "$(sed -n 4,5p "$T/small.jsonl")"
  run cat "$T/small.parquet" --offset 1 --limit 2
  expect_eq "cat --offset 1 --limit 2" "$OUT" "$(sed -n 2,3p "$T/small.jsonl")"
  run cat "$T/small.parquet" --offset 10
  expect_rc "cat offset past end" 0
  expect_eq "cat offset past end prints nothing" "$OUT" ""
  run cat "$T/small.parquet" --limit 0
  expect_eq "cat --limit 0" "$OUT" ""
  # Offset and limit count across files.
  run cat "$T/small.parquet" "$T/small.parquet" --offset 4 --limit 3
  expect_eq "cat two files offset/limit" "$OUT" "$( (sed -n 5p "$T/small.jsonl"; head -2 "$T/small.jsonl") )"
  run cat "$T/small.parquet" "$T/small.parquet"
  expect_eq "cat two files" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "10"

  run cat "$T/small.parquet" --columns id,ok
  expect_rc "cat --columns" 0
  expect_eq "cat --columns first row" "$(printf '%s\n' "$OUT" | head -1)" '{"id":1,"ok":true}'
  run cat "$T/small.parquet" --columns id --columns name --limit 1
  expect_eq "cat repeated --columns" "$OUT" '{"id":1,"name":"alice"}'
  run cat "$T/small.parquet" --columns nosuchcol
  expect_rc "cat unknown column" 1
  expect_in "cat unknown column message" "$ERR" "nosuchcol"

  run cat "$T/small.parquet" --format csv
  expect_rc "cat csv" 0
  expect_eq "csv header" "$(printf '%s\n' "$OUT" | head -1)" "id,name,score,ok"
  expect_eq "csv line count" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "6"
  expect_eq "csv first row" "$(printf '%s\n' "$OUT" | sed -n 2p)" "1,alice,1.5,true"
  expect_eq "csv quoting" "$(printf '%s\n' "$OUT" | sed -n 6p)" '5,"eve ""quoted"", comma",100.125,false'
  run cat "$T/small.parquet" "$T/small.parquet" --format=csv --offset 2 --limit 4
  expect_eq "csv header once, offset/limit" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "5"

  run cat "$T/small.parquet" --verify-checksums --batch-rows 2
  expect_eq "cat --verify-checksums --batch-rows 2" "$OUT" "$(cat "$T/small.jsonl")"

  run scan "$T/small.parquet"
  expect_rc "scan" 0
  for k in rows "row groups" "file bytes" "decoded bytes" elapsed "MB/s" "rows/s" "peak RSS"; do
    expect_in "scan reports $k" "$OUT" "$k"
  done
  run scan "$T/small.parquet" --json
  expect_in "scan --json rows" "$OUT" '"rows":5'

  # Parquet -> Parquet with other options; must read back identically.
  run convert "$T/small.parquet" -o "$T/small2.parquet" --compression snappy --page-version 2 \
    --dictionary off --statistics off --row-group-rows 2 --page-bytes 64K --row-group-bytes 1M \
    --encoding id=delta_binary_packed --quiet
  expect_rc "convert parquet->parquet" 0
  run cat "$T/small2.parquet"
  printf '%s\n' "$OUT" >"$T/small2.out.jsonl"
  expect_files_equal "parquet->parquet round trip" "$T/small2.out.jsonl" "$T/small.jsonl"
  run scan "$T/small2.parquet" --json
  expect_in "row-group-rows 2 gives 3 row groups" "$OUT" '"row_groups":3'
  # Offsets that land inside later row groups (seek path) and span groups.
  for spec in "0 5" "1 1" "2 2" "3 2" "4 1" "1 4"; do
    set -- $spec
    run cat "$T/small2.parquet" --offset "$1" --limit "$2"
    expect_eq "cat small2 --offset $1 --limit $2" "$OUT" "$(sed -n "$(($1 + 1)),$(($1 + $2))p" "$T/small.jsonl")"
  done
  run scan "$T/small2.parquet" --threads 3 --json
  expect_rc "scan --threads 3" 0
  expect_in "scan --threads 3 rows" "$OUT" '"rows":5'
  expect_in "scan --threads 3 row groups" "$OUT" '"row_groups":3'

  # Several inputs concatenate.
  run convert "$T/small.jsonl" "$T/small.jsonl" -o "$T/double.parquet" --quiet
  expect_rc "convert two inputs" 0
  run cat "$T/double.parquet"
  expect_eq "two inputs row count" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "10"
fi

# Summary line without --quiet.
run convert "$T/small.jsonl" -o "$T/small3.parquet"
expect_rc "convert with summary" 0
expect_in "convert summary" "$ERR" "small3.parquet"

# Schema mismatch between inputs: exit 1 naming file and column; no output.
printf '{"id":"x1","name":"a","score":1.5,"ok":true}\n' >"$T/other.jsonl"
run convert "$T/small.jsonl" "$T/other.jsonl" -o "$T/mismatch.parquet" --quiet
expect_rc "schema mismatch" 1
expect_in "schema mismatch names file" "$ERR" "other.jsonl"
expect_in "schema mismatch names column" "$ERR" "'id'"
[ ! -e "$T/mismatch.parquet" ] && ok || bad "schema mismatch left output behind"

# Bad data in the middle: exit 1, nothing (not even a temporary) left behind.
mkdir -p "$T/badout"
{ cat "$T/small.jsonl"; printf '{"id":6,"name":"x",\n'; } >"$T/broken.jsonl"
run convert "$T/broken.jsonl" -o "$T/badout/b.parquet" --quiet
expect_rc "convert broken jsonl" 1
expect_in "convert broken names file" "$ERR" "broken.jsonl"
expect_eq "convert broken leaves nothing" "$(ls -A "$T/badout")" ""

# --schema FILE and stdin input.
cat >"$T/schema.json" <<'EOF'
{"fields":[{"name":"id","type":"int32","nullable":false},{"name":"name","type":"string"},
 {"name":"score","type":"double"},{"name":"ok","type":"bool"}]}
EOF
run convert - --from jsonl --schema "$T/schema.json" -o "$T/stdin.parquet" --quiet <"$T/small.jsonl"
expect_rc "convert stdin with --schema" 0
run schema "$T/stdin.parquet" --json
expect_in "schema from --schema file" "$OUT" "id"
run cat "$T/stdin.parquet"
printf '%s\n' "$OUT" >"$T/stdin.out.jsonl"
expect_files_equal "stdin round trip" "$T/stdin.out.jsonl" "$T/small.jsonl"

# CSV input.
printf 'a,b,c\n1,x,2.5\n2,"y, z",3.5\n3,,4.5\n' >"$T/small.csv"
run convert "$T/small.csv" -o "$T/csv.parquet" --quiet
expect_rc "convert csv" 0
run cat "$T/csv.parquet" --format csv
expect_eq "csv round trip" "$OUT" "$(cat "$T/small.csv")"

# A larger file: `parq cat | head` exits 0 quietly; scan with threads agrees.
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "{\"i\":%d,\"s\":\"row %d\"}\n", i, i }' >"$T/big.jsonl"
run convert "$T/big.jsonl" -o "$T/big.parquet" --row-group-rows 50000 --quiet
expect_rc "convert big" 0
"$PARQ" cat "$T/big.parquet" 2>"$T/pipe.err" | head -1 >"$T/pipe.out"
rc=${PIPESTATUS[0]}
expect_eq "cat | head exit status" "$rc" "0"
expect_eq "cat | head stderr" "$(cat "$T/pipe.err")" ""
expect_eq "cat | head output" "$(cat "$T/pipe.out")" '{"i":0,"s":"row 0"}'
run cat "$T/big.parquet" --offset 123456 --limit 2
expect_eq "big offset" "$OUT" "$(printf '{"i":123456,"s":"row 123456"}\n{"i":123457,"s":"row 123457"}')"
run scan "$T/big.parquet" --threads 4 --json
expect_in "big scan threads rows" "$OUT" '"rows":300000'
expect_in "big scan threads groups" "$OUT" '"row_groups":6'
run scan "$T/big.parquet" --columns s --batch-rows 10000
expect_rc "big scan --columns" 0

# ---------------------------------------------------------------- corpus
if [ -f "$CORPUS/data/alltypes_plain.parquet" ]; then
  D="$CORPUS/data"
  run cat "$D/alltypes_plain.parquet"
  expect_rc "corpus cat alltypes_plain" 0
  expect_eq "corpus alltypes_plain 8 lines" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "8"
  run cat "$D/alltypes_plain.snappy.parquet"
  expect_eq "corpus alltypes_plain.snappy 2 lines" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "2"
  run schema "$D/alltypes_plain.parquet"
  expect_in "corpus schema has id" "$OUT" "id"
  expect_in "corpus schema has timestamp_col" "$OUT" "timestamp_col"
  run meta "$D/alltypes_plain.parquet" --json
  expect_rc "corpus meta --json" 0
  run scan "$D/alltypes_plain.parquet" --json
  expect_in "corpus scan rows" "$OUT" '"rows":8'
  run cat "$D/alltypes_plain.parquet" --columns id,bool_col --format csv --offset 2 --limit 3
  expect_eq "corpus csv projection lines" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "4"
  expect_eq "corpus csv header" "$(printf '%s\n' "$OUT" | head -1)" "id,bool_col"
  run convert "$D/alltypes_plain.parquet" -o "$T/alltypes.parquet" --quiet
  expect_rc "corpus convert parquet" 0
  run cat "$T/alltypes.parquet"
  expect_eq "corpus converted copy matches" "$OUT" "$("$PARQ" cat "$D/alltypes_plain.parquet")"
  if [ -f "$D/datapage_v1-corrupt-checksum.parquet" ]; then
    run cat "$D/datapage_v1-corrupt-checksum.parquet" --verify-checksums
    expect_rc "corpus corrupt checksum detected" 1
  fi
else
  echo "skipped: corpus not found ($CORPUS)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
exit 0
