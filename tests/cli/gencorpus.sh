#!/usr/bin/env bash
# gencorpus.sh — checks tools/gencorpus: determinism, row/byte limits, valid JSON Lines
# with the FineWeb fields, CSV/JSONL agreement, and a text-like compression ratio.
set -uo pipefail

bin="${PARQ_BUILD_DIR:-build}/gencorpus"
if [ ! -x "$bin" ]; then echo "skipped: gencorpus not found at $bin"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$bin" --rows 500 --seed 3 --out "$tmp/a.jsonl"
"$bin" --rows 500 --seed 3 > "$tmp/b.jsonl"
"$bin" --rows 500 --seed 4 > "$tmp/c.jsonl"
check "same seed gives identical bytes" cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl"
check "different seed gives different bytes" bash -c "! cmp -s '$tmp/a.jsonl' '$tmp/c.jsonl'"
check "--rows 500 writes 500 lines" test "$(wc -l < "$tmp/a.jsonl")" -eq 500
check "--rows 0 writes nothing" test "$("$bin" --rows 0 | wc -c)" -eq 0

"$bin" --bytes 3M --seed 9 > "$tmp/d.jsonl"
size=$(wc -c < "$tmp/d.jsonl")
check "--bytes 3M stops just past 3 MiB ($size)" test "$size" -ge 3145728 -a "$size" -lt 3400000
check "--rows prefix equals --bytes prefix" \
  bash -c "cmp -s <('$bin' --rows 100 --seed 9) <(head -n 100 '$tmp/d.jsonl')"
check "output ends with a newline" test "$(tail -c 1 "$tmp/d.jsonl" | od -An -c | tr -d ' ')" = '\n'

check "bad option is rejected" bash -c "! '$bin' --rows 1 --nope 2 2>/dev/null"
check "missing size is rejected" bash -c "! '$bin' --seed 1 2>/dev/null"
check "bad number is rejected" bash -c "! '$bin' --rows 12x 2>/dev/null"

"$bin" --rows 300 --seed 5 --format csv > "$tmp/e.csv"
"$bin" --rows 300 --seed 5 > "$tmp/e.jsonl"
check "csv starts with the header" \
  test "$(head -n 1 "$tmp/e.csv")" = "text,id,dump,url,date,file_path,language,language_score,token_count,score,int_score"

if command -v node >/dev/null 2>&1; then
  # Parse every line, check the fields and types, and compare the CSV texts with the JSONL ones.
  check "JSON Lines parse with the FineWeb fields; CSV agrees" node - "$tmp/d.jsonl" "$tmp/e.jsonl" "$tmp/e.csv" <<'JS'
const fs = require('fs');
const [big, j, c] = process.argv.slice(2);
const keys = 'text,id,dump,url,date,file_path,language,language_score,token_count,score,int_score';
let rows = 0, nonAscii = 0, quotes = 0, newlines = 0, chars = 0;
for (const line of fs.readFileSync(big, 'utf8').split('\n')) {
  if (!line) continue;
  const o = JSON.parse(line);
  if (Object.keys(o).join(',') !== keys) throw new Error('keys: ' + Object.keys(o));
  if (!/^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$/.test(o.id)) throw new Error('id ' + o.id);
  if (!/^CC-MAIN-20\d\d-\d\d$/.test(o.dump) || !o.url.startsWith('https://')) throw new Error('dump/url');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(o.date) || o.language !== 'en') throw new Error('date/lang');
  if (!Number.isInteger(o.token_count) || !Number.isInteger(o.int_score)) throw new Error('ints');
  if (!(o.language_score >= 0.65 && o.language_score <= 1) || typeof o.score !== 'number') throw new Error('scores');
  rows++; chars += o.text.length;
  if (/[^\x00-\x7f]/.test(o.text)) nonAscii++;
  if (o.text.includes('"')) quotes++;
  if (o.text.includes('\n')) newlines++;
}
const avg = chars / rows;
if (rows < 500 || avg < 2000 || avg > 4000) throw new Error(`rows ${rows} avg ${avg}`);
if (!nonAscii || !quotes || !newlines) throw new Error('no non-ASCII/quotes/newlines');
// Minimal RFC 4180 reader for the CSV side.
const s = fs.readFileSync(c, 'utf8'); const recs = []; let f = '', rec = [], q = false;
for (let i = 0; i < s.length; i++) {
  const ch = s[i];
  if (q) { if (ch === '"') { if (s[i + 1] === '"') { f += '"'; i++; } else q = false; } else f += ch; }
  else if (ch === '"') q = true; else if (ch === ',') { rec.push(f); f = ''; }
  else if (ch === '\n') { rec.push(f); recs.push(rec); rec = []; f = ''; } else f += ch;
}
const js = fs.readFileSync(j, 'utf8').trim().split('\n').map(JSON.parse);
if (recs.length !== js.length + 1) throw new Error('csv rows ' + recs.length);
js.forEach((o, i) => {
  const r = recs[i + 1];
  if (r.length !== 11 || r[0] !== o.text || r[1] !== o.id || Number(r[8]) !== o.token_count)
    throw new Error('csv row ' + i + ' differs');
});
JS
else
  echo "note: node not found; JSON validity checks skipped"
fi

if command -v zstd >/dev/null 2>&1; then
  csize=$(zstd -3 -q -c "$tmp/d.jsonl" | wc -c)
  ratio=$(awk -v a="$size" -v b="$csize" 'BEGIN { printf "%.2f", a / b }')
  check "zstd -3 ratio $ratio is text-like (2.5..3.5)" \
    awk -v r="$ratio" 'BEGIN { exit !(r >= 2.5 && r <= 3.5) }'
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
