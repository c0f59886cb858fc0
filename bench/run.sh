#!/usr/bin/env bash
# run.sh — end-to-end benchmark of parq against zstd itself, DuckDB and Polars on one
# generated FineWeb-like corpus, in one run (see docs/BENCHMARKS.md for the method).
#
#   bash bench/run.sh [--size 1G|100M|...] [--out docs/BENCHMARKS.md] [--work DIR] [--keep]
#
#   --size   corpus size handed to gencorpus --bytes (default 1G)
#   --out    also replace the results section (between the bench-results markers) of this
#            Markdown file with the new tables
#   --work   scratch directory for the corpus and outputs (default /tmp/parq-bench)
#   --keep   keep the scratch directory afterwards (default: delete the big files)
#   env BUILD=DIR  where parq and gencorpus live (default build/)
#   env REPS=N     runs of each timed step; the fastest is reported (default 3)
#
# Prints the results as Markdown and writes them to bench/results-<date>.md. Every timed
# command runs under /usr/bin/time -f "%e %M %U %S" for wall and CPU seconds and peak RSS. A failing
# parq step is recorded in the table with its error message instead of numbers.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=1G
OUT=""
WORK=${BENCH_WORK:-/tmp/parq-bench}
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n 2,16p "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
PARQ="$BUILD/parq"
GENCORPUS="$BUILD/gencorpus"
ENGINES="$root/bench/engines.mjs"

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[bench $(date +%T)] $*" >&2; }

# ---- prerequisites ----
[ -x "$PARQ" ] || die "$PARQ not found: build first (make, or BUILD=DIR)"
[ -x "$GENCORPUS" ] || die "$GENCORPUS not found: build first (make, or BUILD=DIR)"
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (/usr/bin/time is missing)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y time >/dev/null
  else sudo apt-get install -y time >/dev/null; fi
  [ -x /usr/bin/time ] || die "/usr/bin/time still missing (apt-get install time)"
fi
command -v zstd >/dev/null || die "zstd CLI not found (apt-get install zstd)"
HAVE_NODE=0
if command -v node >/dev/null; then
  if ! (cd "$root/tests/interop" && node -e "require.resolve('@duckdb/node-api');require.resolve('nodejs-polars')") \
      >/dev/null 2>&1; then
    bash "$root/scripts/test-setup.sh" >&2 || true
  fi
  (cd "$root/tests/interop" && node -e "require.resolve('@duckdb/node-api')") >/dev/null 2>&1 && HAVE_NODE=1
fi
[ "$HAVE_NODE" = 1 ] || log "DuckDB/Polars unavailable (node modules missing): their rows will say n/a"

mkdir -p "$WORK" || die "cannot create $WORK"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)  # other work on the machine skews every number: report it
J="$WORK/corpus.jsonl"
TXT="$WORK/text.txt"
PQ="$WORK/parq.parquet"

# ---- timing helpers ----
# timed NAME CMD...: runs CMD under /usr/bin/time; sets T_SEC, T_MB (peak RSS, MB), T_RC and
# leaves stdout/stderr in $WORK/NAME.out / NAME.err. T_ERR = first error line on failure.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  T_RC=$?
  tload "$name"
}
# tload NAME: (re)read the T_* variables of a finished timed run.
tload() {
  local name=$1
  read -r T_SEC T_KB T_USR T_SYS < <(tail -n 1 "$WORK/$name.time")
  # CPU seconds of the whole process: less sensitive than wall time to other load on the machine.
  T_CPU=$(awk -v u="${T_USR:-0}" -v s="${T_SYS:-0}" 'BEGIN{printf "%.2f", u+s}')
  T_MB=$(awk -v k="${T_KB:-0}" 'BEGIN{printf "%.1f", k/1024}')
  T_ERR=""
  if [ "${T_RC:-0}" != 0 ]; then
    T_ERR=$(grep -v '^Command exited' "$WORK/$name.err" | grep -m1 . | cut -c1-160 | tr '|' '/')
    [ -n "$T_ERR" ] || T_ERR="exit status $T_RC"
    log "$name FAILED: $T_ERR"
  fi
}
REPS=${REPS:-3}
# best NAME SCORE CMD...: `timed` REPS times and keep the fastest run as NAME (its .out, .err,
# .time and T_* variables). SCORE is "wall" (wall seconds) or a JSON key of the command's
# stdout holding its own timer (e.g. "seconds"). Best-of-N for every engine alike: on a shared
# 2-core VM single runs vary by up to 40%, the minimum much less.
best() {
  local name=$1 score=$2; shift 2
  local i bi=1 bs="" s
  for ((i = 1; i <= REPS; i++)); do
    timed "$name.r$i" "$@"
    if [ "$T_RC" != 0 ]; then bi=$i; break; fi
    if [ "$score" = wall ]; then s=$T_SEC; else s=$(jget "$WORK/$name.r$i.out" "$score"); fi
    if [ -z "$bs" ] || awk -v a="$s" -v b="$bs" 'BEGIN{exit !(a < b)}'; then bs=$s; bi=$i; fi
  done
  for x in out err time; do cp "$WORK/$name.r$bi.$x" "$WORK/$name.$x"; done
  rm -f "$WORK/$name".r*.*
  tload "$name"
}
# jget FILE KEY: a numeric or string field of the JSON object on FILE's last line.
jget() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 > 0 && a != "") printf "%.1f", a/b; else printf "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 > 0 && a+0 > 0) printf "%.2f", a/b; else printf "n/a" }'; }
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1e6}'; }

