#!/usr/bin/env bash
# test_stream.sh — end-to-end tests of `parq stream`: rank shares are disjoint
# and complete (W = 1, 2, 3, 5), count format, --limit, exact resume through
# --state-out/--resume at several cut points, refusal of a state from another
# dataset, deterministic epoch reshuffles, projection, manifest order, exit
# codes. Needs PARQ_BIN. Prints "N passed, N failed"; exits 1 on failure,
# 77 (skip) when the binary is missing.
set -u

PARQ="${PARQ_BIN:-${PARQ_BUILD_DIR:-build}/parq}"
if [ ! -x "$PARQ" ]; then
  echo "skipped: parq binary not found (set PARQ_BIN)"
  exit 77
fi

T="$(mktemp -d "${TMPDIR:-/tmp}/parq_stream.XXXXXX")"
trap 'rm -rf "$T"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
run() {
  "$PARQ" "$@" >"$T/out" 2>"$T/err"
  RC=$?
  OUT="$(cat "$T/out")"
  ERR="$(cat "$T/err")"
}
expect_rc() { if [ "$RC" -eq "$2" ]; then ok; else bad "$1: exit $RC, want $2; stderr: $ERR"; fi; }
expect_in() { case "$2" in *"$3"*) ok ;; *) bad "$1: '$3' not found in: $(printf '%s' "$2" | head -c 400)" ;; esac; }
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$(printf '%s' "$2" | head -c 300)' want '$(printf '%s' "$3" | head -c 300)'"; fi; }
ids() { sed -n 's/^{"id":\([0-9]*\).*/\1/p'; }

# Dataset: three shards of 250, 300 and 130 rows, 100-row row groups.
mkdir -p "$T/ds" "$T/other"
lo=0
i=0
for n in 250 300 130; do
  awk -v lo=$lo -v n=$n 'BEGIN { for (k = lo; k < lo + n; k++) printf "{\"id\":%d,\"s\":\"r%d\",\"tags\":[%d,%d]}\n", k, k, k, k * 2 }' \
    >"$T/in$i.jsonl"
  "$PARQ" convert "$T/in$i.jsonl" -o "$T/ds/shard_0000$i.parquet" --row-group-rows 100 --quiet || bad "convert shard $i"
  lo=$((lo + n))
  i=$((i + 1))
done
TOTAL=680
awk 'BEGIN { for (k = 0; k < 420; k++) printf "{\"id\":%d,\"s\":\"x\",\"tags\":[]}\n", k }' >"$T/o.jsonl"
"$PARQ" convert "$T/o.jsonl" -o "$T/other/shard_00000.parquet" --row-group-rows 100 --quiet || bad "convert other"
ALL="$(seq 0 $((TOTAL - 1)))"

# --- help and usage errors ---
run stream --help
expect_rc "help" 0
expect_in "help text" "$OUT" "--state-out"
run stream "$T/ds" --format xml
expect_rc "bad format" 2
run stream "$T/ds" --rank 3 --world 3
expect_rc "rank >= world" 2
run stream "$T/nope"
expect_rc "missing path" 1
expect_in "missing path message" "$ERR" "nope"

# --- rank shares are disjoint and complete ---
for W in 1 2 3 5; do
  : >"$T/union"
  for ((R = 0; R < W; R++)); do
    "$PARQ" stream "$T/ds" --rank $R --world $W --batch-rows 64 | ids >>"$T/union"
  done
  expect_eq "union of $W ranks" "$(sort -n "$T/union")" "$ALL"
done
# Environment defaults for rank/world.
a="$(RANK=1 WORLD_SIZE=3 "$PARQ" stream "$T/ds" | ids | head -1)"
expect_eq "RANK/WORLD_SIZE env" "$a" "100"

# --- count format ---
run stream "$T/ds" --format count --batch-rows 300
expect_rc "count" 0
expect_eq "count output" "$OUT" "batch 0 rows 300
batch 1 rows 300
batch 2 rows 80
rows: 680 batches: 3"

