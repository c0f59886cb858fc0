#!/bin/bash
# bench/cdc/run.sh — what content-defined chunking (--cdc) buys for dedup.
#
# Makes a ~100k-row corpus (build/gencorpus), applies typical edits, writes
# every version with and without --cdc (zstd and snappy) and asks
# `parq dedup --json OLD NEW` how many bytes an upload of NEW would send
# (NEW's new_bytes) and the estimator's dedup ratio over the pair.
#
# usage: bench/cdc/run.sh [BUILD_DIR] [ROWS]   (defaults: build, 100000)
# env:   AVG_CHARS (default 1000: text length per row; 2200 gives a ~92 MB zstd
#        table, the size of the reference OpenOrca table), WORK (scratch dir)
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-100000}
PARQ=$BUILD/parq
GEN=$BUILD/gencorpus
W=${WORK:-$(mktemp -d /tmp/parq-cdc-bench.XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W/j"
"$GEN" --rows "$ROWS" --avg-chars "${AVG_CHARS:-1000}" --seed 1 --out "$W/orig.jsonl"
"$GEN" --rows $((ROWS / 5)) --avg-chars "${AVG_CHARS:-1000}" --seed 2 --out "$W/extra.jsonl"
python3 "$HERE/edit.py" "$W/orig.jsonl" "$W/extra.jsonl" "$W/j"
# The cast edit: token_count written as int32 instead of int64.
cat > "$W/cast.json" <<'S'
{"fields":[{"name":"text","type":"string"},{"name":"id","type":"string"},
 {"name":"dump","type":"string"},{"name":"url","type":"string"},{"name":"date","type":"string"},
 {"name":"file_path","type":"string"},{"name":"language","type":"string"},
 {"name":"language_score","type":"double"},{"name":"token_count","type":"int32"},
 {"name":"score","type":"double"},{"name":"int_score","type":"int64"}]}
S

ratio() { "$PARQ" dedup --json "$@" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.1f%% %d" % (100*d["ratio"], d["files"][-1]["new_bytes"] if len(d["files"])==2 else sum(f["new_bytes"] for f in d["files"][1:])))'; }
mb() { python3 -c "print('%.2f' % ($1/1048576))"; }

printf '| codec | cdc | edit | ratio (old+new) | uploaded MB |\n|---|---|---|---|---|\n'
for codec in zstd snappy; do
  for cdc in off on; do
    flags=(-q --compression "$codec")
    [ "$cdc" = on ] && flags+=(--cdc)
    d="$W/$codec-$cdc"; mkdir -p "$d"
    t0=$(date +%s.%N)
    "$PARQ" convert "$W/j/base.jsonl" -o "$d/base.parquet" "${flags[@]}"
    t1=$(date +%s.%N)
    echo "$codec cdc=$cdc base: $(stat -c %s "$d/base.parquet") bytes, write $(python3 -c "print('%.2f' % ($t1-$t0))") s" >&2
    cp "$d/base.parquet" "$d/copy.parquet"
    for e in addcol dropcol append insert delete; do
      "$PARQ" convert "$W/j/$e.jsonl" -o "$d/$e.parquet" "${flags[@]}"
    done
    "$PARQ" convert "$W/j/base.jsonl" -o "$d/cast.parquet" --schema "$W/cast.json" "${flags[@]}"
    "$PARQ" convert "$W/j/base.jsonl" -o "$d/rgsize.parquet" --row-group-rows 20000 "${flags[@]}"
    for e in copy addcol dropcol cast append insert delete rgsize; do
      read -r r up <<<"$(ratio "$d/base.parquet" "$d/$e.parquet")"
      printf '| %s | %s | %s | %s | %s |\n' "$codec" "$cdc" "$e" "$r" "$(mb "$up")"
    done
    for parts in 5 10 20; do
      files=()
      for ((i = 0; i < parts; i++)); do
        f=$(printf '%s/split%d_%02d' "$d" "$parts" "$i")
        "$PARQ" convert "$(printf '%s/j/split%d_%02d.jsonl' "$W" "$parts" "$i")" -o "$f.parquet" "${flags[@]}"
        files+=("$f.parquet")
      done
      read -r r up <<<"$(ratio "$d/base.parquet" "${files[@]}")"
      printf '| %s | %s | split into %d files | %s | %s |\n' "$codec" "$cdc" "$parts" "$r" "$(mb "$up")"
    done
  done
done
[ -z "${WORK:-}" ] && rm -rf "$W"
