#!/usr/bin/env bash
# test_mpi_repack.sh — `mpirun -np K parq repack` must write exactly the shards and manifest one
# process writes (every file compared with cmp), for several JSONL files, for Parquet inputs split
# by row group, for mixed inputs, shuffled and --no-shuffle, with many spill buckets and --jobs;
# resume a one-process run under MPI; a failing rank must fail the job naming the rank and cause,
# with no shard left and no manifest claiming one. Skips (77) when mpirun is missing or parq was
# built without MPI.
set -u
PARQ="${PARQ_BIN:-${PARQ_BUILD_DIR:-build}/parq}"
if [ ! -x "$PARQ" ]; then echo "skipped: parq binary not found (set PARQ_BIN)"; exit 77; fi
if ! command -v mpirun >/dev/null 2>&1; then echo "skipped: mpirun not found"; exit 77; fi
if ! ldd "$PARQ" 2>/dev/null | grep -q libmpi; then echo "skipped: parq built without MPI"; exit 77; fi
GEN="$(dirname "$PARQ")/gencorpus"
if [ ! -x "$GEN" ]; then echo "skipped: gencorpus not found"; exit 77; fi
T="$(mktemp -d "${TMPDIR:-/tmp}/parq_mpi_repack.XXXXXX")"
trap 'rm -rf "$T"' EXIT
# Open MPI never frees some per-process state; LeakSanitizer would report it (see test_mpi.sh).
mpi() { local np=$1; shift
  env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    mpirun --allow-run-as-root --oversubscribe -np "$np" "$PARQ" "$@"; }
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# same DIR1 DIR2: the same file names and every file byte-identical (a refused run may leave
# the lock file behind: it locks nothing once its process is gone)
same() {
  [ -f "$1/manifest.json" ] || return 1
  [ "$(ls -A "$1" | grep -v '^.repack.lock$')" = "$(ls -A "$2" | grep -v '^.repack.lock$')" ] || return 1
  for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || return 1; done
}

# ---- inputs: 5 JSONL files; 2 Parquet files with small row groups ----
"$GEN" --bytes 6M --seed 11 --out "$T/all.jsonl"
mkdir "$T/j" "$T/p"
(cd "$T/j" && split -n l/5 -d --additional-suffix=.jsonl ../all.jsonl part)
"$PARQ" convert "$T/j/part00.jsonl" "$T/j/part01.jsonl" -o "$T/p/a.parquet" --row-group-rows 300 -q 2>/dev/null ||
  "$PARQ" convert "$T/j/part00.jsonl" -o "$T/p/a.parquet" --row-group-rows 300 -q
"$PARQ" convert "$T/j/part02.jsonl" -o "$T/p/b.parquet" --row-group-rows 170 -q
nshards() { ls "$1"/shard_*.parquet 2>/dev/null | wc -l; }

# compare NAME OPTIONS...: one process vs -np 2 and -np 3
compare() {
  local name=$1; shift
  rm -rf "$T/o1" "$T/o2" "$T/o3"
  "$PARQ" repack "$@" -o "$T/o1" -q || { bad "$name: one-process run failed"; return; }
  mpi 2 repack "$@" -o "$T/o2" -q 2>"$T/err2"
  local r2=$?
  mpi 3 repack "$@" -o "$T/o3" -q 2>"$T/err3"
  local r3=$?
  local n; n=$(nshards "$T/o1")
  [ "$n" -gt 3 ] || bad "$name: only $n shards (want several per rank)"
  if [ $r2 = 0 ] && same "$T/o1" "$T/o2"; then ok "$name: np=2 identical ($n shards)"; else
    bad "$name: np=2 differs (rc $r2): $(head -c 300 "$T/err2")"; fi
  if [ $r3 = 0 ] && same "$T/o1" "$T/o3"; then ok "$name: np=3 identical ($n shards)"; else
    bad "$name: np=3 differs (rc $r3): $(head -c 300 "$T/err3")"; fi
}

compare "jsonl shuffled" "$T"/j/part*.jsonl --shard-chars 250000 --row-group-rows 100
compare "jsonl --no-shuffle" "$T"/j/part*.jsonl --shard-chars 250000 --row-group-rows 100 --no-shuffle
compare "jsonl, 1 MiB memory (many buckets), --jobs 2" "$T/j" --shard-rows 256 --row-group-rows 64 \
  --memory-limit 1M --jobs 2 --seed 9
compare "parquet shuffled (row groups split)" "$T/p" --shard-chars 150000 --row-group-rows 128
compare "parquet --no-shuffle" "$T/p" --shard-chars 150000 --row-group-rows 128 --no-shuffle
compare "mixed jsonl + parquet" "$T/j/part03.jsonl" "$T/p/b.parquet" "$T/j/part04.jsonl" --shard-bytes 200000 --row-group-rows 50
compare "fewer files than ranks" "$T/j/part00.jsonl" --shard-rows 64 --row-group-rows 32

# ---- rerun of a complete directory; resume of a one-process run under MPI ----
rm -rf "$T/r1" "$T/r3"
"$PARQ" repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/r1" -q
mpi 3 repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/r3" -q
before=$(stat -c %Y.%s "$T/r3/shard_00000.parquet")
mpi 2 repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/r3" -q
[ $? = 0 ] && [ "$before" = "$(stat -c %Y.%s "$T/r3/shard_00000.parquet")" ] && same "$T/r1" "$T/r3" &&
  ok "rerun of a complete directory (np=2 after np=3) leaves it alone" || bad "rerun of a complete directory"