ROWS=()  # Markdown table rows of the results table
# row STEP TOOL THREADS SECONDS MB/S PEAK_MB NOTES; numeric SECONDS get the CPU seconds of the
# last timed command appended.
row() {
  local secs=$4
  [[ "$secs" =~ ^[0-9.]+$ ]] && secs="$secs / ${T_CPU:-?}"
  ROWS+=("| $1 | $2 | $3 | $secs | $5 | $6 | $7 |")
}

# ---- 0. corpus ----
log "generating $SIZE corpus -> $J"
timed gencorpus "$GENCORPUS" --bytes "$SIZE" --seed 1 --out "$J"
[ "$T_RC" = 0 ] || die "gencorpus failed: $T_ERR"
JBYTES=$(stat -c %s "$J")
cat "$J" >/dev/null  # every engine starts with the corpus in the page cache

# ---- 1. zstd itself on the raw text column ----
ZC=""; ZD=""; TBYTES=""
if [ "$HAVE_NODE" = 1 ]; then
  log "extracting the text column"
  timed extract node "$ENGINES" extract-text "$J" "$TXT"
  if [ "$T_RC" = 0 ]; then
    TBYTES=$(stat -c %s "$TXT")
    log "zstd -b3 -B1048576 on $(mb "$TBYTES") MB of text"
    timed zstd zstd -b3 -B1048576 -T1 "$TXT"
    # Result line: " 3#text.txt : N -> M (x3.01), 480.1 MB/s, 1510.3 MB/s" (after \r updates).
    zline=$(cat "$WORK/zstd.out" "$WORK/zstd.err" | tr '\r' '\n' | grep -E 'MB/s.*MB/s' | tail -n 1)
    ZC=$(echo "$zline" | grep -o '[0-9.]* MB/s' | sed -n 1p | cut -d' ' -f1)
    ZD=$(echo "$zline" | grep -o '[0-9.]* MB/s' | sed -n 2p | cut -d' ' -f1)
    ZRATIO=$(echo "$zline" | grep -o '(x\{0,1\}[0-9.]*)' | tr -d '(x)')
    row "zstd -3, 1 MiB blocks" "compress text column" 1 "-" "$ZC" "$T_MB" "ratio ${ZRATIO:-?}, $(mb "$TBYTES") MB text"
    row "zstd -3, 1 MiB blocks" "decompress text column" 1 "-" "$ZD" "$T_MB" "MB/s of uncompressed text"
  else
    row "zstd" "extract text" 1 "-" "n/a" "-" "extraction failed: $T_ERR"
  fi
else
  row "zstd" "-" 1 "-" "n/a" "-" "needs node to extract the text column"
fi

# ---- 2. JSONL -> Parquet ----
CONV=(--compression zstd:3 --row-group-rows 1024 --dictionary off --statistics on --quiet)
declare -A CS CM CE  # convert: input MB/s, peak MB, error by engine key
for t in 1 2; do
  out="$PQ"; [ "$t" = 1 ] || out="$WORK/parq-t$t.parquet"
  log "parq convert --threads $t"
  best "parq-convert-$t" wall "$PARQ" convert "$J" -o "$out" "${CONV[@]}" --threads "$t"
  if [ "$T_RC" = 0 ]; then
    CS[parq$t]=$(div "$(mb "$JBYTES")" "$T_SEC"); CM[parq$t]=$T_MB
    row "JSONL → Parquet" "parq" "$t" "$T_SEC" "${CS[parq$t]}" "$T_MB" "file $(mb "$(stat -c %s "$out")") MB"
  else
    CE[parq$t]=$T_ERR
    row "JSONL → Parquet" "parq" "$t" "FAILED" "-" "$T_MB" "$T_ERR"
  fi
