#!/usr/bin/env bash
# demo.sh — what `make demo` runs: generate a ~50 MB FineWeb-like corpus, turn it into
# Parquet with the freshly built parq, and show the result. Uses a temporary directory
# (removed at the end unless KEEP=1).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build}
parq="$build/parq"
gen="$build/gencorpus"
for b in "$parq" "$gen"; do
  if [ ! -x "$b" ]; then echo "demo: $b not found; run 'make' first" >&2; exit 1; fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/parq-demo.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "demo: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
corpus="$work/corpus.jsonl"
out="$work/out"
mkdir -p "$out"

run() { echo "+ $*"; "$@"; }
step() { echo; echo "== $*"; }

step "1. Generate a 50 MB FineWeb-like corpus (deterministic, seed 1)"
t0=$(date +%s%N)
run "$gen" --bytes 50M --seed 1 --out "$corpus"
t1=$(date +%s%N)
awk -v s="$(wc -c < "$corpus")" -v r="$(wc -l < "$corpus")" -v ns="$((t1 - t0))" \
  'BEGIN { printf "   %d rows, %.1f MB in %.2fs\n", r, s / 1e6, ns / 1e9 }'

if "$parq" help repack >/dev/null 2>&1; then
  step "2. Repack into shuffled, size-balanced Parquet shards"
  run "$parq" repack "$corpus" -o "$out" --shard-chars 20000000 --seed 42
else
  step "2. Convert to Parquet (zstd level 3, 1024-row row groups)"
  run "$parq" convert "$corpus" -o "$out/corpus.parquet" --compression zstd:3 --row-group-rows 1024
fi

first=$(find "$out" -name '*.parquet' -type f | sort | head -n 1)
if [ -z "$first" ]; then echo "demo: no Parquet file was written" >&2; exit 1; fi
echo "   output:"
(cd "$out" && find . -name '*.parquet' -type f | sort | while read -r f; do
  printf "   %-40s %10d bytes\n" "$f" "$(wc -c < "$f")"; done)
total=$(find "$out" -name '*.parquet' -type f -exec cat {} + | wc -c)
awk -v a="$(wc -c < "$corpus")" -v b="$total" 'BEGIN { printf "   JSONL %.1f MB -> Parquet %.1f MB (%.2fx)\n", a / 1e6, b / 1e6, a / b }'

step "3. Metadata of ${first#"$work"/} (first row group)"
echo "+ $parq meta $first | head -n 20"
"$parq" meta "$first" | head -n 20

step "4. First two rows back as JSON Lines (cut to 200 columns)"
echo "+ $parq cat --limit 2 $first | cut -c1-200"
"$parq" cat --limit 2 "$first" | cut -c1-200

if "$parq" help stream >/dev/null 2>&1 && [ -f "$out/manifest.json" ]; then
  step "5. Stream the shards to rank 0 of 2 (text column, 128-row batches)"
  run "$parq" stream "$out" --rank 0 --world 2 --columns text --batch-rows 128 --format count | tail -n 3
  step "6. The manifest (first lines)"
  head -c 600 "$out/manifest.json"; echo " ..."
fi

echo
echo "demo: done"