# --- limit and projection ---
run stream "$T/ds" --limit 5 --columns s
expect_eq "limit+projection" "$OUT" '{"s":"r0"}
{"s":"r1"}
{"s":"r2"}
{"s":"r3"}
{"s":"r4"}'
run stream "$T/ds" --columns nope
expect_rc "unknown column" 1

# --- exact resume through --state-out / --resume ---
FULL="$("$PARQ" stream "$T/ds" --epochs 3 --seed 9 --shuffle --batch-rows 48 --world 2 --rank 1 | ids)"
for cut in 0 1 47 48 100 333 700 1019; do
  rm -f "$T/st.json"
  "$PARQ" stream "$T/ds" --epochs 3 --seed 9 --shuffle --batch-rows 48 --world 2 --rank 1 --limit $cut \
    --state-out "$T/st.json" | ids >"$T/part"
  "$PARQ" stream "$T/ds" --epochs 3 --seed 9 --shuffle --batch-rows 48 --world 2 --rank 1 --resume "$T/st.json" \
    | ids >>"$T/part"
  expect_eq "resume at row $cut" "$(cat "$T/part")" "$FULL"
done
[ -e "$T/st.json.tmp" ] && bad "state temp file left behind" || ok
run stream "$T/ds" --limit 3 --state-out "$T/st.json"
expect_in "state fields" "$(cat "$T/st.json")" '"epoch":0,"position":0,"row":3,"rank":0,"world":1,"seed":0'

# --- refusals ---
run stream "$T/other" --resume "$T/st.json"
expect_rc "state of another dataset" 2
expect_in "refusal message" "$ERR" "another dataset"
run stream "$T/ds" --world 2 --resume "$T/st.json"
expect_rc "state of another world" 2
run stream "$T/ds" --seed 4 --resume "$T/st.json"
expect_rc "state with another seed" 2

# --- epochs reshuffle deterministically ---
e1="$("$PARQ" stream "$T/ds" --epochs 3 --seed 1 --batch-rows 1000 | ids)"
e2="$("$PARQ" stream "$T/ds" --epochs 3 --seed 1 --batch-rows 1000 --prefetch 0 | ids)"
e3="$("$PARQ" stream "$T/ds" --epochs 3 --seed 2 --batch-rows 1000 | ids)"
expect_eq "same seed, same order" "$e1" "$e2"
expect_eq "epoch 0 in file order" "$(printf '%s\n' "$e1" | head -$TOTAL)" "$ALL"
[ "$(printf '%s\n' "$e1" | sed -n "$((TOTAL + 1)),$((2 * TOTAL))p")" != "$(printf '%s\n' "$e1" | sed -n "$((2 * TOTAL + 1)),\$p")" ] \
  && ok || bad "epochs 1 and 2 have the same order"
[ "$e1" != "$e3" ] && ok || bad "seed does not change the order"
expect_eq "epoch 1 is a permutation" "$(printf '%s\n' "$e1" | sed -n "$((TOTAL + 1)),$((2 * TOTAL))p" | sort -n)" "$ALL"

# --- manifest order and globs ---
printf '{"shards":[{"path":"shard_00002.parquet","rows":130},{"path":"shard_00000.parquet"},{"path":"shard_00001.parquet"}]}\n' \
  >"$T/ds/manifest.json"
a="$("$PARQ" stream "$T/ds" --limit 1 | ids)"
expect_eq "manifest order" "$a" "550"
rm "$T/ds/manifest.json"
a="$("$PARQ" stream "$T/ds/shard_0000[21].parquet" --limit 1 | ids)"
expect_eq "glob sorted" "$a" "250"

# --- memory limit ---
run stream "$T/ds" --memory-limit 500
expect_rc "memory limit" 1
expect_in "memory limit message" "$ERR" "shard_00000.parquet"

# --- csv ---
run stream "$T/ds" --format csv --limit 2 --columns id,s
expect_eq "csv" "$OUT" "id,s
0,r0
1,r1"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
exit 0