done
if [ "$HAVE_NODE" = 1 ]; then
  for t in 1 2; do
    log "DuckDB COPY threads=$t"
    best "duck-convert-$t" seconds node "$ENGINES" duck-convert "$J" "$WORK/duck-t$t.parquet" "$t"
    if [ "$T_RC" = 0 ]; then
      s=$(jget "$WORK/duck-convert-$t.out" seconds)
      CS[duck$t]=$(div "$(mb "$JBYTES")" "$s"); CM[duck$t]=$T_MB
      row "JSONL → Parquet" "DuckDB" "$t" "$(printf %.2f "$s")" "${CS[duck$t]}" "$T_MB" \
        "file $(mb "$(stat -c %s "$WORK/duck-t$t.parquet")") MB; process wall ${T_SEC}s"
    else
      row "JSONL → Parquet" "DuckDB" "$t" "failed" "-" "$T_MB" "$T_ERR"
    fi
  done
  log "Polars scanJson/sinkParquet"
  timed polars-convert node "$ENGINES" polars-convert "$J" "$WORK/polars.parquet"
  if [ "$T_RC" = 0 ]; then
    s=$(jget "$WORK/polars-convert.out" seconds)
    row "JSONL → Parquet" "Polars" "$(nproc)" "$(printf %.2f "$s")" "$(div "$(mb "$JBYTES")" "$s")" "$T_MB" \
      "$(jget "$WORK/polars-convert.out" mode); file $(mb "$(stat -c %s "$WORK/polars.parquet")") MB"
  else
    row "JSONL → Parquet" "Polars" "$(nproc)" "failed" "-" "$T_MB" "$T_ERR"
  fi
  rm -f "$WORK"/duck-t*.parquet "$WORK/polars.parquet"
fi

# ---- 3. full scan of the parq-written file ----
declare -A SS SM SD  # scan: seconds, peak MB, decoded bytes by key
declare -A LABEL=([all]="all columns" [text]="text column")
if [ -f "$PQ" ] && [ -z "${CE[parq1]:-}" ]; then
  PQBYTES=$(stat -c %s "$PQ")
  cat "$PQ" >/dev/null
  for spec in "all 1" "all 2" "text 1" "text 2"; do
    set -- $spec; what=$1; t=$2
    cols=(); [ "$what" = text ] && cols=(--columns text)
    log "parq scan $what --threads $t"
    best "parq-scan-$what-$t" seconds "$PARQ" scan "$PQ" "${cols[@]}" --threads "$t" --json
    k="parq-$what-$t"
    if [ "$T_RC" = 0 ]; then
      o="$WORK/parq-scan-$what-$t.out"
      SS[$k]=$(jget "$o" seconds); SM[$k]=$T_MB; SD[$what]=$(jget "$o" decoded_bytes)
      row "scan, ${LABEL[$what]}" "parq" "$t" "$(printf %.2f "${SS[$k]}")" "$(jget "$o" mb_per_s)" "$T_MB" \
        "$(jget "$o" file_mb_per_s) MB/s of file; $(mb "${SD[$what]}") MB decoded"
    else
      row "scan, ${LABEL[$what]}" "parq" "$t" "FAILED" "-" "$T_MB" "$T_ERR"
    fi
  done
  if [ "$HAVE_NODE" = 1 ]; then
    for spec in "all 1" "all 2" "text 1"; do
      set -- $spec; what=$1; t=$2
      log "DuckDB scan $what threads=$t"
      best "duck-scan-$what-$t" seconds node "$ENGINES" duck-scan "$PQ" "$t" "$what"
      k="duck-$what-$t"
      if [ "$T_RC" = 0 ]; then
        SS[$k]=$(jget "$WORK/duck-scan-$what-$t.out" seconds); SM[$k]=$T_MB
        row "scan, ${LABEL[$what]}" "DuckDB" "$t" "$(printf %.2f "${SS[$k]}")" \
          "$(div "$(mb "${SD[$what]:-}")" "${SS[$k]}")" "$T_MB" \
          "$(div "$(mb "$PQBYTES")" "${SS[$k]}") MB/s of file; MB/s = parq's decoded bytes / DuckDB time"
      else
        row "scan, ${LABEL[$what]}" "DuckDB" "$t" "failed" "-" "$T_MB" "$T_ERR"
      fi
    done
  fi
else
  row "scan" "parq" "-" "n/a" "-" "-" "no parq-written file (convert failed)"
fi

