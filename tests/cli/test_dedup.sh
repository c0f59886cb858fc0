#!/bin/bash
# test_dedup.sh — `parq dedup` and `parq convert --cdc` end to end.
# usage: tests/cli/test_dedup.sh [BUILD_DIR]
set -euo pipefail
# (ctest passes PARQ_BIN / PARQ_BUILD_DIR instead.)
B=${1:-${PARQ_BUILD_DIR:-build}}
P=${PARQ_BIN:-$B/parq}
[ -n "${1:-}" ] && P=$B/parq
T=$(mktemp -d /tmp/parq-dedup-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$B/gencorpus" --rows 3000 --avg-chars 400 --seed 7 --out "$T/a.jsonl"
# An edited copy: 60 rows inserted in the middle.
head -n 1500 "$T/a.jsonl" > "$T/b.jsonl"
"$B/gencorpus" --rows 60 --avg-chars 400 --seed 8 --out - >> "$T/b.jsonl"
tail -n +1501 "$T/a.jsonl" >> "$T/b.jsonl"
for v in a b; do
  "$P" convert "$T/$v.jsonl" -o "$T/$v.parquet" -q --cdc --cdc-min 16K --cdc-max 64K --dictionary off
  "$P" convert "$T/$v.jsonl" -o "$T/${v}_plain.parquet" -q --dictionary off --page-bytes 32K
done
# Text output ends with the ratio line; identical files give exactly 0.5.
cp "$T/a.parquet" "$T/a2.parquet"
out=$("$P" dedup "$T/a.parquet" "$T/a2.parquet")
echo "$out" | tail -n 1 | grep -Eq '^dedup ratio: 0\.5000 \(unique .* of .*\)$' || fail "text output: $out"
# JSON: one object with the documented keys.
"$P" dedup --json "$T/a.parquet" "$T/b.parquet" > "$T/cdc.json"
"$P" dedup --json "$T/a_plain.parquet" "$T/b_plain.parquet" > "$T/plain.json"
python3 - "$T/cdc.json" "$T/plain.json" <<'PY'
import json, sys
c, p = (json.load(open(f)) for f in sys.argv[1:3])
for d in (c, p):
    assert set(d) >= {"total_bytes", "unique_bytes", "ratio", "compressed_unique_bytes", "files"}, d
    assert len(d["files"]) == 2 and d["files"][0]["new_bytes"] == d["files"][0]["bytes"]
    assert abs(d["ratio"] - d["unique_bytes"] / d["total_bytes"]) < 1e-6
print("cdc ratio %.3f, plain ratio %.3f" % (c["ratio"], p["ratio"]))
assert c["ratio"] < p["ratio"], "CDC should dedup better"
PY
# --pages: per-column page report; the CDC version changes few pages.
"$P" dedup --pages --json "$T/a.parquet" "$T/b.parquet" > "$T/pages.json"
python3 - "$T/pages.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pages = {p["column"]: p for p in d["pages"]}
t = pages["text"]
assert t["pages"] > 10 and t["changed_pages"] <= t["pages"] // 3, t
PY
"$P" dedup --pages "$T/a.parquet" "$T/b.parquet" | grep -q "text: .* pages changed" || fail "--pages text"
# --png writes a PNG.
"$P" dedup --png "$T/d.png" "$T/a.parquet" "$T/b.parquet" > /dev/null
head -c 8 "$T/d.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" || fail "png signature"
# Usage errors exit 2; missing files exit 1.
set +e
"$P" dedup --pages "$T/a.parquet" > /dev/null 2>&1; [ $? -eq 2 ] || fail "--pages with one file"
"$P" dedup "$T/missing.parquet" > /dev/null 2>&1; [ $? -eq 1 ] || fail "missing file"
"$P" convert "$T/a.jsonl" -o "$T/x.parquet" --cdc --cdc-min 64K --cdc-max 64K > /dev/null 2>&1
[ $? -eq 2 ] || fail "--cdc-max <= --cdc-min"
"$P" convert "$T/a.jsonl" -o "$T/x.parquet" --cdc-min 64K > /dev/null 2>&1; [ $? -eq 2 ] || fail "--cdc-min without --cdc"
"$P" convert "$T/a.jsonl" -o "$T/x.parquet" --cdc --cdc-norm 40 > /dev/null 2>&1; [ $? -eq 1 ] || fail "norm 40"
set -e
# repack --cdc writes readable shards.
"$P" repack "$T/a.jsonl" -o "$T/shards" --cdc --shard-rows 1000 --row-group-rows 500 -q
[ "$(ls "$T/shards"/*.parquet | wc -l)" -ge 3 ] || fail "repack --cdc shards"
"$P" scan "$T/shards/shard_00000.parquet" > /dev/null || fail "scan repacked shard"
echo "test_dedup.sh: ok"
