#!/bin/bash
# test_merge.sh — `parq merge`: copy and re-encode keep every row and value
# (parq cat of the inputs vs the output), auto mode picks re-encode for tiny
# inputs and copy for big ones, and memory stays bounded with 1,000 inputs.
set -u
P=${PARQ_BIN:-build/parq}
T=$(mktemp -d /tmp/parq_merge_test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
N=${MERGE_FILES:-1000}
mkdir -p $T/in
for i in $(seq 1 $N); do
  printf '{"id":%d,"name":"n%d","x":%d.5,"tags":["a","b%d"]}\n{"id":%d,"name":null,"x":null,"tags":[]}\n' \
    $i $i $i $i $((i + 100000)) > $T/in/$i.jsonl
done
for i in $(seq 1 $N); do $P convert $T/in/$i.jsonl -o $T/in/$(printf %05d $i).parquet 2>/dev/null || fail convert; done
ls $T/in/*.parquet > $T/list
$P cat $(cat $T/list) | sort > $T/want
for mode in --copy --reencode ""; do
  /usr/bin/time -f %M -o $T/rss $P merge $(cat $T/list) -o $T/out.parquet $mode -q 2>$T/err || fail "merge $mode: $(cat $T/err)"
  $P cat $T/out.parquet | sort > $T/got
  cmp -s $T/want $T/got || fail "merge $mode changed rows"
  echo "merge ${mode:-auto}: $N files, peak RSS $(cat $T/rss) KB"
  [ "$(cat $T/rss)" -lt 200000 ] || fail "merge $mode used $(cat $T/rss) KB"
done
# Auto mode with tiny inputs re-encodes into one row group.
[ "$($P meta $T/out.parquet | grep -m1 'row groups' | awk '{print $3}')" = 1 ] || fail "auto mode did not re-encode tiny inputs"
# Auto mode with big row groups copies.
$P merge $T/out.parquet $T/out.parquet -o $T/big.parquet --row-group-bytes 1K 2>&1 | grep -q "copied" || fail "auto mode did not copy big row groups"
[ "$($P cat $T/big.parquet | wc -l)" = $((4 * N)) ] || fail "copy of big groups lost rows"
echo "test_merge: all passed"