# ---- 4. repack + stream (each only when this parq has the command) ----
declare -A RS RM
has_cmd() { "$PARQ" help "$1" >/dev/null 2>&1; }
if has_cmd repack; then
  for j in 1 2; do
    d="$WORK/shards-j$j"; rm -rf "$d"
    log "parq repack --jobs $j"
    best "parq-repack-$j" wall sh -c 'rm -rf "$1"; shift; exec "$@"' _ "$d" "$PARQ" repack "$J" -o "$d" --shard-chars 100000000 --seed 42 --jobs "$j" --quiet
    if [ "$T_RC" = 0 ]; then
      RS[$j]=$T_SEC; RM[$j]=$T_MB
      n=$(find "$d" -name '*.parquet' | wc -l)
      row "repack JSONL (shuffle, 100M-char shards)" "parq" "$j" "$T_SEC" "$(div "$(mb "$JBYTES")" "$T_SEC")" "$T_MB" \
        "MB/s of JSONL input; $n shards"
    else
      row "repack JSONL (shuffle, 100M-char shards)" "parq" "$j" "FAILED" "-" "$T_MB" "$T_ERR"
    fi
  done
else
  row "repack" "parq" "-" "n/a" "-" "-" "this parq has no repack command"
fi
d="$WORK/shards-j1"
if has_cmd stream && [ -n "${RS[1]:-}" ]; then
  sbytes=$(find "$d" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s+0}')
  log "parq stream --columns text"
  best parq-stream wall "$PARQ" stream "$d" --columns text --format count
  if [ "$T_RC" = 0 ]; then
    ST_SEC=$T_SEC; ST_MB=$T_MB
    row "stream all shards (text)" "parq" 1 "$T_SEC" "$(div "$(mb "${TBYTES:-0}")" "$T_SEC")" "$T_MB" \
      "MB/s of text; $(div "$(mb "$sbytes")" "$T_SEC") MB/s of shard files; count $(tail -n1 "$WORK/parq-stream.out")"
  else
    row "stream all shards (text)" "parq" 1 "FAILED" "-" "$T_MB" "$T_ERR"
  fi
  if [ "$HAVE_NODE" = 1 ]; then
    log "DuckDB scan of the shards (text, threads=1)"
    best duck-stream seconds node "$ENGINES" duck-scan "$d/*.parquet" 1 text
    if [ "$T_RC" = 0 ]; then
      s=$(jget "$WORK/duck-stream.out" seconds); DST_SEC=$s
      row "stream all shards (text)" "DuckDB" 1 "$(printf %.2f "$s")" "$(div "$(mb "${TBYTES:-0}")" "$s")" "$T_MB" \
        "MB/s of text; $(div "$(mb "$sbytes")" "$s") MB/s of shard files"
    else
      row "stream all shards (text)" "DuckDB" 1 "failed" "-" "$T_MB" "$T_ERR"
    fi
  fi
elif ! has_cmd stream; then
  row "stream" "parq" "-" "n/a" "-" "-" "this parq has no stream command"
fi

# ---- goals ----
GOALS=()
goal() {  # goal TEXT MEASURED VERDICT-EXPR(awk, on m)
  local text=$1 m=$2 cond=$3 v
  if [ "$m" = "n/a" ] || [ -z "$m" ]; then v="not measured"
  else v=$(awk -v m="$m" "BEGIN{ print ($cond) ? \"met\" : \"**not met**\" }"); fi
  GOALS+=("| $text | $m | $v |")
}
max2() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN{ if (a=="" && b=="") print "n/a"; else print (a+0 > b+0 ? a : b) }'; }
goal "convert, 1 thread: parq / DuckDB(1 thread) ≥ 1.0×" "$(ratio "${CS[parq1]:-}" "${CS[duck1]:-}")" "m >= 1.0"
goal "convert, 1 thread: parq JSONL MB/s / zstd -3 compress MB/s ≥ 0.95×" "$(ratio "${CS[parq1]:-}" "$ZC")" "m >= 0.95"
goal "convert: parq 2 threads / 1 thread ≥ 1.8×" "$(ratio "${CS[parq2]:-}" "${CS[parq1]:-}")" "m >= 1.8"
goal "convert: parq peak RSS ≤ 64 MB (max of 1 and 2 threads)" "$(max2 "${CM[parq1]:-}" "${CM[parq2]:-}")" "m <= 64"
goal "scan all columns, 1 thread: parq / DuckDB(1 thread) ≥ 1.0×" \
  "$(ratio "${SS[duck-all-1]:-}" "${SS[parq-all-1]:-}")" "m >= 1.0"
