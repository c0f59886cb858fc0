#!/usr/bin/env bash
# parq_write.sh — files written by `parq convert` (every codec, data page v1/v2, dictionary
# on/off; inferred schemas, an explicit --schema, and a gencorpus text corpus) must read
# back in DuckDB and Polars with the values of the JSON Lines source.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

src="$work/src"
node "$here/make_source.mjs" "$src" > /dev/null || { bad "make_source.mjs failed"; finish; }
gencorpus="${PARQ_BUILD_DIR:-$(dirname "$PARQ_BIN")}/gencorpus"
sources=(inferred typed)
if [ -x "$gencorpus" ]; then
  "$gencorpus" --rows 400 --seed 11 --out "$src/corpus.jsonl"
  sources+=(corpus)
else
  echo "note: $gencorpus not found; text corpus case skipped"
fi

codecs=(zstd:3 snappy gzip lz4 brotli none)
for s in "${sources[@]}"; do
  extra=()
  [ -f "$src/$s.schema.json" ] && extra=(--schema "$src/$s.schema.json")
  files=()
  for c in "${codecs[@]}"; do
    for pv in 1 2; do
      for dict in on off; do
        out="$work/${s}_${c%%:*}_v${pv}_dict${dict}.parquet"
        if "$PARQ_BIN" convert "$src/$s.jsonl" -o "$out" --compression "$c" --page-version "$pv" \
             --dictionary "$dict" "${extra[@]}" > "$work/convert.log" 2>&1; then
          files+=("$out")
        else
          bad "parq convert $s.jsonl --compression $c --page-version $pv --dictionary $dict: $(head -c 300 "$work/convert.log")"
        fi
      done
    done
  done
  [ ${#files[@]} -gt 0 ] || continue
  node "$here/read_check.mjs" "$src/$s.jsonl" "${files[@]}" > "$work/check.log" 2>&1
  grep -v '^counts:' "$work/check.log"
  counts=$(grep '^counts:' "$work/check.log" || echo "counts: 0 1")
  read -r _ p f <<< "$counts"
  pass=$((pass + p))
  fail=$((fail + f))
done
finish
