#!/usr/bin/env bash
# test_repack.sh — `parq repack`: shard-size and row-group rules, determinism
# across runs / --jobs / --memory-limit, kill -9 at random points then resume
# gives identical bytes, the global shuffle mixes all inputs, --no-shuffle
# keeps order, a different command is refused, bad inputs fail cleanly.
set -uo pipefail

bin="${PARQ_BIN:-build/parq}"
gen="${PARQ_BUILD_DIR:-build}/gencorpus"
if [ ! -x "$bin" ]; then echo "skipped: parq not found at $bin"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
has() { grep -q -- "$2" <<< "$1"; } # has TEXT PATTERN

# ---- corpus: ~20 MB of FineWeb-like JSONL ----
if [ -x "$gen" ]; then
  "$gen" --bytes 20M --seed 5 --out "$tmp/big.jsonl"
else
  awk 'BEGIN { srand(5); for (i = 0; i < 7000; i++) { s = ""; n = 300 + int(rand() * 600);
       for (k = 0; k < n; k++) s = s sprintf("w%d ", int(rand() * 5000));
       printf "{\"text\":\"%s é\",\"id\":%d}\n", s, i } }' > "$tmp/big.jsonl"
fi
rows_in=$(wc -l < "$tmp/big.jsonl")
TARGET=2000000
run() { "$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet "$@"; }
hashes() { (cd "$1" && sha256sum shard_*.parquet); }

# ---- reference run and the shard rules ----
run -o "$tmp/ref"
check "reference run succeeds" test -f "$tmp/ref/manifest.json"
check "manifest says complete" grep -q '"complete":true' "$tmp/ref/manifest.json"
check "spill directory removed" test ! -e "$tmp/ref/.repack-tmp"
rules=$(python3 - "$tmp/ref/manifest.json" $TARGET $rows_in <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); target = int(sys.argv[2]); rows_in = int(sys.argv[3])
sh = m["shards"]; bad = []
if sum(s["rows"] for s in sh) != rows_in: bad.append("row total")
for i, s in enumerate(sh):
    last = i == len(sh) - 1
    if not last and s["rows"] % 1024: bad.append("%d rows not multiple of 1024" % i)
    if not last and s["text_chars"] < target: bad.append("%d below target" % i)
    if s["row_groups"] != -(-s["rows"] // 1024): bad.append("%d row groups" % i)
    if len(s["xxh3"]) != 16: bad.append("xxh3")
print("ok" if not bad and len(sh) > 2 else "bad %s (%d shards)" % (bad, len(sh)))
EOF
)
check "shards hold >= target chars in whole row groups ($rules)" test "$rules" = ok
nrg=$("$bin" meta "$tmp/ref/shard_00000.parquet" | grep -c '^row group .*: 1024 rows')
rg0=$(python3 -c "import json;print(json.load(open('$tmp/ref/manifest.json'))['shards'][0]['row_groups'])")
check "every row group of shard 0 has 1024 rows ($nrg of $rg0)" test "$nrg" = "$rg0"
"$bin" convert "$tmp/big.jsonl" -o "$tmp/big.parquet" -q
sorted_in=$("$bin" cat "$tmp/big.parquet" | sort | sha256sum)
sorted_out=$(for f in "$tmp"/ref/shard_*.parquet; do "$bin" cat "$f"; done | sort | sha256sum)
check "shards hold exactly the input documents" test "$sorted_in" = "$sorted_out"
first_in=$(head -c 200 "$tmp/big.jsonl")
first_out=$("$bin" cat "$tmp/ref/shard_00000.parquet" | head -c 200)
check "documents are shuffled" test "$first_in" != "$first_out"

# ---- determinism ----
run -o "$tmp/again"
check "same inputs + seed => identical shards" test "$(hashes "$tmp/ref")" = "$(hashes "$tmp/again")"
run -o "$tmp/jobs" --jobs 4
check "--jobs 4 => identical shards" test "$(hashes "$tmp/ref")" = "$(hashes "$tmp/jobs")"
/usr/bin/time -f '%M' -o "$tmp/rss" "$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet \
  -o "$tmp/small" --memory-limit 4M 2> "$tmp/err"
check "--memory-limit 4M (many buckets) => identical shards" test "$(hashes "$tmp/ref")" = "$(hashes "$tmp/small")"
echo "     peak RSS with --memory-limit 4M: $(cat "$tmp/rss") KiB"
run -o "$tmp/seed7" --seed 7
check "another seed => other shards" test "$(hashes "$tmp/ref")" != "$(hashes "$tmp/seed7")"

# ---- a complete directory is left alone; a different command is refused ----
before=$(stat -c %Y.%s "$tmp"/ref/shard_00000.parquet)
run -o "$tmp/ref"
check "rerun of a complete repack succeeds" test $? -eq 0
check "...and leaves the shards alone" test "$before" = "$(stat -c %Y.%s "$tmp"/ref/shard_00000.parquet)"
msg=$(run -o "$tmp/ref" --seed 1 2>&1)
rc=$?
check "different options are refused (exit $rc)" test $rc -ne 0
check "...with a clear message ($msg)" has "$msg" 'different repack (options differ: --seed 1 vs 42)' 
check "...and the shards are untouched" test "$(hashes "$tmp/ref")" = "$(hashes "$tmp/again")"

# ---- kill -9 at random points, resume, compare ----
for i in 1 2 3 4 5; do
  d="$tmp/kill$i"
  for attempt in 1 2; do
    # Run parq itself in the background (not a shell function) so kill hits it.
    "$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet -o "$d" --memory-limit 8M &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
  done
  state=$(ls "$d" 2>/dev/null | tr '\n' ' ')
  run -o "$d"
  rc=$?
  check "kill -9 #$i then resume: identical bytes (state was: ${state:0:80})" \
    test $rc -eq 0 -a "$(hashes "$tmp/ref")" = "$(hashes "$d")"
  check "kill -9 #$i: no temporaries left" \
    test -z "$(ls -A "$d" | grep -v -E '^(shard_[0-9]{5}\.parquet|manifest\.json)$')"
done

# ---- the global shuffle mixes all inputs ----
for k in 1 2 3; do
  awk -v k=$k 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"text\":\"file%d row %d\",\"n\":%d}\n", k, i, i }' \
    > "$tmp/part$k.jsonl"