goal "scan text, 1 thread: parq decoded MB/s / zstd -3 decompress MB/s ≥ 0.95×" \
  "$(ratio "$(div "$(mb "${SD[text]:-0}")" "${SS[parq-text-1]:-}")" "$ZD")" "m >= 0.95"
goal "scan all columns: parq 2 threads / 1 thread ≥ 1.8×" "$(ratio "${SS[parq-all-1]:-}" "${SS[parq-all-2]:-}")" "m >= 1.8"
goal "scan: parq peak RSS ≤ 32 MB (max over scans)" \
  "$(max2 "$(max2 "${SM[parq-all-1]:-}" "${SM[parq-all-2]:-}")" "$(max2 "${SM[parq-text-1]:-}" "${SM[parq-text-2]:-}")")" "m <= 32"
# Repack and stream (the shards issue): repack MB/s vs convert MB/s, both of the JSONL input.
goal "repack, 1 job: MB/s / convert 1 thread MB/s ≥ 0.8×" \
  "$(ratio "$(div "$(mb "$JBYTES")" "${RS[1]:-}")" "${CS[parq1]:-}")" "m >= 0.8"
goal "repack: 2 jobs / 1 job (goal near 2×; met at ≥ 1.8×)" "$(ratio "${RS[1]:-}" "${RS[2]:-}")" "m >= 1.8"
goal "repack: peak RSS ≤ --memory-limit (1 GiB default)" "$(max2 "${RM[1]:-}" "${RM[2]:-}")" "m <= 1024"
goal "stream text: parq / DuckDB(1 thread) scan of the shards ≥ 1.0×" "$(ratio "${DST_SEC:-}" "${ST_SEC:-}")" "m >= 1.0"
goal "stream text MB/s / core scan text MB/s (1 thread) ≥ 1.0×" \
  "$(ratio "$(div "$(mb "${TBYTES:-0}")" "${ST_SEC:-}")" "$(div "$(mb "${SD[text]:-0}")" "${SS[parq-text-1]:-}")")" "m >= 1.0"
goal "stream: peak RSS < 32 MB" "${ST_MB:-n/a}" "m < 32"

# ---- report ----
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ddb=$(cd "$root/tests/interop" && node -e "console.log(require('@duckdb/node-api/package.json').version)" 2>/dev/null || echo "?")
pol=$(cd "$root/tests/interop" && node -e "console.log(require('nodejs-polars/package.json').version)" 2>/dev/null || echo "?")
report() {
  echo "### Results: --size $SIZE, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $cpu, $(awk '/MemTotal/{printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)," \
       "$(uname -sr). Corpus: \`gencorpus --bytes $SIZE --seed 1\` = $(mb "$JBYTES") MB JSONL" \
       "(text column $( [ -n "$TBYTES" ] && mb "$TBYTES" || echo '?') MB)." \
       "Versions: $(zstd --version | grep -o 'v[0-9.]*'), DuckDB node $ddb, nodejs-polars $pol."
  echo
  echo "Load average (1/5/15 min) at start: $LOAD0; at end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| Step | Tool | Threads | Seconds (wall / CPU) | MB/s | Peak RSS (MB) | Notes |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "MB/s: convert = JSONL input bytes / seconds; scan = decoded (uncompressed Arrow) bytes /"
  echo "seconds; zstd = uncompressed text bytes / seconds (zstd's own benchmark, 1e6-byte MB).
CPU = user + system seconds of the whole process (for DuckDB/Polars including node start-up)."
  echo
  echo "| Goal | Measured | Status |"
  echo "|---|---|---|"
  printf '%s\n' "${GOALS[@]}"
}
res="$root/bench/results-$(date +%F).md"
report | tee "$res"
log "wrote $res"

if [ -n "$OUT" ]; then
  [ -f "$OUT" ] || die "--out $OUT: no such file"
  tmp=$(mktemp)
  if grep -q '<!-- bench-results:begin -->' "$OUT"; then
    awk -v res="$res" '
      /<!-- bench-results:begin -->/ { print; while ((getline l < res) > 0) print l; skip = 1; next }
      /<!-- bench-results:end -->/ { skip = 0 }
      !skip { print }' "$OUT" >"$tmp"
  else
    { cat "$OUT"; echo; echo '<!-- bench-results:begin -->'; cat "$res"; echo '<!-- bench-results:end -->'; } >"$tmp"
  fi
  cat "$tmp" >"$OUT" && rm -f "$tmp"
  log "updated the results section of $OUT"
fi

if [ "$KEEP" = 0 ]; then
  rm -rf "$J" "$TXT" "$WORK"/*.parquet "$WORK"/shards-j*
fi
exit 0
