#!/bin/bash
# bench/store/run.sh — store benchmarks: concurrent appends (C API, bare
# write+fsync+rename loop, CLI), consolidation, merge copy vs re-encode, and
# the JSON-document baseline. Usage: bench/store/run.sh [BUILD_DIR] [WORK_DIR]
set -eu
B=${1:-build}; W=${2:-/tmp/parq_store_bench}
P=$B/parq
rm -rf $W; mkdir -p $W
cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/store/append_bench.c $B/libparq.a \
  -lzstd -lsnappy -ldeflate -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lpng -lpthread -lm -o $W/append_bench
PROCS=10; APPENDS=${APPENDS:-200}; ROWS=100
echo "== appends: $PROCS processes x $APPENDS appends x $ROWS rows (C API)"
$P store init $W/s --key id -q
read n t r < <($W/append_bench api $W/s $PROCS $APPENDS $ROWS); echo "api: $n acknowledged appends in $t s = $r appends/s ($((ROWS)) rows each)"
sz=$(du -sb $W/s/increments | cut -f1); per=$((sz / n))
mkdir -p $W/bare
read n t r < <($W/append_bench bare $W/bare $PROCS $APPENDS $per); echo "bare write+fsync+rename ($per B files): $n in $t s = $r /s"
echo "== CLI: a process per append ($PROCS concurrent shells x 50)"
$P store init $W/c --key id -q
python3 -c 'import json
with open("'$W'/batch.jsonl","w") as f:
  for i in range(100): f.write(json.dumps({"id":i,"score":i*0.5,"model":"model-%d"%(i%7)})+"\n")'
t0=$(date +%s.%N)
for p in $(seq 1 $PROCS); do (for k in $(seq 1 50); do $P store append $W/c $W/batch.jsonl -q; done) & done; wait
t1=$(date +%s.%N); echo "cli: $((PROCS*50)) appends in $(echo "$t1 - $t0" | bc) s = $(echo "$PROCS*50 / ($t1 - $t0)" | bc) appends/s"
echo "== merge of 1000 small files (increments)"
ls $W/s/increments/*.parquet | head -1000 > $W/list
t0=$(date +%s.%N); $P merge $(cat $W/list) -o $W/m_copy.parquet --copy -q; t1=$(date +%s.%N)
$P merge $(cat $W/list) -o $W/m_re.parquet --reencode -q; t2=$(date +%s.%N)
echo "merge --copy: $(echo "$t1 - $t0" | bc) s; --reencode: $(echo "$t2 - $t1" | bc) s; speedup $(echo "scale=1; ($t2 - $t1) / ($t1 - $t0)" | bc)x"
echo "== consolidation of the API increments"
inc=$(ls $W/s/increments | wc -l)
t0=$(date +%s.%N); $P store consolidate $W/s --grace 0; t1=$(date +%s.%N)
echo "consolidate: $inc increments, $((inc*ROWS)) rows in $(echo "$t1 - $t0" | bc) s = $(echo "$inc*$ROWS / ($t1 - $t0)" | bc) rows/s"
echo "== JSON baseline: one document rewritten per 100-row batch"
read n t r < <($W/append_bench json $W/store.json 1000 $ROWS); echo "json: $n batches in $t s = $r batches/s (1 writer; needs a lock for more)"
rm -rf $W