for i in 1 2; do
  rm -rf "$T/k"
  "$PARQ" repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/k" -q --memory-limit 2M &
  pid=$!
  sleep "0.$((RANDOM % 6 + 1))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  state=$(ls -A "$T/k" 2>/dev/null | tr '\n' ' ')
  mpi 3 repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/k" -q --memory-limit 2M 2>"$T/err"
  if [ $? = 0 ] && same "$T/r1" "$T/k"; then ok "kill -9 one process, resume with np=3: identical (was: ${state:0:60})"; else
    bad "resume under MPI (was: $state): $(head -c 300 "$T/err")"; fi
done
msg=$(mpi 2 repack "$T/j" --shard-chars 250000 --row-group-rows 100 -o "$T/r3" -q --seed 5 2>&1)
[ -n "$msg" ] && grep -q "rank 0 of 2 failed: .*options differ: --seed 5 vs 42" <<< "$msg" &&
  same "$T/r1" "$T/r3" && ok "a different command is refused by rank 0, shards untouched" ||
  bad "different command under MPI: $msg"

# ---- a failing rank: a bad value deep in the file rank 1 reads ----
{ awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"text\":\"t%d\",\"n\":%d}\n", i, i }'
  echo '{"text":"bad","n":"notanumber"}'; } > "$T/f1.jsonl"
for k in 0 2 3; do awk -v k=$k 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"text\":\"f%d %d\",\"n\":%d}\n", k, i, i }' > "$T/f$k.jsonl"; done
mpi 3 repack "$T/f0.jsonl" "$T/f1.jsonl" "$T/f2.jsonl" "$T/f3.jsonl" -o "$T/fail" --shard-rows 1024 -q > "$T/out" 2>"$T/err"
rc=$?
nf=$(grep -c "failed:" "$T/err")
if [ $rc != 0 ] && grep -q "rank 1 of 3 failed: .*f1.jsonl" "$T/err" && [ "$nf" = 1 ]; then
  ok "failing rank fails the job, named once: $(grep "failed:" "$T/err" | head -c 160)"; else
  bad "failing rank: rc=$rc $(head -c 400 "$T/err")"; fi
# (the spill directory .repack-tmp stays, as after any failed repack: a rerun reuses it)
if [ "$(nshards "$T/fail")" = 0 ] && { [ ! -e "$T/fail/manifest.json" ] || grep -q '"shards":\[\]' "$T/fail/manifest.json"; } &&
   ! grep -q '"complete":true' "$T/fail/manifest.json" 2>/dev/null &&
   [ -z "$(ls -A "$T/fail" | grep -E 'shard|manifest.json.tmp')" ]; then
  ok "...no shard, no shard temporary, no manifest claiming a shard"; else
  bad "...left: $(ls -A "$T/fail" | tr '\n' ' ') $(cat "$T/fail/manifest.json" 2>/dev/null | head -c 200)"; fi

# ---- a rank failing in pass 2 (SIGINT to rank 1 while shards are written): the manifest keeps
# the finished run of shards, every other shard file goes, and a rerun completes identically ----
"$GEN" --bytes 16M --seed 4 --out "$T/big.jsonl"
opts=(--shard-chars 300000 --compression zstd:15 -q)
"$PARQ" repack "$T/big.jsonl" -o "$T/iref" "${opts[@]}"
mpi 3 repack "$T/big.jsonl" -o "$T/int" "${opts[@]}" > /dev/null 2>"$T/err" &
job=$!
for i in $(seq 300); do ls "$T"/int/shard_* >/dev/null 2>&1 && break; sleep 0.05; done
for p in $(pgrep -x parq); do # rank 1 of this job (our own process, by pid)
  if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 &&
     tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$T/int"; then kill -INT "$p"; fi
done
wait $job
rc=$?
if [ $rc = 0 ]; then
  ok "pass-2 failure not exercised (the job finished before the signal)"
else
  grep -q "rank 1 of 3 failed: repack: interrupted" "$T/err" && ok "rank 1 interrupted in pass 2 fails the job" ||
    bad "pass-2 failure message: $(head -c 300 "$T/err")"
  listed=$(python3 -c "
import json, os, sys
m = json.load(open(sys.argv[1] + '/manifest.json'))
ok = not m['complete'] and all(os.path.getsize(sys.argv[1] + '/' + s['path']) == s['bytes'] for s in m['shards'])
ok = ok and [s['path'] for s in m['shards']] == ['shard_%05d.parquet' % i for i in range(len(m['shards']))]
print(len(m['shards']) if ok else 'bad')" "$T/int")
  files=$(ls "$T/int" | grep -c '^shard_')
  [ "$listed" != bad ] && [ "$files" = "$listed" ] && [ -z "$(ls -A "$T/int" | grep tmp\\.)" ] &&
    ok "...manifest lists the $listed finished shards, no other shard file" ||
    bad "...after pass-2 failure: listed=$listed files=$files $(ls -A "$T/int" | tr '\n' ' ')"
fi
mpi 3 repack "$T/big.jsonl" -o "$T/int" "${opts[@]}" 2>"$T/err"
[ $? = 0 ] && same "$T/iref" "$T/int" && ok "...and a rerun completes identically" ||
  bad "rerun after pass-2 failure: $(head -c 300 "$T/err")"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