done
"$bin" repack "$tmp"/part*.jsonl -o "$tmp/mix" --shard-rows 1024 --quiet
first=$("$bin" cat "$tmp/mix/shard_00000.parquet")
head300=$(head -300 <<< "$first")
check "first 300 rows of shard 0 hold rows from every input" \
  bash -c 'for k in 1 2 3; do grep -q "file$k row" <<< "$0" || exit 1; done' "$head300"
check "first shard has 1024 rows" test "$(wc -l <<< "$first")" -eq 1024
mkdir "$tmp/parts" && cp "$tmp"/part*.jsonl "$tmp/parts/"
"$bin" repack "$tmp/parts" -o "$tmp/dirin" --shard-rows 1024 --quiet
check "directory input == its files listed" test "$(hashes "$tmp/mix")" = "$(hashes "$tmp/dirin")"
for k in 1 2 3; do python3 -c "
import json, sys
print('text,n')
for l in open(sys.argv[1]):
    d = json.loads(l); print('\"%s\",%d' % (d['text'], d['n']))" "$tmp/part$k.jsonl" > "$tmp/part$k.csv"; done
"$bin" repack "$tmp"/part*.csv -o "$tmp/csv" --shard-rows 1024 --quiet
check "CSV inputs == JSONL inputs" test "$(hashes "$tmp/mix")" = "$(hashes "$tmp/csv")"
"$bin" repack "$tmp"/part*.jsonl -o "$tmp/proj" --shard-rows 1024 --quiet --columns text
check "--columns keeps a subset" test "$("$bin" cat "$tmp/proj/shard_00000.parquet" | head -1 | grep -c '"n"')" = 0
"$bin" repack "$tmp/part*.jsonl" -o "$tmp/glob" --shard-rows 1024 --quiet
check "glob input == explicit list" test "$(hashes "$tmp/mix")" = "$(hashes "$tmp/glob")"
"$bin" repack "$tmp"/part*.jsonl -o "$tmp/ordered" --shard-rows 1024 --no-shuffle --quiet
"$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet -o "$tmp/ns_ref" --no-shuffle
"$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet -o "$tmp/ns_kill" --no-shuffle &
pid=$!; sleep 0.$((RANDOM % 5 + 3)); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
"$bin" repack "$tmp/big.jsonl" --shard-chars $TARGET --quiet -o "$tmp/ns_kill" --no-shuffle
check "--no-shuffle: kill -9 then resume gives identical bytes" \
  test "$(hashes "$tmp/ns_ref")" = "$(hashes "$tmp/ns_kill")"
check "--no-shuffle keeps input order" \
  test "$("$bin" cat "$tmp/ordered/shard_00000.parquet" | head -1)" = "$(head -1 "$tmp/part1.jsonl")"
lastrow=$(for f in "$tmp"/ordered/shard_*.parquet; do "$bin" cat "$f"; done | tail -1)
check "--no-shuffle: last row is the last input row" test "$lastrow" = "$(tail -1 "$tmp/part3.jsonl")"
"$bin" convert "$tmp/part2.jsonl" -o "$tmp/part2.parquet" -q
"$bin" repack "$tmp/part1.jsonl" "$tmp/part2.parquet" "$tmp/part3.jsonl" -o "$tmp/mixfmt" --shard-rows 1024 --quiet
check "JSONL + Parquet inputs == all JSONL" test "$(hashes "$tmp/mix")" = "$(hashes "$tmp/mixfmt")"

# ---- bad inputs: clear errors, no shard left behind ----
no_shards() { ! ls "$1"/shard_* >/dev/null 2>&1; }
echo '{"text":"x","other":1}' > "$tmp/odd.jsonl"
msg=$("$bin" repack "$tmp/part1.jsonl" "$tmp/odd.jsonl" -o "$tmp/e1" --quiet 2>&1)
check "mixed schemas fail naming file and column ($msg)" has "$msg" "odd.jsonl: column 'n'"
check "...no shard left" no_shards "$tmp/e1"
msg=$("$bin" repack "$tmp/part1.jsonl" -o "$tmp/e2" --columns text,nope --quiet 2>&1)
check "missing --columns column fails ($msg)" has "$msg" nope
check "...no shard left" no_shards "$tmp/e2"
msg=$("$bin" repack "$tmp/part1.jsonl" -o "$tmp/e3" --text-column body --quiet 2>&1)
check "missing text column fails ($msg)" has "$msg" "'body' not found"
msg=$("$bin" repack "$tmp/part1.jsonl" "$tmp/nope.jsonl" -o "$tmp/e4" --quiet 2>&1)
check "missing input fails ($msg)" has "$msg" nope.jsonl
head -c 5000 /dev/urandom > "$tmp/junk.parquet"
msg=$("$bin" repack "$tmp/part1.jsonl" "$tmp/junk.parquet" -o "$tmp/e5" --quiet 2>&1)
check "unreadable Parquet input fails ($msg)" has "$msg" junk.parquet
check "...no shard left" no_shards "$tmp/e5"
# Past the text reader's inference window: found only while shuffling (pass 1).
{ awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"text\":\"t%d\",\"n\":%d}\n", i, i }'
  echo '{"text":"bad","n":"notanumber"}'; } > "$tmp/late.jsonl"
msg=$("$bin" repack "$tmp/late.jsonl" -o "$tmp/e6" --quiet --shard-rows 1024 2>&1)
check "a bad value deep in a file fails ($msg)" has "$msg" late.jsonl
check "...no shard left" no_shards "$tmp/e6"
"$bin" repack "$tmp/part1.jsonl" -o "$tmp/e7" --shard-rows 5 --shard-chars 5 >/dev/null 2>&1
check "two shard targets is a usage error" test $? -eq 2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
